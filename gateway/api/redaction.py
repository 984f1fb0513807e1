"""The redaction step of the request path: pseudonymise the body for a route with ``redact:``,
scan what will leave again, and accept the route only if that scan agrees.

The policy decided on the request as it came (``evaluate`` already judged the route without the
values of its types). Here the body is redacted and the redacted body scanned again, exactly as
any request is: the route stands only when that scan succeeds, finds no value of the redacted
types, and no guard denies the route's zone for the body as it will leave (redaction never
launders a value it did not replace, and a guard on anything else still holds). The guards on
categories read the redacted body's scores: they judge what the text says, and a placeholder
says less than a name, an e-mail address or a phone number. Otherwise the route is skipped with
the reason, and the policy evaluated again without it.

Used by the request path and by ``gateway explain`` alike, so a dry run decides as the real one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from gateway.outbound import Outbound
from gateway.policy import Decision, evaluate
from gateway.policy.compiled import Policy
from gateway.policy.conditions import Facts
from gateway.policy.evaluate import denials
from gateway.redact import Redaction, Restorer, Unredactable, ValueKeys, redact
from gateway.request import GatewayRequest
from gateway.signals import Semantic, Signals

OutboundOf = Callable[[Mapping[str, Any], Mapping[str, str]], Outbound]


class Scanner(Protocol):
    async def classify(self, outbound: Outbound) -> Signals: ...

    async def semantic(self, outbound: Outbound) -> Semantic: ...


async def decide(policy: Policy, signals: Signals, greq: GatewayRequest, out: Outbound, outbound_of: OutboundOf,
                 scanner: Scanner, keys: ValueKeys) -> tuple[Decision, Redaction | None]:
    """The decision, with a redacting route taken only once its redacted body passed the scan."""
    exclude: dict[str, str] = {}
    while True:
        decision = evaluate(policy, signals, greq, exclude, rescan=True)
        if not decision.redact or decision.action != "route":
            return decision, None
        outcome = await redact_request(policy, decision, signals, greq, out, outbound_of, scanner, keys)
        if isinstance(outcome, str):
            exclude[decision.route] = outcome
            continue
        return outcome


async def redact_request(policy: Policy, decision: Decision, signals: Signals, greq: GatewayRequest, out: Outbound,
                         outbound_of: OutboundOf, scanner: Scanner, keys: ValueKeys
                         ) -> tuple[Decision, Redaction] | str:
    """The decision as it stands for the redacted body, and the redaction; or why the route
    cannot be taken redacted."""
    assert decision.zone is not None
    floor = policy.redact_floor
    try:
        done = redact(greq.body, out, signals.entities, decision.redact, floor, keys)
    except Unredactable as exc:
        return f"redaction: {exc}"
    leaving = outbound_of(done.body, greq.headers)
    rescanned = await scanner.classify(leaving)
    if rescanned.classify_failed:
        return "redaction: the redacted body could not be scanned again"
    left = sorted({e.type for e in rescanned.entities if e.type in decision.redact and e.score >= floor})
    if left:
        return f"redaction: the redacted body still holds {', '.join(left)}"
    semantic = signals.semantic
    if any(g.semantic for g in policy.guards):
        # the guards on categories judge what will leave: placeholders, not the values
        scored = await scanner.semantic(leaving)
        semantic = dataclasses.replace(scored, complexity=signals.semantic.complexity) if scored.state == "ok" \
            else scored
    facts = Facts.of(dataclasses.replace(rescanned, semantic=semantic), greq)
    _, pairs = denials(policy, facts)
    by = sorted({g for g, z in pairs if z == decision.zone})
    if by:
        return f"redaction: zone {decision.zone} is still denied to the redacted body by {', '.join(by)}"
    merged = tuple(dict.fromkeys((*decision.denials, *pairs)))
    denied = frozenset(z for _, z in merged)
    fallbacks = tuple(m for m in decision.fallbacks if decision.fallback_backends[m][1] not in denied)
    narrowed = dataclasses.replace(decision, denials=merged, denied_zones=denied, fallbacks=fallbacks,
                                   redacted=dict(done.counts))
    return narrowed, Redaction(dataclasses.replace(greq, body=done.body), Restorer(done.values), done.counts)
