"""Read a request body: the size limit, JSON, the nesting limit. What the fields must be is each
ingress's business (:mod:`gateway.api.ingress`)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from gateway.errors import BadRequest, PayloadTooLarge
from gateway.outbound import json_depth_exceeds

MAX_DEPTH = 64  # nesting of arrays and objects in a request body

async def read_body(request: Request, limit: int, declared: str | None) -> bytes:
    """``declared``: the request's Content-Length header, if any."""
    if declared is not None:
        try:
            if int(declared) > limit:
                raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
        except ValueError:
            raise BadRequest("invalid Content-Length header") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise BadRequest("the request body is empty; expected a JSON object")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson's message names the position, never echoes the content.
        raise BadRequest(f"the request body is not valid JSON: {exc.args[0].split(':')[0]} "
                         f"at position {exc.pos}") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    # fewer brackets in the whole text than the limit: it cannot be nested deeper (no walk)
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and json_depth_exceeds(body, MAX_DEPTH):
        raise BadRequest(f"the request body is nested more than {MAX_DEPTH} levels deep")
    return body
