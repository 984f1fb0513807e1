"""Assemble a :class:`Gateway` from a config: backends, detector, policy store, metrics, audit."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from gateway.api.state import Classifier, Gateway, LoopClassify
from gateway.backends.base import Backend
from gateway.backends.registry import build_backends
from gateway.classify.service import ClassifyService
from gateway.config import Config, resolve_secrets
from gateway.limits import Limiter, Tenancy, TenancyStore
from gateway.observability.audit import AuditLog
from gateway.observability.metrics import Metrics
from gateway.observability.registry import make_registry, multiprocess_dir
from gateway.policy.store import PolicyStore

log = logging.getLogger("gateway")


def build_gateway(config: Config, environ: Mapping[str, str], *,
                  registry: CollectorRegistry | None = None,
                  classifier: Classifier | None = None,
                  transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
                  config_path: str | Path | None = None) -> Gateway:
    """``config_path``: the file ``config`` came from, watched for changes of keys and limits."""
    secrets, _ = resolve_secrets(config, environ)  # unset ones: `gateway serve` warns, the routing table shows
    metrics = Metrics(registry or make_registry(), multiproc_dir=multiprocess_dir(environ))
    backends: dict[str, Backend] = build_backends(config, secrets, transports or {})
    classifier = classifier or ClassifyService(config.classifier)
    policy_path = config.resolve_path(config.policy)
    store = PolicyStore.open(config, path=policy_path, tests_dir=policy_path.parent / "tests",
                             classify=LoopClassify(classifier),
                             on_reload=lambda result, version: _on_reload(metrics, result, version))
    return Gateway(
        config=config,
        secrets=secrets,
        backends=backends,
        classifier=classifier,
        policies=store,
        metrics=metrics,
        audit=AuditLog(config.audit.path),
        tenancy=TenancyStore(config, environ, path=config_path,
                             on_reload=lambda result, tenancy: _on_tenancy(metrics, result, tenancy)),
        limits=Limiter(config.state, environ, metrics),
    )


def _on_reload(metrics: Metrics, result: str, version: str) -> None:
    metrics.policy_reloads.labels(result=result).inc()
    if result == "success":
        metrics.set_policy_version(version)


def _on_tenancy(metrics: Metrics, result: str, tenancy: Tenancy) -> None:
    metrics.config_reloads.labels(result=result).inc()
    metrics.set_tenancy(tenancy.limited, tenancy.budgets)
