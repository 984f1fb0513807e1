"""The HTTP clients behind :class:`~gateway.backends.transport.HttpTransport`.

Production uses aiohttp: on the hot path it is several times faster than httpx here (see
bench/README.md). Unit tests that inject an ``httpx`` transport (``httpx.MockTransport``) get the
httpx client instead; both give the adapters the same small :class:`Response`.
Errors are normalised to :class:`ConnectFailed`, :class:`BodyFailed` (and ``TimeoutError``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Protocol

import aiohttp
import httpx


class ConnectFailed(Exception):
    """No response: the connection was refused, reset, or the request could not be sent."""


class BodyFailed(Exception):
    """The response started but its body broke off."""


class Response(Protocol):
    @property
    def status(self) -> int: ...

    def header(self, name: str) -> str | None: ...

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def read(self) -> bytes: ...

    async def aclose(self) -> None: ...


class Client(Protocol):
    def open(self) -> None:
        """Create the connection pool (on the running event loop)."""
        ...

    async def post(self, url: str, body: bytes, headers: Mapping[str, str],
                   params: Mapping[str, str]) -> Response: ...

    async def reachable(self, url: str) -> bool:
        """Does anything answer a GET of ``url`` (whatever its status)?"""
        ...

    async def aclose(self) -> None: ...


class AiohttpResponse:
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._r = response
        self.status = response.status

    def header(self, name: str) -> str | None:
        return self._r.headers.get(name)

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._r.content.iter_any():
                yield chunk
        except aiohttp.ClientError as exc:
            raise BodyFailed(type(exc).__name__) from None

    async def read(self) -> bytes:
        try:
            return await self._r.read()
        except aiohttp.ClientError as exc:
            raise BodyFailed(type(exc).__name__) from None

    async def aclose(self) -> None:
        self._r.release() if self._r.content.at_eof() else self._r.close()


class AiohttpClient:
    """One pooled session per backend, made at startup by ``open()`` (aiohttp wants a running
    loop), or on first use."""

    def __init__(self, headers: Mapping[str, str], max_connections: int, connect_timeout: float) -> None:
        self._headers = dict(headers)
        self._limit = max_connections
        self._timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_connect=connect_timeout)
        self._session: aiohttp.ClientSession | None = None

    def open(self) -> None:
        self._get()

    def _get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit,
                                             keepalive_timeout=30, ttl_dns_cache=60)
            self._session = aiohttp.ClientSession(headers=self._headers, connector=connector,
                                                  timeout=self._timeout, trust_env=False,
                                                  skip_auto_headers=("User-Agent",), auto_decompress=True)
        return self._session

    async def post(self, url: str, body: bytes, headers: Mapping[str, str],
                   params: Mapping[str, str]) -> Response:
        try:
            response = await self._get().post(url, data=body, headers=dict(headers), params=dict(params),
                                               allow_redirects=False)
        except aiohttp.ServerTimeoutError:
            raise TimeoutError from None
        except aiohttp.ClientError as exc:
            raise ConnectFailed(type(exc).__name__) from None
        return AiohttpResponse(response)

    async def reachable(self, url: str) -> bool:
        try:
            async with self._get().get(url, allow_redirects=False) as response:
                return response.status > 0
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class HttpxResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._r = response
        self.status = response.status_code

    def header(self, name: str) -> str | None:
        value: str | None = self._r.headers.get(name)
        return value

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._r.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise BodyFailed(type(exc).__name__) from None

    async def read(self) -> bytes:
        try:
            return await self._r.aread()
        except httpx.HTTPError as exc:
            raise BodyFailed(type(exc).__name__) from None

    async def aclose(self) -> None:
        await self._r.aclose()


class HttpxClient:
    def __init__(self, headers: Mapping[str, str], max_connections: int, connect_timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(
            headers=dict(headers),
            timeout=httpx.Timeout(connect=connect_timeout, read=None, write=connect_timeout, pool=connect_timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport, trust_env=False, follow_redirects=False)

    def open(self) -> None:
        return None  # httpx pools lazily and needs no running loop

    async def post(self, url: str, body: bytes, headers: Mapping[str, str],
                   params: Mapping[str, str]) -> Response:
        request = self._client.build_request("POST", url, params=dict(params), content=body, headers=dict(headers))
        try:
            return HttpxResponse(await self._client.send(request, stream=True))
        except httpx.TimeoutException:
            raise TimeoutError from None
        except httpx.HTTPError as exc:
            raise ConnectFailed(type(exc).__name__) from None

    async def reachable(self, url: str) -> bool:
        try:
            response = await self._client.get(url)
        except httpx.HTTPError:
            return False
        return response.status_code > 0

    async def aclose(self) -> None:
        await self._client.aclose()
