"""Everything known about one request as it moves along the request path (never logged whole:
:func:`gateway.api.record.record` writes the per-request record, without content)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.api.headers import request_id
from gateway.limits import Verdict
from gateway.outbound import Outbound
from gateway.policy import Decision
from gateway.redact import Redaction
from gateway.signals import Semantic, Signals
from gateway.types import Endpoint, Zone


@dataclass
class Exchange:
    endpoint: Endpoint
    started: float
    request_id: str
    key_id: str | None = None
    team: str | None = None
    requested_model: str | None = None
    signals: Signals | None = None
    outbound: Outbound | None = None  # what the request would send upstream (never logged)
    semantic_ahead: asyncio.Task[Semantic] | None = None  # scored alongside the detection (a quiet pool)
    decision: Decision | None = None
    served_model: str | None = None  # the public name of the model that served
    backend: str | None = None
    zone: Zone | None = None
    upstream_seconds: float = 0.0
    classify_seconds: float = 0.0
    limits: Verdict | None = None  # the key's limits admitted (or refused) this request
    redaction: Redaction | None = None  # the redacted request and the way back (never logged)
    finished: bool = False  # counted and audited


def start_exchange(endpoint: Endpoint, headers: Mapping[str, str]) -> Exchange:
    return Exchange(endpoint=endpoint, started=time.perf_counter(), request_id=request_id(headers))
