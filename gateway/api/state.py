"""What the HTTP layer works with, built once at startup and passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.backends.base import Backend
from gateway.classify.pool import PoolStatus
from gateway.config import Config, Secrets
from gateway.observability.audit import AuditLog
from gateway.observability.metrics import Metrics
from gateway.outbound import Outbound
from gateway.policy import PolicyStore
from gateway.signals import Signals


class Classifier(Protocol):
    @property
    def ready(self) -> bool: ...

    async def start(self) -> None: ...

    def status(self) -> PoolStatus: ...

    async def classify(self, outbound: Outbound) -> Signals: ...

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
