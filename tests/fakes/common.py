"""What the fake servers share: recorded requests, failure modes, streaming helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

# ok                 normal answers
# hang               wait ``hang_seconds`` before answering (first-byte / total timeouts)
# rate_limit         429 with ``retry-after: <retry_after>`` and a provider-shaped error body
# server_error       500 with a provider-shaped error body
# overloaded         529 (Anthropic) / 503 (OpenAI) with a provider-shaped error body
# error_response     ``error_status`` with a provider-shaped error body (e.g. 400, 401, 404)
# garbage            200 with a body that is not JSON / not an event stream
# cut_stream         streams: half the events, then the connection drops (no end of body)
# truncated_stream   streams: half the events, then a clean end of body without the final events
# stall_stream       streams: half the events, then silence for ``hang_seconds`` (idle timeout)
# error_event        streams: half the events, then the provider's in-stream error event
# "refused" is not a mode: don't run the server, use ``server.unused_url()``.
Mode = Literal["ok", "hang", "rate_limit", "server_error", "overloaded", "error_response", "garbage",
               "cut_stream", "truncated_stream", "stall_stream", "error_event"]

STREAM_MODES = ("cut_stream", "truncated_stream", "stall_stream", "error_event")
GARBAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n{{not json"

Reply = str | Callable[[dict[str, Any]], str]


class StreamCut(Exception):
    """Raised inside a streaming body to drop the connection mid-response."""


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None when the body was not JSON
    raw: bytes


@dataclass
class FakeBehaviour:
    """Knobs shared by both fakes; change them between (or during) requests."""

    api_key: str = "test-key"
    mode: Mode = "ok"
    fail_times: int | None = None  # None: ``mode`` applies to every request; N: to the next N only
    chunk_delay: float = 0.0  # seconds between streamed events
    hang_seconds: float = 30.0
    retry_after: str = "1"
    error_status: int = 400
    reply: Reply = "Hello from the fake model. How can I help?"
    tool_input: dict[str, Any] = field(default_factory=lambda: {"city": "Paris", "unit": "celsius"})
    stream_piece: int = 0  # streams: text in pieces of this many characters (0: word by word)
    requests: list[RecordedRequest] = field(default_factory=list)
    probes: list[RecordedRequest] = field(default_factory=list)
    base_url: str = ""  # set by the fixtures once the server runs
    # streams whose body generator ran to its end / was stopped early (the client went away)
    streams_finished: int = 0
    streams_abandoned: int = 0

    def take_mode(self) -> Mode:
        """The mode for the request being served (counts down ``fail_times``)."""
        mode = self.mode
        if mode != "ok" and self.fail_times is not None:
            if self.fail_times <= 0:
                return "ok"
            self.fail_times -= 1
        return mode

    def reply_text(self, body: dict[str, Any]) -> str:
        return self.reply(body) if callable(self.reply) else self.reply

    async def record(self, request: Request, probe: bool = False) -> RecordedRequest:
        """Keep what the request carried: in ``requests``, or in ``probes`` for a listing (GET
        /v1/models: the gateway probes a local server with it at start-up; it carries nothing)."""
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        rec = RecordedRequest(request.method, request.url.path, dict(request.query_params),
                              {k.lower(): v for k, v in request.headers.items()}, body, raw)
        (self.probes if probe else self.requests).append(rec)
        return rec

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(obj), status_code=status, media_type="application/json", headers=headers)


def words(text: str) -> list[str]:
    """Split keeping the spaces, so the pieces concatenate back to ``text``."""
    out: list[str] = []
    for i, w in enumerate(text.split(" ")):
        out.append(w if i == 0 else " " + w)
    return [w for w in out if w]


def fragments(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def pieces(text: str, size: int) -> list[str]:
    """Streamed text: word by word, or in pieces of ``size`` characters (a placeholder or a
    multi-byte character cut anywhere)."""
    return fragments(text, size) if size else words(text)


def stream_response(events: list[bytes], mode: Mode, behaviour: FakeBehaviour, error_event: bytes,
                    headers: dict[str, str] | None = None) -> StreamingResponse:
    half = max(len(events) // 2, 1)

    async def body() -> AsyncIterator[bytes]:
        finished = False
        try:
            async for ev in events_with_modes():
                yield ev
            finished = True
        finally:
            if finished:
                behaviour.streams_finished += 1
            else:
                behaviour.streams_abandoned += 1

    async def events_with_modes() -> AsyncIterator[bytes]:
        for i, ev in enumerate(events):
            if i == half and mode in STREAM_MODES:
                if mode == "cut_stream":
                    raise StreamCut("fake server drops the connection mid-stream")
                if mode == "truncated_stream":
                    return
                if mode == "error_event":
                    yield error_event
                    return
                await asyncio.sleep(behaviour.hang_seconds)  # stall_stream
            if i and behaviour.chunk_delay:
                await asyncio.sleep(behaviour.chunk_delay)
            yield ev

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", **(headers or {})})
