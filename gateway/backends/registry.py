"""Build one adapter per configured backend, each behind its retry policy and circuit breaker."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

import httpx

from gateway.backends.anthropic import AnthropicBackend
from gateway.backends.base import Backend, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.llama_cpp import LlamaCppBackend
from gateway.backends.openai import OpenAIBackend
from gateway.backends.resilience import CircuitBreaker, ResilientBackend, RetryPolicy
from gateway.config import BackendConfig, Config, Secrets
from gateway.errors import BackendFailure
from gateway.types import Zone


def build_backends(config: Config, secrets: Secrets,
                   transports: Mapping[str, httpx.AsyncBaseTransport]) -> dict[str, Backend]:
    backends: dict[str, Backend] = {}
    for name, cfg in config.backends.items():
        key, transport = secrets.backend_keys.get(name), transports.get(name)
        adapter: Backend
        if cfg.type == "openai":
            adapter = OpenAIBackend(name, cfg, key, transport)
        elif cfg.type == "anthropic":
            adapter = AnthropicBackend(name, cfg, key, transport)
        elif importlib.util.find_spec("llama_cpp") is None:
            backends[name] = UnavailableBackend(
                name, cfg.zone, "llama-cpp-python is not installed: install the [local] extra")
            continue
        else:
            assert cfg.model_path is not None
            adapter = LlamaCppBackend(name, cfg, config.resolve_path(cfg.model_path))
        backends[name] = resilient(adapter, cfg)
    return backends


def resilient(adapter: Backend, cfg: BackendConfig) -> ResilientBackend:
    r, cb = cfg.retries, cfg.circuit_breaker
    return ResilientBackend(adapter,
                            RetryPolicy(r.attempts, r.backoff, r.max_backoff, r.max_retry_after),
                            CircuitBreaker(cb.failures, cb.cooldown))


class UnavailableBackend:
    """A configured backend this build cannot serve; every call fails before the first byte,
    so the policy's fallbacks apply."""

    def __init__(self, name: str, zone: Zone, reason: str) -> None:
        self.name = name
        self.zone: Zone = zone
        self._reason = reason

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        raise BackendFailure(f"backend {self.name}: {self._reason}", kind="unavailable",
                             before_first_byte=True, status=503)

    async def aclose(self) -> None:
        return None
