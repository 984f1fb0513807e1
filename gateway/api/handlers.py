"""The fast path: POSTs to the proxied endpoints and to explain go straight to the request path,
without the framework's routing and middleware layers (everything else stays on FastAPI).

The request path catches every exception itself, so the fast path needs none of FastAPI's
exception middleware; the routes are still declared on the FastAPI app for the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.api.ingress import Ingress
from gateway.api.path import RequestPath

EXPLAIN_PATH = "/v1/gateway/explain"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
Handler = Callable[[Request], Awaitable[Response]]


def proxy_handler(path: RequestPath, ingress: Ingress) -> Handler:
    async def handle(request: Request) -> Response:
        return await path.proxy(ingress, request)

    return handle


class FastPath:
    """ASGI app: POSTs to the proxy paths and explain go straight to the request path; everything
    else (lifespan, GETs, docs, unknown paths) to the FastAPI app."""

    def __init__(self, app: ASGIApp, path: RequestPath) -> None:
        self.app = app
        self._routes: dict[str, Handler] = {
            ingress.spec.path: proxy_handler(path, ingress) for ingress in path.ingresses.values()}
        self._routes[EXPLAIN_PATH] = path.explain

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
