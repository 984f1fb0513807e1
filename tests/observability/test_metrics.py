"""Every contract metric with its labels on /metrics after traffic; bounded label values whatever
clients send; tokens, cost and cost avoided match the config's prices."""

from __future__ import annotations

import random
import string

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import KEY, RunningGateway
from tests.fakes.openai_server import FakeOpenAI
from tests.observability.promtext import Sample, samples, total
from tests.observability.traffic import CLEAN, PII, drive

# DESIGN.md, "Metrics": name -> (type, labels)
CONTRACT: dict[str, tuple[str, frozenset[str]]] = {
    "gateway_requests_total": ("counter", frozenset({"endpoint", "route", "backend", "zone", "model", "status"})),
    "gateway_request_duration_seconds": ("histogram", frozenset({"endpoint", "route", "backend", "zone"})),
    "gateway_overhead_seconds": ("histogram", frozenset({"endpoint"})),
    "gateway_classify_seconds": ("histogram", frozenset()),
    "gateway_time_to_first_token_seconds": ("histogram", frozenset({"backend"})),
    "gateway_tokens_total": ("counter", frozenset({"route", "backend", "model", "zone", "kind"})),
    "gateway_cost_usd_total": ("counter", frozenset({"route", "backend", "model", "zone", "team"})),
    "gateway_cost_avoided_usd_total": ("counter", frozenset({"route", "backend"})),
    "gateway_entities_total": ("counter", frozenset({"entity_type"})),
    "gateway_guard_denials_total": ("counter", frozenset({"guard", "zone"})),
    "gateway_backend_errors_total": ("counter", frozenset({"backend", "kind"})),
    "gateway_fallbacks_total": ("counter", frozenset({"from_backend", "to_backend"})),
    "gateway_inflight_requests": ("gauge", frozenset({"endpoint"})),
    "gateway_policy_reloads_total": ("counter", frozenset({"result"})),
    "gateway_policy_info": ("gauge", frozenset({"version"})),
    "gateway_rate_limited_total": ("counter", frozenset({"key", "kind"})),
    "gateway_spend_usd": ("gauge", frozenset({"team"})),
    # extensions of the contract (documented in README.md)
    "gateway_backend_circuit_state": ("gauge", frozenset({"backend"})),
    "gateway_budget_usd": ("gauge", frozenset({"team"})),
    "gateway_limits_degraded": ("gauge", frozenset()),
    "gateway_config_reloads_total": ("counter", frozenset({"result"})),
}
PRICES = {"gpt-4o": (2.5, 10.0), "local-llama": (0.0, 0.0),  # tests/e2e/harness.write_config
          "text-embedding-3-small": (0.02, 0.0)}
REFERENCE = "gpt-4o"

# Where each label's values may come from: the config, the policy, or small fixed sets.
ROUTES = {"", "default", "client-choice", "auto-to-cloud", "block-secrets-everywhere"}
ALLOWED: dict[str, set[str]] = {
    "endpoint": {"chat", "completions", "embeddings", "messages", "responses"},
    "route": ROUTES,
    "backend": {"", "local", "cloud"},
    "from_backend": {"local", "cloud"},
    "to_backend": {"local", "cloud"},
    "zone": {"", "local", "cloud"},
    "model": {"", "local-llama", "gpt-4o", "local-embed", "text-embedding-3-small"},
    "team": {"", "qa"},
    "key": {"tester"},
    "guard": {"regulated-data-stays-local", "restricted-header", "unreadable-content-stays-local"},
    "result": {"success", "error", "invalid", "failure", "rejected", "tests_failed"},
}


def scrape(gw: RunningGateway) -> list[Sample]:
    response = httpx.get(gw.url + "/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def family(name: str) -> str:
    for suffix in ("_bucket", "_sum", "_count", "_created"):
        if name.endswith(suffix) and name[: -len(suffix)] in CONTRACT:
            return name[: -len(suffix)]
    return name


def test_every_contract_metric_with_its_labels(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                local_fake: FakeOpenAI) -> None:
    drive(gateway.url, cloud_fake, local_fake)
    found: dict[str, set[frozenset[str]]] = {}
    text = httpx.get(gateway.url + "/metrics", timeout=10).text
    types = {f.name: f.type for f in text_string_to_metric_families(text)}
    for name, labels, _ in samples(text):
        if name.startswith("gateway_") and not name.endswith("_created"):
            found.setdefault(family(name), set()).add(frozenset(labels) - {"le"})
    for name, (kind, labels) in CONTRACT.items():
        assert name in found, f"{name} is missing from /metrics"
        assert types[name.removesuffix("_total")] == kind, f"{name} is not a {kind}"
        assert found[name] == {labels}, f"{name}: labels {found[name]} instead of {set(labels)}"
    assert set(found) <= set(CONTRACT), f"metrics outside the contract: {set(found) - set(CONTRACT)}"


def test_label_values_come_only_from_config(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                             local_fake: FakeOpenAI) -> None:
    drive(gateway.url, cloud_fake, local_fake)
    rng = random.Random(6)
    noise: list[str] = []

    def word() -> str:
        value = "zq" + "".join(rng.choices(string.ascii_lowercase + string.digits, k=12))
        noise.append(value)
        return value

    with httpx.Client(base_url=gateway.url, timeout=30) as h:
        for i in range(30):
            headers = {"authorization": f"Bearer {KEY}", "x-data-class": word(), "x-team": word(),
                       "x-gateway-rule": word(), "x-request-id": word(), "openai-organization": word(),
                       word(): word()}
            model = rng.choice([word(), "gpt-4o", "auto"])
            body = {"model": model, "messages": rng.choice([CLEAN, PII]), "user": word(),
                    "metadata": {word(): word()}}
            if i % 5 == 0:
                headers["authorization"] = f"Bearer {word()}"
            h.post(rng.choice(["/v1/chat/completions", "/v1/completions", f"/v1/{word()}"]),
                   json=body, headers=headers)
    text = httpx.get(gateway.url + "/metrics", timeout=10).text
    leaked = [value for value in noise if value in text]
    assert leaked == []
    for name, labels, _ in samples(text):
        if not name.startswith("gateway_"):
            continue
        for label, value in labels.items():
            if label in ALLOWED:
                assert value in ALLOWED[label], f"{name}{{{label}={value!r}}} does not come from the config"
            elif label == "status":
                assert value.isdigit() and len(value) == 3
            elif label == "entity_type":
                assert value.replace("_", "").isalnum() and value.isupper()
            elif label == "kind":
                assert value.isidentifier() and len(value) <= 32
            elif label == "version":
                assert len(value) <= 64
            else:
                assert label == "le", f"unexpected label {label} on {name}"


def test_tokens_cost_and_cost_avoided_match_config_prices(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                          local_fake: FakeOpenAI) -> None:
    sent = drive(gateway.url, cloud_fake, local_fake)
    got = scrape(gateway)
    for model, zone in (("gpt-4o", "cloud"), ("local-llama", "local")):
        prompt = sum(u.prompt for u in sent.usages if u.model == model)
        completion = sum(u.completion for u in sent.usages if u.model == model)
        assert prompt > 0
        assert total(got, "gateway_tokens_total", model=model, zone=zone, kind="prompt") == prompt
        assert total(got, "gateway_tokens_total", model=model, zone=zone, kind="completion") == completion
        price_in, price_out = PRICES[model]
        expected_cost = (prompt * price_in + completion * price_out) / 1e6
        assert total(got, "gateway_cost_usd_total", model=model, team="qa") == pytest.approx(expected_cost, rel=1e-9)
    local = [u for u in sent.usages if u.zone == "local"]
    ref_in, ref_out = PRICES[REFERENCE]
    avoided = sum(u.prompt * ref_in + u.completion * ref_out for u in local) / 1e6
    assert avoided > 0
    assert total(got, "gateway_cost_avoided_usd_total") == pytest.approx(avoided, rel=1e-9)
    assert total(got, "gateway_cost_avoided_usd_total", backend="cloud") == 0
    assert total(got, "gateway_requests_total") == sent.requests
    assert total(got, "gateway_requests_total", status="403", route="block-secrets-everywhere") == 1
    assert total(got, "gateway_fallbacks_total", from_backend="cloud", to_backend="local") == 1
    assert total(got, "gateway_backend_errors_total", backend="cloud") == 1
    assert total(got, "gateway_guard_denials_total", guard="regulated-data-stays-local", zone="cloud") >= 3
    assert total(got, "gateway_entities_total", entity_type="EMAIL_ADDRESS") == 3
    assert total(got, "gateway_entities_total", entity_type="CREDIT_CARD") == 3
    assert total(got, "gateway_time_to_first_token_seconds_count") == 2
    assert total(got, "gateway_inflight_requests") == 0
    assert total(got, "gateway_policy_reloads_total", result="success") == 1
    assert [v for n, _, v in got if n == "gateway_policy_info"] == [1.0]
