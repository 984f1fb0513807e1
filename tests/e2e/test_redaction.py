"""Reversible redaction end to end, on the shipped example policy
(policies/examples/pseudonymise-for-cloud.yaml): the official SDKs on the chat, Messages and
Responses ingresses, whole answers and streams cut at every character, tool calls, Russian
values, the next turn, failures and fallbacks. The cloud fakes echo what they received, so every
answer carries the placeholders the cloud saw; the client must get the values back, and no fake
in the cloud may ever have received one."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from gateway.outbound import Outbound
from gateway.signals import Signals
from tests.e2e.harness import KEY, RunningGateway, SessionClassifier, run_gateway, write_config
from tests.e2e.leakcases import EMAIL
from tests.e2e.test_leaks import cloud_received, planted_bodies
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"authorization": f"Bearer {KEY}"}
COMPLAINT = ("Rewrite this complaint from Anna Petrova (anna.petrova@example.com, +1 415 555 0132) more politely: "
             "your courier was late again and nobody called me.")
VALUES = ("Anna Petrova", "anna.petrova@example.com", "415 555 0132", "Анн", "Петров")
RUSSIAN = "Перепиши вежливее жалобу Анны Петровой: курьер опять опоздал. Анна Петрова просит перезвонить."


def last_text(body: dict[str, Any]) -> str:
    """The text of the last message of a chat, Messages or Responses body."""
    if "messages" in body:
        content = body["messages"][-1].get("content")
    else:
        content = body.get("input")
        if isinstance(content, list):
            content = content[-1].get("content") if isinstance(content[-1], dict) else content[-1]
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def echo(body: dict[str, Any]) -> str:
    return "You wrote: " + last_text(body)


Fakes = tuple[RunningGateway, FakeOpenAI, FakeOpenAI, FakeAnthropic]


@contextlib.contextmanager
def gateway(classifier: Any, tmp: Path) -> Iterator[Fakes]:
    local = FakeOpenAI(api_key="test-local-key", models=["llama-3.1-8b"], reply=echo)
    cloud = FakeOpenAI(api_key="test-openai-key", reply=echo)
    claude = FakeAnthropic(api_key="test-anthropic-key", reply=echo)
    with contextlib.ExitStack() as stack:
        for fake in (local, cloud, claude):
            fake.base_url = stack.enter_context(serve(fake.app))
        shutil.copytree(ROOT / "policies", tmp / "policies")
        policy = (tmp / "policies" / "examples" / "pseudonymise-for-cloud.yaml").read_text()
        path = write_config(tmp, local_url=local.base_url, cloud_url=cloud.base_url, policy=policy,
                            anthropic_url=claude.base_url)
        with run_gateway(path, classifier) as gw:
            yield gw, local, cloud, claude


@pytest.fixture(scope="module")
def fakes(classifier: SessionClassifier, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fakes]:
    with gateway(classifier, tmp_path_factory.mktemp("redaction")) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(fakes: Fakes) -> Iterator[None]:
    _, local, cloud, claude = fakes
    for fake in (local, cloud, claude):
        fake.requests.clear()
        fake.mode, fake.fail_times, fake.stream_piece = "ok", None, 0
        fake.tool_input = {"city": "Paris", "unit": "celsius"}
    yield
    assert_nothing_leaked(fakes)


def assert_nothing_leaked(fakes: Fakes) -> None:
    _, _, cloud, claude = fakes
    for fake in (cloud, claude):
        for rec in fake.requests:
            seen = rec.raw.decode() + orjson.dumps(rec.body).decode()
            for value in VALUES:
                assert value not in seen, f"{value!r} reached {fake.base_url}"


def openai_client(gw: RunningGateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=KEY, max_retries=0)


def anthropic_client(gw: RunningGateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=KEY, max_retries=0)


# --- chat completions ---------------------------------------------------------------------------

def test_chat_whole_answer_is_restored_and_the_cloud_saw_placeholders(fakes: Fakes) -> None:
    gw, local, cloud, _ = fakes
    raw = openai_client(gw).chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": COMPLAINT}])
    answer = raw.parse()
    assert answer.choices[0].message.content == "You wrote: " + COMPLAINT
    assert raw.headers["x-gateway-zone"] == "cloud" and raw.headers["x-gateway-rule"] == "auto-to-cloud-pseudonymised"
    assert raw.headers["x-gateway-redacted"] == "EMAIL_ADDRESS:1,PERSON:1,PHONE_NUMBER:1"
    sent = cloud.last.body["messages"][0]["content"]
    assert sent == ("Rewrite this complaint from [PERSON_1] ([EMAIL_ADDRESS_2], [PHONE_NUMBER_3]) more politely: "
                    "your courier was late again and nobody called me.")
    assert not local.requests


@pytest.mark.parametrize("piece", [1, 2, 3, 5, 7])
def test_chat_stream_cut_anywhere_is_restored(fakes: Fakes, piece: int) -> None:
    gw, _, cloud, _ = fakes
    cloud.stream_piece = piece  # the cloud streams a few characters an event: every placeholder is cut
    stream = openai_client(gw).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": COMPLAINT}], stream=True,
        stream_options={"include_usage": True})
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "You wrote: " + COMPLAINT


@pytest.mark.parametrize("stream", [False, True])
def test_chat_tool_call_arguments_are_restored(fakes: Fakes, stream: bool) -> None:
    gw, _, cloud, _ = fakes
    cloud.tool_input = {"to": "[EMAIL_ADDRESS_2]", "name": "PERSON_1", "note": "call [PHONE_NUMBER_3]"}
    cloud.stream_piece = 3
    tools = [{"type": "function", "function": {"name": "send_reply", "parameters": {
        "type": "object", "properties": {"to": {"type": "string"}, "name": {"type": "string"}}}}}]
    client = openai_client(gw)
    messages = [{"role": "user", "content": COMPLAINT}]
    if stream:
        args = ""
        for chunk in client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools, stream=True):
            for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                args += call.function.arguments or "" if call.function else ""
    else:
        answer = client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
        args = answer.choices[0].message.tool_calls[0].function.arguments
    assert orjson.loads(args) == {"to": "anna.petrova@example.com", "name": "Anna Petrova",
                                  "note": "call +1 415 555 0132"}


def test_the_next_turn_gets_the_same_placeholders(fakes: Fakes) -> None:
    gw, _, cloud, _ = fakes
    client = openai_client(gw)
    first = [{"role": "user", "content": COMPLAINT}]
    reply = client.chat.completions.create(model="auto", messages=first).choices[0].message.content
    sent_first = cloud.last.body["messages"]
    second = [*first, {"role": "assistant", "content": reply},
              {"role": "user", "content": "Now sign it as Maria Gonzalez and add anna.petrova@example.com in copy."}]
    answer = client.chat.completions.create(model="auto", messages=second).choices[0].message.content
    sent = cloud.last.body["messages"]
    assert sent[0] == sent_first[0]
    assert sent[1]["content"] == "You wrote: " + sent_first[0]["content"]  # the restored answer, redacted again
    assert "[PERSON_4]" in sent[2]["content"] and "[EMAIL_ADDRESS_2]" in sent[2]["content"]
    assert answer == "You wrote: " + second[-1]["content"]
    assert "Maria Gonzalez" not in str(cloud.last.body)


def test_russian_forms_of_one_name_share_a_placeholder(fakes: Fakes) -> None:
    gw, _, cloud, _ = fakes
    r = httpx.post(gw.url + "/v1/chat/completions", headers=AUTH, timeout=30,
                   json={"model": "auto", "messages": [{"role": "user", "content": RUSSIAN}]})
    assert r.status_code == 200, r.text
    assert r.headers["x-gateway-zone"] == "cloud" and r.headers["x-gateway-redacted"] == "PERSON:2"
    assert cloud.last.body["messages"][0]["content"] == ("Перепиши вежливее жалобу [PERSON_1]: курьер опять опоздал. "
                                                         "[PERSON_1] просит перезвонить.")
    # the one placeholder comes back as the form it first had
    assert r.json()["choices"][0]["message"]["content"] == "You wrote: " + RUSSIAN.replace("Анна Петрова",
                                                                                           "Анны Петровой")


# --- Anthropic Messages -------------------------------------------------------------------------

def test_messages_whole_answer_stream_and_tool_use(fakes: Fakes) -> None:
    gw, _, _, claude = fakes
    client = anthropic_client(gw)
    message = client.messages.create(model="claude", max_tokens=200,
                                     messages=[{"role": "user", "content": COMPLAINT}])
    assert message.content[0].text == "You wrote: " + COMPLAINT
    assert "[PERSON_1]" in claude.last.body["messages"][0]["content"]

    claude.stream_piece = 2
    with client.messages.stream(model="claude", max_tokens=200, system="You help Anna Petrova.",
                                messages=[{"role": "user", "content": COMPLAINT}]) as stream:
        text = "".join(stream.text_stream)
    assert text == "You wrote: " + COMPLAINT
    assert claude.last.body["system"] == "You help [PERSON_1]."

    claude.tool_input = {"to": "[EMAIL_ADDRESS_2]", "name": "[PERSON_1]"}
    tools = [{"name": "send_reply", "input_schema": {"type": "object", "properties": {"to": {"type": "string"}}}}]
    message = client.messages.create(model="claude", max_tokens=200, tools=tools,
                                     messages=[{"role": "user", "content": COMPLAINT}])
    tool_use = next(b for b in message.content if b.type == "tool_use")
    assert tool_use.input == {"to": "anna.petrova@example.com", "name": "Anna Petrova"}
    with client.messages.stream(model="claude", max_tokens=200, tools=tools,
                                messages=[{"role": "user", "content": COMPLAINT}]) as stream:
        final = stream.get_final_message()
    tool_use = next(b for b in final.content if b.type == "tool_use")
    assert tool_use.input == {"to": "anna.petrova@example.com", "name": "Anna Petrova"}


def test_messages_ingress_to_an_openai_model(fakes: Fakes) -> None:
    gw, _, cloud, _ = fakes
    cloud.stream_piece = 1
    with anthropic_client(gw).messages.stream(model="gpt-4o", max_tokens=200,
                                              messages=[{"role": "user", "content": COMPLAINT}]) as stream:
        text = "".join(stream.text_stream)
    assert text == "You wrote: " + COMPLAINT
    assert "[PERSON_1]" in cloud.last.body["messages"][0]["content"]


# --- Responses ----------------------------------------------------------------------------------

def test_responses_whole_and_streamed(fakes: Fakes) -> None:
    gw, _, cloud, _ = fakes
    client = openai_client(gw)
    response = client.responses.create(model="gpt-4o", input=COMPLAINT, instructions="Sign as Anna Petrova.")
    assert response.output_text == "You wrote: " + COMPLAINT
    # this cloud backend speaks chat completions: the Responses request went out translated
    assert cloud.last.body["messages"][0] == {"role": "system", "content": "Sign as [PERSON_1]."}
    cloud.stream_piece = 3
    deltas = []
    with client.responses.stream(model="gpt-4o", input=COMPLAINT) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == "You wrote: " + COMPLAINT


# --- what may not leave ------------------------------------------------------------------------

def test_a_card_next_to_the_name_keeps_everything_local(fakes: Fakes) -> None:
    gw, local, cloud, _ = fakes
    text = "Anna Petrova asks why card 4111 1111 1111 1111 was charged twice."
    r = httpx.post(gw.url + "/v1/chat/completions", headers=AUTH, timeout=30,
                   json={"model": "auto", "messages": [{"role": "user", "content": text}]})
    assert r.headers["x-gateway-zone"] == "local" and "x-gateway-redacted" not in r.headers
    assert not cloud.requests and local.last.body["messages"][0]["content"] == text  # local gets it as it is


def test_a_value_split_across_two_messages_cannot_be_redacted(fakes: Fakes) -> None:
    gw, _local, cloud, _ = fakes
    body = {"model": "auto", "messages": [{"role": "user", "content": "Write to anna.petrova@exa"},
                                          {"role": "user", "content": "mple.com about the refund"}]}
    explained = httpx.post(gw.url + "/v1/gateway/explain", headers=AUTH, json=body, timeout=30).json()
    assert explained["zone"] == "local"
    reasons = dict((s["route"], s["reason"]) for s in explained["skipped"])
    assert "split across two parts" in reasons["auto-to-cloud-pseudonymised"]
    r = httpx.post(gw.url + "/v1/chat/completions", headers=AUTH, json=body, timeout=30)
    assert r.headers["x-gateway-zone"] == "local" and not cloud.requests


@pytest.mark.parametrize("mode", ["server_error", "rate_limit", "cut_stream", "hang"])
def test_under_failures_fallbacks_get_the_redacted_body_too(fakes: Fakes, mode: str) -> None:
    gw, local, cloud, claude = fakes
    cloud.mode, cloud.hang_seconds = mode, 3  # type: ignore[assignment]
    r = httpx.post(gw.url + "/v1/chat/completions", headers=AUTH, timeout=30,
                   json={"model": "auto", "stream": mode == "cut_stream",
                         "messages": [{"role": "user", "content": COMPLAINT}]})
    assert r.status_code in (200, 502, 504)
    if r.status_code == 200 and mode != "cut_stream":
        assert r.headers["x-gateway-backend"] == "anthropic"  # the route's first fallback
        assert r.json()["choices"][0]["message"]["content"] == "You wrote: " + COMPLAINT
        assert "[PERSON_1]" in claude.last.raw.decode()
    for rec in local.requests:  # even the local fallback gets only what the route sends
        assert "Anna" not in str(rec.body)


def test_detection_failing_on_the_redacted_body_fails_closed(classifier: SessionClassifier, tmp_path: Path) -> None:
    class FailsOnPlaceholders:
        """The real detector, except that it fails on any text holding a placeholder."""

        def __getattr__(self, name: str) -> Any:
            return getattr(classifier, name)

        async def classify(self, outbound: Outbound) -> Signals:
            signals = await classifier.classify(outbound)
            if any("[PERSON_" in p.text for p in outbound.parts):
                return dataclasses.replace(signals, classify_failed=True)
            return signals

    with gateway(FailsOnPlaceholders(), tmp_path) as (gw, _local, cloud, claude):
        r = httpx.post(gw.url + "/v1/chat/completions", headers=AUTH, timeout=30,
                       json={"model": "auto", "messages": [{"role": "user", "content": COMPLAINT}]})
        assert r.status_code == 200 and r.headers["x-gateway-zone"] == "local"
        assert not cloud.requests and not claude.requests
        explained = httpx.post(gw.url + "/v1/gateway/explain", headers=AUTH, timeout=30,
                               json={"model": "auto", "messages": [{"role": "user", "content": COMPLAINT}]}).json()
        assert "could not be scanned again" in str(explained["skipped"])


def test_confidential_content_stays_local_even_pseudonymised(fakes: Fakes) -> None:
    gw, _, cloud, _ = fakes
    text = ("Anna Petrova from our sales team will be dismissed next month for missing her targets; "
            "draft the termination letter.")
    r = httpx.post(gw.url + "/v1/gateway/explain", headers=AUTH, timeout=30,
                   json={"model": "auto", "messages": [{"role": "user", "content": text}]}).json()
    assert r["zone"] == "local", r
    assert "confidential-stays-local" in str(r["skipped"])
    assert not cloud.requests


# --- what is said about it ---------------------------------------------------------------------

def test_explain_metrics_audit_and_logs_see_counts_only(fakes: Fakes, caplog: pytest.LogCaptureFixture) -> None:
    gw, _, cloud, _ = fakes

    def redactions() -> dict[str, float]:
        text = httpx.get(gw.url + "/metrics").text
        return {line.split('"')[1]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line.startswith("gateway_redactions_total{")}

    before = redactions()
    explained = httpx.post(gw.url + "/v1/gateway/explain", headers=AUTH, timeout=30,
                           json={"model": "auto", "messages": [{"role": "user", "content": COMPLAINT}]}).json()
    assert explained["redact"] == ["EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER"]
    assert explained["redacted"] == {"EMAIL_ADDRESS": 1, "PERSON": 1, "PHONE_NUMBER": 1}
    assert redactions() == before and not cloud.requests  # explain calls and counts nothing
    with caplog.at_level(logging.DEBUG):
        httpx.post(gw.url + "/v1/chat/completions", headers=AUTH, timeout=30,
                   json={"model": "auto", "messages": [{"role": "user", "content": COMPLAINT}]})
    after = redactions()
    for kind in ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"):
        assert after[kind] == before.get(kind, 0) + 1
    audit = gw.audit_path.read_text().splitlines()[-1]
    assert orjson.loads(audit)["redacted"] == {"EMAIL_ADDRESS": 1, "PERSON": 1, "PHONE_NUMBER": 1}
    for text in (gw.audit_path.read_text(), caplog.text, httpx.get(gw.url + "/metrics").text):
        assert not any(v in text for v in VALUES) and "[PERSON_1]" not in text


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=planted_bodies())
def test_a_value_at_a_random_place_is_redacted_wherever_it_is(fakes: Fakes, body: dict[str, Any]) -> None:
    """The leak test's random bodies (the value in messages, tools, metadata, unknown fields, keys,
    at any depth) against the pseudonymising policy: the request may go to the cloud, the value
    never does."""
    gw, _, cloud, claude = fakes
    cloud.requests.clear()
    claude.requests.clear()
    r = httpx.post(gw.url + "/v1/chat/completions", json=body, timeout=30, headers=AUTH)
    assert r.status_code in (200, 400), r.text  # the fake refuses what its API would refuse
    assert EMAIL not in cloud_received([cloud, claude])
    if r.headers.get("x-gateway-zone") == "cloud":
        assert r.headers["x-gateway-redacted"].startswith("EMAIL_ADDRESS:")
