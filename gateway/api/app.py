"""The ASGI app: thin handlers over :mod:`gateway.api.pipeline` and :mod:`gateway.api.respond`."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from gateway.api import schemas
from gateway.api.build import LoopClassify
from gateway.api.handlers import FastPath, Handlers
from gateway.api.respond import json_response
from gateway.api.state import Gateway
from gateway.backends.resilience import BreakerSnapshot, ResilientBackend
from gateway.errors import (
    GatewayError,
)

log = logging.getLogger("gateway")
GC_THRESHOLD = 20_000  # allocations between young-generation collections (CPython's default: 700)


def create_app(gw: Gateway, *, watch_signals: bool = False, tune_gc: bool = False) -> FastPath:
    """The ASGI app. ``watch_signals``: reload the policy on SIGHUP (main thread only).
    ``tune_gc``: once started, move everything built so far out of the collector's way and
    collect less often (fewer, shorter pauses on the hot path; for a server process only)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gw.classifier.start()
        for backend in gw.backends.values():  # e.g. load an embedded model before the first request
            start = getattr(backend, "start", None)
            if start is not None:
                await start()
        loop = asyncio.get_running_loop()
        if isinstance(gw.policies.classify, LoopClassify):
            gw.policies.classify.loop = loop
        stop_watching = asyncio.Event()
        watcher = loop.create_task(gw.policies.watch(stop_event=stop_watching))
        keys_watcher = loop.create_task(gw.tenancy.watch(stop_event=stop_watching))
        await gw.limits.start()
        if watch_signals:  # one handler reloads the policy and the config's keys and limits
            loop.add_signal_handler(signal.SIGHUP, _reload_all, gw, loop)
        if tune_gc:
            gc.collect()
            gc.freeze()
            gc.set_threshold(GC_THRESHOLD, 20, 20)
        try:
            yield
        finally:
            stop_watching.set()
            watcher.cancel()
            keys_watcher.cancel()
            await gw.limits.aclose()
            for backend in gw.backends.values():
                await backend.aclose()
            await gw.classifier.aclose()
            gw.metrics.process_exited()

    app = FastAPI(title="LLM routing gateway", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.gateway = gw

    handlers = Handlers(gw)
    proxy = handlers.proxy

    @app.post("/v1/chat/completions", openapi_extra=schemas.body(schemas.CHAT))
    async def chat(request: Request) -> Response:
        return await proxy("chat", request)

    @app.post("/v1/completions", openapi_extra=schemas.body(schemas.COMPLETIONS))
    async def completions(request: Request) -> Response:
        return await proxy("completions", request)

    @app.post("/v1/embeddings", openapi_extra=schemas.body(schemas.EMBEDDINGS, streams=False))
    async def embeddings(request: Request) -> Response:
        return await proxy("embeddings", request)

    @app.post("/v1/messages", openapi_extra=schemas.body(schemas.MESSAGES))
    async def messages(request: Request) -> Response:
        return await proxy("messages", request)

    @app.post("/v1/gateway/explain", openapi_extra=schemas.body(schemas.CHAT, streams=False))
    async def explain(request: Request) -> Response:
        return await handlers.explain(request)

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "gateway"}
                for name in ["auto", *gw.config.models]]
        return json_response(orjson.dumps({"object": "list", "data": data}), 200, {})

    @app.get("/healthz")
    async def healthz() -> Response:
        return json_response(b'{"status":"ok"}', 200, {})

    @app.get("/readyz")
    async def readyz() -> Response:
        # Redis down: with on_error block the limited keys cannot be served (not ready); with
        # local the gateway serves with per-process counts ("degraded").
        checks = {"detector": gw.classifier.ready, "policy": _policy_loaded(gw), "limits": gw.limits.ready}
        ok = all(checks.values())
        # An open breaker does not make the gateway unready: fallbacks may still serve.
        backends = {name: {"state": snap.state, "consecutive_failures": snap.consecutive_failures,
                           "retry_in": round(snap.retry_in, 3)} for name, snap in breakers(gw).items()}
        status = ("degraded" if gw.limits.degraded else "ready") if ok else "not_ready"
        body = {"status": status, "checks": checks, "backends": backends, "limits": gw.limits.status()}
        return json_response(orjson.dumps(body), 200 if ok else 503, {})

    @app.get("/metrics")
    async def metrics() -> Response:
        for name, snap in breakers(gw).items():
            gw.metrics.circuit_state.labels(backend=name).set(CIRCUIT_LEVEL[snap.state])
        return Response(gw.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        message = {404: f"no such endpoint: {request.method} {request.url.path[:100]}",
                   405: f"method {request.method} is not allowed here"}.get(exc.status_code, "bad request")
        err = {"error": {"message": message, "type": "invalid_request_error", "code": kind, "param": None}}
        return json_response(orjson.dumps(err), exc.status_code, {})

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> Response:
        log.error("unhandled %s on %s", type(exc).__name__, request.url.path[:100])
        return json_response(orjson.dumps(GatewayError("internal error in the gateway").to_openai()), 500, {})

    return FastPath(app, handlers)


CIRCUIT_LEVEL = {"closed": 0, "half_open": 1, "open": 2}


def breakers(gw: Gateway) -> dict[str, BreakerSnapshot]:
    return {name: b.breaker.snapshot() for name, b in gw.backends.items() if isinstance(b, ResilientBackend)}


def _reload_all(gw: Gateway, loop: asyncio.AbstractEventLoop) -> None:
    gw.policies.reload_soon(loop)
    gw.tenancy.reload_soon(loop)


def _policy_loaded(gw: Gateway) -> bool:
    try:
        return gw.policies.current is not None
    except Exception:
        return False
