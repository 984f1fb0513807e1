"""Map an upstream's error answer to a :class:`~gateway.errors.BackendFailure`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from gateway.errors import BackendFailure


def failure_from_status(backend: str, status: int, content: bytes,
                        headers: Mapping[str, str]) -> BackendFailure:
    """Map an upstream error status to a failure; keep the upstream's error body when it is a
    valid OpenAI-shaped error (its message is the upstream's, not the prompt's)."""
    body = _error_body(content)
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


def _error_body(content: bytes) -> dict[str, Any] | None:
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
