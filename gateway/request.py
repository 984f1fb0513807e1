"""The one internal request type.

Handlers parse the wire body once into a :class:`GatewayRequest`; the detector reads what it
would send upstream (:func:`outbound_of`, see :mod:`gateway.outbound`); the policy reads its
endpoint, model, key, team and headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.outbound import Outbound, outbound
from gateway.types import Endpoint


@dataclass
class GatewayRequest:
    endpoint: Endpoint
    body: dict[str, Any]
    model: str
    stream: bool
    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    key_id: str | None = None
    team: str | None = None


def outbound_of(request: GatewayRequest) -> Outbound:
    """What ``request`` would send upstream: its body and the headers the gateway forwards."""
    return outbound(request.endpoint, request.body, request.headers)
