"""Send a client body through an ingress to a backend, as the request path does (forward, send,
translate the answer back), without HTTP in front: for adapter tests over httpx.MockTransport
and the fake servers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.api.ingress import ingresses
from gateway.backends.base import Backend, UpstreamReply, UpstreamStream
from gateway.request import GatewayRequest
from gateway.types import Endpoint

INGRESSES = ingresses()


async def via(endpoint: Endpoint, backend: Backend, body: dict[str, Any], stream: bool,
              headers: Mapping[str, str] | None = None) -> UpstreamReply | UpstreamStream:
    greq = GatewayRequest(endpoint=endpoint, body=body, model=str(body["model"]), stream=stream,
                          request_id="t", headers=headers or {})
    forward = INGRESSES[endpoint].forward(backend, greq, str(body["model"]), str(body["model"]))
    first_byte = getattr(getattr(backend, "_http", None), "timeout", None)
    wait = first_byte.first_byte if first_byte is not None else 60.0
    return await forward.answer(await backend.send(forward.call), backend=backend.name, first_byte=wait)
