"""The OpenAI ingresses: chat completions, completions, embeddings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.api.ingress.base import Forward, Ingress, require, require_messages, unsupported
from gateway.api.ingress.readers import OpenAIReader, StreamReader
from gateway.backends.base import Backend, UpstreamCall
from gateway.errors import BackendFailure, GatewayError
from gateway.observability.cost import Usage, usage_from_openai
from gateway.outbound import OPENAI_FORWARDED
from gateway.request import GatewayRequest
from gateway.types import Endpoint
from gateway.wire import to_anthropic_request, to_openai_response
from gateway.wire.streams import anthropic_to_chat


def wants_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get("include_usage") is True


def untranslatable(backend: Backend, exc: GatewayError) -> BackendFailure:
    """A request the backend's format cannot express (e.g. ``n`` > 1 for Anthropic)."""
    return BackendFailure(
        f"backend {backend.name}: {exc.message}",
        kind="unsupported",
        before_first_byte=True,
        status=exc.status,
        body=exc.to_openai(),
    )


class _OpenAIFormat(Ingress):
    """What the OpenAI formats share: answers with ``usage``, ``data:`` streams ending in
    ``[DONE]``, errors in OpenAI's shape."""

    def usage(self, answer: dict[str, Any] | None) -> Usage | None:
        return usage_from_openai(answer.get("usage")) if answer is not None else None

    def reader(self, public_model: str | None, strip_usage: bool) -> StreamReader:
        return OpenAIReader(public_model, strip_usage)

    def answer_chars(self, answer: dict[str, Any] | None) -> int:
        total = 0
        for choice in (answer or {}).get("choices") or []:
            if isinstance(choice, dict):
                message = choice.get("message")
                text = message.get("content") if isinstance(message, dict) else choice.get("text")
                if isinstance(text, str):
                    total += len(text)
        return total

    def native_openai(self, greq: GatewayRequest, upstream_model: str) -> Forward:
        """Forwarded as it is; a stream asks for usage (for metrics and cost), and the relay
        drops it again for a client that did not ask."""
        call = self.native(greq, upstream_model, OPENAI_FORWARDED)
        if greq.stream and not wants_usage(greq.body):
            options = greq.body.get("stream_options")
            call.body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
            return Forward(call, strip_usage=True)
        return Forward(call)


class ChatIngress(_OpenAIFormat):
    endpoint: Endpoint = "chat"

    def check(self, body: dict[str, Any]) -> None:
        require_messages(body)

    def forward(self, backend: Backend, greq: GatewayRequest, upstream_model: str, public_model: str) -> Forward:
        if "chat" in backend.speaks:
            return self.native_openai(greq, upstream_model)
        if "messages" in backend.speaks:
            try:
                body = to_anthropic_request(greq.body, upstream_model)
            except GatewayError as exc:
                raise untranslatable(backend, exc) from None
            include = wants_usage(greq.body)
            return Forward(
                UpstreamCall("messages", body, greq.stream),
                reply=lambda message: to_openai_response(message, model=public_model),
                stream=lambda chunks: anthropic_to_chat(chunks, model=public_model, include_usage=include),
            )
        raise unsupported(backend, self.endpoint)


class CompletionsIngress(_OpenAIFormat):
    endpoint: Endpoint = "completions"

    def check(self, body: dict[str, Any]) -> None:
        require(body, "prompt", (str, list), "a string or an array")

    def forward(self, backend: Backend, greq: GatewayRequest, upstream_model: str, public_model: str) -> Forward:
        if "completions" in backend.speaks:
            return self.native_openai(greq, upstream_model)
        raise unsupported(backend, self.endpoint)


class EmbeddingsIngress(_OpenAIFormat):
    endpoint: Endpoint = "embeddings"

    def check(self, body: dict[str, Any]) -> None:
        require(body, "input", (str, list), "a string or an array")

    def forward(self, backend: Backend, greq: GatewayRequest, upstream_model: str, public_model: str) -> Forward:
        if "embeddings" in backend.speaks:
            return Forward(self.native(greq, upstream_model, OPENAI_FORWARDED))
        raise unsupported(backend, self.endpoint)
