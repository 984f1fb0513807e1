"""The backend interface: a transport for the wire formats it speaks, one method to send, one to
start and one to close.

A backend declares the wire formats it takes natively (:attr:`Backend.speaks`: ``chat``,
``completions``, ``embeddings`` for OpenAI-compatible servers, ``responses`` for those that have
the Responses API, ``messages`` for Anthropic). It receives a body in one of them, with the
upstream model name already set, and answers either a whole body or a stream of raw SSE bytes
that the gateway relays as they arrive. Translation between formats is the ingress's business
(:mod:`gateway.wire`), never the backend's.

Failures are raised as :class:`gateway.errors.BackendFailure` (before anything reached the
client: a retry or fallback is safe) or, from inside a started stream,
:class:`gateway.errors.StreamBroken`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson

from gateway.types import Endpoint, Zone


@dataclass(frozen=True)
class UpstreamCall:
    endpoint: Endpoint  # the wire format of ``body``: one the backend speaks
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


BackendCondition = Literal["ready", "loading", "disabled", "unreachable", "unavailable"]


@dataclass(frozen=True)
class BackendState:
    """What a backend can do now: ``ready``; ``loading`` (an embedded model); ``disabled`` (its
    key is not set: never tried, never probed); ``unreachable`` (a local server that did not
    answer its probe; still tried); ``unavailable`` (cannot serve: a model that failed to load).
    ``reason`` says why, in words for an operator (no secrets)."""

    condition: BackendCondition
    reason: str = ""


READY = BackendState("ready")


class Backend(Protocol):
    name: str
    zone: Zone

    @property
    def speaks(self) -> frozenset[Endpoint]:
        """The wire formats this backend takes natively."""
        ...

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream: ...

    async def start(self) -> None:
        """Get ready before the first request (a pooled client, an embedded model loaded, a local
        server probed)."""
        ...

    def state(self) -> BackendState: ...

    async def count_tokens(self, call: UpstreamCall) -> int | None:
        """The exact prompt tokens of ``call`` for this backend's model, when it can say (an
        embedded model's tokenizer, Anthropic's counting endpoint); None otherwise."""
        ...

    async def aclose(self) -> None: ...
