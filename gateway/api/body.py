"""Read and validate a request body: size limit, JSON, the few fields the gateway relies on.

Everything else in the body passes through to OpenAI-compatible backends unchanged.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from gateway.errors import BadRequest, PayloadTooLarge
from gateway.outbound import json_depth_exceeds
from gateway.types import Endpoint

MAX_DEPTH = 64  # nesting of arrays and objects in a request body

async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
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
    if json_depth_exceeds(body, MAX_DEPTH):
        raise BadRequest(f"the request body is nested more than {MAX_DEPTH} levels deep")
    return body


def _require(body: dict[str, Any], field: str, kinds: tuple[type, ...], what: str) -> Any:
    if field not in body:
        raise BadRequest(f"missing required field '{field}'", param=field)
    value = body[field]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise BadRequest(f"'{field}' must be {what}", param=field)
    return value


def validate(endpoint: Endpoint, body: dict[str, Any]) -> tuple[str, bool]:
    """Check the fields the gateway reads; return (model, stream)."""
    model = _require(body, "model", (str,), "a string")
    if not model:
        raise BadRequest("'model' must not be empty", param="model")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise BadRequest("'stream' must be a boolean", param="stream")
    if endpoint == "embeddings" and stream:
        raise BadRequest("the embeddings endpoint does not stream", param="stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise BadRequest("'stream_options' must be an object", param="stream_options")
    if endpoint in ("chat", "messages"):
        messages = _require(body, "messages", (list,), "an array of messages")
        if not messages:
            raise BadRequest("'messages' must not be empty", param="messages")
        for i, msg in enumerate(messages):
            if not isinstance(msg, dict):
                raise BadRequest(f"messages[{i}] must be an object", param=f"messages[{i}]")
            if not isinstance(msg.get("role"), str):
                raise BadRequest(f"messages[{i}].role must be a string", param=f"messages[{i}].role")
        if endpoint == "messages":
            _require(body, "max_tokens", (int,), "an integer")
    elif endpoint == "completions":
        _require(body, "prompt", (str, list), "a string or an array")
    elif endpoint == "embeddings":
        _require(body, "input", (str, list), "a string or an array")
    return model, stream
