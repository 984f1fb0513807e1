"""Property tests: random policies, entity sets and requests.

The zone invariant: whenever a guard matching the request denies a zone, neither the decision's
target nor any of its fallbacks lies in that zone, and the independent zone check refuses it.
And evaluate() agrees with a naive reference interpreter of the policy format.
"""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings

from gateway.policy import evaluate, zone_allowed
from tests.policy.strategies import Scenario, reference, scenarios

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_zone_invariant(sc: Scenario) -> None:
    policy = sc.policy()
    d = evaluate(policy, sc.signals, sc.request)
    denied = reference(sc).denied
    assert d.denied_zones == denied
    for zone in denied:
        assert not zone_allowed(d, zone)
    if d.action == "route":
        assert d.zone is not None and d.zone not in denied
        assert d.zone == sc.config.zone_of_model(d.model or "")
        for fb in d.fallbacks:
            assert sc.config.zone_of_model(fb) not in denied
            assert d.fallback_backends[fb][1] not in denied
    else:
        assert d.model is None and d.zone is None
        for zone in ("local", "cloud"):
            assert not zone_allowed(d, zone)
    if sc.signals.classify_failed and sc.config.classifier.on_error == "block":
        assert d.action == "block"


@SETTINGS
@given(scenarios())
def test_matches_reference_interpreter(sc: Scenario) -> None:
    d = evaluate(sc.policy(), sc.signals, sc.request)
    want = reference(sc)
    event(f"action={d.action} denied={sorted(d.denied_zones)} skipped={bool(d.skipped)}")
    assert (d.route, d.action, d.model) == (want.route, want.action, want.model)


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_entity_guards_fire_when_classification_fails(sc: Scenario) -> None:
    failed = Scenario(sc.config, sc.doc, sc.signals.__class__(classify_failed=True), sc.request)
    d = evaluate(failed.policy(), failed.signals, failed.request)
    for guard in sc.doc["guards"]:
        only_entities = set(guard["when"]) == {"entities"}
        if only_entities:
            assert guard["id"] in d.guards
