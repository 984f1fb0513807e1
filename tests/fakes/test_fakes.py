"""The fakes speak the real wire formats: proven by driving them with the official SDKs."""

from __future__ import annotations

import json
import time
from typing import Any

import anthropic
import httpx
import httpx2  # the SDKs' own HTTP stack
import openai
import pytest

from gateway.wire.sse import SSEParser

from .anthropic_server import FakeAnthropic
from .openai_server import FakeOpenAI
from .server import serve, unused_url

WEATHER_TOOL: Any = {"name": "get_weather", "description": "Weather for a city",
                                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
OPENAI_TOOL: Any = {"type": "function", "function": {
    "name": "get_weather", "parameters": WEATHER_TOOL["input_schema"]}}


def claude(fake: FakeAnthropic, **kw: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=fake.api_key, base_url=fake.base_url, max_retries=0, **kw)


def gpt(fake: FakeOpenAI, **kw: Any) -> openai.OpenAI:
    return openai.OpenAI(api_key=fake.api_key, base_url=fake.base_url + "/v1", max_retries=0, **kw)


HELLO: list[Any] = [{"role": "user", "content": "Hello"}]


# ---------- Anthropic ----------

def test_anthropic_non_stream_and_recording(fake_anthropic: FakeAnthropic) -> None:
    msg = claude(fake_anthropic).messages.create(model="claude-x", max_tokens=100, messages=HELLO,
                                                 system="Be brief.")
    assert msg.content[0].type == "text" and msg.content[0].text == fake_anthropic.reply
    assert msg.stop_reason == "end_turn" and msg.model == "claude-x" and msg.usage.input_tokens > 0
    rec = fake_anthropic.last
    assert rec.path == "/v1/messages"
    assert fake_anthropic.api_key in (rec.headers.get("x-api-key"), rec.headers.get("authorization", "")[7:])
    assert rec.headers["anthropic-version"] and rec.body["system"] == "Be brief."


def test_anthropic_stream_text(fake_anthropic: FakeAnthropic) -> None:
    with claude(fake_anthropic).messages.stream(model="m", max_tokens=100, messages=HELLO) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 3 and "".join(pieces) == fake_anthropic.reply
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == len(pieces)


def test_anthropic_tool_use_stream_and_follow_up(fake_anthropic: FakeAnthropic) -> None:
    client = claude(fake_anthropic)
    with client.messages.stream(model="m", max_tokens=100, messages=HELLO, tools=[WEATHER_TOOL]) as stream:
        events = [e.type for e in stream]
        final = stream.get_final_message()
    assert "input_json" in events
    tool = final.content[1]
    assert final.stop_reason == "tool_use" and tool.type == "tool_use"
    assert tool.input == fake_anthropic.tool_input and tool.name == "get_weather"
    follow = client.messages.create(model="m", max_tokens=100, tools=[WEATHER_TOOL], messages=[
        *HELLO, {"role": "assistant", "content": final.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "18C"}]}])
    assert follow.stop_reason == "end_turn"
    named = client.messages.create(model="m", max_tokens=100, messages=HELLO,
                                   tools=[WEATHER_TOOL, {**WEATHER_TOOL, "name": "other"}],
                                   tool_choice={"type": "tool", "name": "other"})  # type: ignore[call-overload]
    assert named.content[-1].type == "tool_use" and named.content[-1].name == "other"


def test_anthropic_max_tokens_cut(fake_anthropic: FakeAnthropic) -> None:
    msg = claude(fake_anthropic).messages.create(model="m", max_tokens=2, messages=HELLO)
    assert msg.stop_reason == "max_tokens" and msg.usage.output_tokens == 2


def test_anthropic_auth_and_validation(fake_anthropic: FakeAnthropic) -> None:
    bad = anthropic.Anthropic(api_key="wrong", base_url=fake_anthropic.base_url, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="m", max_tokens=10, messages=HELLO)
    with pytest.raises(anthropic.BadRequestError, match="alternate"):
        claude(fake_anthropic).messages.create(model="m", max_tokens=10, messages=[*HELLO, *HELLO])
    r = httpx.post(fake_anthropic.base_url + "/v1/messages", headers={"x-api-key": fake_anthropic.api_key},
                   json={"model": "m", "max_tokens": 5, "messages": HELLO})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(("mode", "exc", "status"), [
    ("rate_limit", anthropic.RateLimitError, 429),
    ("server_error", anthropic.InternalServerError, 500),
    ("overloaded", anthropic.APIStatusError, 529),
])
def test_anthropic_error_modes(fake_anthropic: FakeAnthropic, mode: Any, exc: type[Exception], status: int) -> None:
    fake_anthropic.mode, fake_anthropic.fail_times = mode, 1
    with pytest.raises(exc) as info:
        claude(fake_anthropic).messages.create(model="m", max_tokens=10, messages=HELLO)
    err = info.value
    assert isinstance(err, anthropic.APIStatusError) and err.status_code == status
    if status == 429:
        assert err.response.headers["retry-after"] == "1"
    assert claude(fake_anthropic).messages.create(model="m", max_tokens=10, messages=HELLO).content  # recovered


def test_anthropic_error_response_status(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.mode, fake_anthropic.error_status = "error_response", 404
    with pytest.raises(anthropic.NotFoundError):
        claude(fake_anthropic).messages.create(model="m", max_tokens=10, messages=HELLO)


def test_anthropic_garbage(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.mode = "garbage"
    with pytest.raises((json.JSONDecodeError, anthropic.APIResponseValidationError)):
        claude(fake_anthropic).messages.create(model="m", max_tokens=10, messages=HELLO)


def test_anthropic_hang_times_out(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.mode, fake_anthropic.hang_seconds = "hang", 5
    with pytest.raises(anthropic.APITimeoutError):
        claude(fake_anthropic, timeout=0.3).messages.create(model="m", max_tokens=10, messages=HELLO)


def test_anthropic_stream_failures(fake_anthropic: FakeAnthropic) -> None:
    client = claude(fake_anthropic)
    fake_anthropic.mode = "error_event"
    with pytest.raises(anthropic.APIStatusError, match="overloaded"):
        with client.messages.stream(model="m", max_tokens=100, messages=HELLO) as stream:
            list(stream)
    fake_anthropic.mode = "cut_stream"
    with pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)):
        with client.messages.stream(model="m", max_tokens=100, messages=HELLO) as stream:
            list(stream)
    fake_anthropic.mode = "truncated_stream"
    with client.messages.stream(model="m", max_tokens=100, messages=HELLO) as stream:
        types = [e.type for e in stream]
    assert "message_stop" not in types and "message_start" in types


def test_anthropic_stall_and_delays_on_the_wire(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.chunk_delay = 0.02
    start = time.monotonic()
    parser = SSEParser()
    names: list[str | None] = []
    with httpx.stream("POST", fake_anthropic.base_url + "/v1/messages",
                      headers={"x-api-key": fake_anthropic.api_key, "anthropic-version": "2023-06-01"},
                      json={"model": "m", "max_tokens": 100, "messages": HELLO, "stream": True}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for chunk in r.iter_raw():
            names.extend(e.event for e in parser.feed(chunk))
    assert time.monotonic() - start > 0.1
    assert names[:2] == ["message_start", "ping"] and names[-2:] == ["message_delta", "message_stop"]
    fake_anthropic.mode, fake_anthropic.hang_seconds = "stall_stream", 5
    with pytest.raises(httpx.ReadTimeout):
        with httpx.stream("POST", fake_anthropic.base_url + "/v1/messages", timeout=httpx.Timeout(5, read=0.3),
                          headers={"x-api-key": fake_anthropic.api_key, "anthropic-version": "2023-06-01"},
                          json={"model": "m", "max_tokens": 100, "messages": HELLO, "stream": True}) as r:
            for _ in r.iter_raw():
                pass


def test_refused() -> None:
    client = anthropic.Anthropic(api_key="k", base_url=unused_url(), max_retries=0)
    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(model="m", max_tokens=10, messages=HELLO)


def test_reply_callable_and_independent_servers() -> None:
    fake = FakeAnthropic(reply=lambda body: "echo " + body["messages"][-1]["content"])
    with serve(fake.app) as url:
        fake.base_url = url
        msg = claude(fake).messages.create(model="m", max_tokens=10, messages=HELLO)
    assert msg.content[0].text == "echo Hello"  # type: ignore[union-attr]


# ---------- OpenAI ----------

def test_openai_chat_non_stream(fake_openai: FakeOpenAI) -> None:
    c = gpt(fake_openai).chat.completions.create(model="gpt-4o", messages=HELLO, user="u1")
    assert c.choices[0].message.content == fake_openai.reply and c.choices[0].finish_reason == "stop"
    assert c.usage is not None and c.usage.total_tokens > 0
    assert fake_openai.last.headers["authorization"] == f"Bearer {fake_openai.api_key}"
    assert fake_openai.last.body["user"] == "u1"


def test_openai_chat_stream_with_usage_and_tools(fake_openai: FakeOpenAI) -> None:
    client = gpt(fake_openai)
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True,
                                                 stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == fake_openai.reply
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    plain = list(client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True))
    assert all(c.choices and c.usage is None for c in plain)
    with client.chat.completions.stream(model="gpt-4o", messages=HELLO, tools=[OPENAI_TOOL]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert final.choices[0].finish_reason == "tool_calls" and calls
    assert calls[0].function.name == "get_weather"
    assert calls[0].function.arguments == '{"city":"Paris","unit":"celsius"}'


def test_openai_completions_embeddings_models(fake_openai: FakeOpenAI) -> None:
    client = gpt(fake_openai)
    assert client.completions.create(model="gpt-4o", prompt="Say hi").choices[0].text == fake_openai.reply
    text = "".join(c.choices[0].text for c in client.completions.create(model="gpt-4o", prompt="x", stream=True)
                   if c.choices)
    assert text == fake_openai.reply
    emb = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])  # SDK asks for base64
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == fake_openai.embedding_dim
    again = client.embeddings.create(model="text-embedding-3-small", input="a", encoding_format="float")
    assert again.data[0].embedding == pytest.approx(emb.data[0].embedding)
    assert [m.id for m in client.models.list()] == fake_openai.models


def test_azure_paths(fake_openai: FakeOpenAI) -> None:
    client = openai.AzureOpenAI(api_key=fake_openai.api_key, azure_endpoint=fake_openai.base_url,
                                api_version="2024-10-21", max_retries=0)
    c = client.chat.completions.create(model="my-deployment", messages=HELLO)
    assert c.model == "my-deployment" and c.choices[0].message.content == fake_openai.reply
    rec = fake_openai.last
    assert rec.path == "/openai/deployments/my-deployment/chat/completions"
    assert rec.query["api-version"] == "2024-10-21" and rec.headers["api-key"] == fake_openai.api_key
    chunks = list(client.chat.completions.create(model="my-deployment", messages=HELLO, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == fake_openai.reply
    wrong = openai.AzureOpenAI(api_key="nope", azure_endpoint=fake_openai.base_url, api_version="x", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="d", messages=HELLO)


@pytest.mark.parametrize(("mode", "exc"), [
    ("rate_limit", openai.RateLimitError), ("server_error", openai.InternalServerError),
    ("garbage", (json.JSONDecodeError, openai.APIResponseValidationError))])
def test_openai_error_modes(fake_openai: FakeOpenAI, mode: Any, exc: Any) -> None:
    fake_openai.mode = mode
    with pytest.raises(exc):
        gpt(fake_openai).chat.completions.create(model="gpt-4o", messages=HELLO)


def test_openai_auth_hang_and_stream_failures(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="bad", base_url=fake_openai.base_url + "/v1", max_retries=0).models.list()
    fake_openai.mode, fake_openai.hang_seconds = "hang", 5
    with pytest.raises(openai.APITimeoutError):
        gpt(fake_openai, timeout=0.3).chat.completions.create(model="gpt-4o", messages=HELLO)
    fake_openai.mode = "error_event"
    with pytest.raises(openai.APIError):
        list(gpt(fake_openai).chat.completions.create(model="gpt-4o", messages=HELLO, stream=True))
    fake_openai.mode = "cut_stream"
    with pytest.raises((httpx2.RemoteProtocolError, openai.APIConnectionError)):
        list(gpt(fake_openai).chat.completions.create(model="gpt-4o", messages=HELLO, stream=True))
    fake_openai.mode = "truncated_stream"
    r = httpx.post(fake_openai.base_url + "/v1/chat/completions", json={
        "model": "gpt-4o", "messages": HELLO, "stream": True},
        headers={"authorization": f"Bearer {fake_openai.api_key}"})
    assert b"[DONE]" not in r.content and r.content.startswith(b"data: {")
