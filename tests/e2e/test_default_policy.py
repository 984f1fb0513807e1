"""The shipped default policy end to end with the real detector: personal data and secrets
never reach the cloud fake, also when the local backend fails; harmless prompts go to the cloud;
the headers say why."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.e2e.harness import KEY, RunningGateway, SessionClassifier, run_gateway, write_config
from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]

SENSITIVE = {
    "email": "Please draft a reply to maria.gonzalez@example.org about her refund.",
    "phone": "Call our customer back on +1 415 555 0132 to confirm the delivery.",
    "passport_ru": "Клиент предъявил паспорт 4509 235857, выдан ОВД Тверского района.",
    "card": "Charge the card 4111 1111 1111 1111 for the renewal.",
}
SECRET = "Why does this fail? OPENAI_API_KEY=sk-proj-Abc123Def456Ghi789Jkl012Mno345Pqr678"
HARMLESS = ("Design a rate limiter for a multi-region API: compare token bucket, leaky bucket and GCRA, "
            "discuss clock skew between regions, and sketch the data structures you would use.")
SIMPLE = "How do I reverse a list in Python without modifying the original?"


@pytest.fixture
def default_gateway(tmp_path: Path, local_fake: FakeOpenAI, cloud_fake: FakeOpenAI,
                    classifier: SessionClassifier) -> Iterator[RunningGateway]:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    policy = (tmp_path / "policies" / "default.yaml").read_text()
    path = write_config(tmp_path, local_url=local_fake.base_url, cloud_url=cloud_fake.base_url, policy=policy)
    # the default policy names the example config's models: map them onto the fakes
    text = path.read_text().replace("  local-llama: {backend: local, model: llama-3.1-8b}",
                                    "  local-llama: {backend: local, model: llama-3.1-8b}\n"
                                    "  claude: {backend: cloud, model: claude-via-fake}")
    path.write_text(text)
    with run_gateway(path, classifier) as gw:
        yield gw


def chat(gw: RunningGateway, text: str, model: str = "auto") -> httpx.Response:
    return httpx.post(gw.url + "/v1/chat/completions", headers={"authorization": f"Bearer {KEY}"},
                      json={"model": model, "messages": [{"role": "user", "content": text}]}, timeout=30)


@pytest.mark.parametrize("kind", sorted(SENSITIVE))
@pytest.mark.parametrize("model", ["auto", "gpt-4o", "claude"])
def test_personal_data_stays_local(default_gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                   local_fake: FakeOpenAI, kind: str, model: str) -> None:
    r = chat(default_gateway, SENSITIVE[kind], model)
    assert r.status_code == 200, r.text
    assert r.headers["x-gateway-zone"] == "local"
    assert r.headers["x-gateway-entities"] != ""
    assert cloud_fake.requests == []
    assert len(local_fake.requests) == 1


def test_personal_data_never_reaches_cloud_when_local_fails(default_gateway: RunningGateway,
                                                            cloud_fake: FakeOpenAI, local_fake: FakeOpenAI) -> None:
    for mode in ("server_error", "rate_limit", "garbage", "hang"):
        local_fake.mode = mode  # type: ignore[assignment]
        local_fake.hang_seconds = 3
        for model in ("auto", "gpt-4o", "claude"):
            r = chat(default_gateway, SENSITIVE["email"], model)
            assert r.status_code >= 429, (mode, model, r.status_code)
            assert "maria" not in r.text
    assert cloud_fake.requests == []


def test_secret_is_blocked_everywhere(default_gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                      local_fake: FakeOpenAI) -> None:
    client = openai.OpenAI(base_url=default_gateway.url + "/v1", api_key=KEY, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError) as blocked:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": SECRET}])
    assert blocked.value.code == "policy_blocked"
    assert "sk-proj" not in str(blocked.value.body)
    assert cloud_fake.requests == [] and local_fake.requests == []


def test_harmless_goes_to_cloud_and_headers_say_why(default_gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                    local_fake: FakeOpenAI) -> None:
    r = chat(default_gateway, HARMLESS)
    assert r.status_code == 200
    assert r.headers["x-gateway-zone"] == "cloud" and r.headers["x-gateway-entities"] == ""
    assert r.headers["x-gateway-rule"] != "default"
    assert len(cloud_fake.requests) == 1 and local_fake.requests == []
    assert float(r.headers["x-gateway-complexity"]) >= 0.5


def test_simple_harmless_request_stays_on_the_local_model(default_gateway: RunningGateway,
                                                          cloud_fake: FakeOpenAI, local_fake: FakeOpenAI) -> None:
    r = chat(default_gateway, SIMPLE)
    assert r.status_code == 200
    assert r.headers["x-gateway-zone"] == "local" and r.headers["x-gateway-entities"] == ""
    assert float(r.headers["x-gateway-complexity"]) < 0.5
    assert cloud_fake.requests == [] and len(local_fake.requests) == 1


def test_history_with_pii_in_an_earlier_turn_stays_local(default_gateway: RunningGateway,
                                                         cloud_fake: FakeOpenAI) -> None:
    messages = [{"role": "user", "content": SENSITIVE["email"]}, {"role": "assistant", "content": "Done."},
                {"role": "user", "content": HARMLESS}]
    r = httpx.post(default_gateway.url + "/v1/chat/completions", headers={"authorization": f"Bearer {KEY}"},
                   json={"model": "gpt-4o", "messages": messages}, timeout=30)
    assert r.headers["x-gateway-zone"] == "local" and cloud_fake.requests == []


def test_explain_calls_nothing(default_gateway: RunningGateway, cloud_fake: FakeOpenAI,
                               local_fake: FakeOpenAI) -> None:
    r = httpx.post(default_gateway.url + "/v1/gateway/explain", headers={"authorization": f"Bearer {KEY}"},
                   json={"model": "gpt-4o", "messages": [{"role": "user", "content": SENSITIVE["email"]}]})
    body = r.json()
    assert r.status_code == 200
    assert {"route", "action", "model", "backend", "zone", "guards", "skipped", "entities",
            "policy_version"} <= set(body)
    assert body["zone"] == "local" and "EMAIL_ADDRESS" in body["entities"]
    assert body["skipped"] and all({"route", "reason"} == set(s) for s in body["skipped"])
    assert "maria" not in r.text
    assert cloud_fake.requests == [] and local_fake.requests == []
