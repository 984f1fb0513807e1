"""The gateway's exception tree, documented in one place.

Every error a client can see is a :class:`GatewayError` carrying the HTTP status, the OpenAI
error ``type`` and ``code``, and a message that never contains request or response content.

    GatewayError
      BadRequest            400 invalid_request_error
      AuthenticationFailed  401 authentication_error / invalid_api_key
      PolicyBlocked         403 policy_blocked
      ModelNotFound         404 model_not_found
      PayloadTooLarge       413 request_too_large
      RateLimited           429 rate_limit_exceeded
        QuotaExceeded       429 insufficient_quota (a key's or team's budget is spent)
      UpstreamError         502 upstream_error
      NoBackendAvailable    503 no_backend_available
      LimitsUnavailable     503 limits_unavailable (the shared limit store is down, on_error: block)
      UpstreamTimeout       504 upstream_timeout
    ConfigError             not an HTTP error: a config or policy file that does not load
    BackendFailure          a backend could not serve a request (internal; the HTTP layer turns
                            it into a retry, a fallback, or one of the errors above)
    StreamBroken            a stream failed after it started: the client gets an SSE error event
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class GatewayError(Exception):
    status: int = 500
    type: str = "server_error"
    code: str = "internal_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def to_openai(self) -> dict[str, object]:
        return {
            "error": {"message": self.message, "type": self.type, "code": self.code, "param": self.param}
        }

    def to_anthropic(self) -> dict[str, object]:
        return {"type": "error", "error": {"type": ANTHROPIC_ERROR_TYPES.get(self.status, "api_error"),
                                           "message": self.message}}


class BadRequest(GatewayError):
    status = 400
    type = "invalid_request_error"
    code = "invalid_request"


class AuthenticationFailed(GatewayError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PolicyBlocked(GatewayError):
    status = 403
    type = "permission_error"
    code = "policy_blocked"


class ModelNotFound(GatewayError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_found"


class PayloadTooLarge(GatewayError):
    status = 413
    type = "invalid_request_error"
    code = "request_too_large"


class RateLimited(GatewayError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"


class QuotaExceeded(RateLimited):
    type = "insufficient_quota"
    code = "insufficient_quota"


class UpstreamError(GatewayError):
    status = 502
    type = "upstream_error"
    code = "upstream_error"


class NoBackendAvailable(GatewayError):
    status = 503
    type = "service_unavailable"
    code = "no_backend_available"


class LimitsUnavailable(GatewayError):
    status = 503
    type = "service_unavailable"
    code = "limits_unavailable"


class UpstreamTimeout(GatewayError):
    status = 504
    type = "timeout_error"
    code = "upstream_timeout"


ANTHROPIC_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    502: "api_error",
    503: "overloaded_error",
    504: "api_error",
}


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config or policy file: where it is and what is wrong."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(Exception):
    """A config or policy file failed to load or validate; carries every problem found."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class BackendFailure(Exception):
    """A backend could not serve a request.

    ``before_first_byte``: nothing reached the client yet, so a retry or fallback is allowed.
    ``status``: the HTTP status the client gets if no other backend serves the request.
    ``body``: an upstream error body (OpenAI shape) to pass on, when it was valid.
    ``kind``: for metrics: ``connect``, ``timeout``, ``status``, ``protocol``, ``unsupported``.
    """

    def __init__(self, message: str, *, kind: str, before_first_byte: bool, status: int,
                 body: dict[str, Any] | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.before_first_byte = before_first_byte
        self.status = status
        self.body = body
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.before_first_byte and (self.kind in ("connect", "timeout", "protocol")
                                           or self.status == 429 or self.status >= 500)


class StreamBroken(Exception):
    """A stream failed after it had started; the client gets an error event, never a retry."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
