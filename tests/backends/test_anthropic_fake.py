"""The Anthropic adapter over real HTTP against the fake Anthropic server: translated and native
calls, streaming with tool use checked with the SDKs' own models, every failure mode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import TypeAdapter

from gateway.backends.anthropic import AnthropicBackend
from gateway.backends.base import UpstreamReply, UpstreamStream
from gateway.backends.resilience import CircuitBreaker, ResilientBackend, RetryPolicy
from gateway.config import BackendConfig, Timeouts
from gateway.errors import BackendFailure, StreamBroken
from gateway.wire.sse import SSEParser
from tests.backends.via import via
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.common import Mode
from tests.fakes.server import serve, unused_url

PROMPT = "My name is Ivan Petrov, card 4276 1600 0000 0000"
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
CHAT: dict[str, Any] = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": PROMPT}]}
NATIVE: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 64,
                          "messages": [{"role": "user", "content": PROMPT}]}


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(api_key="sk-ant", tool_input={"city": "Zürich", "days": [1, 2]}, hang_seconds=5)
    with serve(fake.app) as url:
        fake.base_url = url
        yield fake


def make(url: str, key: str = "sk-ant", **timeouts: float) -> AnthropicBackend:
    conf = BackendConfig(type="anthropic", zone="cloud", base_url=url, timeout=Timeouts(**timeouts))
    return AnthropicBackend("claude", conf, key)


async def drain(result: UpstreamReply | UpstreamStream) -> bytes:
    assert isinstance(result, UpstreamStream)
    try:
        return b"".join([c async for c in result.chunks])
    finally:
        await result.aclose()


async def test_chat_round_trip(fake: FakeAnthropic) -> None:
    b = make(fake.base_url)
    reply = await via("chat", b, CHAT, False)
    await b.aclose()
    assert isinstance(reply, UpstreamReply)
    completion = ChatCompletion.model_validate_json(reply.body)
    assert completion.choices[0].message.content == fake.reply_text({})
    assert fake.last.headers["x-api-key"] == "sk-ant" and fake.last.body["model"] == "claude-sonnet-4-5"


async def test_stream_with_tool_use_is_valid_openai(fake: FakeAnthropic) -> None:
    b = make(fake.base_url)
    body = {**CHAT, "tools": TOOLS, "stream": True, "stream_options": {"include_usage": True}}
    out = await drain(await via("chat", b, body, True))
    await b.aclose()
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    events = SSEParser().feed(out)
    assert events[-1].data == "[DONE]"
    for ev in events[:-1]:
        list(state.handle_chunk(ChatCompletionChunk.model_validate(ev.json())))
    final = state.get_final_completion()
    assert final.choices[0].finish_reason == "tool_calls"
    call = final.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert orjson.loads(call.function.arguments) == {"city": "Zürich", "days": [1, 2]}  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.completion_tokens > 0


async def test_native_passthrough_relays_anthropic_bytes(fake: FakeAnthropic) -> None:
    b = make(fake.base_url)
    reply = await via("messages", b, NATIVE, False, {"anthropic-beta": "x-2025", "authorization": "Bearer client"})
    assert isinstance(reply, UpstreamReply)
    assert Message.model_validate_json(reply.body).content[0].type == "text"
    assert fake.last.body == NATIVE and fake.last.headers["anthropic-beta"] == "x-2025"
    assert fake.last.headers.get("authorization") is None
    out = await drain(await via("messages", b, {**NATIVE, "tools": [{"name": "t", "input_schema": {"type": "object"}}]},
                                True))
    await b.aclose()
    assert fake.last.body["stream"] is True
    adapter: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
    snapshot = None
    bufs: dict[int, bytes] = {}
    for ev in SSEParser().feed(out):
        if ev.event == "ping":
            continue
        snapshot = accumulate_event(event=adapter.validate_python(ev.json()), current_snapshot=snapshot,
                                    json_bufs=bufs)
    assert snapshot is not None and snapshot.stop_reason == "tool_use"
    assert out.startswith(b"event: message_start\n")


@pytest.mark.parametrize("mode,kind,status", [
    ("rate_limit", "status", 429), ("server_error", "status", 502), ("overloaded", "status", 502),
    ("garbage", "protocol", 502), ("hang", "timeout", 504),
])
@pytest.mark.parametrize("stream", [False, True])
async def test_failures_before_the_first_byte(fake: FakeAnthropic, mode: Mode, kind: str, status: int,
                                              stream: bool) -> None:
    fake.mode = mode
    b = make(fake.base_url, first_byte=0.3)
    with pytest.raises(BackendFailure) as info:
        await via("chat", b, {**CHAT, "stream": stream}, stream)
    await b.aclose()
    f = info.value
    assert (f.kind, f.status, f.retryable, f.before_first_byte) == (kind, status, True, True)
    assert PROMPT not in f.message and (f.body is None or PROMPT not in str(f.body))
    if mode == "rate_limit":
        assert f.retry_after == 1 and f.body is not None and f.body["error"]["type"] == "rate_limit_error"


async def test_refused_credentials_and_connection(fake: FakeAnthropic) -> None:
    with pytest.raises(BackendFailure) as info:
        await via("chat", make(fake.base_url, key="wrong"), CHAT, False)
    assert info.value.status == 502 and "refused the gateway's credentials" in info.value.message
    with pytest.raises(BackendFailure) as info:
        await via("chat", make(unused_url()), CHAT, False)
    assert (info.value.kind, info.value.status) == ("connect", 502)


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("mode,kind", [
    ("cut_stream", "protocol"), ("truncated_stream", "truncated"), ("stall_stream", "timeout"),
    ("error_event", "stream_error"),
])
async def test_streams_that_break_after_starting(fake: FakeAnthropic, mode: Mode, kind: str, native: bool) -> None:
    fake.mode, fake.chunk_delay = mode, 0.01
    b = make(fake.base_url, idle=0.3)
    result = (await via("messages", b, NATIVE, True) if native
              else await via("chat", b, {**CHAT, "stream": True}, True))
    with pytest.raises(StreamBroken) as info:
        await drain(result)
    await b.aclose()
    assert info.value.kind == kind and PROMPT not in info.value.message


async def test_resilient_backend_retries_then_serves(fake: FakeAnthropic) -> None:
    fake.mode, fake.fail_times = "overloaded", 1
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    b = ResilientBackend(make(fake.base_url), RetryPolicy(attempts=2), CircuitBreaker(), sleep=sleep)
    reply = await via("chat", b, CHAT, False)
    await b.aclose()
    assert isinstance(reply, UpstreamReply) and len(fake.requests) == 2 and len(waits) == 1
