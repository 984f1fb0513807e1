"""What the HTTP layer works with, built once at startup and passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.backends.base import Backend
from gateway.config import Config, Secrets
from gateway.limits import Limiter, TenancyStore
from gateway.observability.audit import AuditLog
from gateway.observability.metrics import Metrics
from gateway.policy import PolicyStore
from gateway.request import TextPart
from gateway.signals import Signals


class Classifier(Protocol):
    @property
    def ready(self) -> bool: ...

    async def start(self) -> None: ...

    async def classify(self, parts: list[TextPart], opaque: bool) -> Signals: ...

    async def aclose(self) -> None: ...


@dataclass
class Gateway:
    config: Config
    secrets: Secrets
    backends: dict[str, Backend]
    classifier: Classifier
    policies: PolicyStore
    metrics: Metrics
    audit: AuditLog
    tenancy: TenancyStore  # keys, teams, limits (reloaded with the config)
    limits: Limiter
