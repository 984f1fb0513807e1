"""The OpenAI Responses API ingress (``/v1/responses``), stateless.

A backend that has the Responses API (``responses: true`` on an OpenAI-type backend) gets the
body as it is. Any other gets it translated to chat completions (and, for Anthropic, on to
Messages), and its answer, whole or streamed with the typed events, translated back (see
:mod:`gateway.wire`). ``previous_response_id`` needs stored state the gateway does not keep:
it is a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from gateway.api.ingress.base import Chunks, Forward, Ingress, require, unsupported
from gateway.api.ingress.openai import untranslatable
from gateway.api.ingress.readers import ResponsesReader, StreamReader, responses_usage
from gateway.backends.base import Backend, UpstreamCall
from gateway.errors import BadRequest, GatewayError
from gateway.observability.cost import Usage
from gateway.outbound import OPENAI_FORWARDED
from gateway.request import GatewayRequest
from gateway.types import Endpoint
from gateway.wire import to_anthropic_request, to_openai_response
from gateway.wire.responses_reply import chat_to_response
from gateway.wire.responses_request import responses_to_chat
from gateway.wire.streams import anthropic_to_chat, chat_to_responses


class ResponsesIngress(Ingress):
    endpoint: Endpoint = "responses"

    def check(self, body: dict[str, Any]) -> None:
        if body.get("previous_response_id") is not None:
            raise BadRequest("previous_response_id is not supported: the gateway keeps no state; send the "
                             "conversation in 'input'", param="previous_response_id")
        value = require(body, "input", (str, list), "a string or an array of items")
        if isinstance(value, list) and not value:
            raise BadRequest("'input' must not be empty", param="input")

    def forward(self, backend: Backend, greq: GatewayRequest, upstream_model: str, public_model: str) -> Forward:
        if "responses" in backend.speaks:
            return Forward(self.native(greq, upstream_model, OPENAI_FORWARDED))
        request = greq.body
        try:
            chat = responses_to_chat(request, upstream_model)
            if "chat" not in backend.speaks and "messages" in backend.speaks:
                if chat.get("response_format") is not None:
                    raise BadRequest("text.format (structured output) cannot be sent to this model", param="text")
                messages = to_anthropic_request(chat, upstream_model)
        except GatewayError as exc:
            raise untranslatable(backend, exc) from None
        to_response: Callable[[dict[str, Any]], dict[str, Any]]
        if "chat" in backend.speaks:
            def to_response(completion: dict[str, Any]) -> dict[str, Any]:
                return chat_to_response(completion, model=public_model, request=request)

            def to_events(chunks: Chunks) -> Chunks:
                return chat_to_responses(chunks, model=public_model, request=request)

            return Forward(UpstreamCall("chat", chat, greq.stream), reply=to_response, stream=to_events)
        if "messages" in backend.speaks:
            def to_response(message: dict[str, Any]) -> dict[str, Any]:
                completion = to_openai_response(message, model=public_model)
                return chat_to_response(completion, model=public_model, request=request)

            def to_events(chunks: Chunks) -> Chunks:
                as_chat = anthropic_to_chat(chunks, model=public_model, include_usage=True)
                return chat_to_responses(as_chat, model=public_model, request=request)

            return Forward(UpstreamCall("messages", messages, greq.stream), reply=to_response, stream=to_events)
        raise unsupported(backend, self.endpoint)

    def usage(self, answer: dict[str, Any] | None) -> Usage | None:
        return responses_usage(answer.get("usage")) if answer is not None else None

    def answer_chars(self, answer: dict[str, Any] | None) -> int:
        total = 0
        for item in (answer or {}).get("output") or []:
            for part in item.get("content") or [] if isinstance(item, dict) else []:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    total += len(part["text"])
        return total

    def reader(self, public_model: str | None, strip_usage: bool) -> StreamReader:
        return ResponsesReader(public_model)

    def stream_error(self, message: str, code: str, sequence: int = 0) -> bytes:
        body = {"type": "error", "code": code, "message": message, "param": None, "sequence_number": sequence}
        return b"event: error\ndata: " + orjson.dumps(body) + b"\n\n"
