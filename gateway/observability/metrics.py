"""Prometheus metrics of the contract (DESIGN.md, "Metrics"), on a registry passed in.

Label values come only from config (route ids, backend and model names, teams, endpoints) or
from small fixed sets (status classes, error kinds), never from request content.
"""

from __future__ import annotations

import os
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import mark_process_dead

from gateway.observability.registry import render_metrics

M = TypeVar("M", bound=MetricWrapperBase)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
OVERHEAD_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)


class Metrics:
    """Every metric of the contract. With ``multiproc_dir`` (prometheus-client multiprocess mode,
    see :mod:`gateway.observability.registry`), :meth:`render` merges the values of every worker."""

    def __init__(self, registry: CollectorRegistry, multiproc_dir: str | None = None) -> None:
        self.registry = registry
        self.multiproc_dir = multiproc_dir
        self._policy_version: str | None = None
        self._children: dict[tuple[int, tuple[str, ...]], MetricWrapperBase] = {}
        r = registry
        self.requests = Counter("gateway_requests", "Requests served",
                                ["endpoint", "route", "backend", "zone", "model", "status"], registry=r)
        self.duration = Histogram("gateway_request_duration_seconds", "Request latency, end to end",
                                  ["endpoint", "route", "backend", "zone"], buckets=LATENCY_BUCKETS,
                                  registry=r)
        self.overhead = Histogram("gateway_overhead_seconds", "Time spent in the gateway, upstream excluded",
                                  ["endpoint"], buckets=OVERHEAD_BUCKETS, registry=r)
        self.classify = Histogram("gateway_classify_seconds", "Time to classify a request",
                                  buckets=OVERHEAD_BUCKETS, registry=r)
        self.ttft = Histogram("gateway_time_to_first_token_seconds", "Time to the first streamed chunk",
                              ["backend"], buckets=LATENCY_BUCKETS, registry=r)
        self.tokens = Counter("gateway_tokens", "Tokens", ["route", "backend", "model", "zone", "kind"],
                              registry=r)
        self.cost = Counter("gateway_cost_usd", "Cost in USD", ["route", "backend", "model", "zone", "team"],
                            registry=r)
        self.cost_avoided = Counter("gateway_cost_avoided_usd",
                                    "What local traffic would have cost at the reference cloud price",
                                    ["route", "backend"], registry=r)
        self.entities = Counter("gateway_entities", "Entities detected", ["entity_type"], registry=r)
        self.categories = Counter("gateway_categories", "Requests with a confidential category (score >= 0.5)",
                                  ["category"], registry=r)
        self.redactions = Counter("gateway_redactions", "Values pseudonymised before a call (DESIGN.md, Redaction)",
                                  ["entity_type"], registry=r)
        self.guard_denials = Counter("gateway_guard_denials", "Zones denied by guards", ["guard", "zone"],
                                     registry=r)
        self.backend_errors = Counter("gateway_backend_errors", "Backend failures", ["backend", "kind"],
                                      registry=r)
        self.fallbacks = Counter("gateway_fallbacks", "Fallbacks taken", ["from_backend", "to_backend"],
                                 registry=r)
        self.inflight = Gauge("gateway_inflight_requests", "Requests in flight", ["endpoint"], registry=r,
                              multiprocess_mode="livesum")
        self.policy_reloads = Counter("gateway_policy_reloads", "Policy reloads", ["result"], registry=r)
        self.circuit_state = Gauge("gateway_backend_circuit_state",
                                   "Circuit breaker per backend: 0 closed, 1 half open, 2 open", ["backend"],
                                   registry=r, multiprocess_mode="max")
        self.policy_info = Gauge("gateway_policy_info", "The running policy version", ["version"],
                                 registry=r, multiprocess_mode="livemax")
        self.rate_limited = Counter("gateway_rate_limited", "Requests refused by a key's or team's limit or budget",
                                    ["key", "kind"], registry=r)
        # spend and budgets are global values (from Redis when shared): the latest any worker read
        self.spend_usd = Gauge("gateway_spend_usd", "Spend of a team in its current budget period (USD)", ["team"],
                               registry=r, multiprocess_mode="mostrecent")
        self.budget_usd = Gauge("gateway_budget_usd", "Budget of a team per period (USD)", ["team"],
                                registry=r, multiprocess_mode="mostrecent")
        self.limits_degraded = Gauge("gateway_limits_degraded",
                                     "1 when the shared limit store cannot be reached (limits per process, or 503)",
                                     registry=r, multiprocess_mode="livemax")
        self.config_reloads = Counter("gateway_config_reloads", "Reloads of the config's keys, teams and limits",
                                      ["result"], registry=r)

    def child(self, metric: M, *values: str) -> M:
        """``metric.labels(*values)`` (in the order the metric declares its labels), looked up once:
        the request path counts every request in several labelled metrics, and ``labels()``
        validates its arguments on every call. Label values are bounded (config names, small
        fixed sets), so this map is too. Not for metrics whose children are removed."""
        key = (id(metric), values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found  # type: ignore[return-value]

    def set_policy_version(self, version: str) -> None:
        if self._policy_version is not None and self._policy_version != version:
            # a multiprocess gauge keeps its file entry after clear(): zero it first
            self.policy_info.labels(version=self._policy_version).set(0)
        self.policy_info.clear()
        self.policy_info.labels(version=version).set(1)
        self._policy_version = version

    # gateway.limits.LimitEvents
    def limited(self, key: str, kind: str) -> None:
        self.child(self.rate_limited, key, kind).inc()

    def spend(self, team: str, usd: float) -> None:
        self.child(self.spend_usd, team).set(usd)  # reported on every request

    def degraded(self, flag: bool) -> None:
        self.limits_degraded.set(1 if flag else 0)

    def set_tenancy(self, limited: dict[str, tuple[str, ...]], budgets: dict[str, float]) -> None:
        """After a (re)load of the keys: every limited key's counters exist from the start (at 0),
        and each team's budget is exported."""
        for key, kinds in limited.items():
            for kind in kinds:
                self.rate_limited.labels(key=key, kind=kind)
        for team, usd in budgets.items():
            self.budget_usd.labels(team=team).set(usd)

    def render(self) -> bytes:
        """The ``/metrics`` body (content type ``prometheus_client.CONTENT_TYPE_LATEST``)."""
        return render_metrics(self.registry, self.multiproc_dir)

    def process_exited(self) -> None:
        """At a worker's shutdown: drop its live gauges from the multiprocess directory."""
        if self.multiproc_dir is not None:
            mark_process_dead(os.getpid(), self.multiproc_dir)  # type: ignore[no-untyped-call]
