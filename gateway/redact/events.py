"""Restore the values in a stream of the client's format, event by event.

Each text that streams (a chat choice's content, refusal and each tool call's arguments; a
completions choice's text; an Anthropic content block; a Responses output text, refusal,
reasoning text or function-call arguments) goes through its own
:class:`~gateway.redact.restore.TextStream`, so a placeholder split across events, at any byte,
is restored whole, and only what could still be a placeholder waits. What waits is given back
before the text ends: in the chunk that finishes the choice, in a delta just before the
content block's or the Responses part's ``done`` event, and before ``[DONE]`` at the latest.
Whole objects in events (a content block's start, a finished item, the final response) are
restored as whole answers. Every JSON event is parsed and written again (a redacted request pays
for that); comments and ``[DONE]`` pass as they are.
"""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson

from gateway.redact.restore import Restorer, TextStream
from gateway.types import Endpoint
from gateway.wire.sse import event_fields

Chunks = AsyncIterator[bytes]
Event = tuple[bytes | None, Any]  # (event name, parsed data) or (None, raw bytes) to pass as is
_EVENT_END = re.compile(rb"\r?\n\r?\n")


class EventRestorer:
    """One stream's restoration: ``events`` for each parsed event, ``end`` when the stream ends."""

    def __init__(self, restorer: Restorer) -> None:
        self.restorer = restorer
        self.streams: dict[tuple[Any, ...], TextStream] = {}

    def text(self, key: tuple[Any, ...], delta: str, json_text: bool = False) -> str:
        stream = self.streams.get(key)
        if stream is None:
            stream = self.streams[key] = self.restorer.stream(json_text)
        return stream.feed(delta)

    def flush(self, key: tuple[Any, ...]) -> str:
        stream = self.streams.pop(key, None)
        return stream.flush() if stream is not None else ""

    def events(self, name: bytes | None, data: Any) -> list[tuple[bytes | None, Any]]:
        raise NotImplementedError

    def end(self) -> list[tuple[bytes | None, Any]]:
        """Events to send before the stream's end marker (or its end)."""
        return []


class ChatEvents(EventRestorer):
    """Chat and completions chunks: per choice, its content / refusal / text, and per tool call
    index its arguments (a JSON text)."""

    def __init__(self, restorer: Restorer) -> None:
        super().__init__(restorer)
        self._template: dict[str, Any] | None = None

    def events(self, name: bytes | None, data: Any) -> list[tuple[bytes | None, Any]]:
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list):
            return [*self.end(), (name, data)] if isinstance(data, dict) and "error" in data else [(name, data)]
        self._template = data
        for choice in choices:
            if isinstance(choice, dict):
                self._choice(choice)
        return [(name, data)]

    def _choice(self, choice: dict[str, Any]) -> None:
        i = choice.get("index", 0)
        finished = choice.get("finish_reason") is not None
        if isinstance(choice.get("text"), str):  # completions
            choice["text"] = self.text((i, "text"), choice["text"]) + (self.flush((i, "text")) if finished else "")
            return
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            if finished:
                delta = choice["delta"] = {}
            else:
                return
        for field in ("content", "refusal"):
            if isinstance(delta.get(field), str):
                delta[field] = self.text((i, field), delta[field])
        calls = delta.get("tool_calls")
        for call in calls if isinstance(calls, list) else ():
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                fn["arguments"] = self.text((i, "tool", call.get("index", 0)), fn["arguments"], json_text=True)
        if finished:
            self._finish(i, delta)

    def _finish(self, i: Any, delta: dict[str, Any]) -> None:
        """Give back what the choice's texts hold, in the chunk that finishes it."""
        for key in [k for k in self.streams if k[0] == i]:
            rest = self.flush(key)
            if not rest:
                continue
            if key[1] == "tool":
                calls = delta.setdefault("tool_calls", [])
                call = next((c for c in calls if isinstance(c, dict) and c.get("index", 0) == key[2]), None)
                if call is None:
                    call = {"index": key[2], "function": {"arguments": ""}}
                    calls.append(call)
                fn = call.setdefault("function", {})
                fn["arguments"] = (fn.get("arguments") or "") + rest
            elif key[1] == "text":
                pass  # completions finish in _choice
            else:
                delta[key[1]] = (delta.get(key[1]) or "") + rest

    def end(self) -> list[tuple[bytes | None, Any]]:
        if not self.streams or self._template is None:
            self.streams.clear()
            return []
        chunk = {k: v for k, v in self._template.items() if k not in ("choices", "usage")}
        choices: list[dict[str, Any]] = []
        for i in sorted({k[0] for k in self.streams}, key=str):
            if "text" in {k[1] for k in self.streams if k[0] == i}:
                choices.append({"index": i, "text": self.flush((i, "text")), "finish_reason": None})
                continue
            delta: dict[str, Any] = {}
            self._finish(i, delta)
            choices.append({"index": i, "delta": delta, "finish_reason": None})
        chunk["choices"] = choices
        return [(None, chunk)]


_ANTHROPIC_DELTA_FIELDS = {"text_delta": "text", "input_json_delta": "partial_json", "thinking_delta": "thinking"}


class MessagesEvents(EventRestorer):
    """Anthropic Messages events: per content block index, its text, thinking or partial JSON."""

    def __init__(self, restorer: Restorer) -> None:
        super().__init__(restorer)
        self._kinds: dict[Any, str] = {}  # block index -> delta type

    def events(self, name: bytes | None, data: Any) -> list[tuple[bytes | None, Any]]:
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "content_block_delta":
            delta = data.get("delta")
            field = _ANTHROPIC_DELTA_FIELDS.get(str(delta.get("type"))) if isinstance(delta, dict) else None
            if field is not None and isinstance(delta.get(field), str):
                index = data.get("index", 0)
                self._kinds[index] = delta["type"]
                delta[field] = self.text((index, field), delta[field], json_text=field == "partial_json")
            return [(name, data)]
        if kind == "content_block_stop":
            return [*self._give_back(data.get("index", 0)), (name, data)]
        if kind in ("message_delta", "message_stop", "error"):
            return [*self.end(), (name, data)]
        if kind in ("message_start", "content_block_start"):
            self.restorer.walk(data)
        return [(name, data)]

    def _give_back(self, index: Any) -> list[tuple[bytes | None, Any]]:
        out: list[tuple[bytes | None, Any]] = []
        for key in [k for k in self.streams if k[0] == index]:
            rest = self.flush(key)
            if rest:
                delta_type = self._kinds.get(index, "text_delta")
                out.append(
                    (
                        b"content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": {"type": delta_type, key[1]: rest}},
                    )
                )
        return out

    def end(self) -> list[tuple[bytes | None, Any]]:
        out: list[tuple[bytes | None, Any]] = []
        for index in sorted({k[0] for k in self.streams}, key=str):
            out.extend(self._give_back(index))
        return out


class ResponsesEvents(EventRestorer):
    """Responses events: every ``*.delta`` text (output text, refusal, reasoning, function-call
    arguments) by its output, content and summary index; its ``*.done`` event gets back what
    waits (as one more delta) and is restored whole, like items, parts and the final response.
    Sequence numbers are renumbered to stay consecutive."""

    def __init__(self, restorer: Restorer) -> None:
        super().__init__(restorer)
        self._last: dict[tuple[Any, ...], tuple[bytes | None, dict[str, Any]]] = {}
        self._sequence = 0

    def events(self, name: bytes | None, data: Any) -> list[tuple[bytes | None, Any]]:
        if not isinstance(data, dict):
            return [(name, data)]
        kind = data.get("type")
        out: list[tuple[bytes | None, Any]] = []
        if isinstance(kind, str) and kind.endswith(".delta") and isinstance(data.get("delta"), str):
            key = self._key(kind[:-6], data)
            data["delta"] = self.text(key, data["delta"], json_text="arguments" in kind)
            self._last[key] = (name, data)
            out.append((name, data))
        elif isinstance(kind, str) and kind.endswith(".done"):
            out.extend(self._give_back(self._key(kind[:-5], data)))
            out.append((name, self.restorer.walk(data)))
        elif kind in ("error", "response.completed", "response.incomplete", "response.failed"):
            for key in list(self.streams):
                out.extend(self._give_back(key))
            out.append((name, self.restorer.walk(data)))
        else:
            out.append((name, self.restorer.walk(data)))
        for _, event in out:
            if isinstance(event, dict) and "sequence_number" in event:
                event["sequence_number"] = self._sequence
                self._sequence += 1
        return out

    @staticmethod
    def _key(base: str, data: dict[str, Any]) -> tuple[Any, ...]:
        return (base, data.get("output_index"), data.get("content_index"), data.get("summary_index"))

    def _give_back(self, key: tuple[Any, ...]) -> list[tuple[bytes | None, Any]]:
        rest = self.flush(key)
        last = self._last.pop(key, None)
        if not rest or last is None:
            return []
        name, template = last
        event = copy.copy(template)
        event["delta"] = rest
        return [(name, event)]

    def end(self) -> list[tuple[bytes | None, Any]]:
        out: list[tuple[bytes | None, Any]] = []
        for key in list(self.streams):
            out.extend(self._give_back(key))
        return out


FORMATS: dict[Endpoint, type[EventRestorer]] = {
    "chat": ChatEvents,
    "completions": ChatEvents,
    "messages": MessagesEvents,
    "responses": ResponsesEvents,
}


async def restore_stream(chunks: Chunks, handler: EventRestorer) -> Chunks:
    """The client's event stream with the values restored."""
    tail = b""
    async for chunk in chunks:
        data = tail + chunk if tail else chunk
        out: list[bytes] = []
        start = 0
        for m in _EVENT_END.finditer(data):
            out.append(_restore_event(data[start : m.end()], handler))
            start = m.end()
        tail = data[start:]
        joined = b"".join(out)
        if joined:
            yield joined
    rest = _restore_event(tail, handler) if tail.strip() else b""
    closing = rest + b"".join(_serialise(name, data) for name, data in handler.end())
    if closing:
        yield closing


def _restore_event(raw: bytes, handler: EventRestorer) -> bytes:
    name, payload = event_fields(raw)
    if payload == b"[DONE]":
        return b"".join(_serialise(n, d) for n, d in handler.end()) + raw
    try:
        data = orjson.loads(payload) if payload else None
    except orjson.JSONDecodeError:
        return raw
    if not isinstance(data, dict):
        return raw
    return b"".join(_serialise(n, d) for n, d in handler.events(name, data))


def _serialise(name: bytes | None, data: Any) -> bytes:
    head = b"event: " + name + b"\n" if name is not None else b""
    return head + b"data: " + orjson.dumps(data) + b"\n\n"
