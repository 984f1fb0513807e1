"""Chat Completions chunk stream -> the Responses API's typed event stream (stateful, pure).

    tr = ChatToResponsesStream(model="gpt-4o", request=body)     # body: the client's Responses request
    for chunk in upstream_chunks:                # JSON of each ``data:`` line before [DONE]
        send(responses_sse(tr.feed(chunk)))
    send(responses_sse(tr.finish()))             # at [DONE]
    # a body that ended without [DONE], or any failure after the start:
    send(responses_sse(tr.error_event(UpstreamError(...))))

Events, each with ``type`` and an increasing ``sequence_number`` from 0: ``response.created`` and
``response.in_progress`` at the first chunk; per output item ``response.output_item.added``,
then for messages ``response.content_part.added``, ``response.output_text.delta`` (or
``response.refusal.delta``) ..., ``response.output_text.done``, ``response.content_part.done``;
for reasoning (``reasoning_content``) the same with ``response.reasoning_text.*``; for each tool
call (chat ``index``; several may interleave) ``response.function_call_arguments.delta`` ... and
``.done``; ``response.output_item.done`` with the whole item. At :meth:`finish`:
``response.completed`` (or ``response.incomplete`` when the upstream stopped at its token limit)
carrying the whole response with usage, equal to what
:func:`~gateway.wire.responses_reply.chat_to_response` makes of the same completion (but for
``completed_at``). A message or reasoning item closes when another item starts; tool calls stay
open until the end, since chat streams may interleave their arguments.

An upstream error chunk (``{"error": {...}}``) becomes an ``error`` event that ends the stream;
:meth:`error_event` does the same for an error the caller caught. There is no ``[DONE]``: the
Responses stream ends after its terminal event (see :func:`responses_stream_done`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import GatewayError

from .chat_chunks import Event, FromChatChunks
from .common import JSON, now
from .responses_reply import (
    ItemIds,
    final_status,
    finished,
    function_call_item,
    message_item,
    reasoning_item,
    reasoning_part,
    reasoning_text,
    refusal_part,
    response_object,
    text_part,
)
from .sse import format_json_event

TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed", "error"})

# part kind -> (item type, delta event, done event, the part's text field)
_PARTS: dict[str, tuple[str, str, str, str]] = {
    "output_text": ("message", "response.output_text.delta", "response.output_text.done", "text"),
    "refusal": ("message", "response.refusal.delta", "response.refusal.done", "refusal"),
    "reasoning_text": ("reasoning", "response.reasoning_text.delta", "response.reasoning_text.done", "text"),
}


def responses_stream_done(event: Mapping[str, Any]) -> bool:
    """True for a parsed Responses stream event after which nothing more comes."""
    return event.get("type") in TERMINAL_EVENTS


def responses_sse(events: Iterable[Event]) -> bytes:
    """Serialise events as SSE: ``event: <name>\\ndata: <json>\\n\\n`` each."""
    return b"".join(format_json_event(data, event=name) for name, data in events)


@dataclass
class _Item:
    index: int  # output_index
    item: JSON  # the item as it stands (content grows as parts close)
    part: str | None = None  # kind of the open content part
    pieces: list[str] = field(default_factory=list)  # text of the open part so far


@dataclass
class _Call:
    call_id: str = ""
    name: str = ""
    pending: list[str] = field(default_factory=list)  # arguments that came before the name
    open: _Item | None = None


class ChatToResponsesStream(FromChatChunks):
    def __init__(self, *, model: str, request: Mapping[str, Any]) -> None:
        self.model = model
        self.request = request
        self.usage: JSON | None = None  # the upstream's chat usage, once its usage chunk came
        self.finish_reason: str | None = None
        self.response: JSON | None = None  # the final response object, after finish()
        self.done = False
        self._seq = 0
        self._ids: ItemIds | None = None
        self._base: JSON = {}
        self._items: list[_Item] = []
        self._current: _Item | None = None  # the open message or reasoning item
        self._calls: dict[int, _Call] = {}  # chat tool-call index -> call

    def _delta(self, delta: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        reasoning = reasoning_text(delta)
        if reasoning:
            out.extend(self._text("reasoning_text", reasoning))
        for kind, key in (("output_text", "content"), ("refusal", "refusal")):
            value = delta.get(key)
            if isinstance(value, str) and value:
                out.extend(self._text(kind, value))
        return out

    def finish(self) -> list[Event]:
        """The upstream stream ended normally (``[DONE]``): close every item, send the response."""
        if self.done:
            return []
        out = self._start({})
        if not any(i.item["type"] in ("message", "function_call") for i in self._items) and not self._calls:
            out.extend(self._open("message"))  # an answer always has a message, if an empty one
        status, details = final_status(self.finish_reason)
        if self._current is not None:
            out.extend(self._close(self._current, status))
        for index in sorted(self._calls):
            call = self._calls[index]
            if call.open is None:
                out.extend(self._open_call(index, call))
            assert call.open is not None
            out.extend(self._close_call(call.open, status))
        self.done = True
        self.response = finished(self._base, status, details, [i.item for i in self._items], self.usage)
        name = "response.completed" if status == "completed" else "response.incomplete"
        out.append(self._event(name, response=self.response))
        return out

    def error_event(self, error: GatewayError) -> list[Event]:
        """End the stream with an ``error`` event (after ``response.created`` if not sent yet:
        clients expect that event first)."""
        if self.done:
            return []
        out = self._start({})
        self.done = True
        out.append(self._event("error", code=error.code, message=error.message, param=error.param))
        return out

    # ---- events ----

    def _event(self, kind: str, /, **fields: Any) -> Event:
        data: JSON = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return kind, data

    def _start(self, chunk: Mapping[str, Any]) -> list[Event]:
        if self._ids is not None:
            return []
        self._ids = ItemIds(chunk.get("id"))
        created = chunk.get("created")
        self._base = response_object(
            self._ids.response, created if isinstance(created, int) else now(), model=self.model, request=self.request
        )
        return [
            self._event("response.created", response=copy.deepcopy(self._base)),
            self._event("response.in_progress", response=copy.deepcopy(self._base)),
        ]

    def _add(self, item: JSON) -> tuple[_Item, Event]:
        entry = _Item(len(self._items), item)
        self._items.append(entry)
        return entry, self._event("response.output_item.added", output_index=entry.index, item=copy.deepcopy(item))

    def _open(self, kind: str) -> list[Event]:
        """Open a message or reasoning item (closing the current one)."""
        out = self._close_current()
        assert self._ids is not None
        item = (
            message_item(self._ids.next("msg"), [], "in_progress")
            if kind == "message"
            else reasoning_item(self._ids.next("rs"), [], "in_progress")
        )
        self._current, event = self._add(item)
        out.append(event)
        return out

    def _close_current(self) -> list[Event]:
        if self._current is None:
            return []
        return self._close(self._current, "completed")

    def _close(self, entry: _Item, status: str) -> list[Event]:
        out = self._close_part(entry)
        if entry.item["type"] == "message" and not entry.item["content"]:
            out.extend(self._open_part(entry, "output_text"))  # the empty message of an empty answer
            out.extend(self._close_part(entry))
        entry.item["status"] = status
        if entry is self._current:
            self._current = None
        out.append(self._event("response.output_item.done", output_index=entry.index, item=copy.deepcopy(entry.item)))
        return out

    def _open_part(self, entry: _Item, kind: str) -> list[Event]:
        entry.part, entry.pieces = kind, []
        part = text_part("") if kind == "output_text" else refusal_part("") if kind == "refusal" else reasoning_part("")
        return [
            self._event(
                "response.content_part.added",
                item_id=entry.item["id"],
                output_index=entry.index,
                content_index=len(entry.item["content"]),
                part=part,
            )
        ]

    def _close_part(self, entry: _Item) -> list[Event]:
        if entry.part is None:
            return []
        kind, value = entry.part, "".join(entry.pieces)
        _, _, done_name, key = _PARTS[kind]
        part = (
            text_part(value)
            if kind == "output_text"
            else refusal_part(value)
            if kind == "refusal"
            else reasoning_part(value)
        )
        where: JSON = {
            "item_id": entry.item["id"],
            "output_index": entry.index,
            "content_index": len(entry.item["content"]),
        }
        extra: JSON = {"logprobs": []} if kind == "output_text" else {}
        out = [
            self._event(done_name, **where, **{key: value}, **extra),
            self._event("response.content_part.done", **where, part=copy.deepcopy(part)),
        ]
        entry.item["content"].append(part)
        entry.part, entry.pieces = None, []
        return out

    def _text(self, kind: str, text: str) -> list[Event]:
        item_type, delta_name, _, _ = _PARTS[kind]
        out: list[Event] = []
        if self._current is None or self._current.item["type"] != item_type:
            out.extend(self._open(item_type))
        entry = self._current
        assert entry is not None
        if entry.part != kind:
            out.extend(self._close_part(entry))
            out.extend(self._open_part(entry, kind))
        entry.pieces.append(text)
        extra: JSON = {"logprobs": []} if kind == "output_text" else {}
        out.append(
            self._event(
                delta_name,
                item_id=entry.item["id"],
                output_index=entry.index,
                content_index=len(entry.item["content"]),
                delta=text,
                **extra,
            )
        )
        return out

    def _tool(self, chunk_call: Mapping[str, Any]) -> list[Event]:
        index = chunk_call.get("index", 0)
        index = index if isinstance(index, int) and not isinstance(index, bool) else 0
        call = self._calls.setdefault(index, _Call())
        fn = chunk_call.get("function")
        fn = fn if isinstance(fn, Mapping) else {}
        if isinstance(chunk_call.get("id"), str) and chunk_call["id"] and not call.call_id:
            call.call_id = chunk_call["id"]
        if isinstance(fn.get("name"), str) and fn["name"] and call.open is None:
            call.name += fn["name"]
        out: list[Event] = []
        args = fn.get("arguments")
        if isinstance(args, str) and args:
            call.pending.append(args)
        if call.open is None and call.name:
            out.extend(self._open_call(index, call))
        elif call.open is not None and call.pending:
            out.extend(self._arguments(call.open, call.pending))
        return out

    def _open_call(self, index: int, call: _Call) -> list[Event]:
        out = self._close_current()
        assert self._ids is not None
        item = function_call_item(
            self._ids.next("fc"), call.call_id or self._ids.call_id(index), call.name, "", "in_progress"
        )
        call.open, event = self._add(item)
        out.append(event)
        if call.pending:
            out.extend(self._arguments(call.open, call.pending))
        return out

    def _arguments(self, entry: _Item, pending: list[str]) -> list[Event]:
        delta = "".join(pending)
        pending.clear()
        entry.item["arguments"] += delta
        return [
            self._event(
                "response.function_call_arguments.delta",
                item_id=entry.item["id"],
                output_index=entry.index,
                delta=delta,
            )
        ]

    def _close_call(self, entry: _Item, status: str) -> list[Event]:
        entry.item["status"] = status
        return [
            self._event(
                "response.function_call_arguments.done",
                item_id=entry.item["id"],
                output_index=entry.index,
                name=entry.item["name"],
                arguments=entry.item["arguments"],
            ),
            self._event("response.output_item.done", output_index=entry.index, item=copy.deepcopy(entry.item)),
        ]
