"""Adapter for the Anthropic Messages API (``POST {base_url}/v1/messages``), raw HTTP.

It speaks ``messages`` only: a body in Anthropic's format is forwarded as it is and the
upstream's bytes are relayed unchanged (the ingress translates other formats; see
:mod:`gateway.wire`). The first event of a stream is read before the stream is handed on, so a
stream that fails at once is still a :class:`BackendFailure` (retry and fallback allowed);
later, an in-stream ``error`` event, a cut or a stream that ends before ``message_stop`` raise
:class:`StreamBroken`. Upstream error messages are never passed on (they may quote the prompt).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx
import orjson

from gateway.backends.base import READY, BackendState, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.failures import anthropic_error_body, failure_from_status
from gateway.backends.http import Response
from gateway.backends.transport import HttpTransport, prime
from gateway.config import BackendConfig
from gateway.errors import BackendFailure, StreamBroken
from gateway.types import Endpoint, Zone
from gateway.wire import anthropic_error
from gateway.wire.sse import SSEEvent, SSEParser

ANTHROPIC_VERSION = "2023-06-01"
# Response headers worth passing to the client.
PASS_HEADERS = ("request-id", "retry-after", "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-tokens-remaining")
SPEAKS: frozenset[Endpoint] = frozenset({"messages"})
# What Anthropic's count_tokens takes of a Messages body.
COUNTED_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking")


class AnthropicBackend:
    def __init__(self, name: str, cfg: BackendConfig, api_key: str | None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        assert cfg.base_url is not None
        self.name = name
        self.zone: Zone = cfg.zone
        base = cfg.base_url.rstrip("/")
        self._url = (base.removesuffix("/v1")) + "/v1/messages"
        headers = {"content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION, **cfg.headers}
        if api_key:
            headers["x-api-key"] = api_key
        self._http = HttpTransport(name, cfg, headers, transport)

    @property
    def speaks(self) -> frozenset[Endpoint]:
        return SPEAKS

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        """Forward an Anthropic Messages body (the caller has set the upstream ``model``); answer
        the upstream's own bytes, a message or an Anthropic event stream."""
        if call.endpoint != "messages":
            raise BackendFailure(f"backend {self.name} does not serve the {call.endpoint} endpoint",
                                 kind="unsupported", before_first_byte=True, status=400)
        body, stream = call.body, call.stream
        payload = {**body, "stream": True} if stream else {k: v for k, v in body.items() if k != "stream"}
        response = await self._open(payload, call.headers)
        passed = _pass_headers(response)
        if stream and _is_sse(response):
            chunks = self._watch(response)
            return await prime(self.name, chunks, response.aclose, first_byte=self._http.timeout.first_byte,
                               headers=passed)
        message = await self._message(response, stream, passed)
        return UpstreamReply(200, orjson.dumps(message), passed, message)

    async def start(self) -> None:
        self._http.start()

    def state(self) -> BackendState:
        return READY

    async def count_tokens(self, call: UpstreamCall) -> int | None:
        """Anthropic's own count (``/v1/messages/count_tokens``): the caller has checked that the
        body may go to this backend's zone."""
        if call.endpoint != "messages":
            return None
        body = {k: v for k, v in call.body.items() if k in COUNTED_FIELDS}
        response = await self._http.open(self._url + "/count_tokens", orjson.dumps(body), call.headers)
        content = await self._http.read(response)
        if response.status != 200:
            raise failure_from_status(self.name, response.status, content, _pass_headers(response),
                                      anthropic_error_body)
        try:
            count = orjson.loads(content).get("input_tokens")
        except (orjson.JSONDecodeError, AttributeError):
            count = None
        return count if isinstance(count, int) else None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _open(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
        return await self._http.open(self._url, orjson.dumps(body), headers)

    async def _message(self, response: Response, stream: bool, headers: Mapping[str, str]) -> dict[str, Any]:
        """Read a whole answer: an Anthropic message, or the failure it stands for."""
        content = await self._http.read(response)
        if response.status >= 400:
            raise failure_from_status(self.name, response.status, content, headers, anthropic_error_body)
        if stream:
            raise BackendFailure(f"backend {self.name} answered a stream request without a stream",
                                 kind="protocol", before_first_byte=True, status=502)
        try:
            message: Any = orjson.loads(content)
        except orjson.JSONDecodeError:
            message = None
        if response.status != 200 or not isinstance(message, dict) or message.get("type") != "message":
            raise BackendFailure(f"backend {self.name} sent a body that is not a message", kind="protocol",
                                 before_first_byte=True, status=502)
        return message

    async def _watch(self, response: Response) -> AsyncGenerator[bytes, None]:
        """Relay raw Anthropic SSE bytes, watching for an error event and for the end."""
        parser = SSEParser()
        seen = False
        async for raw in self._http.relay(response):
            events = parser.feed(raw)
            seen = seen or bool(events)
            kinds = [ev.event or self._data(ev).get("type") for ev in events]
            if "error" in kinds:
                raise StreamBroken(f"backend {self.name}: {self._error(events)}", "stream_error")
            yield raw
            if "message_stop" in kinds:
                return
        tail = parser.close()
        if not any((ev.event or self._data(ev).get("type")) == "message_stop" for ev in tail):
            raise self._ended_early(seen or bool(tail))

    def _data(self, ev: SSEEvent) -> dict[str, Any]:
        try:
            data: Any = ev.json()
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            raise StreamBroken(f"backend {self.name} sent an event that is not a JSON object", "protocol")
        return data

    def _error(self, events: list[SSEEvent]) -> str:
        for ev in events:
            data = self._data(ev)
            if (ev.event or data.get("type")) == "error":
                return anthropic_error(data).message  # its type, never its text
        return "upstream model error"

    def _ended_early(self, seen: bool) -> StreamBroken:
        if not seen:
            return StreamBroken(f"backend {self.name} sent no events", "protocol")
        return StreamBroken(f"backend {self.name}: the stream ended before the message was complete", "truncated")


def _pass_headers(response: Response) -> dict[str, str]:
    return {h: v for h in PASS_HEADERS if (v := response.header(h)) is not None}


def _is_sse(response: Response) -> bool:
    return response.status == 200 and (response.header("content-type") or "").startswith("text/event-stream")
