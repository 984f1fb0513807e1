"""The proxy and explain handlers, and the fast path that serves them without the framework's
routing and middleware layers (the rest of the API stays on FastAPI).

The handlers catch every exception themselves, so the fast path needs none of FastAPI's
exception middleware; they are still declared as FastAPI routes for the OpenAPI schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.api.messages import forward_messages, reply_usage
from gateway.api.pipeline import dispatch, forward_openai, prepare, start_exchange
from gateway.api.respond import (
    CLIENT_CLOSED,
    error_response,
    finish,
    json_response,
    reply_response,
    stream_response,
)
from gateway.api.state import Gateway
from gateway.backends.base import UpstreamStream
from gateway.errors import BackendFailure, GatewayError, NoBackendAvailable, PolicyBlocked
from gateway.request import Endpoint

log = logging.getLogger("gateway")
T = TypeVar("T")

PROXY_PATHS: dict[str, Endpoint] = {
    "/v1/chat/completions": "chat",
    "/v1/completions": "completions",
    "/v1/embeddings": "embeddings",
    "/v1/messages": "messages",
}


class Handlers:
    def __init__(self, gw: Gateway) -> None:
        self.gw = gw

    async def proxy(self, endpoint: Endpoint, request: Request) -> Response:
        gw = self.gw
        anthropic = endpoint == "messages"
        ex = start_exchange(endpoint, request)
        inflight = gw.metrics.inflight.labels(endpoint=endpoint)
        inflight.inc()
        try:
            greq = await prepare(gw, ex, request)
            decision = ex.decision
            assert decision is not None
            if decision.action == "block":
                raise PolicyBlocked(decision.message or "the policy blocks this request")
            if decision.action == "refuse":
                raise NoBackendAvailable(decision.message or
                                         "no backend allowed by the policy can serve this request")
            send = forward_messages(ex, greq) if anthropic else forward_openai(ex, greq)
            result = await unless_disconnected(dispatch(gw, ex, send), request)
            if result is None:  # the client went away: the upstream call was cancelled
                finish(gw, ex, CLIENT_CLOSED)
                return Response(status_code=CLIENT_CLOSED)
            if isinstance(result, UpstreamStream):
                return stream_response(gw, ex, result, anthropic=anthropic)
            if anthropic:
                return reply_response(gw, ex, result, usage=reply_usage(result))
            return reply_response(gw, ex, result)
        except (GatewayError, BackendFailure) as exc:
            return error_response(gw, ex, exc, anthropic=anthropic)
        except Exception as exc:  # never a stack trace to the client
            log.exception("unhandled error on request %s", ex.request_id)
            return error_response(gw, ex, exc, anthropic=anthropic)
        finally:
            inflight.dec()

    async def explain(self, request: Request) -> Response:
        ex = start_exchange("chat", request)
        headers = {"x-gateway-request-id": ex.request_id}
        try:
            await prepare(self.gw, ex, request, limit=False)  # a dry run counts against no limit
        except GatewayError as exc:
            return json_response(orjson.dumps(exc.to_openai()), exc.status, headers)
        except Exception:
            log.exception("unhandled error on explain %s", ex.request_id)
            err = GatewayError("internal error in the gateway")
            return json_response(orjson.dumps(err.to_openai()), err.status, headers)
        assert ex.decision is not None
        return json_response(orjson.dumps(ex.decision.to_explain()), 200, headers)


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


class FastPath:
    """ASGI app: POSTs to the proxy paths go straight to :class:`Handlers`; everything else
    (lifespan, GETs, docs, unknown paths) to the FastAPI app."""

    def __init__(self, app: ASGIApp, handlers: Handlers) -> None:
        self.app = app
        self.handlers = handlers
        self._routes: dict[str, Callable[[Request], Awaitable[Response]]] = {
            path: self._bind(endpoint) for path, endpoint in PROXY_PATHS.items()}
        self._routes["/v1/gateway/explain"] = handlers.explain

    def _bind(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            return await self.handlers.proxy(endpoint, request)

        return handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self._routes.get(scope["path"])
            if handler is not None:
                response = await handler(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:  # e.g. .openapi(), .state on the FastAPI app
        return getattr(self.app, name)
