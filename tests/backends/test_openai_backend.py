"""The OpenAI-compatible adapter over httpx.MockTransport: URLs, auth headers, error mapping."""

import asyncio

import httpx
import orjson
import pytest

from gateway.backends.base import UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.openai import OpenAIBackend
from gateway.config import BackendConfig, Timeouts
from gateway.errors import BackendFailure, StreamBroken

CHAT = {"model": "up-model", "messages": [{"role": "user", "content": "hi"}], "seed": 7, "x_vendor": {"a": 1}}


def backend(handler, **cfg) -> tuple[OpenAIBackend, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    conf = BackendConfig(type="openai", zone="cloud", base_url="http://up.test/v1", **cfg)
    return OpenAIBackend("b", conf, "sk-up", httpx.MockTransport(record)), seen


async def test_forwards_body_unchanged_with_bearer_key() -> None:
    b, seen = backend(lambda r: httpx.Response(200, json={"id": "x", "choices": []}))
    reply = await b.send(UpstreamCall("chat", CHAT, False))
    assert isinstance(reply, UpstreamReply) and orjson.loads(reply.body) == {"id": "x", "choices": []}
    assert str(seen[0].url) == "http://up.test/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer sk-up"
    assert orjson.loads(seen[0].content) == CHAT


async def test_azure_url_shape_and_api_key_header() -> None:
    b, seen = backend(lambda r: httpx.Response(200, json={}), azure_api_version="2024-10-21")
    await b.send(UpstreamCall("embeddings", {"model": "my-deploy", "input": "x"}, False))
    assert str(seen[0].url) == "http://up.test/v1/openai/deployments/my-deploy/embeddings?api-version=2024-10-21"
    assert seen[0].headers["api-key"] == "sk-up" and "authorization" not in seen[0].headers
    assert "model" not in orjson.loads(seen[0].content)


@pytest.mark.parametrize("status,expect_status,retryable", [
    (400, 400, False), (404, 404, False), (401, 502, True), (429, 429, True), (500, 502, True), (503, 502, True),
])
async def test_status_mapping(status: int, expect_status: int, retryable: bool) -> None:
    err = {"error": {"message": "upstream says no", "type": "invalid_request_error", "code": "x", "param": None}}
    b, _ = backend(lambda r: httpx.Response(status, json=err, headers={"retry-after": "2"}))
    with pytest.raises(BackendFailure) as info:
        await b.send(UpstreamCall("chat", CHAT, False))
    f = info.value
    assert (f.status, f.retryable) == (expect_status, retryable)
    if status not in (401,):
        assert f.body == err  # a valid upstream error body is passed on
    if status == 429:
        assert f.retry_after == 2


async def test_garbage_body_is_a_protocol_failure() -> None:
    b, _ = backend(lambda r: httpx.Response(200, content=b"<html>oops"))
    with pytest.raises(BackendFailure) as info:
        await b.send(UpstreamCall("chat", CHAT, False))
    assert info.value.kind == "protocol" and info.value.status == 502


async def test_connection_refused_maps_to_502() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    b, _ = backend(refuse)
    with pytest.raises(BackendFailure) as info:
        await b.send(UpstreamCall("chat", CHAT, False))
    assert (info.value.kind, info.value.status, info.value.retryable) == ("connect", 502, True)
    assert "refused" not in info.value.message or "sk-up" not in info.value.message


async def test_first_byte_timeout() -> None:
    class Hang(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(10)
            raise AssertionError

    conf = BackendConfig(type="openai", zone="cloud", base_url="http://up.test/v1",
                         timeout=Timeouts(first_byte=0.05))
    b = OpenAIBackend("b", conf, None, Hang())
    with pytest.raises(BackendFailure) as info:
        await b.send(UpstreamCall("chat", CHAT, False))
    assert (info.value.kind, info.value.status) == ("timeout", 504)


async def test_stream_relays_raw_bytes_and_times_out_when_idle() -> None:
    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield b'data: {"a":1}\n\n'
            await asyncio.sleep(10)
            yield b"data: [DONE]\n\n"

    conf = BackendConfig(type="openai", zone="cloud", base_url="http://up.test/v1", timeout=Timeouts(idle=0.05))
    transport = httpx.MockTransport(lambda r: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=Slow()))
    b = OpenAIBackend("b", conf, None, transport)
    result = await b.send(UpstreamCall("chat", {**CHAT, "stream": True}, True))
    assert isinstance(result, UpstreamStream)
    chunks = result.chunks
    assert await anext(chunks) == b'data: {"a":1}\n\n'
    with pytest.raises(StreamBroken) as info:
        await anext(chunks)
    assert info.value.kind == "timeout"
    await result.aclose()
