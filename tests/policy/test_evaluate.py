"""evaluate(): guards vs routes, skips, requested, fallbacks, refuse, fail closed, explain."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from gateway.errors import ConfigError, NoBackendAvailable
from gateway.policy import Decision, check_zone, evaluate, needs_semantics, zone_allowed
from gateway.signals import Signals
from tests.policy.util import config_with, policy, req, sig

BASE = """\
    version: 1
    default: local-llama
    groups:
      personal: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER]
      secrets: [SECRET]
    guards:
      - id: pii-local
        when: {entities: {any: [personal, secrets]}}
        deny_zones: [cloud]
      - id: restricted
        when: {header: {x-data-class: restricted}}
        deny_zones: [cloud]
      - id: quarantine
        when: {team: quarantine}
        deny_zones: [cloud, local]
    routes:
      - id: block-secrets
        when: {entities: {any: [secrets]}}
        action: block
        message: "No secrets."
      - id: client-choice
        when: {model: {in: [gpt-4o, claude, auto]}}
        to: requested
        fallback: [claude, gpt-4o, local-llama, claude]
      - id: auto-cloud
        when: {model: auto}
        to: gpt-4o
        fallback: [claude, local-llama]
    """


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    return policy(BASE)


def test_clean_request_takes_first_matching_route(base) -> None:  # type: ignore[no-untyped-def]
    d = evaluate(base, sig(), req("claude"))
    assert (d.route, d.action, d.model) == ("client-choice", "route", "claude")
    assert (d.backend, d.zone) == ("anthropic", "cloud")
    assert d.guards == () and d.denied_zones == frozenset() and d.skipped == ()
    # the target itself and duplicates are dropped from the fallbacks, order kept
    assert d.fallbacks == ("gpt-4o", "local-llama")
    assert d.fallback_backends == {"gpt-4o": ("openai", "cloud"), "local-llama": ("embedded", "local")}
    assert d.policy_version == base.version


def test_requested_auto_is_skipped_with_reason(base) -> None:  # type: ignore[no-untyped-def]
    d = evaluate(base, sig(), req("auto"))
    assert d.route == "auto-cloud" and d.model == "gpt-4o"
    assert d.skipped == (("client-choice", "requested model 'auto' is not a configured model"),)


def test_guard_skips_cloud_route_and_records_why(base) -> None:  # type: ignore[no-untyped-def]
    d = evaluate(base, sig(("EMAIL_ADDRESS", 0.9)), req("auto"))
    assert d.guards == ("pii-local",) and d.denied_zones == {"cloud"}
    assert d.denials == (("pii-local", "cloud"),)
    assert (d.route, d.model, d.zone) == ("default", "local-llama", "local")
    assert d.skipped == (
        ("client-choice", "requested model 'auto' is not a configured model"),
        ("auto-cloud", "zone cloud denied by guard pii-local"),
    )


def test_guards_are_order_independent_and_all_recorded(base) -> None:  # type: ignore[no-untyped-def]
    d = evaluate(base, sig(("PERSON", 0.9)), req("gpt-4o", headers={"x-data-class": "restricted"}))
    assert d.guards == ("pii-local", "restricted")
    assert ("client-choice", "zone cloud denied by guards pii-local, restricted") in d.skipped
    assert d.zone == "local"


def test_fallbacks_filtered_of_denied_zones(base) -> None:  # type: ignore[no-untyped-def]
    p = policy(BASE.replace("to: requested\n", "to: local-llama\n"))
    d = evaluate(p, sig(("PERSON", 0.9)), req("claude"))
    assert (d.route, d.model) == ("client-choice", "local-llama")
    assert d.fallbacks == ()
    assert d.skipped == (
        ("client-choice", "fallback claude: zone cloud denied by guard pii-local"),
        ("client-choice", "fallback gpt-4o: zone cloud denied by guard pii-local"),
        ("client-choice", "fallback claude: zone cloud denied by guard pii-local"),
    )


def test_block_route(base) -> None:  # type: ignore[no-untyped-def]
    d = evaluate(base, sig(("SECRET", 0.99)), req("local-llama"))
    assert (d.route, d.action, d.message) == ("block-secrets", "block", "No secrets.")
    assert d.model is None and d.backend is None and d.zone is None
    assert not zone_allowed(d, "local") and not zone_allowed(d, "cloud")


def test_block_route_default_message() -> None:
    p = policy("""\
        version: 1
        default: local-llama
        routes: [{id: no-embeddings, when: {endpoint: embeddings}, action: block}]
        """)
    d = evaluate(p, sig(), req(endpoint="embeddings"))
    assert d.message == "Request blocked by policy route 'no-embeddings'."


def test_refuse_when_default_zone_denied(base) -> None:  # type: ignore[no-untyped-def]
    d = evaluate(base, sig(), req("local-llama", team="quarantine"))
    assert d.action == "refuse" and d.route == "default"
    assert d.model is None and d.zone is None
    assert d.denied_zones == {"cloud", "local"}
    assert d.skipped[-1] == ("default", "zone local denied by guard quarantine")
    with pytest.raises(NoBackendAvailable) as info:
        check_zone(d, "local")
    assert info.value.status == 503 and info.value.code == "no_backend_available"


def test_refuse_when_cloud_default_denied() -> None:
    p = policy("""\
        version: 1
        default: gpt-4o
        guards: [{id: pii, when: {entities: {any: [PERSON]}}, deny_zones: [cloud]}]
        """)
    assert evaluate(p, sig(), req()).model == "gpt-4o"
    d = evaluate(p, sig(("PERSON", 0.8)), req())
    assert d.action == "refuse" and d.skipped == (("default", "zone cloud denied by guard pii"),)


def test_route_without_when_matches_everything() -> None:
    p = policy("""\
        version: 1
        default: local-llama
        routes: [{id: all, to: claude}]
        """)
    assert evaluate(p, sig(), req("gpt-4o")).route == "all"


class TestFailClosed:
    def test_assume_sensitive_fires_entity_guards_and_goes_local(self, base) -> None:  # type: ignore[no-untyped-def]
        d = evaluate(base, sig(failed=True), req("auto"))
        assert d.classify_failed and d.guards == ("pii-local",) and d.denied_zones == {"cloud"}
        # the block route depends on content: not taken on unknown content; cloud routes skipped
        assert (d.route, d.action, d.zone) == ("default", "route", "local")

    def test_assume_sensitive_never_takes_a_clean_only_route(self) -> None:
        p = policy("""\
            version: 1
            default: local-llama
            routes:
              - {id: clean-to-cloud, when: {entities: {none: ['*']}}, to: gpt-4o}
              - {id: pii-to-special, when: {entities: {any: [PERSON]}}, to: claude}
            """)
        assert evaluate(p, sig(), req()).route == "clean-to-cloud"
        assert evaluate(p, sig(("PERSON", 0.9)), req()).route == "pii-to-special"
        d = evaluate(p, sig(failed=True), req())
        assert d.route == "default" and d.zone == "local"

    def test_on_error_block(self) -> None:
        p = policy(BASE, config_with("block"))
        d = evaluate(p, sig(failed=True), req("claude"))
        assert (d.route, d.action) == ("classification-failed", "block")
        assert d.message == "content classification failed"
        assert d.guards == ("pii-local",)
        assert not zone_allowed(d, "local")
        # a clean request is unaffected by on_error
        assert evaluate(p, sig(), req("claude")).action == "route"


class TestZoneCheck:
    def test_allowed_zone_passes(self, base) -> None:  # type: ignore[no-untyped-def]
        d = evaluate(base, sig(), req("claude"))
        check_zone(d, "cloud")
        check_zone(d, "local")

    def test_denied_zone_raises_even_if_route_choice_was_wrong(self, base) -> None:  # type: ignore[no-untyped-def]
        d = evaluate(base, sig(("PERSON", 0.9)), req("auto"))
        # simulate a route-selection bug: a decision whose target is in the denied zone
        broken = dataclasses.replace(d, model="gpt-4o", backend="openai", zone="cloud")
        assert not zone_allowed(broken, "cloud")
        with pytest.raises(NoBackendAvailable, match="zone cloud is denied for this request by pii-local"):
            check_zone(broken, "cloud")
        assert zone_allowed(broken, "local")

    def test_unknown_zone_is_never_allowed(self, base) -> None:  # type: ignore[no-untyped-def]
        assert not zone_allowed(evaluate(base, sig(), req("claude")), "mars")


class TestExplain:
    def test_shape(self, base) -> None:  # type: ignore[no-untyped-def]
        d = evaluate(base, sig(("EMAIL_ADDRESS", 0.9), ("EMAIL_ADDRESS", 0.8), ("PERSON", 0.2)), req("auto"))
        out = d.to_explain()
        assert orjson.loads(orjson.dumps(out)) == out
        assert {k: out[k] for k in ("route", "action", "model", "backend", "zone", "guards", "skipped",
                                    "entities", "policy_version")} == {
            "route": "default", "action": "route", "model": "local-llama", "backend": "embedded",
            "zone": "local", "guards": ["pii-local"],
            "skipped": [{"route": "client-choice",
                         "reason": "requested model 'auto' is not a configured model"},
                        {"route": "auto-cloud", "reason": "zone cloud denied by guard pii-local"}],
            "entities": {"EMAIL_ADDRESS": 2},  # PERSON at 0.2 is below the policy's min_score
            "policy_version": base.version,
        }
        assert out["denied_zones"] == ["cloud"] and out["fallbacks"] == [] and out["classify_failed"] is False
        assert out["content"] == []

    def test_headers(self, base) -> None:  # type: ignore[no-untyped-def]
        d = evaluate(base, sig(("PHONE_NUMBER", 0.9), ("EMAIL_ADDRESS", 0.9)), req("auto"))
        assert d.headers() == {"x-gateway-rule": "default", "x-gateway-backend": "embedded",
                               "x-gateway-zone": "local",
                               "x-gateway-entities": "EMAIL_ADDRESS:1,PHONE_NUMBER:1",
                               "x-gateway-content": "", "x-gateway-categories": "", "x-gateway-complexity": ""}
        assert evaluate(base, sig(), req("claude")).headers()["x-gateway-entities"] == ""
        with_image = evaluate(base, Signals(content=frozenset({"image", "file"})), req("claude"))
        assert with_image.headers()["x-gateway-content"] == "file,image"
        assert with_image.to_explain()["content"] == ["file", "image"]

    def test_decision_is_frozen(self, base) -> None:  # type: ignore[no-untyped-def]
        d: Decision = evaluate(base, sig(), req("claude"))
        with pytest.raises(dataclasses.FrozenInstanceError):
            d.zone = "local"  # type: ignore[misc]


class TestSemanticSignals:
    """Categories and complexity: in decisions, and only computed when a decision can depend on them."""

    SEMANTIC = """\
        version: 1
        default: local-llama
        groups: {personal: [EMAIL_ADDRESS, PERSON]}
        guards:
          - {id: pii-local, when: {entities: {any: [personal]}}, deny_zones: [cloud]}
          - {id: confidential-local, when: {categories: {any: ['*']}}, deny_zones: [cloud]}
        routes:
          - {id: complex-to-cloud, when: {all: [{model: auto}, {complexity: {gte: 0.5}}]}, to: gpt-4o}
          - {id: simple-local, when: {model: auto}, to: local-llama}
        """

    def test_needs_semantics_unless_guards_already_keep_it_local(self) -> None:
        p = policy(self.SEMANTIC)
        assert needs_semantics(p, sig(), req("auto"))
        assert not needs_semantics(p, sig(("EMAIL_ADDRESS", 0.9)), req("auto"))  # cloud already denied
        assert not needs_semantics(policy("version: 1\ndefault: local-llama\n"), sig(), req("auto"))
        blocker = policy("""\
            version: 1
            default: local-llama
            guards: [{id: all-local, deny_zones: [cloud]}]
            routes: [{id: no-health, when: {categories: {any: [health]}}, action: block}]
            """)
        assert needs_semantics(blocker, sig(), req("auto"))  # a block does not depend on zones

    def test_routes_on_categories_and_complexity(self) -> None:
        p = policy(self.SEMANTIC)
        d = evaluate(p, sig(categories={"legal": 0.2}, complexity=0.8), req("auto"))
        assert (d.route, d.zone) == ("complex-to-cloud", "cloud")
        d = evaluate(p, sig(categories={"legal": 0.2}, complexity=0.1), req("auto"))
        assert (d.route, d.zone) == ("simple-local", "local")
        d = evaluate(p, sig(categories={"legal": 0.9}, complexity=0.9), req("auto"))
        assert (d.route, d.zone, d.guards) == ("simple-local", "local", ("confidential-local",))
        assert d.headers()["x-gateway-categories"] == "legal" and d.headers()["x-gateway-complexity"] == "0.90"
        out = d.to_explain()
        assert out["categories"] == {"legal": 0.9} and out["complexity"] == 0.9 and out["semantic"] == "ok"

    def test_scoring_failure_fails_closed(self) -> None:
        from gateway.signals import FAILED

        d = evaluate(policy(self.SEMANTIC), sig(semantic=FAILED), req("auto"))
        assert d.zone == "local" and "confidential-local" in d.guards and d.classify_failed
        assert d.to_explain()["complexity"] is None


class TestRedaction:
    """A route with ``redact:`` is judged on what will leave: guards that matched only on the
    types it replaces no longer deny its zone; any other guarded type still does."""

    POLICY = """\
        version: 1
        default: local-llama
        groups:
          personal: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER]
          financial: [CREDIT_CARD, IBAN_CODE]
        guards:
          - {id: personal-local, when: {entities: {any: [personal, financial]}}, deny_zones: [cloud]}
          - {id: low-score-ssn, when: {entities: {any: [US_SSN], min_score: 0.3}}, deny_zones: [cloud]}
          - {id: confidential, when: {categories: {any: ['*']}}, deny_zones: [cloud]}
        routes:
          - id: pseudonymised-to-cloud
            when: {model: auto}
            to: gpt-4o
            fallback: [claude, local-llama]
            redact: [personal]
        """

    def test_redacted_types_no_longer_deny(self) -> None:
        p = policy(self.POLICY)
        d = evaluate(p, sig(("PERSON", 0.9), ("EMAIL_ADDRESS", 0.95)), req("auto"))
        assert (d.route, d.zone, d.redact) == ("pseudonymised-to-cloud", "cloud", ("EMAIL_ADDRESS", "PERSON"))
        assert d.denied_zones == frozenset() and d.unredacted_denied == frozenset({"cloud"})
        assert d.guards == ("personal-local",)  # what matched the request as it came
        assert d.fallbacks == ("claude", "local-llama")
        assert d.to_explain()["redact"] == ["EMAIL_ADDRESS", "PERSON"]

    def test_another_guarded_type_still_denies(self) -> None:
        p = policy(self.POLICY)
        d = evaluate(p, sig(("PERSON", 0.9), ("CREDIT_CARD", 1.0)), req("auto"))
        assert (d.route, d.zone) == ("default", "local")
        assert d.skipped[0][0] == "pseudonymised-to-cloud"
        assert "personal-local" in d.skipped[0][1] and "after redacting PERSON" in d.skipped[0][1]

    def test_a_category_guard_still_denies(self) -> None:
        p = policy(self.POLICY)
        d = evaluate(p, sig(("PERSON", 0.9), categories={"health": 0.9}, complexity=0.2), req("auto"))
        assert d.zone == "local" and "confidential" in d.skipped[0][1]

    def test_with_a_rescan_category_guards_judge_the_redacted_body(self) -> None:
        """The request path scores the redacted body again and applies the guards on categories
        to it (tests/e2e/test_redaction.py); evaluate leaves them to that scan."""
        p = policy(self.POLICY)
        signals = sig(("PERSON", 0.9), categories={"health": 0.9}, complexity=0.2)
        d = evaluate(p, signals, req("auto"), rescan=True)
        assert (d.zone, d.redact) == ("cloud", ("PERSON",))
        d = evaluate(p, sig(("CREDIT_CARD", 1.0), ("PERSON", 0.9)), req("auto"), rescan=True)
        assert d.zone == "local"  # an entity guard is never deferred

    def test_values_below_the_floor_count_for_the_lowest_threshold(self) -> None:
        p = policy(self.POLICY)
        assert p.redact_floor == 0.3
        d = evaluate(p, sig(("PERSON", 0.35)), req("auto"))
        assert d.redact == ("PERSON",)  # redacted: no condition can count what is left
        d = evaluate(p, sig(("PERSON", 0.2)), req("auto"))
        assert d.redact == () and d.zone == "cloud"  # nothing any condition counts: nothing to redact

    def test_nothing_to_redact_is_a_plain_route(self) -> None:
        d = evaluate(policy(self.POLICY), sig(), req("auto"))
        assert (d.zone, d.redact) == ("cloud", ())

    def test_classification_failed_never_redacts_into_the_cloud(self) -> None:
        d = evaluate(policy(self.POLICY), sig(failed=True), req("auto"))
        assert d.zone == "local" and d.redact == ()

    def test_exclude_skips_a_route_with_the_reason(self) -> None:
        d = evaluate(policy(self.POLICY), sig(("PERSON", 0.9)), req("auto"),
                     exclude={"pseudonymised-to-cloud": "redaction: the re-scan still finds PERSON"})
        assert d.zone == "local"
        assert d.skipped == (("pseudonymised-to-cloud", "redaction: the re-scan still finds PERSON"),)

    def test_redact_names_known_types_and_groups(self) -> None:
        with pytest.raises(ConfigError, match="redact"):
            policy(self.POLICY.replace("redact: [personal]", "redact: [PERSN]"))
        with pytest.raises(ConfigError, match="redact"):
            policy(self.POLICY + "  - {id: b, action: block, redact: [PERSON]}\n")

    def test_headers_say_what_was_redacted(self) -> None:
        d = evaluate(policy(self.POLICY), sig(("PERSON", 0.9)), req("auto"))
        assert "x-gateway-redacted" not in d.headers()
        done = dataclasses.replace(d, redacted={"PERSON": 2, "EMAIL_ADDRESS": 1})
        assert done.headers()["x-gateway-redacted"] == "EMAIL_ADDRESS:1,PERSON:2"
