"""Anthropic Messages SSE events -> OpenAI ``chat.completion.chunk`` dicts (stateful, pure).

    tr = AnthropicToOpenAIStream(model="claude", include_usage=True)
    for ev in sse_events:                       # parsed by gateway.wire.sse
        for chunk in tr.feed(ev.event, ev.json()):
            send(format_json_event(chunk))
    tr.finish()                                 # raises UpstreamError if message_stop never came
    send(DONE)

Output order: a role chunk first; text deltas as ``content``; each ``tool_use`` block becomes a
tool call with its own ``index`` (0, 1, ...) announced with ``id`` and ``name`` and an empty
``arguments``, then ``input_json_delta`` fragments as ``arguments`` pieces; ``thinking_delta``
goes to ``reasoning_content``; at ``message_stop`` a chunk with ``finish_reason``; and with
``include_usage`` a last chunk with ``choices: []`` and ``usage`` (every earlier chunk then
carries ``usage: null``, as OpenAI does). An ``error`` event raises the mapped
:class:`~gateway.errors.GatewayError`; the caller sends ``data: {"error": ...}`` and closes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.errors import UpstreamError

from .common import JSON, dumps, finish_reason, new_id, now, openai_usage
from .errors import anthropic_error


class AnthropicToOpenAIStream:
    def __init__(self, *, model: str, include_usage: bool = False, chunk_id: str | None = None,
                 created: int | None = None) -> None:
        self.model = model
        self.include_usage = include_usage
        self.id = chunk_id or new_id("chatcmpl-")
        self.created = now() if created is None else created
        self.usage: JSON = {}
        self.stop_reason: str | None = None
        self.done = False
        self._started = False
        self._tools: dict[int, int] = {}  # Anthropic block index -> OpenAI tool call index

    def feed(self, event: str | None, data: Mapping[str, Any]) -> list[JSON]:
        """One parsed SSE event (name and JSON data) -> zero or more OpenAI chunks."""
        kind = data.get("type") or event
        if kind == "error":
            raise anthropic_error(data)
        if self.done:
            return []
        out: list[JSON] = []
        if not self._started and kind in ("message_start", "content_block_start", "content_block_delta"):
            self._started = True
            out.append(self._chunk({"role": "assistant", "content": ""}))
        if kind == "message_start":
            msg = data.get("message")
            if isinstance(msg, Mapping) and isinstance(msg.get("usage"), Mapping):
                self.usage.update(msg["usage"])
        elif kind == "content_block_start":
            block = data.get("content_block")
            if isinstance(block, Mapping):
                out.extend(self._block_start(_index(data), block))
        elif kind == "content_block_delta":
            delta = data.get("delta")
            if isinstance(delta, Mapping):
                out.extend(self._delta(_index(data), delta))
        elif kind == "message_delta":
            delta = data.get("delta")
            if isinstance(delta, Mapping) and delta.get("stop_reason"):
                self.stop_reason = str(delta["stop_reason"])
            usage = data.get("usage")
            if isinstance(usage, Mapping):
                self.usage.update({k: v for k, v in usage.items() if v is not None})
        elif kind == "message_stop":
            out.extend(self._finish_chunks())
        # ping, content_block_stop and unknown future events produce nothing
        return out

    def finish(self) -> list[JSON]:
        """End of the upstream body. A stream that never reached ``message_stop`` was cut."""
        if not self.done:
            raise UpstreamError("upstream stream ended before the message was complete",
                                code="upstream_stream_truncated")
        return []

    def _block_start(self, index: int, block: Mapping[str, Any]) -> list[JSON]:
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            return [self._chunk({"content": str(block["text"])})]
        if kind != "tool_use":
            return []
        tool_index = len(self._tools)
        self._tools[index] = tool_index
        call: JSON = {"index": tool_index, "id": str(block.get("id", "")), "type": "function",
                      "function": {"name": str(block.get("name", "")), "arguments": ""}}
        out = [self._chunk({"tool_calls": [call]})]
        start_input = block.get("input")
        if isinstance(start_input, Mapping) and start_input:  # not streamed: sent whole
            out.append(self._args(tool_index, dumps(start_input)))
        return out

    def _delta(self, index: int, delta: Mapping[str, Any]) -> list[JSON]:
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            return [self._chunk({"content": str(delta["text"])})]
        if kind == "input_json_delta" and delta.get("partial_json") and index in self._tools:
            return [self._args(self._tools[index], str(delta["partial_json"]))]
        if kind == "thinking_delta" and delta.get("thinking"):
            return [self._chunk({"reasoning_content": str(delta["thinking"])})]
        return []  # signature_delta, citations_delta: no OpenAI equivalent

    def _args(self, tool_index: int, fragment: str) -> JSON:
        return self._chunk({"tool_calls": [{"index": tool_index, "function": {"arguments": fragment}}]})

    def _finish_chunks(self) -> list[JSON]:
        self.done = True
        out = [self._chunk({}, finish=finish_reason(self.stop_reason))]
        if self.include_usage:
            out.append({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                        "model": self.model, "choices": [], "usage": openai_usage(self.usage)})
        return out

    def _chunk(self, delta: JSON, finish: str | None = None) -> JSON:
        chunk: JSON = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                       "model": self.model,
                       "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if self.include_usage:
            chunk["usage"] = None
        return chunk


def _index(data: Mapping[str, Any]) -> int:
    value = data.get("index")
    return value if isinstance(value, int) else 0
