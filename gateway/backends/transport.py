"""HTTP transport shared by the adapters: one pooled client per backend (aiohttp; httpx when a
test injects an httpx transport, see :mod:`gateway.backends.http`), the first-byte / total /
idle timeouts, and the mapping of transport errors to the error tree.

    http = HttpTransport(name, cfg, headers, transport)
    response = await http.open(url, body_bytes)  # headers arrived (or BackendFailure)
    content = await http.read(response)          # whole body within ``total`` (closes it)
    chunks = http.relay(response)                # raw bytes; StreamBroken on idle / total / cut
    stream = await prime(name, chunks, ...)      # first chunk read before the stream is handed on

Messages name the backend and the failure, never request or response content.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping

import httpx

from gateway.backends.base import UpstreamStream
from gateway.backends.http import AiohttpClient, BodyFailed, Client, ConnectFailed, HttpxClient, Response
from gateway.config import BackendConfig
from gateway.errors import BackendFailure, StreamBroken


class HttpTransport:
    def __init__(self, name: str, cfg: BackendConfig, headers: Mapping[str, str],
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name = name
        self.timeout = cfg.timeout
        connect = cfg.timeout.connect
        self.client: Client = (HttpxClient(headers, cfg.max_connections, connect, transport) if transport is not None
                               else AiohttpClient(headers, cfg.max_connections, connect))

    def start(self) -> None:
        """Create the pooled client at startup (it is made on first use otherwise)."""
        self.client.open()

    async def reachable(self, url: str) -> bool:
        """Does the server answer at all, within the connect timeout?"""
        try:
            async with asyncio.timeout(self.timeout.connect + 1):
                return await self.client.reachable(url)
        except TimeoutError:
            return False

    async def open(self, url: str, body: bytes, headers: Mapping[str, str] | None = None,
                   params: Mapping[str, str] | None = None) -> Response:
        """Send and wait for the response headers, at most ``first_byte`` seconds."""
        first_byte = self.timeout.first_byte
        try:
            async with asyncio.timeout(first_byte):
                return await self.client.post(url, body, headers or {}, params or {})
        except TimeoutError:
            raise BackendFailure(f"backend {self.name} did not answer within {first_byte:g}s",
                                 kind="timeout", before_first_byte=True, status=504) from None
        except ConnectFailed as exc:
            raise BackendFailure(f"backend {self.name}: connection failed ({exc})",
                                 kind="connect", before_first_byte=True, status=502) from None

    async def read(self, response: Response) -> bytes:
        """The whole body within ``total`` seconds; the response is closed afterwards."""
        try:
            async with asyncio.timeout(self.timeout.total):
                return await response.read()
        except (TimeoutError, BodyFailed) as exc:
            kind = "timeout" if isinstance(exc, TimeoutError) else "protocol"
            raise BackendFailure(f"backend {self.name}: reading the response failed", kind=kind,
                                 before_first_byte=True, status=504 if kind == "timeout" else 502) from None
        finally:
            await response.aclose()

    async def relay(self, response: Response) -> AsyncGenerator[bytes, None]:
        """Raw body chunks as they arrive; at most ``idle`` seconds apart and ``total`` in all."""
        idle, total = self.timeout.idle, self.timeout.total
        loop = asyncio.get_running_loop()
        deadline = loop.time() + total
        chunks = response.chunks()
        while True:
            remaining = deadline - loop.time()
            wait = min(idle, remaining)
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                what = f"sent nothing for {idle:g}s" if wait < remaining else f"took longer than {total:g}s"
                raise StreamBroken(f"backend {self.name} {what}", "timeout") from None
            except BodyFailed as exc:
                raise StreamBroken(f"backend {self.name}: stream failed ({exc})", "protocol") from None
            yield chunk

    async def aclose(self) -> None:
        await self.client.aclose()


async def prime(name: str, chunks: AsyncIterator[bytes], release: Callable[[], Awaitable[None]], *,
                first_byte: float, status: int = 200,
                headers: Mapping[str, str] | None = None) -> UpstreamStream:
    """Read the first non-empty chunk before handing the stream on, so that a stream that fails
    at once (an error event, garbage, a cut) is still a failure before the first byte, which
    the caller may retry or fall back from. ``release`` frees the connection."""

    async def aclose() -> None:
        try:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
        finally:
            await release()

    try:
        async with asyncio.timeout(first_byte):
            first = b""
            while not first:
                first = await anext(chunks)
    except BaseException as exc:
        await aclose()
        if isinstance(exc, StopAsyncIteration):
            raise BackendFailure(f"backend {name} sent an empty stream", kind="protocol",
                                 before_first_byte=True, status=502) from None
        if isinstance(exc, TimeoutError):
            raise BackendFailure(f"backend {name} sent no event within {first_byte:g}s", kind="timeout",
                                 before_first_byte=True, status=504) from None
        if isinstance(exc, StreamBroken):
            raise BackendFailure(exc.message, kind=exc.kind, before_first_byte=True,
                                 status=504 if exc.kind == "timeout" else 502) from None
        raise

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return UpstreamStream(status, rest(), aclose, dict(headers or {}))
