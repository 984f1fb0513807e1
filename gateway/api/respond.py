"""Turn an exchange's outcome into an HTTP response, and account for it (metrics, audit).

Streams are relayed as raw bytes as they arrive; a stream that breaks after it started ends with
an SSE error event. Accounting happens once per request, when the response is complete.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

from gateway.api.pipeline import Exchange
from gateway.api.sniff import AnthropicSniffer, OpenAISniffer, Sniffer
from gateway.api.state import Gateway
from gateway.backends.base import UpstreamReply, UpstreamStream
from gateway.errors import (
    BackendFailure,
    BadRequest,
    GatewayError,
    NoBackendAvailable,
    RateLimited,
    StreamBroken,
    UpstreamError,
    UpstreamTimeout,
)
from gateway.observability.cost import Usage, cost_usd, usage_from_openai

log = logging.getLogger("gateway")

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
CLIENT_CLOSED = 499  # nginx's "client closed request", for metrics and the audit log


def exchange_headers(ex: Exchange) -> dict[str, str]:
    """``x-gateway-*``: the request id, and the decision's headers with the backend and zone that
    actually served (a fallback may have)."""
    headers = {"x-gateway-request-id": ex.request_id}
    if ex.decision is not None:
        headers.update(ex.decision.headers())
        if ex.backend is not None and ex.zone is not None:
            headers["x-gateway-backend"], headers["x-gateway-zone"] = ex.backend, ex.zone
    if ex.limits is not None:  # x-ratelimit-* (and retry-after when refused)
        headers.update(ex.limits.headers)
    return headers


def json_response(content: bytes, status: int, headers: Mapping[str, str]) -> Response:
    return Response(content, status_code=status, headers=dict(headers), media_type="application/json")


def error_for_failure(failure: BackendFailure) -> GatewayError:
    status = failure.status
    if failure.kind == "circuit_open":
        return NoBackendAvailable(failure.message)
    if status == 504:
        return UpstreamTimeout(failure.message)
    if status == 429:
        return RateLimited(failure.message)
    if status >= 500:
        return UpstreamError(failure.message)
    err = BadRequest(failure.message, code="upstream_rejected")
    err.status = status
    return err


def error_response(gw: Gateway, ex: Exchange, exc: Exception, anthropic: bool = False) -> Response:
    headers = exchange_headers(ex)
    if isinstance(exc, BackendFailure):
        if exc.retry_after is not None:
            headers["retry-after"] = str(int(exc.retry_after))
        if exc.body is not None and not anthropic:
            finish(gw, ex, exc.status)
            return json_response(orjson.dumps(exc.body), exc.status, headers)
        exc = error_for_failure(exc)
    if not isinstance(exc, GatewayError):
        log.error("internal error on request %s: %s", ex.request_id, type(exc).__name__)
        exc = GatewayError("internal error in the gateway")
    finish(gw, ex, exc.status)
    body = exc.to_anthropic() if anthropic else exc.to_openai()
    return json_response(orjson.dumps(body), exc.status, headers)


def reply_response(gw: Gateway, ex: Exchange, reply: UpstreamReply, usage: Usage | None = None) -> Response:
    parsed = reply.json() if usage is None else None
    if parsed is not None:
        usage = usage_from_openai(parsed.get("usage")) or estimate(ex, _completion_chars(parsed) // 4)
    finish(gw, ex, reply.status, usage)
    return json_response(reply.body, reply.status, {**reply.headers, **exchange_headers(ex)})


def stream_response(gw: Gateway, ex: Exchange, stream: UpstreamStream, anthropic: bool = False) -> StreamingResponse:
    headers = {**stream.headers, **exchange_headers(ex), **SSE_HEADERS}
    sniffer: Sniffer = AnthropicSniffer() if anthropic else OpenAISniffer(strip_usage=ex.strip_usage)
    on_error = anthropic_sse_error if anthropic else sse_error
    return StreamingResponse(relay(gw, ex, stream, sniffer, on_error), status_code=200, headers=headers,
                             media_type="text/event-stream")


async def relay(gw: Gateway, ex: Exchange, stream: UpstreamStream, sniffer: Sniffer,
                on_error: Callable[[str, str], bytes]) -> AsyncIterator[bytes]:
    """Yield upstream bytes as they arrive. Watch for the end marker and sniff ``usage``
    without re-serialising anything."""
    status = 200
    first = True
    wait_started = time.perf_counter()
    try:
        async for chunk in stream.chunks:
            now = time.perf_counter()
            ex.upstream_seconds += now - wait_started
            if first and ex.backend:
                gw.metrics.ttft.labels(backend=ex.backend).observe(now - ex.started)
                first = False
            out = sniffer.feed(chunk)
            if out:
                yield out
            wait_started = time.perf_counter()
        ex.upstream_seconds += time.perf_counter() - wait_started
        if not sniffer.done:
            status = 502
            gw.metrics.backend_errors.labels(backend=ex.backend or "", kind="truncated").inc()
            yield on_error("the upstream stream ended before it was complete", "upstream_error")
    except StreamBroken as broken:
        status = 504 if broken.kind == "timeout" else 502
        gw.metrics.backend_errors.labels(backend=ex.backend or "", kind=broken.kind).inc()
        yield on_error(broken.message, "upstream_timeout" if broken.kind == "timeout" else "upstream_error")
    except (asyncio.CancelledError, GeneratorExit):
        status = CLIENT_CLOSED  # the client went away; closing the stream cancels the upstream
        raise
    finally:
        await stream.aclose()
        finish(gw, ex, status, sniffer.usage or estimate(ex, sniffer.events))


def sse_error(message: str, code: str) -> bytes:
    body = {"error": {"message": message, "type": "upstream_error", "code": code, "param": None}}
    return b"data: " + orjson.dumps(body) + b"\n\n"


def anthropic_sse_error(message: str, code: str) -> bytes:
    kind = "timeout_error" if code == "upstream_timeout" else "api_error"
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return b"event: error\ndata: " + orjson.dumps(body) + b"\n\n"


def estimate(ex: Exchange, completion_tokens: int) -> Usage | None:
    """Usage when the upstream reported none: the prompt from the detector's count, the
    completion from the answer; marked as estimated in the audit record."""
    if ex.served_model is None or ex.signals is None:
        return None
    return Usage(ex.signals.prompt_tokens, max(completion_tokens, 0), estimated=True)


def _completion_chars(parsed: Any) -> int:
    total = 0
    for choice in parsed.get("choices") or []:
        if isinstance(choice, dict):
            message = choice.get("message")
            text = message.get("content") if isinstance(message, dict) else choice.get("text")
            if isinstance(text, str):
                total += len(text)
    return total


def finish(gw: Gateway, ex: Exchange, status: int, usage: Usage | None = None) -> None:
    """Count and audit the request once: metrics labels only from config, no content."""
    if ex.finished:
        return
    ex.finished = True
    elapsed = time.perf_counter() - ex.started
    d = ex.decision
    route = d.route if d else ""
    backend = ex.backend or ""
    zone = ex.zone or ""
    model = ex.served_model or ""
    m = gw.metrics
    m.requests.labels(endpoint=ex.endpoint, route=route, backend=backend, zone=zone, model=model,
                      status=str(status)).inc()
    m.duration.labels(endpoint=ex.endpoint, route=route, backend=backend, zone=zone).observe(elapsed)
    overhead = max(elapsed - ex.upstream_seconds, 0.0)
    m.overhead.labels(endpoint=ex.endpoint).observe(overhead)
    cost = 0.0
    if usage is not None and ex.served_model:
        model_cfg = gw.config.models[ex.served_model]
        m.tokens.labels(route=route, backend=backend, model=model, zone=zone, kind="prompt").inc(usage.prompt)
        m.tokens.labels(route=route, backend=backend, model=model, zone=zone,
                        kind="completion").inc(usage.completion)
        cost = cost_usd(usage, model_cfg.price)
        m.cost.labels(route=route, backend=backend, model=model, zone=zone, team=ex.team or "").inc(cost)
        ref = gw.config.cost.reference_model
        if zone == "local" and ref is not None:
            m.cost_avoided.labels(route=route, backend=backend).inc(
                cost_usd(usage, gw.config.models[ref].price))
    if ex.limits is not None and ex.limits.allowed:  # the real tokens and the cost counted above
        gw.limits.settle(ex.limits, usage.prompt + usage.completion if usage else 0, cost)
    gw.audit.write({
        "time": time.time(),
        "request_id": ex.request_id,
        "key_id": ex.key_id,
        "team": ex.team,
        "endpoint": ex.endpoint,
        "requested_model": ex.requested_model,
        "route": route or None,
        "action": d.action if d else None,
        "model": ex.served_model,
        "backend": ex.backend,
        "zone": ex.zone,
        "guards": list(d.guards) if d else [],
        "entities": d.entities if d else {},
        "status": status,
        "latency_ms": round(elapsed * 1000, 3),
        "overhead_ms": round(overhead * 1000, 3),
        "tokens": {"prompt": usage.prompt, "completion": usage.completion,
                   "estimated": usage.estimated} if usage else None,
        "cost_usd": cost,
    })
