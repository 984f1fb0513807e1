"""Build one adapter per configured backend."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from gateway.backends.base import Backend
from gateway.backends.openai import OpenAIBackend
from gateway.config import Config, Secrets


def build_backends(config: Config, secrets: Secrets,
                   transports: Mapping[str, httpx.AsyncBaseTransport]) -> dict[str, Backend]:
    backends: dict[str, Backend] = {}
    for name, cfg in config.backends.items():
        if cfg.type == "openai":
            backends[name] = OpenAIBackend(name, cfg, secrets.backend_keys.get(name), transports.get(name))
        else:
            backends[name] = UnavailableBackend(name, cfg.zone, f"backend type {cfg.type} is not built yet")
    return backends


class UnavailableBackend:
    """A configured backend this build cannot serve; every call fails before the first byte,
    so the policy's fallbacks apply."""

    def __init__(self, name: str, zone: str, reason: str) -> None:
        from gateway.errors import BackendFailure

        self.name = name
        self.zone = zone  # type: ignore[assignment]
        self._reason = reason
        self._failure = BackendFailure

    async def send(self, call: object) -> object:
        raise self._failure(f"backend {self.name}: {self._reason}", kind="unavailable",
                            before_first_byte=True, status=503)

    async def aclose(self) -> None:
        return None
