"""Watch a relayed event stream without re-serialising it: did it end properly, what usage did
it report, and (when the gateway asked the upstream for usage the client did not want) drop
the usage-only event before it reaches the client."""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from gateway.observability.cost import Usage, usage_from_openai


class Sniffer(Protocol):
    @property
    def done(self) -> bool: ...

    @property
    def usage(self) -> Usage | None: ...

    @property
    def events(self) -> int: ...

    def feed(self, chunk: bytes) -> bytes:
        """Watch ``chunk``; return the bytes to pass on to the client."""
        ...


def _data_lines(event: bytes) -> list[Any]:
    out = []
    for line in event.splitlines():
        if line.startswith(b"data:"):
            try:
                out.append(orjson.loads(line[5:]))
            except orjson.JSONDecodeError:
                continue
    return out


class OpenAISniffer:
    """The end marker (``[DONE]`` or an in-stream error event) and ``usage`` of an OpenAI
    stream; only events that mention ``usage`` are parsed. With ``strip_usage`` the final
    usage-only chunk (``choices: []``) is removed, and only whole events are passed on."""

    def __init__(self, strip_usage: bool = False) -> None:
        self._tail = b""
        self._strip = strip_usage
        self.done = False
        self.usage: Usage | None = None
        self.events = 0

    def feed(self, chunk: bytes) -> bytes:
        data = self._tail + chunk
        self.events += chunk.count(b"data:")
        if b"[DONE]" in data or b'data: {"error"' in data:
            self.done = True  # the end marker, or the upstream's own error event
        cut = data.rfind(b"\n\n")
        if cut < 0:
            self._tail = data if self._strip else data[-65536:]
            return b"" if self._strip else chunk
        complete, self._tail = data[:cut + 2], data[cut + 2:]
        if b'"usage"' not in complete:
            return complete if self._strip else chunk
        kept = []
        for event in complete.split(b"\n\n"):
            if b'"usage"' in event:
                usage_only = False
                for parsed in _data_lines(event):
                    if isinstance(parsed, dict):
                        usage = usage_from_openai(parsed.get("usage"))
                        if usage is not None:
                            self.usage = usage
                            usage_only = parsed.get("choices") == []
                if self._strip and usage_only:
                    continue
            kept.append(event)
        return b"\n\n".join(kept) if self._strip else chunk


class AnthropicSniffer:
    """The end (``message_stop`` or an ``error`` event) and the usage of an Anthropic stream."""

    def __init__(self) -> None:
        self._tail = b""
        self.done = False
        self.events = 0
        self._prompt = 0
        self._completion = 0
        self._seen_usage = False

    @property
    def usage(self) -> Usage | None:
        return Usage(self._prompt, self._completion) if self._seen_usage else None

    def feed(self, chunk: bytes) -> bytes:
        data = self._tail + chunk
        self.events += chunk.count(b"content_block_delta")
        if b"message_stop" in data or b"event: error" in data:
            self.done = True
        cut = data.rfind(b"\n\n")
        if cut < 0:
            self._tail = data[-65536:]
            return chunk
        complete, self._tail = data[:cut], data[cut + 2:]
        if b'"usage"' in complete:
            for event in complete.split(b"\n\n"):
                if b'"usage"' in event:
                    for parsed in _data_lines(event):
                        self._read(parsed)
        return chunk

    def _read(self, parsed: Any) -> None:
        if not isinstance(parsed, dict):
            return
        holder = parsed.get("message") if parsed.get("type") == "message_start" else parsed
        usage = holder.get("usage") if isinstance(holder, dict) else None
        if not isinstance(usage, dict):
            return
        self._seen_usage = True
        if isinstance(usage.get("input_tokens"), int):
            self._prompt = usage["input_tokens"] + int(usage.get("cache_read_input_tokens") or 0)
        if isinstance(usage.get("output_tokens"), int):
            self._completion = usage["output_tokens"]
