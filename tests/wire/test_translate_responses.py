
"""Responses and streams, both directions, checked against the official SDKs' own models."""

from __future__ import annotations

from typing import Any

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import TypeAdapter

from gateway.errors import GatewayError, RateLimited, UpstreamError
from gateway.wire import (
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
    to_anthropic_response,
    to_openai_response,
)

EVENT = TypeAdapter(RawMessageStreamEvent)

ANTHROPIC_MESSAGE: dict[str, Any] = {
    "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
    "content": [
        {"type": "thinking", "thinking": "let me see", "signature": "sig"},
        {"type": "text", "text": "Checking "},
        {"type": "text", "text": "the weather."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris", "days": 2}},
    ],
    "stop_reason": "tool_use", "stop_sequence": None,
    "usage": {"input_tokens": 20, "output_tokens": 15, "cache_read_input_tokens": 100,
              "cache_creation_input_tokens": 5},
}


def test_anthropic_message_to_chat_completion() -> None:
    Message.model_validate(ANTHROPIC_MESSAGE)
    out = to_openai_response(ANTHROPIC_MESSAGE, model="claude", created=123)
    completion = ChatCompletion.model_validate(out)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Checking the weather."
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == (
        "toolu_1", "get_weather", '{"city":"Paris","days":2}')
    assert out["choices"][0]["message"]["reasoning_content"] == "let me see"
    assert completion.model == "claude" and completion.created == 123
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens,
            completion.usage.total_tokens) == (125, 15, 140)
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 100


@pytest.mark.parametrize(("stop", "finish"), [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
    ("refusal", "content_filter"), ("pause_turn", "stop"), (None, "stop"),
])
def test_finish_reason_mapping(stop: str | None, finish: str) -> None:
    msg = {**ANTHROPIC_MESSAGE, "content": [{"type": "text", "text": "x"}], "stop_reason": stop}
    out = ChatCompletion.model_validate(to_openai_response(msg))
    assert out.choices[0].finish_reason == finish
    assert out.model == "claude-sonnet-4-5"


def test_chat_completion_to_anthropic_message() -> None:
    completion = {
        "id": "chatcmpl-9", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None, "message": {
            "role": "assistant", "content": "Sure.", "refusal": None, "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}},
                {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": "not json"}}]}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 7, "total_tokens": 57,
                  "prompt_tokens_details": {"cached_tokens": 30}},
    }
    ChatCompletion.model_validate(completion)
    out = to_anthropic_response(completion, model="claude")
    msg = Message.model_validate(out)
    assert msg.id == "msg_chatcmpl-9" and msg.model == "claude" and msg.stop_reason == "tool_use"
    assert [b.type for b in msg.content] == ["text", "tool_use", "tool_use"]
    assert out["content"][1]["input"] == {"x": 1}
    assert out["content"][2]["input"] == {"_raw": "not json"}
    assert (msg.usage.input_tokens, msg.usage.output_tokens, msg.usage.cache_read_input_tokens) == (20, 7, 30)


@pytest.mark.parametrize(("finish", "stop"), [
    ("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"),
    ("content_filter", "refusal"), (None, "end_turn")])
def test_stop_reason_mapping(finish: str | None, stop: str) -> None:
    completion = {"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": finish,
                                                        "message": {"role": "assistant", "content": "hi"}}]}
    assert Message.model_validate(to_anthropic_response(completion)).stop_reason == stop


def test_chat_completion_without_choices_is_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        to_anthropic_response({"id": "x", "choices": []})


# ---------- Anthropic stream -> OpenAI chunks ----------

def split(s: str, n: int) -> list[str]:
    return [s[i:i + n] for i in range(0, len(s), n)]


def anthropic_stream_events(args: str = '{"city": "Paris", "unit": "celsius"}') -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 30, "output_tokens": 1, "cache_read_input_tokens": 10}}},
        {"type": "ping"},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "",
                                                                      "signature": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "s"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Let me "}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "check."}},
        {"type": "content_block_stop", "index": 1},
    ]
    for block, (tid, city) in enumerate([("toolu_a", args), ("toolu_b", '{"city": "Oslo"}')], start=2):
        events.append({"type": "content_block_start", "index": block, "content_block": {
            "type": "tool_use", "id": tid, "name": "get_weather", "input": {}}})
        events.append({"type": "content_block_delta", "index": block,
                       "delta": {"type": "input_json_delta", "partial_json": ""}})
        events.extend({"type": "content_block_delta", "index": block,
                       "delta": {"type": "input_json_delta", "partial_json": frag}} for frag in split(city, 3))
        events.append({"type": "content_block_stop", "index": block})
    events += [
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"output_tokens": 42}},
        {"type": "message_stop"},
    ]
    for e in events:
        if e["type"] != "ping":  # the SDK drops pings before validation
            EVENT.validate_python(e)  # the fixture itself is real Anthropic wire format
    return events


def run_anthropic_stream(events: list[dict[str, Any]], include_usage: bool) -> list[dict[str, Any]]:
    tr = AnthropicToOpenAIStream(model="claude", include_usage=include_usage, created=5)
    chunks = [c for e in events for c in tr.feed(e["type"], e)]
    assert tr.finish() == []
    return chunks


def test_anthropic_stream_to_openai_chunks_with_usage() -> None:
    chunks = run_anthropic_stream(anthropic_stream_events(), include_usage=True)
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for c in chunks:
        parsed = ChatCompletionChunk.model_validate(c)
        list(state.handle_chunk(parsed))
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["id"] == chunks[0]["id"] and c["model"] == "claude" for c in chunks)
    assert all("usage" in c for c in chunks)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 40
    assert chunks[-1]["usage"]["completion_tokens"] == 42
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    final = state.get_final_completion()
    msg = final.choices[0].message
    assert msg.content == "Let me check."
    assert msg.tool_calls is not None
    assert [(t.id, t.function.name, t.function.arguments) for t in msg.tool_calls] == [
        ("toolu_a", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
        ("toolu_b", "get_weather", '{"city": "Oslo"}')]
    first_tool = next(c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("tool_calls"))
    assert first_tool["choices"][0]["delta"]["tool_calls"][0] == {
        "index": 0, "id": "toolu_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    thinking = [c["choices"][0]["delta"].get("reasoning_content") for c in chunks if c["choices"]]
    assert "hmm" in thinking


def test_anthropic_stream_without_usage_has_no_usage_chunk() -> None:
    chunks = run_anthropic_stream(anthropic_stream_events(), include_usage=False)
    assert all("usage" not in c and c["choices"] for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_anthropic_stream_error_event_raises_mapped_error() -> None:
    tr = AnthropicToOpenAIStream(model="m")
    tr.feed("message_start", anthropic_stream_events()[0])
    err = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded: secret text"}}
    EVENT.validate_python(anthropic_stream_events()[0])
    with pytest.raises(GatewayError) as info:
        tr.feed("error", err)
    assert info.value.to_openai()["error"]["code"] == "upstream_overloaded_error"  # type: ignore[index]
    assert "secret" not in info.value.message
    with pytest.raises(RateLimited):
        tr.feed("error", {"type": "error", "error": {"type": "rate_limit_error", "message": "x"}})


def test_anthropic_stream_cut_before_message_stop() -> None:
    tr = AnthropicToOpenAIStream(model="m")
    for e in anthropic_stream_events()[:8]:
        tr.feed(e["type"], e)
    with pytest.raises(UpstreamError):
        tr.finish()


def test_anthropic_stream_text_only_stop_sequence() -> None:
    events = [anthropic_stream_events()[0],
              {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
              {"type": "content_block_stop", "index": 0},
              {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 1}},
              {"type": "message_stop"}]
    chunks = run_anthropic_stream(events, include_usage=False)
    assert [c["choices"][0]["delta"] for c in chunks] == [{"role": "assistant", "content": ""},
                                                          {"content": "Hi"}, {}]
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


# ---------- OpenAI chunks -> Anthropic stream ----------

def openai_chunks(args: str = '{"city":"Paris","unit":"celsius"}') -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}

    def c(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": None}

    chunks = [c({"role": "assistant", "content": ""}), c({"content": "Let me "}), c({"content": "check."})]
    chunks.append(c({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                                     "function": {"name": "get_weather", "arguments": ""}}]}))
    chunks += [c({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}) for f in split(args, 4)]
    chunks.append(c({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                                     "function": {"name": "get_time", "arguments": '{"tz":'}}]}))
    chunks.append(c({"tool_calls": [{"index": 1, "function": {"arguments": '"UTC"}'}}]}))
    chunks.append(c({}, "tool_calls"))
    chunks.append({**base, "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 9,
                                                    "total_tokens": 21}})
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    return chunks


def accumulate(events: list[tuple[str, dict[str, Any]]]) -> Message:
    snapshot = None
    bufs: dict[int, bytes] = {}
    for name, data in events:
        assert name == data["type"]
        event = EVENT.validate_python(data)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    assert snapshot is not None
    return snapshot


def test_openai_chunks_to_anthropic_events() -> None:
    tr = OpenAIToAnthropicStream(model="claude", input_tokens=11)
    events = [e for chunk in openai_chunks() for e in tr.feed(chunk)] + tr.finish()
    assert tr.finish() == [] and tr.feed(openai_chunks()[0]) == []
    names = [n for n, _ in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert events[0][1]["message"]["usage"] == {"input_tokens": 11, "output_tokens": 0}
    assert names.count("content_block_start") == names.count("content_block_stop") == 3
    msg = accumulate(events)
    assert msg.id == "msg_chatcmpl-1" and msg.stop_reason == "tool_use"
    assert [b.type for b in msg.content] == ["text", "tool_use", "tool_use"]
    assert msg.content[0].text == "Let me check."  # type: ignore[union-attr]
    assert msg.content[1].input == {"city": "Paris", "unit": "celsius"}  # type: ignore[union-attr]
    assert (msg.content[2].id, msg.content[2].input) == ("call_b", {"tz": "UTC"})  # type: ignore[union-attr]
    assert msg.usage.output_tokens == 9
    assert events[-2][1]["usage"] == {"input_tokens": 12, "output_tokens": 9}


def test_openai_stream_error_chunk_becomes_error_event() -> None:
    tr = OpenAIToAnthropicStream(model="claude")
    tr.feed(openai_chunks()[1])
    out = tr.feed({"error": {"message": "prompt: my secret", "type": "server_error", "code": None}})
    assert [n for n, _ in out] == ["error"]
    assert out[0][1]["error"]["type"] == "api_error" and "secret" not in out[0][1]["error"]["message"]
    assert tr.done and tr.finish() == []


def test_openai_stream_empty_then_finish() -> None:
    tr = OpenAIToAnthropicStream(model="claude", message_id="msg_x")
    events = tr.finish()
    assert [n for n, _ in events] == ["message_start", "message_delta", "message_stop"]
    assert accumulate(events).stop_reason == "end_turn"


def test_stream_round_trip_anthropic_openai_anthropic() -> None:
    a2o = AnthropicToOpenAIStream(model="gpt", include_usage=True)
    o2a = OpenAIToAnthropicStream(model="claude")
    out: list[tuple[str, dict[str, Any]]] = []
    for e in anthropic_stream_events():
        for chunk in a2o.feed(e["type"], e):
            out.extend(o2a.feed(chunk))
    out.extend(o2a.finish())
    msg = accumulate(out)
    assert [b.type for b in msg.content] == ["text", "tool_use", "tool_use"]
    assert msg.content[1].input == {"city": "Paris", "unit": "celsius"}  # type: ignore[union-attr]
    assert msg.stop_reason == "tool_use" and msg.usage.output_tokens == 42
    assert msg.usage.input_tokens == 30 and msg.usage.cache_read_input_tokens == 10
