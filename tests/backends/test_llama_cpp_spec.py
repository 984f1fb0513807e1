"""The embedded llama.cpp backend's answers against OpenAI's official schemas (tests/spec_check.py):
chat answers carry ``refusal``, streams with ``include_usage`` say ``"usage": null`` on every chunk
but the last, embeddings are one pooled vector per input, in floats or base64 as asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson

from gateway.backends.base import UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.llama_cpp import LlamaCppBackend
from gateway.config import BackendConfig
from tests.spec_check import shared_specs

CHAT = [{"role": "user", "content": "Say something."}]
USAGE = {"stream_options": {"include_usage": True}}


@asynccontextmanager
async def llama(path: Path, **cfg: Any) -> AsyncIterator[LlamaCppBackend]:
    conf = BackendConfig.model_validate({"type": "llama_cpp", "zone": "local", "model_path": str(path),
                                         "n_ctx": 2048, "n_threads": 1, **cfg})
    backend = LlamaCppBackend("embedded", conf, path)
    await backend.start()
    try:
        yield backend
    finally:
        await backend.aclose()


async def whole(backend: LlamaCppBackend, endpoint: str, body: dict[str, Any]) -> Any:
    reply = await backend.send(UpstreamCall(endpoint, {"model": "tiny", **body}, False))  # type: ignore[arg-type]
    assert isinstance(reply, UpstreamReply) and reply.status == 200
    return orjson.loads(reply.body)


async def streamed(backend: LlamaCppBackend, endpoint: str, body: dict[str, Any]) -> bytes:
    stream = await backend.send(UpstreamCall(endpoint, {"model": "tiny", "stream": True, **body}, True))  # type: ignore[arg-type]
    assert isinstance(stream, UpstreamStream)
    try:
        return b"".join([chunk async for chunk in stream.chunks])
    finally:
        await stream.aclose()


async def test_what_already_meets_the_spec(tiny_gguf: Path) -> None:
    specs = shared_specs()
    async with llama(tiny_gguf) as backend:
        assert specs.openai_stream(await streamed(backend, "chat", {"messages": CHAT, "max_tokens": 4})) == []
        assert specs.openai_completion(await whole(backend, "completions", {"prompt": "hi", "max_tokens": 4})) == []
        raw = await streamed(backend, "completions", {"prompt": "hi", "max_tokens": 4})
        assert specs.openai_stream(raw, kind="completions") == []


async def test_chat_answer_carries_refusal(tiny_gguf: Path) -> None:
    async with llama(tiny_gguf) as backend:
        body = await whole(backend, "chat", {"messages": CHAT, "max_tokens": 4})
    assert shared_specs().openai_chat_completion(body) == []


async def test_include_usage_streams(tiny_gguf: Path) -> None:
    specs = shared_specs()
    async with llama(tiny_gguf) as backend:
        chat = await streamed(backend, "chat", {"messages": CHAT, "max_tokens": 4, **USAGE})
        text = await streamed(backend, "completions", {"prompt": "hi", "max_tokens": 4, **USAGE})
    assert specs.openai_stream(chat, include_usage=True) + specs.openai_stream(text, kind="completions",
                                                                                 include_usage=True) == []


async def test_embeddings(tiny_gguf: Path) -> None:
    specs = shared_specs()
    async with llama(tiny_gguf, embedding=True) as backend:
        floats = await whole(backend, "embeddings", {"input": ["one", "two"], "encoding_format": "float"})
        packed = await whole(backend, "embeddings", {"input": ["one", "two"], "encoding_format": "base64"})
    assert specs.openai_embeddings(floats, "float") + specs.openai_embeddings(packed, "base64") == []
