"""The response side of the request path: a whole answer, a relayed stream, or an error, each in
the client's format and with the decision's headers; each recorded once when complete.

Streams are relayed as they arrive (complete events, see
:mod:`gateway.api.ingress.readers`); a stream that breaks after it started ends with an error
event of the client's format, never silently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping

import orjson
from starlette.responses import Response, StreamingResponse

from gateway.api.exchange import Exchange
from gateway.api.ingress import Ingress
from gateway.api.ingress.readers import StreamReader
from gateway.api.record import CLIENT_CLOSED, estimate, record
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

log = logging.getLogger("gateway")

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


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


def error_response(gw: Gateway, ex: Exchange, ingress: Ingress, exc: Exception) -> Response:
    headers = exchange_headers(ex)
    if isinstance(exc, BackendFailure):
        if exc.retry_after is not None:
            headers["retry-after"] = str(int(exc.retry_after))
        if exc.body is not None and ingress.spec.errors == "openai":
            record(gw, ex, exc.status)
            return json_response(orjson.dumps(exc.body), exc.status, headers)
        exc = error_for_failure(exc)
    if not isinstance(exc, GatewayError):
        log.error("internal error on request %s: %s", ex.request_id, type(exc).__name__)
        exc = GatewayError("internal error in the gateway")
    record(gw, ex, exc.status)
    return json_response(orjson.dumps(ingress.error_body(exc)), exc.status, headers)


def reply_response(gw: Gateway, ex: Exchange, ingress: Ingress, reply: UpstreamReply) -> Response:
    parsed = reply.json()
    usage = ingress.usage(parsed) or estimate(ex, ingress.answer_chars(parsed) // 4)
    record(gw, ex, reply.status, usage)
    body = ingress.rename(reply.body, ex.served_model)
    return json_response(body, reply.status, {**reply.headers, **exchange_headers(ex)})


def stream_response(gw: Gateway, ex: Exchange, ingress: Ingress, stream: UpstreamStream,
                    strip_usage: bool) -> StreamingResponse:
    headers = {**stream.headers, **exchange_headers(ex), **SSE_HEADERS}
    reader = ingress.reader(ex.served_model, strip_usage)
    return StreamingResponse(relay(gw, ex, ingress, stream, reader), status_code=200, headers=headers,
                             media_type="text/event-stream")


async def relay(gw: Gateway, ex: Exchange, ingress: Ingress, stream: UpstreamStream,
                reader: StreamReader) -> AsyncIterator[bytes]:
    """Yield upstream events as they arrive; watch for the end and the usage."""
    status = 200
    first = True
    wait_started = time.perf_counter()
    try:
        async for chunk in stream.chunks:
            now = time.perf_counter()
            ex.upstream_seconds += now - wait_started
            if first and ex.backend:
                gw.metrics.child(gw.metrics.ttft, ex.backend).observe(now - ex.started)
                first = False
            out = reader.feed(chunk)
            if out:
                yield out
            wait_started = time.perf_counter()
        ex.upstream_seconds += time.perf_counter() - wait_started
        rest = reader.flush()
        if rest:
            yield rest
        if not reader.done:
            status = 502
            gw.metrics.child(gw.metrics.backend_errors, ex.backend or "", "truncated").inc()
            yield _error(ingress, reader, "the upstream stream ended before it was complete", "upstream_error")
    except StreamBroken as broken:
        status = 504 if broken.kind == "timeout" else 502
        gw.metrics.child(gw.metrics.backend_errors, ex.backend or "", broken.kind).inc()
        yield _error(ingress, reader, broken.message, "upstream_timeout" if broken.kind == "timeout"
                     else "upstream_error")
    except (asyncio.CancelledError, GeneratorExit):
        status = CLIENT_CLOSED  # the client went away; closing the stream cancels the upstream
        raise
    finally:
        await stream.aclose()
        record(gw, ex, status, reader.usage or estimate(ex, reader.events))


def _error(ingress: Ingress, reader: StreamReader, message: str, code: str) -> bytes:
    return ingress.stream_error(message, code, getattr(reader, "sequence", -1) + 1)
