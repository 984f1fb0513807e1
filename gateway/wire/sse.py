"""Server-sent events: an incremental parser and the serializers, for the streaming hot path.

The parser follows the WHATWG event-stream rules: lines end in ``\\r\\n``, ``\\n`` or ``\\r``
(a ``\\r\\n`` split across two network chunks is one line end); ``:`` starts a comment (keep-alive
pings); ``data`` lines of one event are joined with ``\\n``; an event is dispatched at a blank line
and only if it carried data. Bytes are decoded per complete line, so a UTF-8 character split
across chunks is never mangled.

    parser = SSEParser()
    for chunk in body_chunks:
        for event in parser.feed(chunk):
            ...
    parser.close()   # any final event a server forgot to terminate with a blank line

No I/O here; the transport feeds bytes in and writes bytes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["DONE", "SSEEvent", "SSEParser", "format_event", "format_json_event"]

DONE = b"data: [DONE]\n\n"
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event: its ``event:`` name (``None`` when absent) and its data string."""

    event: str | None
    data: str
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """The data parsed as JSON (raises ``orjson.JSONDecodeError`` if it is not JSON)."""
        return orjson.loads(self.data)


class SSEParser:
    """Feed it byte chunks as they arrive; it returns every event completed by each chunk."""

    __slots__ = ("_buf", "_data", "_event", "_first", "_id", "_retry", "comments")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._first = True
        self.comments = 0  # comment lines seen (``: ping`` keep-alives); useful for idle timers

    @property
    def has_partial(self) -> bool:
        """True when bytes or fields of an unfinished event are buffered (a cut stream)."""
        return bool(self._buf) or bool(self._data) or self._event is not None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        buf = self._buf + chunk if self._buf else chunk
        hold = b""
        if b"\r" in buf:
            if buf.endswith(b"\r"):  # may be the first half of a "\r\n" split across chunks
                buf, hold = buf[:-1], b"\r"
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in buf:
            self._buf = buf + hold
            return []
        lines = buf.split(b"\n")
        self._buf = lines.pop() + hold
        out: list[SSEEvent] = []
        for raw in lines:
            self._line(raw, out)
        return out

    def close(self) -> list[SSEEvent]:
        """End of stream: process a last unterminated line and dispatch a pending event.

        The spec drops an event not followed by a blank line; servers that omit the last blank
        line are common enough that returning it is the friendlier choice. Callers that need to
        detect a cut stream check :attr:`has_partial` before calling this.
        """
        out: list[SSEEvent] = []
        rest, self._buf = self._buf, b""
        if rest:
            for raw in rest.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"):
                self._line(raw, out)
        self._line(b"", out)
        return out

    def _line(self, raw: bytes, out: list[SSEEvent]) -> None:
        if not raw:
            if self._data:
                out.append(SSEEvent(self._event, "\n".join(self._data), self._id, self._retry))
                self._data = []
            self._event = None
            self._retry = None
            return
        line = raw.decode("utf-8", "replace")
        if self._first:
            self._first = False
            if line.startswith(_BOM):
                line = line[1:]
                if not line:
                    return
        if line[0] == ":":
            self.comments += 1
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value or None
        elif name == "id":
            if "\0" not in value:
                self._id = value or None
        elif name == "retry" and value.isdigit():
            self._retry = int(value)


def event_fields(event: bytes) -> tuple[bytes | None, bytes]:
    """The ``event:`` name and the joined ``data:`` lines of one raw event."""
    name: bytes | None = None
    data: list[bytes] = []
    for line in event.splitlines():
        if line.startswith(b"data:"):
            data.append(line[5:].lstrip(b" "))
        elif line.startswith(b"event:"):
            name = line[6:].strip()
    return name, b"\n".join(data)


def format_event(data: str | bytes, event: str | None = None) -> bytes:
    """Serialize one event; multi-line data becomes several ``data:`` lines."""
    raw = data.encode() if isinstance(data, str) else data
    if b"\n" in raw or b"\r" in raw:
        lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        body = b"".join(b"data: " + line + b"\n" for line in lines)
    else:
        body = b"data: " + raw + b"\n"
    if event is not None:
        return b"event: " + event.encode() + b"\n" + body + b"\n"
    return body + b"\n"


def format_json_event(obj: Any, event: str | None = None) -> bytes:
    """Serialize a JSON payload (``orjson`` never emits newlines, so this is the fast path)."""
    body = b"data: " + orjson.dumps(obj) + b"\n\n"
    if event is not None:
        return b"event: " + event.encode() + b"\n" + body
    return body
