"""Adapter for the Anthropic Messages API (``POST {base_url}/v1/messages``), raw HTTP.

Two ways in:

- :meth:`AnthropicBackend.send` serves the gateway's internal OpenAI-format chat calls: the body
  is translated with :func:`to_anthropic_request`, the answer with :func:`to_openai_response`,
  and a stream is parsed event by event and re-emitted as OpenAI ``chat.completion.chunk`` SSE
  ending with ``data: [DONE]``.
- :meth:`AnthropicBackend.send_native` forwards an Anthropic-format body (``/v1/messages``
  ingress) and relays the upstream's SSE bytes unchanged: no lossy double translation.

Either way the first event of a stream is read before the stream is handed on, so a stream that
fails at once is still a :class:`BackendFailure` (retry and fallback allowed); later, an
in-stream ``error`` event, a cut or a stream that ends before ``message_stop`` raise
:class:`StreamBroken`. Upstream error messages are never passed on (they may quote the prompt).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx
import orjson

from gateway.backends.base import UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.failures import anthropic_error_body, failure_from_status
from gateway.backends.http import Response
from gateway.backends.transport import HttpTransport, prime
from gateway.config import BackendConfig
from gateway.errors import BackendFailure, GatewayError, StreamBroken
from gateway.types import Zone
from gateway.wire import (
    AnthropicToOpenAIStream,
    anthropic_error,
    to_anthropic_request,
    to_openai_response,
)
from gateway.wire.sse import DONE, SSEEvent, SSEParser, format_json_event

ANTHROPIC_VERSION = "2023-06-01"
# Response headers worth passing to the client.
PASS_HEADERS = ("request-id", "retry-after", "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-tokens-remaining")
# Client headers a native (``/v1/messages``) call may forward.
NATIVE_FORWARD = ("anthropic-beta",)


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

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        if call.endpoint != "chat":
            raise BackendFailure(f"backend {self.name} does not serve the {call.endpoint} endpoint",
                                 kind="unsupported", before_first_byte=True, status=400)
        model = str(call.body.get("model", ""))
        try:
            body = to_anthropic_request(call.body, model)
        except GatewayError as exc:  # e.g. n > 1: the request cannot be expressed for this backend
            raise BackendFailure(f"backend {self.name}: {exc.message}", kind="unsupported",
                                 before_first_byte=True, status=exc.status, body=exc.to_openai()) from None
        if call.stream:
            body["stream"] = True
        options = call.body.get("stream_options")
        include_usage = isinstance(options, Mapping) and options.get("include_usage") is True
        response = await self._open(body)
        headers = _pass_headers(response)
        if call.stream and _is_sse(response):
            chunks = self._to_openai(response, model, include_usage)
            return await prime(self.name, chunks, response.aclose, first_byte=self._http.timeout.first_byte,
                               headers=headers)
        message = await self._message(response, call.stream, headers)
        completion = to_openai_response(message)
        return UpstreamReply(200, orjson.dumps(completion), headers, completion)

    async def send_native(self, body: Mapping[str, Any], stream: bool,
                          headers: Mapping[str, str] | None = None) -> UpstreamReply | UpstreamStream:
        """Forward an Anthropic Messages body as it is (the caller has set the upstream
        ``model``); answer the upstream's own bytes, a message or an Anthropic event stream."""
        payload = {**body, "stream": True} if stream else {k: v for k, v in body.items() if k != "stream"}
        forward = {h: v for h, v in (headers or {}).items() if h.lower() in NATIVE_FORWARD}
        response = await self._open(payload, forward)
        passed = _pass_headers(response)
        if stream and _is_sse(response):
            chunks = self._watch(response)
            return await prime(self.name, chunks, response.aclose, first_byte=self._http.timeout.first_byte,
                               headers=passed)
        message = await self._message(response, stream, passed)
        return UpstreamReply(200, orjson.dumps(message), passed, message)

    async def start(self) -> None:
        self._http.start()

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

    async def _to_openai(self, response: Response, model: str,
                         include_usage: bool) -> AsyncGenerator[bytes, None]:
        """Anthropic SSE in, OpenAI chunk SSE out (one write per upstream network chunk)."""
        parser = SSEParser()
        tr = AnthropicToOpenAIStream(model=model, include_usage=include_usage)
        seen = False
        async for raw in self._http.relay(response):
            events = parser.feed(raw)
            seen = seen or bool(events)
            out = b"".join(self._translate(tr, ev) for ev in events)
            if tr.done:
                yield out + DONE
                return
            if out:
                yield out
        last = parser.close()
        tail = b"".join(self._translate(tr, ev) for ev in last)
        if not tr.done:
            raise self._ended_early(seen or bool(last))
        yield tail + DONE

    def _translate(self, tr: AnthropicToOpenAIStream, ev: SSEEvent) -> bytes:
        data = self._data(ev)
        try:
            chunks = tr.feed(ev.event, data)
        except GatewayError as exc:
            raise StreamBroken(f"backend {self.name}: {exc.message}", "stream_error") from None
        return b"".join(format_json_event(c) for c in chunks)

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
