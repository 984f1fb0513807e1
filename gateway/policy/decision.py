"""The result of evaluating a policy for one request, and its explain / header forms.

A decision holds ids, model names, zones and entity *types with counts*: never request text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from gateway.signals import NOT_NEEDED, Semantic
from gateway.types import Zone

Action = Literal["route", "block", "refuse"]

DEFAULT_ROUTE = "default"
CLASSIFICATION_FAILED_ROUTE = "classification-failed"


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a request goes, and why.

    ``action``: ``route`` (send to ``model`` on ``backend`` in ``zone``, then ``fallbacks`` in
    order), ``block`` (403 ``policy_blocked`` with ``message``) or ``refuse`` (503
    ``no_backend_available``: every candidate lay in a denied zone). For block and refuse,
    ``model``, ``backend`` and ``zone`` are None.
    """

    route: str  # route id, "default", or "classification-failed"
    action: Action
    model: str | None
    backend: str | None
    zone: Zone | None
    guards: tuple[str, ...]  # ids of the guards that matched, in policy order
    denied_zones: frozenset[Zone]
    denials: tuple[tuple[str, Zone], ...]  # (guard id, zone) for every zone a guard denied
    skipped: tuple[tuple[str, str], ...]  # (route id, reason)
    fallbacks: tuple[str, ...]  # public model names, already outside denied zones
    fallback_backends: Mapping[str, tuple[str, Zone]] = field(default_factory=dict)
    entities: Mapping[str, int] = field(default_factory=dict)  # type -> count (score >= policy min_score)
    message: str | None = None
    classify_failed: bool = False
    policy_version: str = ""
    content: tuple[str, ...] = ()  # content kinds that cannot be read as text, sorted
    semantic: Semantic = NOT_NEEDED  # categories and complexity, when the policy needed them
    # Redaction (DESIGN.md, "Redaction"): the entity types the route pseudonymises that the request
    # holds; the zones denied to the request as it came, before redaction (``denied_zones`` are
    # those denied to what leaves); and, once the request path has redacted and re-scanned the
    # body, the values replaced per type.
    redact: tuple[str, ...] = ()
    unredacted_denied: frozenset[Zone] = frozenset()
    redacted: Mapping[str, int] = field(default_factory=dict)

    def to_explain(self) -> dict[str, object]:
        """The JSON body of ``POST /v1/gateway/explain`` (and ``gateway explain``)."""
        return {
            "route": self.route,
            "action": self.action,
            "model": self.model,
            "backend": self.backend,
            "zone": self.zone,
            "guards": list(self.guards),
            "skipped": [{"route": r, "reason": why} for r, why in self.skipped],
            "entities": dict(sorted(self.entities.items())),
            "content": list(self.content),
            "categories": {c: round(s, 3) for c, s in sorted(self.semantic.categories.items())},
            "complexity": round(self.semantic.complexity, 3) if self.semantic.state == "ok" else None,
            "semantic": self.semantic.state,
            "policy_version": self.policy_version,
            "fallbacks": list(self.fallbacks),
            "denied_zones": sorted(self.denied_zones),
            "message": self.message,
            "classify_failed": self.classify_failed,
            "redact": list(self.redact),
            "redacted": dict(sorted(self.redacted.items())),
        }

    def entities_header(self) -> str:
        """``x-gateway-entities``: ``TYPE:count,...`` sorted by type; empty when nothing was found."""
        return ",".join(f"{t}:{n}" for t, n in sorted(self.entities.items()))

    def headers(self) -> dict[str, str]:
        """The decision's ``x-gateway-*`` response headers (the HTTP layer adds the request id,
        and overrides backend/zone when a fallback served the request)."""
        return {
            "x-gateway-rule": self.route,
            "x-gateway-backend": self.backend or "",
            "x-gateway-zone": self.zone or "",
            "x-gateway-entities": self.entities_header(),
            "x-gateway-content": ",".join(self.content),
            "x-gateway-categories": ",".join(self.semantic.flagged()),
            # the complexity score when it was computed (empty when the policy did not need it)
            "x-gateway-complexity": f"{self.semantic.complexity:.2f}" if self.semantic.state == "ok" else "",
            **({"x-gateway-redacted": ",".join(f"{t}:{n}" for t, n in sorted(self.redacted.items()))}
               if self.redacted else {}),
        }
