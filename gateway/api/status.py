"""What the gateway can serve right now: each backend's state (for ``/readyz``) and the routing
table printed at start-up, so an operator sees at once what is reachable and what is disabled."""

from __future__ import annotations

from typing import Any

from gateway.api.state import Gateway
from gateway.backends.resilience import ResilientBackend


def backends_status(gw: Gateway) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, backend in gw.backends.items():
        cfg = gw.config.backends[name]
        state = backend.state()
        entry: dict[str, Any] = {"type": cfg.type, "zone": backend.zone, "state": state.condition,
                                 "reason": state.reason}
        if isinstance(backend, ResilientBackend):
            snap = backend.breaker.snapshot()
            entry.update(circuit=str(snap.state), consecutive_failures=snap.consecutive_failures,
                         retry_in=round(snap.retry_in, 3))
        out[name] = entry
    return out


def routing_table(gw: Gateway, listen: str | None = None) -> str:
    """The start-up summary: backends with zone and state, models, policy, address."""
    status = backends_status(gw)
    width = max((len(n) for n in status), default=7)
    lines = [f"gateway ready{f' on {listen}' if listen else ''}: policy {gw.config.policy} version "
             f"{gw.policies.current.version}; detector {_detector(gw)}"]
    lines.append(f"  {'backend'.ljust(width)}  {'type':9}  {'zone':5}  state")
    for name, s in status.items():
        state = s["state"] + (f": {s['reason']}" if s["reason"] else "")
        lines.append(f"  {name.ljust(width)}  {s['type']:9}  {s['zone']:5}  {state}")
    models = ", ".join(f"{m} ({cfg.kind}, {cfg.backend})" for m, cfg in gw.config.models.items())
    lines.append(f"  models: auto (the policy chooses), {models}")
    return "\n".join(lines)


def _detector(gw: Gateway) -> str:
    pool = gw.classifier.status()
    return (f"{pool.ready} of {pool.workers} worker processes ready" if pool.workers
            else "in the server process")
