"""Stream readers: watch the event stream a client receives, event by event, without
re-serialising it.

A reader passes complete events on (an event split across network chunks waits for its end),
and on the way: tells whether the stream ended properly (the format's end marker, or its own
error event, read from the event's fields, not from text anywhere in a chunk), picks up the
usage the stream reports, renames ``model`` to the public model name that served the request,
and, when the gateway asked an upstream for usage the client did not want, drops the
usage-only chunk.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from gateway.observability.cost import Usage, usage_from_openai
from gateway.wire.sse import event_fields

_EVENT_END = re.compile(rb"\r?\n\r?\n")
_MODEL = re.compile(rb'"model":\s*"(?:[^"\\]|\\.)*"')


def rename_model(data: bytes, model: str | None) -> bytes:
    """Every ``"model": "..."`` key of a JSON text set to ``model`` (a key's quotes are never
    escaped, a string's always are: no text inside a string can match)."""
    if model is None or b'"model"' not in data:
        return data
    return _MODEL.sub(b'"model":' + orjson.dumps(model), data)


def _parse(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


class StreamReader:
    """Common part: cut the byte stream into complete events; subclasses read each one."""

    def __init__(self, model: str | None = None) -> None:
        self._tail = b""
        self._model = model
        self.done = False
        self.usage: Usage | None = None
        self.events = 0

    def feed(self, chunk: bytes) -> bytes:
        """Watch ``chunk``; return the bytes to pass on to the client now."""
        data = self._tail + chunk if self._tail else chunk
        out: list[bytes] = []
        start = 0
        for m in _EVENT_END.finditer(data):
            event = data[start : m.end()]
            start = m.end()
            self.events += 1
            kept = self.read(event)
            if kept:
                out.append(kept)
        self._tail = data[start:]
        return b"".join(out)

    def flush(self) -> bytes:
        """The end of the upstream stream: whatever was left unterminated."""
        rest, self._tail = self._tail, b""
        if rest.strip():
            self.events += 1
            return self.read(rest)
        return b""

    def read(self, event: bytes) -> bytes:
        raise NotImplementedError


class OpenAIReader(StreamReader):
    """Chat and completions streams: ``data: [DONE]`` ends them, as does the upstream's own
    error event (``data: {"error": ...}``)."""

    def __init__(self, model: str | None = None, strip_usage: bool = False) -> None:
        super().__init__(model)
        self._strip = strip_usage

    def read(self, event: bytes) -> bytes:
        _, data = event_fields(event)
        if data == b"[DONE]":
            self.done = True
            return event
        if b'"usage"' in data or b'"error"' in data:
            parsed = _parse(data)
            if isinstance(parsed, dict):
                if "error" in parsed and not parsed.get("choices"):
                    self.done = True
                usage = usage_from_openai(parsed.get("usage"))
                if usage is not None:
                    self.usage = usage
                    if self._strip and parsed.get("choices") == []:
                        return b""  # the usage chunk the client did not ask for
        return rename_model(event, self._model)


class AnthropicReader(StreamReader):
    """Messages streams: ``message_stop`` ends them, as does an ``error`` event."""

    def __init__(self, model: str | None = None) -> None:
        super().__init__(model)
        self._prompt = 0
        self._completion = 0

    def read(self, event: bytes) -> bytes:
        name, data = event_fields(event)
        if name in (b"message_stop", b"error"):
            self.done = True
        elif name is None and (b"message_stop" in data or b'"error"' in data):
            parsed = _parse(data)
            if isinstance(parsed, dict) and parsed.get("type") in ("message_stop", "error"):
                self.done = True
        if b'"usage"' in data:
            self._read_usage(_parse(data))
        return rename_model(event, self._model)

    def _read_usage(self, parsed: Any) -> None:
        if not isinstance(parsed, dict):
            return
        holder = parsed.get("message") if parsed.get("type") == "message_start" else parsed
        usage = holder.get("usage") if isinstance(holder, dict) else None
        if not isinstance(usage, dict):
            return
        if isinstance(usage.get("input_tokens"), int):
            self._prompt = usage["input_tokens"] + int(usage.get("cache_read_input_tokens") or 0)
        if isinstance(usage.get("output_tokens"), int):
            self._completion = usage["output_tokens"]
        self.usage = Usage(self._prompt, self._completion)


RESPONSES_ENDS = frozenset({b"response.completed", b"response.incomplete", b"response.failed", b"error"})


class ResponsesReader(StreamReader):
    """Responses streams: ``response.completed`` (or ``incomplete``, ``failed``) or an ``error``
    event ends them; the usage is in the final response object."""

    def __init__(self, model: str | None = None) -> None:
        super().__init__(model)
        self.sequence = -1

    def read(self, event: bytes) -> bytes:
        name, data = event_fields(event)
        parsed = _parse(data) if (name in RESPONSES_ENDS or name is None) else None
        kind = name if name is not None else (parsed.get("type", "").encode() if isinstance(parsed, dict) else None)
        if kind in RESPONSES_ENDS:
            self.done = True
            response = parsed.get("response") if isinstance(parsed, dict) else None
            if isinstance(response, dict):
                self.usage = responses_usage(response.get("usage")) or self.usage
        seq = _SEQUENCE.search(data)
        if seq is not None:
            self.sequence = int(seq.group(1))
        return rename_model(event, self._model)


_SEQUENCE = re.compile(rb'"sequence_number":\s*(\d+)')


def responses_usage(usage: Any) -> Usage | None:
    """The usage of a Responses ``response`` object."""
    if not isinstance(usage, dict) or not isinstance(usage.get("input_tokens"), int):
        return None
    details = usage.get("input_tokens_details")
    cached = details.get("cached_tokens", 0) if isinstance(details, dict) else 0
    return Usage(usage["input_tokens"], int(usage.get("output_tokens") or 0), cached if isinstance(cached, int) else 0)
