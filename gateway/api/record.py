"""The per-request record, written in one place: metrics and the audit line, once per request,
when its response is complete. Label values come from the config only; no content."""

from __future__ import annotations

import time

from gateway.api.exchange import Exchange
from gateway.api.state import Gateway
from gateway.observability.cost import Usage, cost_usd

CLIENT_CLOSED = 499  # nginx's "client closed request", for metrics and the audit log


def estimate(ex: Exchange, completion_tokens: int) -> Usage | None:
    """Usage when the upstream reported none: the prompt from the detector's count, the
    completion from the answer; marked as estimated in the audit record."""
    if ex.served_model is None or ex.signals is None:
        return None
    return Usage(ex.signals.prompt_tokens, max(completion_tokens, 0), estimated=True)


def record(gw: Gateway, ex: Exchange, status: int, usage: Usage | None = None) -> None:
    """Count and audit the request once."""
    if ex.finished:
        return
    ex.finished = True
    elapsed = time.perf_counter() - ex.started
    d = ex.decision
    route = d.route if d else ""
    backend = ex.backend or ""
    zone = ex.zone or ""
    model = ex.served_model or ""
    m = gw.metrics
    m.child(m.requests, ex.endpoint, route, backend, zone, model, str(status)).inc()
    m.child(m.duration, ex.endpoint, route, backend, zone).observe(elapsed)
    overhead = max(elapsed - ex.upstream_seconds, 0.0)
    m.child(m.overhead, ex.endpoint).observe(overhead)
    cost = 0.0
    if usage is not None and ex.served_model:
        model_cfg = gw.config.models[ex.served_model]
        m.child(m.tokens, route, backend, model, zone, "prompt").inc(usage.prompt)
        m.child(m.tokens, route, backend, model, zone, "completion").inc(usage.completion)
        cost = cost_usd(usage, model_cfg.price)
        m.child(m.cost, route, backend, model, zone, ex.team or "").inc(cost)
        ref = gw.config.cost.reference_model
        if zone == "local" and ref is not None:
            m.child(m.cost_avoided, route, backend).inc(cost_usd(usage, gw.config.models[ref].price))
    if ex.limits is not None and ex.limits.allowed:  # the real tokens and the cost counted above
        gw.limits.settle(ex.limits, usage.prompt + usage.completion if usage else 0, cost)
    gw.audit.write({
        "time": time.time(),
        "request_id": ex.request_id,
        "key_id": ex.key_id,
        "team": ex.team,
        "endpoint": ex.endpoint,
        "requested_model": ex.requested_model,
        "route": route or None,
        "action": d.action if d else None,
        "model": ex.served_model,
        "backend": ex.backend,
        "zone": ex.zone,
        "guards": list(d.guards) if d else [],
        "entities": d.entities if d else {},
        "content": list(d.content) if d else [],
        "categories": d.semantic.flagged() if d else [],
        "complexity": round(d.semantic.complexity, 3) if d and d.semantic.state == "ok" else None,
        "redacted": dict(d.redacted) if d else {},  # counts per type: never the values
        "status": status,
        "latency_ms": round(elapsed * 1000, 3),
        "overhead_ms": round(overhead * 1000, 3),
        "tokens": {"prompt": usage.prompt, "completion": usage.completion,
                   "estimated": usage.estimated} if usage else None,
        "cost_usd": cost,
    })
