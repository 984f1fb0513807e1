"""``evaluate(policy, signals, request) -> Decision``: pure, no I/O, microseconds.

1. Guards, order-independent: every guard whose condition matches denies its zones.
2. ``classifier.on_error: block`` and classification failed: block.
3. Routes, first match wins. A route into a denied zone, or ``to: requested`` when the client
   named no configured model (``auto``), is skipped and the skip recorded. ``action: block``
   blocks with the route's message. Fallbacks in denied zones are dropped (and recorded).
   A route with ``redact:`` is judged on the body as it will leave: the guards are evaluated
   again without the values of its types (every one the policy could count is replaced), so a
   guard that matched only on them no longer denies; the decision records the types to redact
   and the zones denied before and after. The request path then redacts, scans the redacted body
   again (entities, and the semantic signals that its guards on categories read: a placeholder
   is not a person's health) and, if that finds what should be gone or a guard denies the zone,
   evaluates again without the route (``exclude``).
4. No route taken: the ``default``; if its zone is denied, the request is refused.

Fail closed (``classifier.on_error: assume_sensitive``): when classification failed, entity and
language conditions are *unknown*. A guard fires unless its condition is false whatever the
detector would have found (so every entity guard fires); a route is taken only when its condition
holds whatever the detector would have found (so neither "has personal data" nor "is clean"
routes are taken). The request thus goes where routes that do not depend on content, or the
default, send it, and never into a zone that an entity guard could deny.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from gateway.policy.compiled import Policy, Target
from gateway.policy.conditions import Facts
from gateway.policy.decision import CLASSIFICATION_FAILED_ROUTE, DEFAULT_ROUTE, Action, Decision
from gateway.request import GatewayRequest
from gateway.signals import Signals
from gateway.types import Zone, kind_of

CLASSIFICATION_FAILED_MESSAGE = "content classification failed"


def denials(policy: Policy, facts: Facts, *, semantic: bool = True
            ) -> tuple[tuple[str, ...], tuple[tuple[str, Zone], ...]]:
    """The guards that match and the (guard, zone) pairs they deny. A guard matches unless its
    condition is definitely false. ``semantic=False``: leave out the guards that read the
    semantic signals (a redacted body is scored again and judged by them then)."""
    matched: list[str] = []
    denied: list[tuple[str, Zone]] = []
    for guard in policy.guards:
        if not semantic and guard.semantic:
            continue
        if guard.matches(facts) is not False:
            matched.append(guard.id)
            denied.extend((guard.id, z) for z in sorted(guard.deny_zones))
    return tuple(matched), tuple(denied)


def needs_semantics(policy: Policy, signals: Signals, request: GatewayRequest) -> bool:
    """Could the decision depend on categories or complexity? ``signals`` are those without
    them. Not when every rule that reads them denies only zones other guards already deny, or
    routes into such a zone: a request that a guard already keeps local does not pay for them."""
    if not policy.semantic:
        return False
    facts = Facts.of(signals, request)
    denied: set[Zone] = set()
    for guard in policy.guards:
        if not guard.semantic and guard.matches(facts) is not False:
            denied |= guard.deny_zones
    if any(g.semantic and not g.deny_zones <= denied for g in policy.guards):
        return True
    for route in policy.routes:
        if not route.semantic:
            continue
        if route.action == "block":
            return True
        target = route.target if route.target is not None else policy.models.get(request.model)
        if target is None:
            continue
        if target.zone not in denied:
            return True
        redact = _present(policy, facts, route.redact) if route.redact and not facts.entities_unknown else ()
        if redact and target.zone not in {z for _, z in denials(policy, redacted_facts(policy, facts, redact),
                                                                 semantic=False)[1]}:
            return True  # open to the redacted body: its condition on complexity decides
    return False


def redacted_facts(policy: Policy, facts: Facts, types: Iterable[str]) -> Facts:
    """The facts of the request once every value of ``types`` that any condition could count is
    replaced by a placeholder."""
    drop = frozenset(types)
    floor = policy.redact_floor
    return dataclasses.replace(facts, entities=tuple((t, s) for t, s in facts.entities
                                                     if t not in drop or s < floor))


def evaluate(policy: Policy, signals: Signals, request: GatewayRequest,
             exclude: Mapping[str, str] | None = None, *, rescan: bool = False) -> Decision:
    """The decision for a request. ``exclude``: routes not to take (id -> the reason recorded), for
    a route whose redaction the request path could not carry out. ``rescan``: the caller scores
    a redacting route's body again before it takes the route (the request path does), so the
    guards on categories and complexity judge that body, not this one; without it they judge
    this one (a conservative answer, e.g. for policy tests)."""
    facts = Facts.of(signals, request)
    guards, denied_pairs = denials(policy, facts)
    denied = frozenset(z for _, z in denied_pairs)
    entities: dict[str, int] = {}
    for e in signals.entities:
        if e.score >= policy.min_score:
            entities[e.type] = entities.get(e.type, 0) + 1
    failed = signals.classify_failed or signals.semantic.state == "failed"

    def decide(route: str, action: Action, target: Target | None, *, skipped: list[tuple[str, str]],
               fallbacks: tuple[Target, ...] = (), message: str | None = None,
               redact: tuple[str, ...] = (), pairs: tuple[tuple[str, Zone], ...] = denied_pairs) -> Decision:
        return Decision(
            route=route, action=action,
            model=target.model if target else None,
            backend=target.backend if target else None,
            zone=target.zone if target else None,
            guards=guards, denied_zones=frozenset(z for _, z in pairs), denials=pairs, skipped=tuple(skipped),
            fallbacks=tuple(t.model for t in fallbacks),
            fallback_backends={t.model: (t.backend, t.zone) for t in fallbacks},
            entities=entities, message=message, classify_failed=failed,
            policy_version=policy.version, content=tuple(sorted(signals.content)),
            semantic=signals.semantic, redact=redact, unredacted_denied=denied,
        )

    if failed and policy.on_error == "block":
        return decide(CLASSIFICATION_FAILED_ROUTE, "block", None, skipped=[],
                      message=CLASSIFICATION_FAILED_MESSAGE)

    kind = kind_of(request.endpoint)
    skipped: list[tuple[str, str]] = []
    for route in policy.routes:
        if route.matches(facts) is not True:
            continue
        if exclude and route.id in exclude:
            skipped.append((route.id, exclude[route.id]))
            continue
        if route.action == "block":
            return decide(route.id, "block", None, skipped=skipped, message=route.message)
        target = route.target if route.target is not None else policy.models.get(request.model)
        if target is None:
            skipped.append((route.id, f"requested model '{_short(request.model)}' is not a configured model"))
            continue
        if target.kind != kind:
            skipped.append((route.id, f"kind: {target.model} is a {target.kind} model, the request needs {kind}"))
            continue
        # A redacting route is judged on what will leave: guards that matched only on the types
        # it replaces no longer deny; any other guard still does.
        redact = _present(policy, facts, route.redact) if route.redact and not facts.entities_unknown else ()
        pairs = denials(policy, redacted_facts(policy, facts, redact), semantic=not rescan)[1] if redact \
            else denied_pairs
        route_denied = frozenset(z for _, z in pairs)
        if target.zone in route_denied:
            why = _denied_reason(target, pairs)
            skipped.append((route.id, why + (f" (after redacting {', '.join(redact)})" if redact else "")))
            continue
        allowed: list[Target] = []
        for fb in route.fallback:
            if fb.kind != kind:
                skipped.append((route.id, f"fallback {fb.model}: kind {fb.kind}"))
            elif fb.zone in route_denied:
                skipped.append((route.id, f"fallback {fb.model}: {_denied_reason(fb, pairs)}"))
            elif fb.model != target.model and fb not in allowed:
                allowed.append(fb)
        return decide(route.id, "route", target, skipped=skipped, fallbacks=tuple(allowed), redact=redact,
                      pairs=pairs)

    default = policy.default if kind == "chat" else policy.default_embedding
    if default is None:
        skipped.append((DEFAULT_ROUTE, "kind: the policy names no default_embedding"))
        return decide(DEFAULT_ROUTE, "refuse", None, skipped=skipped,
                      message="no embedding model: the policy names no default_embedding")
    if default.zone in denied:
        skipped.append((DEFAULT_ROUTE, _denied_reason(default, denied_pairs)))
        return decide(DEFAULT_ROUTE, "refuse", None, skipped=skipped,
                      message=f"no backend available: zone {default.zone} is denied for this request")
    return decide(DEFAULT_ROUTE, "route", default, skipped=skipped)


def _present(policy: Policy, facts: Facts, types: frozenset[str]) -> tuple[str, ...]:
    """The types of ``types`` the request holds at a score some condition could count."""
    floor = policy.redact_floor
    return tuple(sorted({t for t, s in facts.entities if t in types and s >= floor}))


def _denied_reason(target: Target, denied_pairs: tuple[tuple[str, Zone], ...]) -> str:
    by = [g for g, z in denied_pairs if z == target.zone]
    noun = "guard" if len(by) == 1 else "guards"
    return f"zone {target.zone} denied by {noun} {', '.join(by)}"


def _short(name: str) -> str:
    return name if len(name) <= 64 else name[:61] + "..."
