"""OpenAI ``chat.completion.chunk`` stream -> Anthropic Messages SSE events (stateful, pure).

    tr = OpenAIToAnthropicStream(model="claude", input_tokens=estimate)
    for chunk in upstream_chunks:                # JSON of each ``data:`` line before [DONE]
        for name, data in tr.feed(chunk):
            send(format_json_event(data, event=name))
    for name, data in tr.finish():               # at [DONE] (or a clean end of body)
        send(format_json_event(data, event=name))

Emits ``message_start`` at the first chunk, then one content block per run of text and per tool
call (``content_block_start``, ``text_delta`` / ``input_json_delta`` deltas,
``content_block_stop``), and at :meth:`finish` a ``message_delta`` with ``stop_reason`` and
usage (from the ``include_usage`` chunk when the upstream sent one) and ``message_stop``.
An OpenAI error chunk (``{"error": {...}}``) becomes an Anthropic ``error`` event and ends the
translation; :meth:`error_event` does the same for an error the caller caught.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.errors import GatewayError

from .chat_chunks import Event, FromChatChunks
from .common import JSON, anthropic_usage, new_id, stop_reason
from .to_anthropic_response import message_id


class OpenAIToAnthropicStream(FromChatChunks):
    def __init__(self, *, model: str, message_id: str | None = None, input_tokens: int = 0) -> None:
        self.model = model
        self.id = message_id
        self.input_tokens = input_tokens  # the caller's estimate, until the usage chunk arrives
        self.usage: JSON | None = None
        self.finish_reason: str | None = None
        self.done = False
        self._started = False
        self._blocks = 0  # Anthropic content blocks opened so far
        self._open: int | None = None  # index of the open block
        self._text_open = False
        self._tools: dict[int, int] = {}  # OpenAI tool call index -> Anthropic block index

    def _delta(self, delta: Mapping[str, Any]) -> list[Event]:
        text = delta.get("content")
        return self._text(text) if isinstance(text, str) and text else []

    def finish(self) -> list[Event]:
        """The upstream stream ended normally (``[DONE]``): close blocks, report stop and usage."""
        if self.done:
            return []
        out = self._start({})
        out.extend(self._close())
        self.done = True
        usage = anthropic_usage(self.usage) if self.usage else {"input_tokens": self.input_tokens, "output_tokens": 0}
        out.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason(self.finish_reason), "stop_sequence": None},
                    "usage": usage,
                },
            )
        )
        out.append(("message_stop", {"type": "message_stop"}))
        return out

    def error_event(self, error: GatewayError) -> list[Event]:
        """End the stream with an Anthropic ``error`` event."""
        self.done = True
        return [("error", error.to_anthropic())]

    def _start(self, chunk: Mapping[str, Any]) -> list[Event]:
        if self._started:
            return []
        self._started = True
        self.id = self.id or message_id(chunk.get("id"))
        message: JSON = {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": 0},
        }
        return [("message_start", {"type": "message_start", "message": message})]

    def _close(self) -> list[Event]:
        if self._open is None:
            return []
        index, self._open, self._text_open = self._open, None, False
        return [("content_block_stop", {"type": "content_block_stop", "index": index})]

    def _open_block(self, block: JSON) -> list[Event]:
        out = self._close()
        self._open = self._blocks
        self._blocks += 1
        out.append(
            ("content_block_start", {"type": "content_block_start", "index": self._open, "content_block": block})
        )
        return out

    def _text(self, text: str) -> list[Event]:
        out: list[Event] = []
        if not self._text_open:
            out = self._open_block({"type": "text", "text": ""})
            self._text_open = True
        out.append(
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": self._open, "delta": {"type": "text_delta", "text": text}},
            )
        )
        return out

    def _tool(self, call: Mapping[str, Any]) -> list[Event]:
        index = call.get("index", 0)
        index = index if isinstance(index, int) else 0
        fn = call.get("function")
        fn = fn if isinstance(fn, Mapping) else {}
        out: list[Event] = []
        if index not in self._tools:
            out = self._open_block(
                {
                    "type": "tool_use",
                    "id": str(call.get("id") or new_id("toolu_")),
                    "name": str(fn.get("name") or ""),
                    "input": {},
                }
            )
            self._tools[index] = self._blocks - 1
        args = fn.get("arguments")
        if isinstance(args, str) and args:
            out.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": self._tools[index],
                        "delta": {"type": "input_json_delta", "partial_json": args},
                    },
                )
            )
        return out
