"""Client authentication: ``Authorization: Bearer <key>`` or ``x-api-key: <key>``."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from gateway.config import Config, Secrets
from gateway.errors import AuthenticationFailed


def presented_key(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = headers.get("x-api-key")
    return key.strip() if key else None


def authenticate(headers: Mapping[str, str], config: Config, secrets: Secrets) -> tuple[str | None, str | None]:
    """Return (key id, team) for the presented key; anonymous is (None, None) when allowed."""
    key = presented_key(headers)
    if key is not None:
        for secret, key_id in secrets.client_keys.items():
            if hmac.compare_digest(secret.encode(), key.encode()):
                team = next((k.team for k in config.auth.keys if k.id == key_id), None)
                return key_id, team
        if not config.auth.allow_anonymous:
            raise AuthenticationFailed("invalid API key")
        raise AuthenticationFailed("invalid API key (omit the key to call anonymously)")
    if config.auth.allow_anonymous:
        return None, None
    raise AuthenticationFailed("missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'")
