"""Streams of every client format restored event by event: a placeholder split across deltas at
every position, tool-call arguments, several choices and blocks, what waits given back before
the text ends, the network cutting events at any byte, sequence numbers kept consecutive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from gateway.redact import Restorer
from gateway.redact.events import ChatEvents, EventRestorer, MessagesEvents, ResponsesEvents, restore_stream

R = Restorer({"PERSON_1": "Anna Petrova", "PERSON_12": "Иван \"Ваня\" Петров", "EMAIL_ADDRESS_2": "a.p@example.com"})
TEXT = "Dear [PERSON_12], [PERSON_1] (EMAIL_ADDRESS_2) wrote."
RESTORED = R.text(TEXT)
ARGS = '{"to": "[EMAIL_ADDRESS_2]", "name": "[PERSON_12]"}'


def sse(events: list[tuple[str | None, Any]]) -> bytes:
    out = b""
    for name, data in events:
        head = f"event: {name}\n".encode() if name else b""
        body = data if isinstance(data, bytes) else orjson.dumps(data)
        out += head + b"data: " + body + b"\n\n"
    return out


def run(raw: bytes, handler: EventRestorer, cut_every: int = 0) -> list[tuple[str | None, Any]]:
    async def chunks() -> AsyncIterator[bytes]:
        if cut_every:
            for i in range(0, len(raw), cut_every):
                yield raw[i:i + cut_every]
        else:
            yield raw

    async def collect() -> bytes:
        return b"".join([c async for c in restore_stream(chunks(), handler)])

    out = asyncio.run(collect())
    events: list[tuple[str | None, Any]] = []
    for block in out.split(b"\n\n"):
        if not block.strip():
            continue
        name = None
        data = b""
        for line in block.split(b"\n"):
            if line.startswith(b"event: "):
                name = line[7:].decode()
            elif line.startswith(b"data: "):
                data = line[6:]
        events.append((name, data.decode() if data == b"[DONE]" else orjson.loads(data)))
    return events


def chat_chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}


def chat_text(events: list[tuple[str | None, Any]], index: int = 0) -> str:
    return "".join(c["delta"].get("content") or "" for _, e in events if isinstance(e, dict)
                   for c in e.get("choices", []) if c["index"] == index)


def chat_args(events: list[tuple[str | None, Any]]) -> dict[int, str]:
    out: dict[int, str] = {}
    for _, e in events:
        for c in e.get("choices", []) if isinstance(e, dict) else []:
            for call in c["delta"].get("tool_calls") or []:
                out[call["index"]] = out.get(call["index"], "") + (call.get("function", {}).get("arguments") or "")
    return out


@pytest.mark.parametrize("cut", range(len(TEXT) + 1))
def test_chat_content_split_at_every_position(cut: int) -> None:
    raw = sse([(None, chat_chunk({"role": "assistant", "content": ""})),
               (None, chat_chunk({"content": TEXT[:cut]})), (None, chat_chunk({"content": TEXT[cut:]})),
               (None, chat_chunk({}, "stop")), (None, b"[DONE]")])
    events = run(raw, ChatEvents(R))
    assert chat_text(events) == RESTORED
    assert events[-1] == (None, "[DONE]")


@pytest.mark.parametrize("cut", range(0, len(ARGS) + 1, 3))
def test_chat_tool_call_arguments_split_anywhere(cut: int) -> None:
    raw = sse([(None, chat_chunk({"role": "assistant", "tool_calls": [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "send", "arguments": ""}}]})),
        (None, chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": ARGS[:cut]}}]})),
        (None, chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": ARGS[cut:]}}]})),
        (None, chat_chunk({}, "tool_calls")), (None, b"[DONE]")])
    args = chat_args(run(raw, ChatEvents(R)))
    assert orjson.loads(args[0]) == {"to": "a.p@example.com", "name": "Иван \"Ваня\" Петров"}


def test_chat_two_choices_and_a_stream_that_ends_without_finish() -> None:
    raw = sse([(None, chat_chunk({"content": "Hi [PERSON_"}, index=0)),
               (None, chat_chunk({"content": "[PERS"}, index=1)),
               (None, chat_chunk({"content": "1]"}, index=0)), (None, chat_chunk({"content": "ON_12"}, index=1)),
               (None, b"[DONE]")])
    events = run(raw, ChatEvents(R))
    assert chat_text(events, 0) == "Hi Anna Petrova"
    assert chat_text(events, 1) == "Иван \"Ваня\" Петров"  # given back before [DONE]
    assert events[-1] == (None, "[DONE]")


def test_completions_text() -> None:
    raw = sse([(None, {"id": "x", "object": "text_completion", "choices": [{"index": 0, "text": "To [PER"}]}),
               (None, {"id": "x", "object": "text_completion", "choices": [{"index": 0, "text": "SON_1]",
                                                                             "finish_reason": "stop"}]}),
               (None, b"[DONE]")])
    events = run(raw, ChatEvents(R))
    assert "".join(c["text"] for _, e in events if isinstance(e, dict) for c in e["choices"]) == "To Anna Petrova"


@pytest.mark.parametrize("every", [1, 2, 7, 64])
def test_events_cut_by_the_network_at_any_byte(every: int) -> None:
    raw = sse([(None, chat_chunk({"content": "Привет, [PERSON"})), (None, chat_chunk({"content": "_12]!"})),
               (None, chat_chunk({}, "stop")), (None, b"[DONE]")])
    assert chat_text(run(raw, ChatEvents(R), cut_every=every)) == "Привет, Иван \"Ваня\" Петров!"


def anthropic(deltas: list[str], kind: str = "text_delta", field: str = "text") -> bytes:
    start_block: dict[str, Any] = ({"type": "text", "text": ""} if kind == "text_delta" else
                                   {"type": "tool_use", "id": "t", "name": "send", "input": {}})
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": {"id": "m", "type": "message", "role": "assistant",
                                                                 "content": [], "model": "claude", "usage": {}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": start_block})]
    events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                        "delta": {"type": kind, field: d}}) for d in deltas]
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}}),
               ("message_stop", {"type": "message_stop"})]
    return sse(events)


@pytest.mark.parametrize("cut", range(len(TEXT) + 1))
def test_messages_text_split_at_every_position(cut: int) -> None:
    events = run(anthropic([TEXT[:cut], TEXT[cut:]]), MessagesEvents(R))
    text = "".join(e["delta"]["text"] for n, e in events if n == "content_block_delta")
    assert text == RESTORED
    stop = next(i for i, (n, _) in enumerate(events) if n == "content_block_stop")
    assert all(n != "content_block_delta" for n, _ in events[stop:])  # all given back before the stop


@pytest.mark.parametrize("cut", range(0, len(ARGS) + 1, 4))
def test_messages_tool_input_json(cut: int) -> None:
    events = run(anthropic([ARGS[:cut], ARGS[cut:]], "input_json_delta", "partial_json"), MessagesEvents(R))
    text = "".join(e["delta"]["partial_json"] for n, e in events if n == "content_block_delta")
    assert orjson.loads(text) == {"to": "a.p@example.com", "name": "Иван \"Ваня\" Петров"}


def responses(deltas: list[str], kind: str = "output_text") -> bytes:
    seq = iter(range(100))
    events: list[tuple[str | None, Any]] = [
        ("response.created", {"type": "response.created", "sequence_number": next(seq),
                              "response": {"id": "r", "object": "response", "status": "in_progress", "output": []}})]
    base = f"response.{kind}"
    for d in deltas:
        events.append((f"{base}.delta", {"type": f"{base}.delta", "sequence_number": next(seq), "item_id": "i",
                                         "output_index": 0, "content_index": 0, "delta": d}))
    whole = "".join(deltas)
    field = "text" if kind == "output_text" else "arguments"
    events.append((f"{base}.done", {"type": f"{base}.done", "sequence_number": next(seq), "item_id": "i",
                                    "output_index": 0, "content_index": 0, field: whole}))
    item = ({"type": "message", "id": "i", "role": "assistant", "content": [{"type": "output_text", "text": whole}]}
            if kind == "output_text" else {"type": "function_call", "id": "i", "call_id": "c", "name": "f",
                                           "arguments": whole})
    events.append(("response.completed", {"type": "response.completed", "sequence_number": next(seq),
                                          "response": {"id": "r", "object": "response", "status": "completed",
                                                       "output": [item]}}))
    return sse(events)


@pytest.mark.parametrize("cut", range(len(TEXT) + 1))
def test_responses_output_text_split_at_every_position(cut: int) -> None:
    events = run(responses([TEXT[:cut], TEXT[cut:]]), ResponsesEvents(R))
    deltas = "".join(e["delta"] for n, e in events if n == "response.output_text.delta")
    assert deltas == RESTORED
    done = next(e for n, e in events if n == "response.output_text.done")
    assert done["text"] == RESTORED
    final = next(e for n, e in events if n == "response.completed")
    assert final["response"]["output"][0]["content"][0]["text"] == RESTORED
    assert [e["sequence_number"] for _, e in events] == list(range(len(events)))


def test_responses_function_call_arguments() -> None:
    events = run(responses([ARGS[:17], ARGS[17:29], ARGS[29:]], "function_call_arguments"), ResponsesEvents(R))
    deltas = "".join(e["delta"] for n, e in events if n == "response.function_call_arguments.delta")
    expected = {"to": "a.p@example.com", "name": "Иван \"Ваня\" Петров"}
    assert orjson.loads(deltas) == expected
    done = next(e for n, e in events if n == "response.function_call_arguments.done")
    assert orjson.loads(done["arguments"]) == expected
    final = next(e for n, e in events if n == "response.completed")
    assert orjson.loads(final["response"]["output"][0]["arguments"]) == expected
