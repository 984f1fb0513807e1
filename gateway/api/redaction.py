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
"""

from __future__ import annotations

import dataclasses

from gateway.api.exchange import Exchange
from gateway.api.ingress import Ingress
from gateway.api.state import Gateway
from gateway.policy import Decision
from gateway.policy.compiled import Policy
from gateway.policy.conditions import Facts
from gateway.policy.evaluate import denials
from gateway.redact import Redaction, Restorer, Unredactable, redact
from gateway.request import GatewayRequest
from gateway.signals import Signals


async def redact_request(gw: Gateway, ex: Exchange, ingress: Ingress, greq: GatewayRequest, policy: Policy,
                         decision: Decision, signals: Signals) -> tuple[Decision, Redaction] | str:
    """The decision as it stands for the redacted body, and the redaction; or why the route
    cannot be taken redacted."""
    assert ex.outbound is not None and decision.zone is not None
    floor = policy.redact_floor
    try:
        done = redact(greq.body, ex.outbound, signals.entities, decision.redact, floor, gw.value_keys)
    except Unredactable as exc:
        return f"redaction: {exc}"
    out = ingress.outbound(done.body, greq.headers)
    rescanned = await gw.classifier.classify(out)
    if rescanned.classify_failed:
        return "redaction: the redacted body could not be scanned again"
    left = sorted({e.type for e in rescanned.entities if e.type in decision.redact and e.score >= floor})
    if left:
        return f"redaction: the redacted body still holds {', '.join(left)}"
    semantic = signals.semantic
    if any(g.semantic for g in policy.guards):
        # the guards on categories judge what will leave: placeholders, not the values
        scored = await gw.classifier.semantic(out)
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
