"""The OpenAI Responses API ingress (``/v1/responses``), stateless.

A backend that has the Responses API (``responses: true`` on an OpenAI-type backend) gets the
body as it is. Any other gets it translated to chat completions (and, for Anthropic, on to
Messages), and its answer, whole or streamed with the typed events, translated back (see
:mod:`gateway.wire`). ``previous_response_id`` needs stored state the gateway does not keep:
it is a 400.
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.api.ingress.base import Forward, Ingress, require, unsupported
from gateway.api.ingress.readers import ResponsesReader, StreamReader, responses_usage
from gateway.backends.base import Backend
from gateway.errors import BadRequest
from gateway.observability.cost import Usage
from gateway.outbound import OPENAI_FORWARDED
from gateway.request import GatewayRequest
from gateway.types import Endpoint


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
