"""Event streams translated from one wire format to another, as byte streams.

Each function takes the raw SSE bytes of an upstream stream and yields the SSE bytes of the
client's format, one write per upstream network chunk (nothing is held back beyond what an
unfinished event needs). A stream that breaks (an event that is not JSON, an error the
translator maps, a stream that ends before it is complete) raises
:class:`~gateway.errors.StreamBroken`; the relay then ends the client's stream with an error
event of the client's format.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import orjson

from gateway.errors import GatewayError, StreamBroken

from .anthropic_stream import AnthropicToOpenAIStream
from .openai_stream import OpenAIToAnthropicStream
from .responses_stream import ChatToResponsesStream, responses_sse
from .sse import DONE, SSEEvent, SSEParser, format_json_event

Chunks = AsyncIterator[bytes]
Out = AsyncGenerator[bytes, None]


def _json(event: SSEEvent) -> dict[str, Any]:
    try:
        data = orjson.loads(event.data)
    except orjson.JSONDecodeError:
        raise StreamBroken("the backend sent an event that is not JSON", "protocol") from None
    if not isinstance(data, dict):
        raise StreamBroken("the backend sent an event that is not a JSON object", "protocol")
    return data


async def anthropic_to_chat(chunks: Chunks, *, model: str, include_usage: bool) -> Out:
    """Anthropic Messages events -> OpenAI ``chat.completion.chunk`` events and ``[DONE]``."""
    parser = SSEParser()
    tr = AnthropicToOpenAIStream(model=model, include_usage=include_usage)

    seen = False

    def translate(events: list[SSEEvent]) -> bytes:
        nonlocal seen
        seen = seen or bool(events)
        out: list[bytes] = []
        for ev in events:
            try:
                out.extend(format_json_event(c) for c in tr.feed(ev.event, _json(ev)))
            except GatewayError as exc:
                raise StreamBroken(exc.message, "stream_error") from None
        return b"".join(out)

    async for raw in chunks:
        out = translate(parser.feed(raw))
        if tr.done:
            yield out + DONE
            return
        if out:
            yield out
    tail = translate(parser.close())
    if not tr.done:
        if not seen:
            raise StreamBroken("the upstream sent no events", "protocol")
        raise StreamBroken("the upstream stream ended before the message was complete", "truncated")
    yield tail + DONE


async def chat_to_anthropic(chunks: Chunks, *, model: str, input_tokens: int = 0) -> Out:
    """OpenAI ``chat.completion.chunk`` events -> Anthropic Messages events (named)."""
    parser = SSEParser()
    tr = OpenAIToAnthropicStream(model=model, input_tokens=input_tokens)
    async for raw in chunks:
        out: list[bytes] = []
        finished = False
        for ev in parser.feed(raw):
            if ev.data == "[DONE]":
                out.extend(format_json_event(d, name) for name, d in tr.finish())
                finished = True
                break
            out.extend(format_json_event(d, name) for name, d in tr.feed(_json(ev)))
        if out:
            yield b"".join(out)
        if finished or tr.done:
            return


async def chat_to_responses(chunks: Chunks, *, model: str, request: dict[str, Any]) -> Out:
    """OpenAI ``chat.completion.chunk`` events -> the Responses API's typed events. A stream that
    ends without ``[DONE]`` raises (the relay ends it with an ``error`` event)."""
    parser = SSEParser()
    tr = ChatToResponsesStream(model=model, request=request)
    async for raw in chunks:
        events = []
        finished = False
        for ev in parser.feed(raw):
            if ev.data == "[DONE]":
                events.extend(tr.finish())
                finished = True
                break
            events.extend(tr.feed(_json(ev)))
        if events:
            yield responses_sse(events)
        if finished:
            return
    raise StreamBroken("the upstream stream ended before the answer was complete", "truncated")

