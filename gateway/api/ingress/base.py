"""What an ingress (one client API) owns, and the pieces every ingress shares.

An :class:`Ingress` knows its API's wire format end to end: what a valid body is
(:meth:`~Ingress.validate`), what of it would leave for an upstream (:meth:`~Ingress.outbound`,
the walk the detector reads), how to send it to a given backend (:meth:`~Ingress.forward`:
natively when the backend speaks the format, else translated to one it speaks, with the way
back for whole answers and streams), how to read its answers (:meth:`~Ingress.usage`,
:meth:`~Ingress.reader`) and its error shape (:meth:`~Ingress.error_body`,
:meth:`~Ingress.stream_error`). The request path (:mod:`gateway.api.path`) knows none of this.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.api.ingress.readers import StreamReader, rename_model
from gateway.backends.base import Backend, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.transport import prime
from gateway.errors import BackendFailure, BadRequest, GatewayError
from gateway.observability.cost import Usage
from gateway.outbound import Outbound, outbound
from gateway.redact import Restoration
from gateway.request import GatewayRequest
from gateway.types import ENDPOINT_TABLE, Endpoint, EndpointSpec

Chunks = AsyncIterator[bytes]


def _same(chunks: Chunks) -> Chunks:
    return chunks


@dataclass
class Forward:
    """How one request goes to one backend: the call, and the way back to the client's format
    (for a whole answer: ``reply``, a parsed answer of the upstream's format to the client's;
    for a stream: ``stream``, bytes to bytes). ``strip_usage``: the gateway asked the upstream
    for usage the client did not want."""

    call: UpstreamCall
    reply: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    stream: Callable[[Chunks], Chunks] = field(default=_same)
    strip_usage: bool = False
    # a redacted request: the values go back into the answer, in the client's format
    restore: Restoration | None = None

    async def answer(
        self, result: UpstreamReply | UpstreamStream, *, backend: str, first_byte: float
    ) -> UpstreamReply | UpstreamStream:
        """The upstream's result in the client's format. The first event of a stream, as the client
        will get it, is read before the stream is handed on: a stream that fails at once (an error,
        garbage, nothing within ``first_byte`` seconds) is still a failure before the first byte,
        which a retry or a fallback may mend."""
        if isinstance(result, UpstreamStream):
            chunks = self.stream(result.chunks)
            if self.restore is not None:
                chunks = self.restore.stream(chunks)
            return await prime(
                backend, chunks, result.aclose, first_byte=first_byte, status=result.status, headers=result.headers
            )
        if self.reply is None and self.restore is None:
            return result
        parsed = result.json()
        try:
            translated = (self.reply(parsed) if self.reply is not None else parsed) if parsed is not None else None
            if translated is not None and self.restore is not None:
                translated = self.restore.reply(translated)
        except (GatewayError, KeyError, TypeError, AttributeError, ValueError):
            translated = None
        if translated is None:
            raise BackendFailure(
                "the backend's answer could not be translated", kind="protocol", before_first_byte=True, status=502
            )
        return UpstreamReply(result.status, orjson.dumps(translated), result.headers, translated)


def unsupported(backend: Backend, endpoint: Endpoint, why: str | None = None) -> BackendFailure:
    what = why or f"the {endpoint} API in any format it speaks"
    return BackendFailure(
        f"backend {backend.name} cannot serve {what}", kind="unsupported", before_first_byte=True, status=400
    )


def require_messages(body: Mapping[str, Any]) -> list[Any]:
    """A non-empty ``messages`` array of objects, each with a string ``role`` (chat and Messages)."""
    messages: list[Any] = require(body, "messages", (list,), "an array of messages")
    if not messages:
        raise BadRequest("'messages' must not be empty", param="messages")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise BadRequest(f"messages[{i}] must be an object", param=f"messages[{i}]")
        if not isinstance(msg.get("role"), str):
            raise BadRequest(f"messages[{i}].role must be a string", param=f"messages[{i}].role")
    return messages


def require(body: Mapping[str, Any], name: str, kinds: tuple[type, ...], what: str) -> Any:
    if name not in body:
        raise BadRequest(f"missing required field '{name}'", param=name)
    value = body[name]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise BadRequest(f"'{name}' must be {what}", param=name)
    return value


class Ingress:
    """One client API. Subclasses set :attr:`endpoint` and implement the format's parts."""

    endpoint: Endpoint

    @property
    def spec(self) -> EndpointSpec:
        return ENDPOINT_TABLE[self.endpoint]

    # --- what comes in --------------------------------------------------------------------

    def validate(self, body: dict[str, Any]) -> tuple[str, bool]:
        """Check the fields the gateway reads; return (model, stream). Everything else passes."""
        model = require(body, "model", (str,), "a string")
        if not model:
            raise BadRequest("'model' must not be empty", param="model")
        stream = body.get("stream", False)
        if stream is None:
            stream = False
        if not isinstance(stream, bool):
            raise BadRequest("'stream' must be a boolean", param="stream")
        if stream and not self.spec.streams:
            raise BadRequest(f"the {self.endpoint} endpoint does not stream", param="stream")
        options = body.get("stream_options")
        if options is not None and not isinstance(options, dict):
            raise BadRequest("'stream_options' must be an object", param="stream_options")
        self.check(body)
        return model, stream

    def check(self, body: dict[str, Any]) -> None:
        """The format's own required fields."""

    def outbound(self, body: Mapping[str, Any], headers: Mapping[str, str]) -> Outbound:
        """Everything of the body and headers that would leave for an upstream."""
        return outbound(self.endpoint, body, headers)

    # --- what goes out and comes back -----------------------------------------------------

    def forward(self, backend: Backend, greq: GatewayRequest, upstream_model: str, public_model: str) -> Forward:
        raise NotImplementedError

    def native(self, greq: GatewayRequest, upstream_model: str, headers: tuple[str, ...]) -> UpstreamCall:
        """The client's body as it is, with the upstream model, and the forwarded headers."""
        forward = {h: greq.headers[h] for h in headers if h in greq.headers}
        return UpstreamCall(self.endpoint, {**greq.body, "model": upstream_model}, greq.stream, forward)

    def usage(self, answer: dict[str, Any] | None) -> Usage | None:
        """The usage a whole answer of this format reports."""
        raise NotImplementedError

    def answer_chars(self, answer: dict[str, Any] | None) -> int:
        """The length of the generated text (for an estimate when no usage was reported)."""
        return 0

    def reader(self, public_model: str | None, strip_usage: bool) -> StreamReader:
        raise NotImplementedError

    def rename(self, body: bytes, public_model: str | None) -> bytes:
        """A whole answer's ``model`` set to the public model name."""
        return rename_model(body, public_model)

    # --- errors ---------------------------------------------------------------------------

    def error_body(self, exc: GatewayError) -> dict[str, object]:
        return exc.to_anthropic() if self.spec.errors == "anthropic" else exc.to_openai()

    def stream_error(self, message: str, code: str, sequence: int = 0) -> bytes:
        body = {"error": {"message": message, "type": "upstream_error", "code": code, "param": None}}
        return b"data: " + orjson.dumps(body) + b"\n\n"
