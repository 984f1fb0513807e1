"""A lean Redis client for the hot path: one pipelined connection (RESP2, replies parsed by
hiredis), commands written as they come and answered in order, so concurrent requests share one
socket and one round trip each. redis-py's asyncio client takes a pooled connection per call and
costs several times more per call; it stays in use for Redis Cluster (slot routing).

    conn = RespConnection.from_url("redis://:password@host:6379/0", timeout=0.25)
    await conn.call(b"PING")      # b"PONG"; errors raise ReplyError, a dead server ConnectionError
    await conn.aclose()

The connection is opened on first use and again after it broke (every call in flight then fails
with :class:`ConnectionError`); a call unanswered for ``timeout`` seconds breaks it
(:class:`TimeoutError`).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlparse

import hiredis


class ReplyError(Exception):
    """An error reply from Redis (``-ERR ...``, ``-NOSCRIPT ...``)."""


@dataclass(frozen=True)
class Address:
    host: str | None
    port: int
    path: str | None  # unix socket
    username: str | None
    password: str | None
    db: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Address:
        u = urlparse(url)
        if u.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("a Redis URL starts with redis://, rediss:// or unix://")
        db = 0
        if u.scheme == "unix":
            query = dict(p.split("=", 1) for p in u.query.split("&") if "=" in p)
            db = int(query.get("db", 0))
        elif u.path.strip("/"):
            db = int(u.path.strip("/"))
        return cls(None if u.scheme == "unix" else (u.hostname or "localhost"), u.port or 6379,
                   u.path if u.scheme == "unix" else None, unquote(u.username) if u.username else None,
                   unquote(u.password) if u.password else None, db, u.scheme == "rediss")


def encode(args: tuple[bytes | str | int | float, ...]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        b = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: RespConnection) -> None:
        self._owner = owner
        self._reader = hiredis.Reader(replyError=ReplyError)
        self.transport: asyncio.Transport | None = None
        self.waiters: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while True:
            reply = self._reader.gets()
            if reply is False:
                return
            if not self.waiters:  # nothing asked for it: the stream is out of step
                self.fail(ConnectionError("unexpected reply from Redis"))
                return
            future, _ = self.waiters.popleft()
            if not future.done():
                if isinstance(reply, ReplyError):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(ConnectionError("the connection to Redis was lost"))

    def fail(self, exc: Exception) -> None:
        self.closed = True
        while self.waiters:
            future, _ = self.waiters.popleft()
            if not future.done():
                future.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()
        self._owner._lost(self)


class RespConnection:
    def __init__(self, address: Address, *, timeout: float) -> None:
        self._address = address
        self._timeout = timeout
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future[_Protocol] | None = None
        self._watchdog: asyncio.TimerHandle | None = None

    @classmethod
    def from_url(cls, url: str, *, timeout: float) -> RespConnection:
        return cls(Address.parse(url), timeout=timeout)

    async def call(self, *args: bytes | str | int | float) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = await self._connect()
        assert protocol.transport is not None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        protocol.waiters.append((future, time.monotonic()))
        protocol.transport.write(encode(args))
        self._arm()
        return await future

    async def aclose(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._protocol is not None and not self._protocol.closed:
            self._protocol.fail(ConnectionError("closed"))
        self._protocol = None

    async def _connect(self) -> _Protocol:
        if self._connecting is None:  # one connection attempt, however many calls wait for it
            self._connecting = asyncio.ensure_future(self._open())
        try:
            return await asyncio.shield(self._connecting)
        finally:
            if self._connecting is not None and self._connecting.done():
                self._connecting = None

    async def _open(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        a = self._address
        try:
            if a.path is not None:
                connect = loop.create_unix_connection(lambda: _Protocol(self), a.path)
            else:
                assert a.host is not None
                context = ssl.create_default_context() if a.tls else None
                connect = loop.create_connection(lambda: _Protocol(self), a.host, a.port, ssl=context)
            _, protocol = await asyncio.wait_for(connect, self._timeout)
        except (TimeoutError, OSError) as exc:
            raise ConnectionError(f"cannot connect to Redis ({type(exc).__name__})") from None
        self._protocol = protocol
        if a.password is not None:
            await self.call(b"AUTH", *([a.username] if a.username else []), a.password)
        if a.db:
            await self.call(b"SELECT", a.db)
        return protocol

    def _lost(self, protocol: _Protocol) -> None:
        if self._protocol is protocol:
            self._protocol = None

    def _arm(self) -> None:
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().call_later(self._timeout, self._check_timeouts)

    def _check_timeouts(self) -> None:
        self._watchdog = None
        protocol = self._protocol
        if protocol is None or not protocol.waiters:
            return
        oldest = protocol.waiters[0][1]
        late = time.monotonic() - oldest - self._timeout
        if late >= 0:
            protocol.fail(TimeoutError("Redis did not answer in time"))
        else:
            self._watchdog = asyncio.get_running_loop().call_later(-late, self._check_timeouts)
