"""Reversible redaction (DESIGN.md, "Redaction"): pseudonymise a request for the cloud, restore
the values in its answer.

* :func:`~gateway.redact.plan.redact`: the body with every value of the route's types replaced by
  a typed, numbered placeholder, numbered by first appearance over the conversation;
* :class:`~gateway.redact.restore.Restorer`: the values back in whole answers, JSON texts and
  streamed text;
* :mod:`gateway.redact.events`: streams of each client format restored event by event.

The mapping from placeholders to values lives in one request's :class:`Redaction` and nowhere
else: logs, audit and metrics see the counts per type only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.redact.events import FORMATS, restore_stream
from gateway.redact.plan import Redacted, Unredactable, redact
from gateway.redact.restore import Restorer
from gateway.redact.values import ValueKeys
from gateway.request import GatewayRequest
from gateway.types import Endpoint

__all__ = ["Redacted", "Redaction", "Restoration", "Restorer", "Unredactable", "ValueKeys", "redact"]


@dataclass(frozen=True, slots=True)
class Restoration:
    """The way back for one answer in the client's format (``endpoint``)."""

    restorer: Restorer
    endpoint: Endpoint

    def reply(self, answer: dict[str, Any]) -> dict[str, Any]:
        restored = self.restorer.walk(answer)
        assert isinstance(restored, dict)
        return restored

    def stream(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        return restore_stream(chunks, FORMATS[self.endpoint](self.restorer))


@dataclass(frozen=True, slots=True)
class Redaction:
    """One request's redaction: the request as it leaves, and the way back."""

    request: GatewayRequest
    restorer: Restorer
    counts: Mapping[str, int]  # entity type -> values replaced

    def restoration(self, endpoint: Endpoint) -> Restoration | None:
        """How answers of this client format are restored (None: nothing comes back as text)."""
        return Restoration(self.restorer, endpoint) if endpoint in FORMATS else None
