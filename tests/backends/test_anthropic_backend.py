"""The Anthropic adapter over httpx.MockTransport: the request on the wire, translated answers,
byte-exact OpenAI SSE, and every failure mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from gateway.backends.anthropic import AnthropicBackend
from gateway.backends.base import UpstreamCall, UpstreamReply, UpstreamStream
from gateway.config import BackendConfig, Timeouts
from gateway.errors import BackendFailure, StreamBroken
from gateway.types import Endpoint
from gateway.wire import AnthropicToOpenAIStream
from gateway.wire.sse import DONE, SSEParser, format_json_event
from tests.backends.via import via
from tests.fakes.anthropic_server import error_body, sse, stream_events

SECRET = "Ivan Petrov 4276 1600 0000 0000"  # stands for prompt text: must never surface in errors
CHAT: dict[str, Any] = {"model": "claude-up", "temperature": 1.5, "stop": "END", "seed": 3,
                        "messages": [{"role": "system", "content": "Be brief."},
                                     {"role": "user", "content": SECRET}]}
MESSAGE: dict[str, Any] = {
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-up", "stop_reason": "end_turn",
    "stop_sequence": None, "content": [{"type": "text", "text": "Hello there"}],
    "usage": {"input_tokens": 12, "output_tokens": 2}}
TOOL_MESSAGE: dict[str, Any] = {
    **MESSAGE, "stop_reason": "tool_use",
    "content": [{"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]}
Handler = Callable[[httpx.Request], httpx.Response]


def backend(handler: Handler, **timeouts: float) -> tuple[AnthropicBackend, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    conf = BackendConfig(type="anthropic", zone="cloud", base_url="http://up.test", timeout=Timeouts(**timeouts))
    return AnthropicBackend("claude", conf, "sk-ant", httpx.MockTransport(record)), seen


class Body(httpx.AsyncByteStream):
    """A streamed body: the given pieces, then optionally a stall or a dropped connection."""

    def __init__(self, pieces: list[bytes], end: str = "ok") -> None:
        self.pieces, self.end = pieces, end

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.end == "stall":
            await asyncio.sleep(10)
        if self.end == "cut":
            raise httpx.ReadError("connection dropped")


def sse_reply(pieces: list[bytes], end: str = "ok") -> Handler:
    return lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body(pieces, end))


def events_bytes(message: dict[str, Any]) -> list[bytes]:
    return [sse(e) for e in stream_events(message)]


async def collect(result: UpstreamReply | UpstreamStream) -> bytes:
    assert isinstance(result, UpstreamStream)
    try:
        return b"".join([chunk async for chunk in result.chunks])
    finally:
        await result.aclose()


def expected_openai_sse(out: bytes, message: dict[str, Any], include_usage: bool) -> bytes:
    """What the adapter must send: the pure translator's output, framed, then [DONE]."""
    first = SSEParser().feed(out)[0].json()
    tr = AnthropicToOpenAIStream(model=message["model"], include_usage=include_usage,
                                 chunk_id=first["id"], created=first["created"])
    body = b"".join(format_json_event(c) for e in stream_events(message) for c in tr.feed(e["type"], e))
    return body + DONE


async def test_request_translated_on_the_wire_with_anthropic_headers() -> None:
    b, seen = backend(lambda r: httpx.Response(200, json=MESSAGE, headers={"request-id": "req_1"}))
    reply = await via("chat", b, CHAT, False, {"openai-organization": "org"})
    req = seen[0]
    assert str(req.url) == "http://up.test/v1/messages"
    assert req.headers["x-api-key"] == "sk-ant" and req.headers["anthropic-version"] == "2023-06-01"
    assert req.headers["content-type"] == "application/json"
    assert "authorization" not in req.headers and "openai-organization" not in req.headers
    sent = orjson.loads(req.content)
    assert sent == {"model": "claude-up", "system": "Be brief.", "max_tokens": 4096, "temperature": 1.0,
                    "stop_sequences": ["END"], "messages": [{"role": "user", "content": [
                        {"type": "text", "text": SECRET}]}]}
    assert isinstance(reply, UpstreamReply) and reply.headers == {"request-id": "req_1"}
    completion = ChatCompletion.model_validate_json(reply.body)
    assert completion.choices[0].message.content == "Hello there"
    assert completion.choices[0].finish_reason == "stop" and completion.usage is not None
    assert completion.usage.prompt_tokens == 12


async def test_base_url_ending_in_v1_is_not_doubled() -> None:
    seen: list[httpx.Request] = []
    conf = BackendConfig(type="anthropic", zone="cloud", base_url="http://up.test/v1/")
    b = AnthropicBackend("c", conf, None, httpx.MockTransport(
        lambda r: seen.append(r) or httpx.Response(200, json=MESSAGE)))  # type: ignore[func-returns-value]
    await via("chat", b, CHAT, False)
    assert str(seen[0].url) == "http://up.test/v1/messages" and "x-api-key" not in seen[0].headers


async def test_tool_use_answer_becomes_tool_calls() -> None:
    b, _ = backend(lambda r: httpx.Response(200, json=TOOL_MESSAGE))
    reply = await via("chat", b, CHAT, False)
    assert isinstance(reply, UpstreamReply)
    choice = ChatCompletion.model_validate_json(reply.body).choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.tool_calls is not None
    assert orjson.loads(choice.message.tool_calls[0].function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]


@pytest.mark.parametrize("include_usage", [False, True])
@pytest.mark.parametrize("split", [0, 1, 7])
async def test_stream_translates_to_byte_exact_openai_sse(include_usage: bool, split: int) -> None:
    raw = b"".join(events_bytes(TOOL_MESSAGE))
    pieces = [raw[i:i + split] for i in range(0, len(raw), split)] if split else events_bytes(TOOL_MESSAGE)
    b, seen = backend(sse_reply(pieces))
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": include_usage}}
    out = await collect(await via("chat", b, body, True))
    assert orjson.loads(seen[0].content)["stream"] is True
    assert out == expected_openai_sse(out, TOOL_MESSAGE, include_usage)
    chunks = [ChatCompletionChunk.model_validate(e.json()) for e in SSEParser().feed(out) if e.data != "[DONE]"]
    assert chunks[-1].usage is not None if include_usage else chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_stream_stops_at_message_stop_without_waiting_for_the_end() -> None:
    b, _ = backend(sse_reply(events_bytes(MESSAGE), end="stall"), idle=5)
    out = await asyncio.wait_for(collect(await via("chat", b, {**CHAT, "stream": True}, True)), 2)
    assert out.endswith(b"data: [DONE]\n\n")


@pytest.mark.parametrize("end,kind", [("cut", "protocol"), ("stall", "timeout"), ("ok", "truncated")])
async def test_stream_broken_after_start(end: str, kind: str) -> None:
    b, _ = backend(sse_reply(events_bytes(MESSAGE)[:5], end=end), idle=0.05)
    stream = await via("chat", b, {**CHAT, "stream": True}, True)
    with pytest.raises(StreamBroken) as info:
        await collect(stream)
    assert info.value.kind == kind


async def test_error_event_mid_stream_is_stream_broken_without_upstream_text() -> None:
    err = sse(error_body("overloaded_error", f"Overloaded while reading {SECRET}"))
    b, _ = backend(sse_reply([*events_bytes(MESSAGE)[:5], err]))
    stream = await via("chat", b, {**CHAT, "stream": True}, True)
    with pytest.raises(StreamBroken) as info:
        await collect(stream)
    assert info.value.kind == "stream_error" and "overloaded_error" in info.value.message
    assert SECRET not in info.value.message


@pytest.mark.parametrize("pieces,kind", [
    ([sse(error_body("overloaded_error", "Overloaded"))], "stream_error"),
    ([b"<html>502 Bad Gateway</html>\n{{not json"], "protocol"),
    ([b"event: message_start\ndata: {not json\n\n"], "protocol"),
    ([], "protocol"),
])
async def test_stream_that_fails_at_once_is_a_failure_before_the_first_byte(pieces: list[bytes], kind: str) -> None:
    b, _ = backend(sse_reply(pieces))
    with pytest.raises(BackendFailure) as info:
        await via("chat", b, {**CHAT, "stream": True}, True)
    assert (info.value.kind, info.value.status, info.value.retryable) == (kind, 502, True)


async def test_first_event_timeout() -> None:
    b, _ = backend(sse_reply([b": ping\n\n"], end="stall"), first_byte=0.05)
    with pytest.raises(BackendFailure) as info:
        await via("chat", b, {**CHAT, "stream": True}, True)
    assert (info.value.kind, info.value.status) == ("timeout", 504)


@pytest.mark.parametrize("status,kind,expect,retryable", [
    (400, "invalid_request_error", 400, False), (404, "not_found_error", 404, False),
    (401, "authentication_error", 502, True), (403, "permission_error", 502, True),
    (429, "rate_limit_error", 429, True), (500, "api_error", 502, True), (529, "overloaded_error", 502, True),
])
async def test_status_mapping(status: int, kind: str, expect: int, retryable: bool) -> None:
    body = error_body(kind, f"problem with {SECRET}")
    b, _ = backend(lambda r: httpx.Response(status, json=body, headers={"retry-after": "3"}))
    with pytest.raises(BackendFailure) as info:
        await via("chat", b, CHAT, False)
    f = info.value
    assert (f.status, f.retryable, f.before_first_byte) == (expect, retryable, True)
    assert SECRET not in f.message and SECRET not in orjson.dumps(f.body).decode()
    if status in (401, 403):
        assert "refused the gateway's credentials" in f.message and f.body is None
    else:
        assert f.body is not None and kind in f.body["error"]["message"]
        assert set(f.body["error"]) == {"message", "type", "code", "param"}
    assert f.retry_after == (3 if status in (429, 500, 529) else None)


@pytest.mark.parametrize("response", [
    httpx.Response(200, content=b"<html>oops"), httpx.Response(200, json={"error": "nope"}),
    httpx.Response(502, content=b"<html>bad gateway</html>"), httpx.Response(302, headers={"location": "/x"}),
])
async def test_garbage_is_a_protocol_or_status_failure(response: httpx.Response) -> None:
    b, _ = backend(lambda r: response)
    with pytest.raises(BackendFailure) as info:
        await via("chat", b, CHAT, False)
    assert info.value.status == 502 and info.value.body is None


async def test_stream_request_answered_without_a_stream() -> None:
    b, _ = backend(lambda r: httpx.Response(200, json=MESSAGE))
    with pytest.raises(BackendFailure) as info:
        await via("chat", b, {**CHAT, "stream": True}, True)
    assert info.value.kind == "protocol"


async def test_connection_refused_and_hang() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    b, _ = backend(refuse)
    with pytest.raises(BackendFailure) as info:
        await via("chat", b, CHAT, False)
    assert (info.value.kind, info.value.status, info.value.retryable) == ("connect", 502, True)

    class Hang(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(10)
            raise AssertionError

    conf = BackendConfig(type="anthropic", zone="cloud", base_url="http://up.test",
                         timeout=Timeouts(first_byte=0.05))
    with pytest.raises(BackendFailure) as info:
        await via("chat", AnthropicBackend("c", conf, None, Hang()), CHAT, False)
    assert (info.value.kind, info.value.status) == ("timeout", 504)


async def test_total_timeout_reading_the_body() -> None:
    b, _ = backend(lambda r: httpx.Response(200, stream=Body([b"{"], end="stall")), total=0.05)
    with pytest.raises(BackendFailure) as info:
        await via("chat", b, CHAT, False)
    assert (info.value.kind, info.value.status) == ("timeout", 504)


@pytest.mark.parametrize(("endpoint", "body"), [
    ("embeddings", {"model": "m", "input": "x"}),
    ("completions", {"model": "m", "prompt": "x"}),
    ("chat", {**CHAT, "n": 2}),
])
async def test_unsupported_requests_fail_before_any_network(endpoint: Endpoint, body: dict[str, Any]) -> None:
    b, seen = backend(lambda r: httpx.Response(200, json=MESSAGE))
    with pytest.raises(BackendFailure) as info:
        await via(endpoint, b, body, False)
    assert (info.value.kind, info.value.status, info.value.retryable, seen) == ("unsupported", 400, False, [])
    with pytest.raises(BackendFailure) as info:
        await b.send(UpstreamCall("chat", CHAT, False))  # the adapter speaks Messages only
    assert info.value.kind == "unsupported" and seen == []
