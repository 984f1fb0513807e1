"""The zone invariant, checked where a request leaves for a backend.

The HTTP layer calls :func:`check_zone` with the zone *of the backend it is about to call*
(from the config, not from the decision's target) before the first attempt, before every
fallback and every retry. The answer depends only on the zones the guards denied and on the
action, never on which route or fallback was chosen, so a bug in route selection or fallback
cannot send a request into a denied zone.
"""

from __future__ import annotations

from gateway.errors import NoBackendAvailable
from gateway.policy.decision import Decision
from gateway.types import Zone


def zone_allowed(decision: Decision, zone: str) -> bool:
    """May a request with this decision reach a backend in ``zone``? Only a ``route`` decision
    may reach any backend, and never one in a zone a guard denied."""
    return decision.action == "route" and zone not in decision.denied_zones and zone in ("local", "cloud")


def check_zone(decision: Decision, backend_zone: Zone | str) -> None:
    """Raise :class:`NoBackendAvailable` (503) unless :func:`zone_allowed`."""
    if not zone_allowed(decision, backend_zone):
        if decision.action != "route":
            raise NoBackendAvailable(f"request was not routed (action {decision.action})")
        guards = sorted({g for g, z in decision.denials if z == backend_zone})
        raise NoBackendAvailable(
            f"zone {backend_zone} is denied for this request by {', '.join(guards) or 'policy'}")
