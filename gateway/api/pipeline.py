"""The request path: parse -> classify -> evaluate -> dispatch. No HTTP framework here beyond
reading the body; responses are built in :mod:`gateway.api.respond`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request

from gateway.api.auth import authenticate
from gateway.api.body import parse_json, read_body, validate
from gateway.api.headers import request_id
from gateway.api.state import Gateway
from gateway.backends.base import Backend, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.errors import BackendFailure, ModelNotFound, NoBackendAvailable
from gateway.limits import Verdict, estimate_tokens
from gateway.policy import Decision, evaluate, zone_allowed
from gateway.request import Endpoint, GatewayRequest, text_parts
from gateway.signals import Signals

# Headers a client may send that an OpenAI-compatible upstream should see.
FORWARD_HEADERS = ("openai-organization", "openai-project", "openai-beta")


@dataclass
class Exchange:
    """Everything known about one request as it moves along the path (never logged whole)."""

    endpoint: Endpoint
    started: float
    request_id: str
    key_id: str | None = None
    team: str | None = None
    requested_model: str | None = None
    signals: Signals | None = None
    decision: Decision | None = None
    served_model: str | None = None
    backend: str | None = None
    zone: str | None = None
    upstream_seconds: float = 0.0
    strip_usage: bool = False  # the gateway asked the upstream for usage the client did not want
    limits: Verdict | None = None  # the key's limits admitted (or refused) this request
    finished: bool = False  # counted and audited


def start_exchange(endpoint: Endpoint, request: Request) -> Exchange:
    return Exchange(endpoint=endpoint, started=time.perf_counter(), request_id=request_id(request.headers))


async def prepare(gw: Gateway, ex: Exchange, request: Request, *, limit: bool = True) -> GatewayRequest:
    """Authenticate, check the key's limits (``limit``), read, validate and classify; evaluate
    the policy into ``ex.decision``. A refused request costs no classification."""
    key = authenticate(request.headers, gw.tenancy.current)
    ex.key_id, ex.team = (key.id, key.team) if key is not None else (None, None)
    raw = await read_body(request, gw.config.server.max_body_bytes)
    if limit and key is not None and key.rules is not None:
        ex.limits = await gw.limits.check(key.rules, estimate_tokens(len(raw)))
        if not ex.limits.allowed:
            raise ex.limits.error()
    body = parse_json(raw)
    model, stream = validate(ex.endpoint, body)
    ex.requested_model = model if model == "auto" or model in gw.config.models else None
    if ex.requested_model is None:
        raise ModelNotFound(f"the model '{_safe_name(model)}' does not exist", param="model")
    greq = GatewayRequest(endpoint=ex.endpoint, body=body, model=model, stream=stream,
                          request_id=ex.request_id, headers=request.headers, key_id=ex.key_id,
                          team=ex.team)
    parts, opaque = text_parts(ex.endpoint, body)
    t = time.perf_counter()
    ex.signals = await gw.classifier.classify(parts, opaque)
    gw.metrics.classify.observe(time.perf_counter() - t)
    ex.decision = evaluate(gw.policies.current, ex.signals, greq)
    for guard, zone in ex.decision.denials:
        gw.metrics.guard_denials.labels(guard=guard, zone=zone).inc()
    for entity_type, count in ex.decision.entities.items():
        gw.metrics.entities.labels(entity_type=entity_type).inc(count)
    return greq


Send = Callable[[Backend, str], Awaitable[UpstreamReply | UpstreamStream]]


def forward_openai(ex: Exchange, greq: GatewayRequest) -> Send:
    """Send the client's OpenAI body as it is, with the upstream model name set."""
    forward = {h: greq.headers[h] for h in FORWARD_HEADERS if h in greq.headers}

    body = dict(greq.body)
    options = body.get("stream_options")
    if greq.stream and ex.endpoint in ("chat", "completions") and not (options or {}).get("include_usage"):
        # Ask for usage (for metrics and cost); the relay drops it for a client that did not ask.
        body["stream_options"] = {**(options or {}), "include_usage": True}
        ex.strip_usage = True

    async def send(backend: Backend, upstream_model: str) -> UpstreamReply | UpstreamStream:
        body["model"] = upstream_model
        return await backend.send(UpstreamCall(ex.endpoint, body, greq.stream, forward))

    return send


async def dispatch(gw: Gateway, ex: Exchange, send: Send) -> UpstreamReply | UpstreamStream:
    """Send to the decision's target, then to its fallbacks, in order. Every hop checks the
    zone invariant again, independently of how the target was chosen."""
    decision = ex.decision
    assert decision is not None
    last: BackendFailure | None = None
    previous: str | None = None
    candidates = (decision.model, *decision.fallbacks) if decision.model else ()
    for name in candidates:
        model_cfg = gw.config.models.get(name)
        if model_cfg is None:
            continue
        backend = gw.backends[model_cfg.backend]
        if not zone_allowed(decision, backend.zone):
            continue  # the invariant's second check: never into a denied zone
        if previous is not None:
            gw.metrics.fallbacks.labels(from_backend=previous, to_backend=backend.name).inc()
        previous = backend.name
        ex.served_model, ex.backend, ex.zone = name, backend.name, backend.zone
        t = time.perf_counter()
        try:
            return await send(backend, model_cfg.model)
        except BackendFailure as failure:
            gw.metrics.backend_errors.labels(backend=backend.name, kind=failure.kind).inc()
            last = failure
            if not failure.retryable:
                raise
        finally:
            ex.upstream_seconds += time.perf_counter() - t
    if last is not None:
        raise last
    raise NoBackendAvailable("no backend allowed by the policy is available for this request")


def _safe_name(name: str) -> str:
    """A model name fit to echo in an error: short and printable (it is the client's input)."""
    clean = "".join(c for c in name[:64] if c.isprintable())
    return clean + ("..." if len(name) > 64 else "")
