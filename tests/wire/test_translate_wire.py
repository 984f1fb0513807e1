"""Real bytes from the fake servers, through the SSE parser and the stream translators, accepted by
the other side's SDK accumulator: the whole pure pipeline on the actual wire format."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import RawMessageStreamEvent
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk
from pydantic import TypeAdapter

from gateway.wire import (
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
    to_anthropic_request,
    to_openai_request,
)
from gateway.wire.sse import DONE, SSEParser, format_json_event
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


def test_openai_client_to_anthropic_upstream_stream() -> None:
    fake = FakeAnthropic(tool_input={"city": "Zürich", "days": [1, 2, 3]})
    chat = {"model": "claude", "messages": [{"role": "user", "content": "weather?"}], "tools": TOOLS,
            "stream": True, "stream_options": {"include_usage": True}}
    tr = AnthropicToOpenAIStream(model="claude", include_usage=True)
    parser = SSEParser()
    out = b""
    with serve(fake.app) as url, httpx.stream(
            "POST", url + "/v1/messages", json=to_anthropic_request(chat, "claude-sonnet-4-5"),
            headers={"x-api-key": fake.api_key, "anthropic-version": "2023-06-01"}) as r:
        for raw in r.iter_raw(7):  # tiny reads: events split across chunks
            for ev in parser.feed(raw):
                out += b"".join(format_json_event(c) for c in tr.feed(ev.event, ev.json()))
    tr.finish()
    out += DONE
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    client_parser = SSEParser()
    for ev in client_parser.feed(out):
        if ev.data != "[DONE]":
            list(state.handle_chunk(ChatCompletionChunk.model_validate(ev.json())))
    final = state.get_final_completion()
    assert final.choices[0].finish_reason == "tool_calls"
    call = final.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert orjson.loads(call.function.arguments) == {"city": "Zürich", "days": [1, 2, 3]}  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.completion_tokens > 0


def test_anthropic_client_to_openai_upstream_stream() -> None:
    fake = FakeOpenAI()
    body = {"model": "claude", "max_tokens": 64, "stream": True,
            "messages": [{"role": "user", "content": "hello"}]}
    tr = OpenAIToAnthropicStream(model="claude", input_tokens=3)
    events: list[tuple[str, dict[str, Any]]] = []
    parser = SSEParser()
    with serve(fake.app) as url, httpx.stream(
            "POST", url + "/v1/chat/completions", json=to_openai_request(body, "gpt-4o"),
            headers={"authorization": f"Bearer {fake.api_key}"}) as r:
        for raw in r.iter_raw(5):
            for ev in parser.feed(raw):
                events.extend(tr.finish() if ev.data == "[DONE]" else tr.feed(ev.json()))
    assert fake.last.body["stream_options"] == {"include_usage": True}
    adapter = TypeAdapter(RawMessageStreamEvent)
    snapshot = None
    bufs: dict[int, bytes] = {}
    for _name, data in events:
        event = adapter.validate_python(data)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    assert snapshot is not None
    assert snapshot.content[0].text == fake.reply  # type: ignore[union-attr]
    assert snapshot.stop_reason == "end_turn" and snapshot.usage.output_tokens == len(fake.reply.split())
