"""The ASGI app: wiring only. Proxied endpoints come from the endpoint table (one ingress each)
and are served by the request path (:mod:`gateway.api.path`); status endpoints are here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from gateway.api import schemas
from gateway.api.auth import authenticate
from gateway.api.handlers import COUNT_TOKENS_PATH, EXPLAIN_PATH, FastPath, proxy_handler
from gateway.api.ingress import ingresses
from gateway.api.path import RequestPath
from gateway.api.relay import json_response
from gateway.api.state import Gateway
from gateway.api.status import backends_status, routing_table
from gateway.backends.resilience import BreakerSnapshot, ResilientBackend
from gateway.errors import GatewayError, ModelNotFound

log = logging.getLogger("gateway")


def create_app(gw: Gateway, *, watch_signals: bool = False, tune_gc: bool = False,
               listen: str | None = None) -> FastPath:
    """The ASGI app. ``watch_signals``: SIGHUP reloads the policy and reopens the audit file (main
    thread only). ``tune_gc``: collect less often once started (a server process only).
    ``listen``: the address, for the routing table logged at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with gw.lifespan(watch_signals=watch_signals, tune_gc=tune_gc):
            log.info("%s", routing_table(gw, listen))
            yield

    app = FastAPI(title="LLM routing gateway", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.gateway = gw
    path = RequestPath(gw, ingresses())
    for ingress in path.ingresses.values():
        spec = ingress.spec
        app.add_api_route(spec.path, proxy_handler(path, ingress), methods=["POST"], name=spec.name,
                          openapi_extra=schemas.body(schemas.BY_ENDPOINT[spec.name], streams=spec.streams))
    app.add_api_route(EXPLAIN_PATH, path.explain, methods=["POST"], name="explain",
                      openapi_extra=schemas.body(schemas.CHAT, streams=False))

    app.add_api_route(COUNT_TOKENS_PATH, path.count_tokens, methods=["POST"], name="count_tokens",
                      openapi_extra=schemas.body(schemas.MESSAGES, streams=False))

    def model_card(name: str) -> dict[str, object]:
        return {"id": name, "object": "model", "created": 0, "owned_by": "gateway"}

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        try:
            authenticate(request.headers, gw.tenancy.current)
        except GatewayError as exc:
            return json_response(orjson.dumps(exc.to_openai()), exc.status, {})
        data = [model_card(name) for name in ["auto", *gw.config.models]]
        return json_response(orjson.dumps({"object": "list", "data": data}), 200, {})

    @app.get("/v1/models/{name:path}")
    async def model(name: str, request: Request) -> Response:
        try:
            authenticate(request.headers, gw.tenancy.current)
            if name != "auto" and name not in gw.config.models:
                safe = "".join(c for c in name[:64] if c.isprintable())
                raise ModelNotFound(f"the model '{safe}' does not exist", param="model")
        except GatewayError as exc:
            return json_response(orjson.dumps(exc.to_openai()), exc.status, {})
        return json_response(orjson.dumps(model_card(name)), 200, {})

    @app.get("/healthz")
    async def healthz() -> Response:
        return json_response(b'{"status":"ok"}', 200, {})

    @app.get("/readyz")
    async def readyz() -> Response:
        # Redis down: with on_error block the limited keys cannot be served (not ready); with
        # local the gateway serves with per-process counts ("degraded").
        checks = {"detector": gw.classifier.ready, "policy": _policy_loaded(gw), "limits": gw.limits.ready}
        ok = all(checks.values())
        # An open breaker or a disabled backend does not make the gateway unready: fallbacks may
        # still serve; each backend's state says what it can do.
        backends = backends_status(gw)
        pool = gw.classifier.status()
        detector = {"workers": pool.workers, "ready": pool.ready, "restarts": pool.restarts, "queued": pool.queued}
        status = ("degraded" if gw.limits.degraded else "ready") if ok else "not_ready"
        body = {"status": status, "checks": checks, "detector": detector, "backends": backends,
                "limits": gw.limits.status()}
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

    return FastPath(app, path)


CIRCUIT_LEVEL = {"closed": 0, "half_open": 1, "open": 2}


def breakers(gw: Gateway) -> dict[str, BreakerSnapshot]:
    return {name: b.breaker.snapshot() for name, b in gw.backends.items() if isinstance(b, ResilientBackend)}


def _policy_loaded(gw: Gateway) -> bool:
    try:
        return gw.policies.current is not None
    except Exception:
        return False
