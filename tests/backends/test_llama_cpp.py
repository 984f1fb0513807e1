"""The embedded llama.cpp backend, through the real llama.cpp path on a tiny random GGUF.

Random weights make random text: these tests check shapes (objects, finish reasons, usage,
chunk by chunk, ``[DONE]``), queueing, cancellation and that the event loop stays free."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.backends.base import UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.llama_cpp import LlamaCppBackend
from gateway.backends.llama_params import generation_kwargs
from gateway.config import BackendConfig
from gateway.errors import BackendFailure

CHAT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say something."}]


def backend(path: Path, **cfg: Any) -> LlamaCppBackend:
    conf = BackendConfig.model_validate({"type": "llama_cpp", "zone": "local", "model_path": str(path),
                                         "n_ctx": 4096, "n_threads": 1, **cfg})
    return LlamaCppBackend("embedded", conf, path)


def chat(max_tokens: int, stream: bool = False, **extra: Any) -> UpstreamCall:
    body = {"model": "tiny", "messages": CHAT, "max_tokens": max_tokens, "stream": stream, **extra}
    return UpstreamCall("chat", body, stream)


def events(raw: list[bytes]) -> list[Any]:
    """Parse SSE data lines; ``[DONE]`` stays a string."""
    out: list[Any] = []
    for line in b"".join(raw).split(b"\n\n"):
        if line.startswith(b"data: "):
            data = line[6:]
            out.append(data.decode() if data == b"[DONE]" else orjson.loads(data))
    return out


async def collect(stream: UpstreamStream) -> list[bytes]:
    try:
        return [chunk async for chunk in stream.chunks]
    finally:
        await stream.aclose()


@pytest.fixture
async def llama(tiny_gguf: Path) -> Any:
    b = backend(tiny_gguf)
    await b.start()
    assert b.ready
    yield b
    await b.aclose()


async def test_chat_whole(llama: LlamaCppBackend) -> None:
    reply = await llama.send(chat(8))
    assert isinstance(reply, UpstreamReply) and reply.status == 200
    body = orjson.loads(reply.body)
    assert body["object"] == "chat.completion" and body["model"] == "tiny"
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
    assert choice["finish_reason"] == "length"
    usage = body["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] == 8
    assert usage["total_tokens"] == usage["prompt_tokens"] + 8


async def test_completions_whole(llama: LlamaCppBackend) -> None:
    body = {"model": "tiny", "prompt": "the local model", "max_tokens": 5, "temperature": 0.5, "seed": 7,
            "stop": ["zzz"], "unknown_field": {"ignored": True}}
    reply = await llama.send(UpstreamCall("completions", body, False))
    assert isinstance(reply, UpstreamReply)
    out = orjson.loads(reply.body)
    assert out["object"] == "text_completion" and isinstance(out["choices"][0]["text"], str)
    assert out["choices"][0]["finish_reason"] == "length"
    assert out["usage"]["prompt_tokens"] > 0 and out["usage"]["completion_tokens"] == 5


async def test_chat_stream_chunk_by_chunk_with_usage(llama: LlamaCppBackend) -> None:
    stream = await llama.send(chat(12, stream=True, stream_options={"include_usage": True}))
    assert isinstance(stream, UpstreamStream) and stream.status == 200
    raw = await collect(stream)
    assert raw[-1] == b"data: [DONE]\n\n"
    evs = events(raw)
    assert len(raw) == len(evs) >= 12  # one SSE event per chunk, as generated
    chunks, usage, done = evs[:-2], evs[-2], evs[-1]
    assert done == "[DONE]"
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"].get("role") == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 12
    assert usage["usage"]["prompt_tokens"] > 0


async def test_completions_stream_without_usage(llama: LlamaCppBackend) -> None:
    stream = await llama.send(UpstreamCall("completions", {"model": "tiny", "prompt": "hi", "max_tokens": 4}, True))
    assert isinstance(stream, UpstreamStream)
    evs = events(await collect(stream))
    assert evs[-1] == "[DONE]" and all("usage" not in e or e["usage"] is None for e in evs[:-1])
    assert all(e["object"] == "text_completion" for e in evs[:-1])


async def test_queue_full_fails_at_once_and_disconnect_frees_the_slot(tiny_gguf: Path) -> None:
    b = backend(tiny_gguf, queue_size=0)
    try:
        first = await b.send(chat(3000, stream=True))
        assert isinstance(first, UpstreamStream)
        await anext(first.chunks)
        t = time.perf_counter()
        with pytest.raises(BackendFailure) as full:
            await b.send(chat(4))
        assert full.value.kind == "queue_full" and full.value.status == 429 and full.value.retryable
        assert time.perf_counter() - t < 0.5
        await first.aclose()  # the client went away
        reply = await asyncio.wait_for(b.send(chat(4)), timeout=10)
        assert isinstance(reply, UpstreamReply)
        assert b.worker.admitted == 0
    finally:
        await b.aclose()


async def test_cancelled_whole_request_stops_generation(tiny_gguf: Path) -> None:
    b = backend(tiny_gguf, queue_size=1)
    try:
        await b.start()
        long = asyncio.create_task(b.send(chat(3500)))
        await asyncio.sleep(0.3)
        assert b.worker.admitted == 1
        long.cancel()
        with pytest.raises(asyncio.CancelledError):
            await long
        t = time.perf_counter()
        reply = await asyncio.wait_for(b.send(chat(3)), timeout=10)
        assert isinstance(reply, UpstreamReply)
        assert time.perf_counter() - t < 2.0  # not after the 3500 tokens of the cancelled one
    finally:
        await b.aclose()


async def test_waiting_request_runs_after_the_running_one(llama: LlamaCppBackend) -> None:
    replies = await asyncio.gather(llama.send(chat(20)), llama.send(chat(20)), llama.send(chat(20)))
    assert all(isinstance(r, UpstreamReply) and r.status == 200 for r in replies)


async def test_event_loop_stays_responsive_during_generation(llama: LlamaCppBackend) -> None:
    task = asyncio.create_task(llama.send(chat(1500)))
    worst = 0.0
    while not task.done():
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        worst = max(worst, time.perf_counter() - t - 0.01)
    await task
    assert worst < 0.2


async def test_embeddings_need_embedding_mode(llama: LlamaCppBackend) -> None:
    with pytest.raises(BackendFailure) as failure:
        await llama.send(UpstreamCall("embeddings", {"model": "tiny", "input": "hi"}, False))
    assert failure.value.kind == "unsupported" and failure.value.status == 400


async def test_embeddings_in_embedding_mode(tiny_gguf: Path) -> None:
    b = backend(tiny_gguf, embedding=True)
    try:
        reply = await b.send(UpstreamCall("embeddings", {"model": "tiny", "input": ["one", "two"]}, False))
        assert isinstance(reply, UpstreamReply)
        body = orjson.loads(reply.body)
        assert [d["index"] for d in body["data"]] == [0, 1]
        assert body["usage"]["prompt_tokens"] > 0
    finally:
        await b.aclose()


async def test_missing_model_is_unavailable(tmp_path: Path) -> None:
    b = backend(tmp_path / "nope.gguf")
    try:
        with pytest.raises(BackendFailure) as failure:
            await b.send(chat(2))
        assert failure.value.kind == "unavailable" and failure.value.status == 503
        assert "Say something" not in failure.value.message
    finally:
        await b.aclose()


def test_parameter_mapping() -> None:
    kw = generation_kwargs("b", "chat", {"model": "m", "messages": CHAT, "max_completion_tokens": 9,
                                         "max_tokens": 3, "temperature": 0.1, "top_p": None,
                                         "logit_bias": {"5": -100}, "tools": [], "whatever": 1})
    assert kw == {"model": "m", "messages": CHAT, "max_tokens": 9, "temperature": 0.1, "logit_bias": {5: -100.0},
                  "tools": []}
    with pytest.raises(BackendFailure):
        generation_kwargs("b", "chat", {"messages": CHAT, "n": 2})
    with pytest.raises(BackendFailure):
        generation_kwargs("b", "completions", {"prompt": ["a", "b"]})
    assert generation_kwargs("b", "completions", {"prompt": ["a"]})["prompt"] == "a"
