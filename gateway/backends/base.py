"""The backend interface: one method to send a request, one to close.

A backend receives the request body in the wire format of its ``endpoint`` (OpenAI shapes for
chat/completions/embeddings), with the upstream model name already set, and answers either a
whole body or a stream of raw SSE bytes that the gateway relays as they arrive.

Failures are raised as :class:`gateway.errors.BackendFailure` (before anything reached the
client: a retry or fallback is safe) or, from inside a started stream,
:class:`gateway.errors.StreamBroken`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from gateway.types import Endpoint, Zone


@dataclass(frozen=True)
class UpstreamCall:
    endpoint: Endpoint
    body: dict[str, Any]
    stream: bool
    # Headers from the client that an upstream should see (e.g. OpenAI-Organization); never auth.
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class UpstreamReply:
    """A whole answer: status, a few safe headers, and the raw body bytes (relayed as they are),
    with the parsed JSON object when the adapter already has it, so nothing parses it twice."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    data: dict[str, Any] | None = None

    def json(self) -> dict[str, Any] | None:
        """The body as a JSON object (None when it is not one)."""
        if self.data is None:
            try:
                value: Any = orjson.loads(self.body)
            except orjson.JSONDecodeError:
                return None
            self.data = value if isinstance(value, dict) else None
        return self.data


@dataclass
class UpstreamStream:
    """A streamed answer that has started (the upstream answered 200 with an event stream).

    ``chunks`` yields raw bytes as they arrive; ``aclose`` releases the connection and must be
    called whatever happens (closing early cancels the upstream request)."""

    status: int
    chunks: AsyncIterator[bytes]
    aclose: Callable[[], Awaitable[None]]
    headers: Mapping[str, str] = field(default_factory=dict)


class Backend(Protocol):
    name: str
    zone: Zone

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream: ...

    async def aclose(self) -> None: ...
