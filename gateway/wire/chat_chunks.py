"""What the adapters that turn a ``chat.completion.chunk`` stream into another format share:
the first choice's deltas (``n`` > 1 has no equivalent in one Anthropic message or one
Responses answer), the usage chunk, the finish reason, and an error chunk that ends the stream.
Each adapter says what a delta becomes (:meth:`FromChatChunks._delta`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.errors import GatewayError

from .common import JSON
from .errors import openai_error

Event = tuple[str, JSON]


class FromChatChunks:
    usage: JSON | None
    finish_reason: str | None
    done: bool

    def feed(self, chunk: Mapping[str, Any]) -> list[Event]:
        """One chunk (or an error chunk) -> zero or more events of the other format."""
        if self.done:
            return []
        if "error" in chunk and not chunk.get("choices"):
            return self.error_event(openai_error(chunk))
        out = self._start(chunk)
        usage = chunk.get("usage")
        if isinstance(usage, Mapping):
            self.usage = dict(usage)
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, Mapping) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, Mapping):
                out.extend(self._delta(delta))
                for call in delta.get("tool_calls") or []:
                    if isinstance(call, Mapping):
                        out.extend(self._tool(call))
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
        return out

    def _start(self, chunk: Mapping[str, Any]) -> list[Event]:
        """The events that open the stream, at its first chunk (none after)."""
        raise NotImplementedError

    def _delta(self, delta: Mapping[str, Any]) -> list[Event]:
        """The events of a delta's text (its tool calls go to :meth:`_tool`)."""
        raise NotImplementedError

    def _tool(self, call: Mapping[str, Any]) -> list[Event]:
        raise NotImplementedError

    def error_event(self, error: GatewayError) -> list[Event]:
        raise NotImplementedError
