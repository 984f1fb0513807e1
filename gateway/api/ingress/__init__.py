"""One ingress object per client API (see :mod:`gateway.api.ingress.base`), by endpoint."""

from __future__ import annotations

from gateway.api.ingress.anthropic import MessagesIngress
from gateway.api.ingress.base import Forward, Ingress
from gateway.api.ingress.openai import ChatIngress, CompletionsIngress, EmbeddingsIngress
from gateway.api.ingress.responses import ResponsesIngress
from gateway.types import ENDPOINTS, Endpoint


def ingresses() -> dict[Endpoint, Ingress]:
    """Every client API the gateway serves, one ingress each (the endpoint table's rows)."""
    table: dict[Endpoint, Ingress] = {
        "chat": ChatIngress(),
        "completions": CompletionsIngress(),
        "embeddings": EmbeddingsIngress(),
        "messages": MessagesIngress(),
        "responses": ResponsesIngress(),
    }
    assert set(table) == set(ENDPOINTS)
    return table


__all__ = ["Forward", "Ingress", "ingresses"]
