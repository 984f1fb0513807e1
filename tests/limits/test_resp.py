"""The pipelined Redis connection against a real redis-server: URLs with a password and a
database, many calls in flight on one socket answered in order, error replies, a server that
does not answer (timeout) and one that went away (reconnect on the next call)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from gateway.limits.resp import Address, ReplyError, RespConnection
from tests.fakes.server import free_port
from tests.limits.redis_process import RedisServer


def test_urls() -> None:
    a = Address.parse("rediss://user:p%40ss@cache.internal:6380/3")
    assert (a.host, a.port, a.username, a.password, a.db, a.tls) == ("cache.internal", 6380, "user", "p@ss", 3, True)
    b = Address.parse("redis://127.0.0.1")
    assert (b.port, b.db, b.password, b.tls) == (6379, 0, None, False)
    c = Address.parse("unix:///run/redis.sock?db=2")
    assert (c.path, c.db, c.host) == ("/run/redis.sock", 2, None)
    with pytest.raises(ValueError):
        Address.parse("http://x")


async def test_pipelined_calls_answer_in_order(redis: RedisServer) -> None:
    conn = RespConnection.from_url(redis.url.replace("/0", "/5"), timeout=1)
    try:
        values = await asyncio.gather(*(conn.call(b"INCR", "resp:n") for _ in range(500)))
        assert values == list(range(1, 501))
        clients = (await conn.call(b"CLIENT", b"LIST")).decode()
        assert clients.count(" db=5 ") == 1  # one socket for all of them
        assert await conn.call(b"RPUSH", "resp:list", "x") == 1
        with pytest.raises(ReplyError, match="WRONGTYPE"):
            await conn.call(b"INCR", "resp:list")
        assert await conn.call(b"GET", "resp:n") == b"500"  # the connection survives an error reply
    finally:
        await conn.aclose()


async def test_password_and_reconnect(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.extra = ["--requirepass", "s3cret"]
    server.start()
    try:
        conn = RespConnection.from_url(f"redis://:s3cret@127.0.0.1:{server.port}/1", timeout=1)
        assert await conn.call(b"PING") == b"PONG"
        server.kill()
        with pytest.raises(ConnectionError):
            await conn.call(b"PING")
        server.start()
        assert await conn.call(b"PING") == b"PONG"  # a new connection, authenticated again
        wrong = RespConnection.from_url(f"redis://:nope@127.0.0.1:{server.port}", timeout=1)
        with pytest.raises(ReplyError):
            await wrong.call(b"PING")
        await wrong.aclose()
        await conn.aclose()
    finally:
        server.kill()


async def test_a_silent_server_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen()
    try:
        conn = RespConnection.from_url(f"redis://127.0.0.1:{listener.getsockname()[1]}", timeout=0.2)
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            await conn.call(b"PING")
        assert asyncio.get_running_loop().time() - started < 1
        await conn.aclose()
    finally:
        listener.close()
