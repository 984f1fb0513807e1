"""Client authentication: ``Authorization: Bearer <key>`` or ``x-api-key: <key>``."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.errors import AuthenticationFailed
from gateway.limits import KeyRecord, Tenancy


def presented_key(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = headers.get("x-api-key")
    return key.strip() if key else None


def authenticate(headers: Mapping[str, str], tenancy: Tenancy) -> KeyRecord | None:
    """The presented key (compared by SHA-256 in constant time); None: anonymous, when allowed."""
    key = presented_key(headers)
    if key is not None:
        record = tenancy.identify(key)
        if record is not None:
            return record
        if not tenancy.allow_anonymous:
            raise AuthenticationFailed("invalid API key")
        raise AuthenticationFailed("invalid API key (omit the key to call anonymously)")
    if tenancy.allow_anonymous:
        return None
    raise AuthenticationFailed("missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'")
