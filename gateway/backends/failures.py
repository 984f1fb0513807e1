"""Map an upstream's error answer to a :class:`~gateway.errors.BackendFailure`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from gateway.errors import BackendFailure
from gateway.wire.errors import anthropic_error

ErrorBody = Callable[[bytes, int], "dict[str, Any] | None"]


def failure_from_status(backend: str, status: int, content: bytes, headers: Mapping[str, str],
                        error_body: ErrorBody | None = None) -> BackendFailure:
    """Map an upstream error status to a failure; keep the upstream's error body when it is a
    valid OpenAI-shaped error (its message is the upstream's, not the prompt's).

    ``error_body`` turns another wire format's error body into the OpenAI shape (see
    :func:`anthropic_error_body`)."""
    body = (error_body or _error_body)(content, status)
    retry_after = _retry_after(headers.get("retry-after"))
    if status in (401, 403):
        # The gateway's own upstream credentials were refused: not the client's fault.
        return BackendFailure(f"backend {backend} refused the gateway's credentials (HTTP {status})",
                              kind="status", before_first_byte=True, status=502)
    if status == 429:
        return BackendFailure(f"backend {backend} is rate limited", kind="status", before_first_byte=True,
                              status=429, body=body, retry_after=retry_after)
    if status >= 500:
        return BackendFailure(f"backend {backend} failed with HTTP {status}", kind="status",
                              before_first_byte=True, status=502, body=body, retry_after=retry_after)
    return BackendFailure(f"backend {backend} rejected the request with HTTP {status}", kind="status",
                          before_first_byte=True, status=status, body=body)


def anthropic_error_body(content: bytes, status: int) -> dict[str, Any] | None:
    """A valid Anthropic error body in the OpenAI shape. The upstream message is not copied
    (providers sometimes quote the input back); its error type and the status are kept."""
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    err = value.get("error") if isinstance(value, dict) else None
    if not (isinstance(err, dict) and isinstance(err.get("type"), str)):
        return None
    return anthropic_error(value, status).to_openai()


def _error_body(content: bytes, status: int) -> dict[str, Any] | None:
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        err = value["error"]
        if isinstance(err.get("message"), str):
            return {"error": {"message": err["message"], "type": err.get("type") or "upstream_error",
                              "code": err.get("code"), "param": err.get("param")}}
    return None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None
