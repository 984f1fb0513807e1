"""The request path, top to bottom: authenticate, read, classify, decide, dispatch, relay, record.

Each step is a call that returns; the ingress (one per client API) supplies everything that
depends on the wire format. ``explain`` takes the same steps up to the decision, calls nothing
and counts nothing, so a dry run equals the real run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from gateway.api.auth import authenticate
from gateway.api.body import parse_json, read_body
from gateway.api.escalate import escalate
from gateway.api.exchange import Exchange, start_exchange
from gateway.api.headers import header_map
from gateway.api.ingress import Forward, Ingress
from gateway.api.ingress.anthropic import CountTokensIngress
from gateway.api.record import CLIENT_CLOSED, record
from gateway.api.redaction import decide as decide_redacted
from gateway.api.relay import error_for_failure, error_response, json_response, reply_response, stream_response
from gateway.api.state import Gateway
from gateway.backends.base import UpstreamReply, UpstreamStream
from gateway.errors import BackendFailure, BadRequest, GatewayError, ModelNotFound, NoBackendAvailable, PolicyBlocked
from gateway.limits import estimate_tokens
from gateway.policy import Decision, needs_semantics, zone_allowed
from gateway.request import GatewayRequest
from gateway.signals import Signals
from gateway.types import Endpoint

log = logging.getLogger("gateway")
COUNT_TOKENS = CountTokensIngress()
T = TypeVar("T")


class RequestPath:
    def __init__(self, gw: Gateway, ingresses: dict[Endpoint, Ingress]) -> None:
        self.gw = gw
        self.ingresses = ingresses

    async def proxy(self, ingress: Ingress, request: Request) -> Response:
        gw = self.gw
        headers = header_map(request.scope["headers"])
        ex = start_exchange(ingress.endpoint, headers)
        inflight = gw.metrics.child(gw.metrics.inflight, ingress.endpoint)
        inflight.inc()
        try:
            greq = await admit(gw, ex, ingress, request, headers, limit=True)
            signals = await classify(gw, ex, ingress, greq)
            decision = await decide(gw, ex, ingress, greq, signals)
            count(gw, ex)
            enforce(decision)
            outcome = await unless_disconnected(dispatch(gw, ex, ingress, greq), request)
            if outcome is None:  # the client went away: the upstream call was cancelled
                record(gw, ex, CLIENT_CLOSED)
                return Response(status_code=CLIENT_CLOSED)
            forward, answer = outcome
            if isinstance(answer, UpstreamStream):
                return stream_response(gw, ex, ingress, answer, forward.strip_usage)
            return reply_response(gw, ex, ingress, answer)
        except (GatewayError, BackendFailure) as exc:
            return error_response(gw, ex, ingress, exc)
        except Exception as exc:  # never a stack trace to the client
            log.exception("unhandled error on request %s", ex.request_id)
            return error_response(gw, ex, ingress, exc)
        finally:
            inflight.dec()

    async def explain(self, request: Request) -> Response:
        """The decision the same body gets on its real endpoint (``?endpoint=``, default chat)."""
        name = request.query_params.get("endpoint", "chat")
        ingress = self.ingresses.get(name)  # type: ignore[call-overload]
        headers = header_map(request.scope["headers"])
        ex = start_exchange(ingress.endpoint if ingress else "chat", headers)
        reply = {"x-gateway-request-id": ex.request_id}
        try:
            if ingress is None:
                raise BadRequest(f"unknown endpoint; one of: {', '.join(self.ingresses)}", param="endpoint")
            greq = await admit(self.gw, ex, ingress, request, headers, limit=False)
            signals = await classify(self.gw, ex, ingress, greq)
            decision = await decide(self.gw, ex, ingress, greq, signals)
        except GatewayError as exc:
            return json_response(orjson.dumps(exc.to_openai()), exc.status, reply)
        except Exception:
            log.exception("unhandled error on explain %s", ex.request_id)
            err = GatewayError("internal error in the gateway")
            return json_response(orjson.dumps(err.to_openai()), err.status, reply)
        return json_response(orjson.dumps(decision.to_explain()), 200, reply)


    async def count_tokens(self, request: Request) -> Response:
        """``POST /v1/messages/count_tokens``: the prompt tokens of a Messages body for the model the
        policy would send it to. Exact where that backend can say (an embedded model's tokenizer,
        Anthropic's own count when its zone is allowed); estimated and marked otherwise."""
        ingress = COUNT_TOKENS
        headers = header_map(request.scope["headers"])
        ex = start_exchange("messages", headers)
        reply = {"x-gateway-request-id": ex.request_id}
        try:
            greq = await admit(self.gw, ex, ingress, request, headers, limit=False)
            signals = await classify(self.gw, ex, ingress, greq)
            decision = await decide(self.gw, ex, ingress, greq, signals)
            enforce(decision)
            sent = ex.redaction.request if ex.redaction is not None else greq
            count, exact = await _count(self.gw, ingress, sent, decision, signals)
        except (GatewayError, BackendFailure) as exc:
            err = exc if isinstance(exc, GatewayError) else error_for_failure(exc)
            return json_response(orjson.dumps(ingress.error_body(err)), err.status, reply)
        except Exception:
            log.exception("unhandled error on count_tokens %s", ex.request_id)
            return json_response(orjson.dumps(ingress.error_body(GatewayError("internal error in the gateway"))),
                                 500, reply)
        reply.update(decision.headers())
        reply["x-gateway-token-count"] = "exact" if exact else "estimated"
        return json_response(orjson.dumps({"input_tokens": count}), 200, reply)


async def _count(gw: Gateway, ingress: Ingress, greq: GatewayRequest, decision: Decision,
                 signals: Signals) -> tuple[int, bool]:
    for name in (decision.model, *decision.fallbacks) if decision.model else ():
        backend = gw.backends[gw.config.models[name].backend]
        if not zone_allowed(decision, backend.zone) or backend.state().condition == "disabled":
            continue
        upstream = gw.config.models[name].model
        try:
            forward = ingress.forward(backend, greq, upstream, name)
        except BackendFailure:
            continue
        exact = await backend.count_tokens(forward.call)
        if exact is not None:
            return exact, True
        break
    return max(signals.prompt_tokens, 1), False


async def admit(gw: Gateway, ex: Exchange, ingress: Ingress, request: Request, headers: dict[str, str], *,
                limit: bool) -> GatewayRequest:
    """Authenticate, check the key's limits (``limit``: not for explain), read and validate: the
    request as the gateway understands it. A refused request costs no parsing or detection.
    ``headers``: the request's, as :func:`~gateway.api.headers.header_map` gives them."""
    key = authenticate(headers, gw.tenancy.current)
    ex.key_id, ex.team = (key.id, key.team) if key is not None else (None, None)
    raw = await read_body(request, gw.config.server.max_body_bytes, headers.get("content-length"))
    if limit and key is not None and key.rules is not None:
        ex.limits = await gw.limits.check(key.rules, estimate_tokens(len(raw)))
        if not ex.limits.allowed:
            raise ex.limits.error()
    body = parse_json(raw)
    model, stream = ingress.validate(body)
    ex.requested_model = model if model == "auto" or model in gw.config.models else None
    if ex.requested_model is None:
        raise ModelNotFound(f"the model '{_safe_name(model)}' does not exist", param="model")
    return GatewayRequest(endpoint=ingress.endpoint, body=body, model=model, stream=stream,
                          request_id=ex.request_id, headers=headers, key_id=ex.key_id, team=ex.team)


async def classify(gw: Gateway, ex: Exchange, ingress: Ingress, greq: GatewayRequest) -> Signals:
    """What the detector finds in everything the request would send upstream."""
    t = time.perf_counter()
    ex.outbound = ingress.outbound(greq.body, greq.headers)
    if gw.policies.current.semantic:
        ex.semantic_ahead = gw.classifier.semantic_ahead(ex.outbound)
    ex.signals = await gw.classifier.classify(ex.outbound)
    ex.classify_seconds = time.perf_counter() - t
    return ex.signals


async def decide(gw: Gateway, ex: Exchange, ingress: Ingress, greq: GatewayRequest, signals: Signals) -> Decision:
    """The policy's decision: read the running policy once and keep the object. The semantic
    signals (categories, complexity) are computed only when the decision can depend on them.
    A route that redacts is taken only once its redacted body passed the scan again (see
    :mod:`gateway.api.redaction`); else the policy is evaluated again without it."""
    policy = gw.policies.current
    if ex.outbound is not None and needs_semantics(policy, signals, greq):
        t = time.perf_counter()
        ahead = ex.semantic_ahead
        scored = await ahead if ahead is not None else await gw.classifier.semantic(ex.outbound)
        semantic = await escalate(gw, scored, ex.outbound)
        ex.classify_seconds += time.perf_counter() - t
        signals = dataclasses.replace(signals, semantic=semantic)
        ex.signals = signals
    assert ex.outbound is not None
    t = time.perf_counter()
    decision, ex.redaction = await decide_redacted(policy, signals, greq, ex.outbound, ingress.outbound,
                                                   gw.classifier, gw.value_keys)
    ex.classify_seconds += time.perf_counter() - t  # the re-scan of a redacted body, when there was one
    ex.decision = decision
    return decision


def count(gw: Gateway, ex: Exchange) -> None:
    """The detection and decision metrics of a real request (explain counts nothing)."""
    m = gw.metrics
    m.classify.observe(ex.classify_seconds)
    if ex.decision is None:
        return
    for guard, zone in ex.decision.denials:
        m.child(m.guard_denials, guard, zone).inc()
    for entity_type, n in ex.decision.entities.items():
        m.child(m.entities, entity_type).inc(n)
    for category in ex.decision.semantic.flagged():
        m.child(m.categories, category).inc()
    for entity_type, n in ex.decision.redacted.items():
        m.child(m.redactions, entity_type).inc(n)


def enforce(decision: Decision) -> None:
    if decision.action == "block":
        raise PolicyBlocked(decision.message or "the policy blocks this request")
    if decision.action == "refuse":
        raise NoBackendAvailable(decision.message or "no backend allowed by the policy can serve this request")


async def dispatch(gw: Gateway, ex: Exchange, ingress: Ingress, greq: GatewayRequest
                   ) -> tuple[Forward, UpstreamReply | UpstreamStream]:
    """Send to the decision's target, then to its fallbacks, in order. Every hop checks the
    zone invariant again, independently of how the target was chosen."""
    decision = ex.decision
    assert decision is not None
    redaction = ex.redaction
    sent = redaction.request if redaction is not None else greq  # a redacting route sends only the redacted body
    last: BackendFailure | None = None
    previous: str | None = None
    disabled: list[str] = []
    candidates = (decision.model, *decision.fallbacks) if decision.model else ()
    for name in candidates:
        model_cfg = gw.config.models.get(name)
        if model_cfg is None:
            continue
        backend = gw.backends[model_cfg.backend]
        if not zone_allowed(decision, backend.zone):
            continue  # the invariant's second check: never into a denied zone
        if backend.zone in decision.unredacted_denied and redaction is None:
            continue  # a zone open only to the redacted body, and there is none
        state = backend.state()
        if state.condition == "disabled":  # by configuration: never tried
            disabled.append(f"{name} ({backend.name}: {state.reason})")
            continue
        if previous is not None:
            gw.metrics.child(gw.metrics.fallbacks, previous, backend.name).inc()
        previous = backend.name
        ex.served_model, ex.backend, ex.zone = name, backend.name, backend.zone
        t = time.perf_counter()
        try:
            forward = ingress.forward(backend, sent, model_cfg.model, name)
            if redaction is not None:
                forward.restore = redaction.restoration(ingress.endpoint)
            first_byte = gw.config.backends[model_cfg.backend].timeout.first_byte
            result = await backend.send(forward.call)
            return forward, await forward.answer(result, backend=backend.name, first_byte=first_byte)
        except BackendFailure as failure:
            gw.metrics.child(gw.metrics.backend_errors, backend.name, failure.kind).inc()
            last = failure
            if not failure.retryable:
                raise
        finally:
            ex.upstream_seconds += time.perf_counter() - t
    if last is not None:
        raise last
    if disabled:
        raise NoBackendAvailable(f"no backend allowed by the policy is available: disabled {'; '.join(disabled)}")
    raise NoBackendAvailable("no backend allowed by the policy is available for this request")


async def unless_disconnected(work: Coroutine[Any, Any, T], request: Request) -> T | None:
    """Run ``work`` (after the request body was read) unless the client disconnects first: then
    cancel it, which closes the upstream connection or frees an embedded model's slot."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        done, _ = await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        watcher.cancel()
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return None


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _safe_name(name: str) -> str:
    """A model name fit to echo in an error: short and printable (it is the client's input)."""
    clean = "".join(c for c in name[:64] if c.isprintable())
    return clean + ("..." if len(name) > 64 else "")
