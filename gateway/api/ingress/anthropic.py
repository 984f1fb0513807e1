"""The Anthropic Messages ingress (``/v1/messages``).

A backend that speaks Anthropic gets the body as it is (no lossy double translation); any other
gets it translated to an OpenAI chat request, and its answer (whole or streamed) is translated
back into Anthropic's shape. Errors have Anthropic's shape.
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.api.ingress.base import Forward, Ingress, require, require_messages, unsupported
from gateway.api.ingress.openai import untranslatable
from gateway.api.ingress.readers import AnthropicReader, StreamReader
from gateway.backends.base import Backend, UpstreamCall
from gateway.errors import GatewayError
from gateway.observability.cost import Usage
from gateway.outbound import ANTHROPIC_FORWARDED
from gateway.request import GatewayRequest
from gateway.types import Endpoint
from gateway.wire import to_anthropic_response, to_openai_request
from gateway.wire.streams import chat_to_anthropic


class MessagesIngress(Ingress):
    endpoint: Endpoint = "messages"

    needs_max_tokens = True

    def check(self, body: dict[str, Any]) -> None:
        require_messages(body)
        if self.needs_max_tokens:
            require(body, "max_tokens", (int,), "an integer")

    def forward(self, backend: Backend, greq: GatewayRequest, upstream_model: str, public_model: str) -> Forward:
        if "messages" in backend.speaks:
            return Forward(self.native(greq, upstream_model, ANTHROPIC_FORWARDED))
        if "chat" in backend.speaks:
            try:
                body = to_openai_request(greq.body, upstream_model)
            except GatewayError as exc:
                raise untranslatable(backend, exc) from None
            if greq.stream:
                body["stream"] = True
                body["stream_options"] = {"include_usage": True}
            return Forward(
                UpstreamCall("chat", body, greq.stream),
                reply=lambda completion: to_anthropic_response(completion, model=public_model),
                stream=lambda chunks: chat_to_anthropic(chunks, model=public_model),
            )
        raise unsupported(backend, self.endpoint)

    def usage(self, answer: dict[str, Any] | None) -> Usage | None:
        usage = answer.get("usage") if answer is not None else None
        if not isinstance(usage, dict) or not isinstance(usage.get("input_tokens"), int):
            return None
        cached = int(usage.get("cache_read_input_tokens") or 0)
        return Usage(usage["input_tokens"] + cached, int(usage.get("output_tokens") or 0), cached)

    def answer_chars(self, answer: dict[str, Any] | None) -> int:
        return sum(
            len(b["text"])
            for b in (answer or {}).get("content") or []
            if isinstance(b, dict) and isinstance(b.get("text"), str)
        )

    def reader(self, public_model: str | None, strip_usage: bool) -> StreamReader:
        return AnthropicReader(public_model)

    def stream_error(self, message: str, code: str, sequence: int = 0) -> bytes:
        kind = "timeout_error" if code == "upstream_timeout" else "api_error"
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return b"event: error\ndata: " + orjson.dumps(body) + b"\n\n"


class CountTokensIngress(MessagesIngress):
    """``/v1/messages/count_tokens``: a Messages body without ``max_tokens``, judged and routed
    like one (the count goes to the backend the message would)."""

    needs_max_tokens = False
