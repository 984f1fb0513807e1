"""``POST /v1/messages``: the Anthropic Messages API as ingress.

The same detection and policy apply. A backend that speaks Anthropic gets the body as it is
(no lossy double translation); any other backend gets it translated to an OpenAI chat request,
and its answer (whole or streamed) is translated back into Anthropic's shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol, cast

import orjson

from gateway.api.pipeline import Exchange, Send
from gateway.backends.base import Backend, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.errors import BackendFailure, GatewayError, StreamBroken
from gateway.observability.cost import Usage
from gateway.request import GatewayRequest
from gateway.wire import OpenAIToAnthropicStream, to_anthropic_response, to_openai_request
from gateway.wire.sse import SSEParser, format_json_event


class NativeAnthropic(Protocol):
    supports_native: bool

    async def send_native(self, body: dict[str, Any], stream: bool,
                          headers: Mapping[str, str] | None = None) -> UpstreamReply | UpstreamStream: ...


def _native(backend: Backend) -> NativeAnthropic | None:
    return cast(NativeAnthropic, backend) if getattr(backend, "supports_native", False) else None


def forward_messages(ex: Exchange, greq: GatewayRequest) -> Send:
    async def send(backend: Backend, upstream_model: str) -> UpstreamReply | UpstreamStream:
        native = _native(backend)
        if native is not None:
            return await native.send_native({**greq.body, "model": upstream_model}, greq.stream, greq.headers)
        try:
            body = to_openai_request(greq.body, upstream_model)
        except GatewayError as exc:
            raise BackendFailure(exc.message, kind="unsupported", before_first_byte=True, status=exc.status) from None
        result = await backend.send(UpstreamCall("chat", body, greq.stream))
        if isinstance(result, UpstreamStream):
            return UpstreamStream(result.status, _translate_stream(result, greq.model), result.aclose,
                                  result.headers)
        return _translate_reply(result, greq.model)

    return send


def reply_usage(reply: UpstreamReply) -> Usage | None:
    """Usage of an Anthropic message body."""
    message = reply.json()
    usage = message.get("usage") if message is not None else None
    if not isinstance(usage, dict) or not isinstance(usage.get("input_tokens"), int):
        return None
    prompt = usage["input_tokens"] + int(usage.get("cache_read_input_tokens") or 0)
    return Usage(prompt, int(usage.get("output_tokens") or 0), int(usage.get("cache_read_input_tokens") or 0))


def _translate_reply(reply: UpstreamReply, model: str) -> UpstreamReply:
    completion = reply.json()
    message = None
    if completion is not None:
        with contextlib.suppress(GatewayError, KeyError, TypeError, AttributeError):
            message = to_anthropic_response(completion, model=model)
    if message is None:
        raise BackendFailure("the backend's answer could not be translated", kind="protocol",
                             before_first_byte=True, status=502)
    return UpstreamReply(reply.status, orjson.dumps(message), reply.headers, message)


async def _translate_stream(stream: UpstreamStream, model: str) -> AsyncIterator[bytes]:
    parser = SSEParser()
    translator = OpenAIToAnthropicStream(model=model)
    finished = False
    async for chunk in stream.chunks:
        out: list[bytes] = []
        for event in parser.feed(chunk):
            if event.data == "[DONE]":
                out.extend(format_json_event(data, name) for name, data in translator.finish())
                finished = True
                continue
            try:
                data = event.json()
            except ValueError:
                raise StreamBroken("the backend sent an event that is not JSON", "protocol") from None
            if isinstance(data, dict):
                out.extend(format_json_event(d, name) for name, d in translator.feed(data))
        if out:
            yield b"".join(out)
        if finished:
            return
