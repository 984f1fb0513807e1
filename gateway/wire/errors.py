"""Upstream error bodies (Anthropic or OpenAI shape, streamed or not) -> the gateway error tree.

The upstream ``message`` is deliberately not copied: providers sometimes quote the offending
input back, and gateway errors must never carry prompt or completion text. The upstream error
type and HTTP status are kept, which is what a client needs to react.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.errors import (
    BadRequest,
    GatewayError,
    PayloadTooLarge,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
)

_BY_ANTHROPIC_TYPE: dict[str, type[GatewayError]] = {
    "invalid_request_error": BadRequest,
    "request_too_large": PayloadTooLarge,
    "rate_limit_error": RateLimited,
    "timeout_error": UpstreamTimeout,
}

_BY_STATUS: dict[int, type[GatewayError]] = {
    400: BadRequest,
    408: UpstreamTimeout,
    413: PayloadTooLarge,
    422: BadRequest,
    429: RateLimited,
    504: UpstreamTimeout,
}

_BY_OPENAI_KIND: dict[str, type[GatewayError]] = {
    "invalid_request_error": BadRequest,
    "rate_limit_exceeded": RateLimited,
    "rate_limit_error": RateLimited,
    "insufficient_quota": RateLimited,
    "context_length_exceeded": BadRequest,
    "timeout": UpstreamTimeout,
}


def _error_field(body: object, key: str) -> str | None:
    err = body.get("error") if isinstance(body, Mapping) else None
    value = err.get(key) if isinstance(err, Mapping) else None
    return value if isinstance(value, str) else None


def anthropic_error(body: object, status: int | None = None) -> GatewayError:
    """An Anthropic ``{"type": "error", "error": {"type", "message"}}`` body (or ``error`` event)."""
    kind = _error_field(body, "type") or "api_error"
    cls = _BY_ANTHROPIC_TYPE.get(kind) or (_BY_STATUS.get(status) if status else None) or UpstreamError
    where = f" (HTTP {status})" if status else ""
    return cls(f"upstream model error: {kind}{where}", code=None if cls is not UpstreamError else
               f"upstream_{kind}")


def openai_error(body: object, status: int | None = None) -> GatewayError:
    """An OpenAI ``{"error": {"message", "type", "code", "param"}}`` body (or stream chunk)."""
    code = _error_field(body, "code")
    kind = _error_field(body, "type")
    cls = (_BY_OPENAI_KIND.get(code or "") or (_BY_STATUS.get(status) if status else None)
           or _BY_OPENAI_KIND.get(kind or "") or UpstreamError)
    label = code or kind or "error"
    where = f" (HTTP {status})" if status else ""
    return cls(f"upstream model error: {label}{where}")
