"""The semantic signals end to end, on the shipped default policy: confidential content with no
identifier stays inside the perimeter (the cloud fake never receives it) and says why; harmless
complex requests go to the cloud and simple ones to the local model; a request that a guard
already keeps local is not scored; the opt-in escalation asks a local model about the uncertain
middle (a fake that answers yes or no, and the real llama.cpp path with the tiny GGUF)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.api.build import build_gateway
from gateway.api.escalate import escalate, parse_answer
from gateway.backends.base import Backend, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.config import load_config
from gateway.outbound import outbound
from gateway.signals import Semantic
from tests.e2e.conftest import Servers
from tests.e2e.harness import DEFAULT_POLICY, ENV, KEY, SessionClassifier, run_gateway, write_config
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.e2e

AUTH = {"authorization": f"Bearer {KEY}"}
CONFIDENTIAL = ("Our Q3 revenue came in 18% below the board forecast and we have not announced it yet. "
                "Draft talking points for the investor call next week.")
CONFIDENTIAL_RU = ("У нас утечка: в прошлую пятницу кто-то выгрузил базу клиентов через незакрытую уязвимость "
                   "во внутреннем портале, патча пока нет. Как объяснить это руководству?")
COMPLEX = ("Design a rate limiter for a distributed API gateway: compare token bucket, sliding window and GCRA, "
           "explain the trade-offs under clock skew, and give a Python implementation with tests.")
SIMPLE = "Translate 'good morning' into French."


def ask(servers: Servers, content: str, model: str = "auto") -> httpx.Response:
    return httpx.post(servers[0].url + "/v1/chat/completions", headers=AUTH, timeout=30,
                      json={"model": model, "messages": [{"role": "user", "content": content}]})


def explain(servers: Servers, content: str, model: str = "auto") -> dict[str, Any]:
    return httpx.post(servers[0].url + "/v1/gateway/explain", headers=AUTH, timeout=30,
                      json={"model": model, "messages": [{"role": "user", "content": content}]}).json()


@pytest.mark.parametrize("content", [CONFIDENTIAL, CONFIDENTIAL_RU])
def test_confidential_content_without_identifiers_stays_local(servers: Servers, content: str) -> None:
    _, _, cloud, anthropic = servers
    cloud.requests.clear()
    r = ask(servers, content, model="gpt-4o")
    assert r.status_code == 200
    assert r.headers["x-gateway-zone"] == "local" and r.headers["x-gateway-entities"] == ""
    assert r.headers["x-gateway-categories"]  # which categories kept it inside
    assert not cloud.requests and not anthropic.requests
    decision = explain(servers, content, model="gpt-4o")
    assert "confidential-stays-local" in decision["guards"] and decision["semantic"] == "ok"
    assert max(decision["categories"].values()) >= 0.5


def test_auto_sends_harmless_complex_requests_to_the_cloud_and_simple_ones_local(servers: Servers) -> None:
    complex_ = ask(servers, COMPLEX)
    assert complex_.headers["x-gateway-zone"] == "cloud" and complex_.headers["x-gateway-rule"] == "auto-to-cloud"
    simple = ask(servers, SIMPLE)
    assert simple.headers["x-gateway-zone"] == "local" and simple.headers["x-gateway-rule"] == "default"
    assert explain(servers, COMPLEX)["complexity"] >= 0.5 > explain(servers, SIMPLE)["complexity"]


def test_a_request_a_guard_already_keeps_local_is_not_scored(servers: Servers) -> None:
    decision = explain(servers, "Email jane.doe@example.com the Q3 numbers")
    assert decision["zone"] == "local" and decision["semantic"] == "not_needed" and decision["complexity"] is None


def test_categories_are_counted(servers: Servers) -> None:
    def counted() -> float:
        text = httpx.get(servers[0].url + "/metrics").text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("gateway_categories_total{"))
    before = counted()
    ask(servers, CONFIDENTIAL, model="gpt-4o")
    assert counted() >= before + 1


# --- escalation -------------------------------------------------------------------------------

ESCALATION_POLICY = DEFAULT_POLICY.replace("""guards:
""", """guards:
  - id: confidential-stays-local
    when: {categories: {any: ['*']}}
    deny_zones: [cloud]
""")


@pytest.mark.parametrize(("answer", "zone"), [("Yes.", "local"), ("no", "cloud")])
def test_escalation_asks_a_local_model(tmp_path: Path, classifier: SessionClassifier, cloud_fake: FakeOpenAI,
                                       answer: str, zone: str) -> None:
    local = FakeOpenAI(api_key="test-local-key", models=["llama-3.1-8b"], reply=answer)
    from tests.fakes.server import serve

    with serve(local.app) as local_url:
        path = write_config(tmp_path, local_url=local_url, cloud_url=cloud_fake.base_url, policy=ESCALATION_POLICY,
                            classifier=", escalation: {model: local-llama, band: [0.0, 1.0], timeout: 5}")
        with run_gateway(path, classifier) as gw:
            r = httpx.post(gw.url + "/v1/chat/completions", headers=AUTH, timeout=30,
                           json={"model": "gpt-4o", "messages": [{"role": "user", "content": COMPLEX}]})
    assert r.headers["x-gateway-zone"] == zone
    question = next(req.body for req in local.requests if req.body["messages"][0]["role"] == "system")
    assert question["messages"][1]["content"] == COMPLEX and question["max_tokens"] == 3


def test_escalation_parses_only_a_clear_answer() -> None:
    assert parse_answer("Yes, it is.") is True and parse_answer(" no.") is False
    assert parse_answer("Да") is True and parse_answer("нет") is False
    assert parse_answer("the model is random") is None and parse_answer("") is None


class Counting:
    """A backend that counts its calls (and passes them to the real one)."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name, self.zone, self.speaks = inner.name, inner.zone, inner.speaks
        self.calls: list[UpstreamCall] = []

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        self.calls.append(call)
        return await self.inner.send(call)


def test_escalation_runs_through_the_real_llama_cpp_path(tmp_path: Path, tiny_gguf: Path) -> None:
    """The tiny GGUF answers the fixed question (random words): no clear yes or no, the scores
    stay as they were; an uncertain score outside the band is not asked about at all."""
    config_path = tmp_path / "config.yaml"
    (tmp_path / "policy.yaml").write_text("version: 1\ndefault: tiny\n")
    config_path.write_text(f"""\
backends:
  embedded: {{type: llama_cpp, zone: local, model_path: "{tiny_gguf}", n_ctx: 512}}
models:
  tiny: {{backend: embedded, model: tiny}}
classifier: {{workers: 0, escalation: {{model: tiny, band: [0.3, 0.7], timeout: 30}}}}
policy: policy.yaml
""")
    gw = build_gateway(load_config(config_path), ENV, classifier=None)

    async def run() -> tuple[Semantic, Semantic, int]:
        backend = gw.backends["embedded"]
        await backend.start()
        counting = Counting(backend)
        gw.backends["embedded"] = counting  # type: ignore[assignment]
        out = outbound("chat", {"messages": [{"role": "user", "content": CONFIDENTIAL}]})
        uncertain = Semantic({"financial": 0.55, "legal": 0.1}, 0.4)
        asked = await escalate(gw, uncertain, out)
        sure = Semantic({"financial": 0.95}, 0.4)
        kept = await escalate(gw, sure, out)
        await backend.aclose()
        return asked, kept, len(counting.calls)

    asked, kept, calls = asyncio.run(run())
    assert calls == 1  # only the uncertain one was put to the model
    assert asked.categories == {"financial": 0.55, "legal": 0.1} and kept.categories == {"financial": 0.95}
