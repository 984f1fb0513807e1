"""Names the whole package shares, each defined once: zones, the endpoint table, content kinds and
the kinds of backend failure.

The endpoint table is what the HTTP app (paths), the request type and the policy schema
(``endpoint`` conditions) read; adding an API is one row here and one ingress object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Zone = Literal["local", "cloud"]
ZONES: tuple[Zone, ...] = get_args(Zone)

Endpoint = Literal["chat", "completions", "embeddings", "messages", "responses"]
ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)

ErrorShape = Literal["openai", "anthropic"]


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    name: Endpoint
    path: str
    streams: bool  # the API streams (SSE) when the body says "stream": true
    errors: ErrorShape  # the shape of error bodies and in-stream error events


ENDPOINT_TABLE: dict[Endpoint, EndpointSpec] = {
    "chat": EndpointSpec("chat", "/v1/chat/completions", True, "openai"),
    "completions": EndpointSpec("completions", "/v1/completions", True, "openai"),
    "embeddings": EndpointSpec("embeddings", "/v1/embeddings", False, "openai"),
    "messages": EndpointSpec("messages", "/v1/messages", True, "anthropic"),
    "responses": EndpointSpec("responses", "/v1/responses", True, "openai"),
}

# What a model does: a request only ever goes to a model of its kind.
ModelKind = Literal["chat", "embedding"]


def kind_of(endpoint: Endpoint) -> ModelKind:
    """The kind of model an endpoint needs."""
    return "embedding" if endpoint == "embeddings" else "chat"


# What a request carries that cannot be read as text (see gateway.outbound).
ContentKind = Literal["image", "audio", "file", "token_ids", "unreadable"]
CONTENT_KINDS: tuple[ContentKind, ...] = get_args(ContentKind)

# Confidential content that carries no identifier (DESIGN.md, "Categories"), scored 0..1.
Category = Literal["financial", "health", "legal", "hr", "source_code", "trade_secret", "security"]
CATEGORIES: tuple[Category, ...] = get_args(Category)

# Why a backend could not serve a request (gateway.errors.BackendFailure.kind; a metrics label).
FailureKind = Literal[
    "connect",  # no connection, or it broke before an answer
    "timeout",  # first byte, idle or total timeout
    "status",  # the upstream answered an error status
    "protocol",  # the answer was not what the wire format says
    "unsupported",  # the request cannot be expressed for this backend
    "unavailable",  # the backend cannot serve now (a model not loaded, shutting down)
    "circuit_open",  # the circuit breaker is open
    "queue_full",  # an embedded model's queue is full
    "generation",  # an embedded model failed while generating
    "stream_error",  # the upstream sent an error event inside a stream
    "truncated",  # a stream ended before it was complete
]
