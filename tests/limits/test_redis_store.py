"""What only Redis has: keys with TTLs, scripts that survive a flushed script cache, one hash
slot per request on a real (single-node) Redis Cluster, and outages: ``on_error: local`` serves
with per-process counts and says so, ``block`` refuses, and once Redis answers again the counts
are shared again and the spend charged meanwhile is replayed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.config import Budget, Limits, StateConfig
from gateway.errors import LimitsUnavailable
from gateway.limits import Limiter, Rules
from tests.limits.conftest import Events
from tests.limits.redis_process import RedisServer, redis_server
from tests.limits.test_limiter import drain


async def started(server: RedisServer, events: Events, **state: object) -> Limiter:
    lim = Limiter(StateConfig(redis_url_env="R", **state), {"R": server.url}, events,  # type: ignore[arg-type]
                  probe_interval=0.05)
    await lim.start()
    return lim


async def test_keys_have_ttls_and_scripts_survive_a_flushed_cache(redis: RedisServer, events: Events) -> None:
    lim = await started(redis, events)
    r = Rules("ttl", "team", "ttl", key_limits=Limits(rpm=60, tpm=6000), team_budget=Budget(usd=5, period="day"))
    v = await lim.check(r, 100)
    lim.settle(v, tokens=50, cost_usd=0.01)
    await drain(lim)
    client = Redis.from_url(redis.url)
    try:
        keys = sorted(k.decode() for k in await client.keys("ttl:*"))
        period = v.plan.budgets[0].key.rsplit(":", 1)[1]
        assert keys == ["ttl:{t:team}:k:ttl:rpm", "ttl:{t:team}:k:ttl:tpm", f"ttl:{{t:team}}:t:usd:{period}"]
        ttls = {k: await client.pttl(k) for k in keys}
        assert 0 < ttls[keys[0]] <= 1_001  # one request of 60/min: full again in a second
        assert 0 < ttls[keys[1]] <= 501  # 50 tokens of 6000/min
        assert 86_400_000 < ttls[keys[2]] <= 2 * 86_400_000  # the day's rest plus a day
        assert float(await client.get(keys[2])) == pytest.approx(0.01)
        await client.script_flush()
        assert (await lim.check(r, 1)).allowed  # NOSCRIPT: EVAL, and cached again
        assert await client.script_exists(*[s.sha for s in _scripts()]) == [True, False]
    finally:
        await client.aclose()
        await lim.aclose()
    assert events.degraded_ == [False]


async def test_one_hash_slot_per_request_on_a_redis_cluster(tmp_path: Path, events: Events) -> None:
    with redis_server(tmp_path, cluster=True) as server:
        lim = await started(server, events, cluster=True)
        try:
            for team in ("team-a", None):
                r = Rules("key-1", team, "gw", key_limits=Limits(rpm=2, tpm=100), key_budget=Budget(usd=1),
                          team_limits=Limits(rpm=10), team_budget=Budget(usd=2, period="week"))
                first = await lim.check(r, 10)  # CROSSSLOT if these keys were on different slots
                assert first.allowed
                lim.settle(first, tokens=30, cost_usd=0.5)
                await drain(lim)
                assert (await lim.check(r, 10)).allowed
                assert (await lim.check(r, 10)).denied == "requests"
            assert not lim.degraded and events.degraded_ == [False]
            assert events.spends == {"team-a": 0.5}
        finally:
            await lim.aclose()


async def test_outage_with_on_error_local_then_shared_again(tmp_path: Path, events: Events) -> None:
    with redis_server(tmp_path) as server:
        lim = await started(server, events, on_error="local")
        other = await started(server, Events(), on_error="local")  # a second replica
        r = Rules("k", "team", "gw", key_limits=Limits(rpm=4), team_budget=Budget(usd=10))
        try:
            v = await lim.check(r, 1)
            lim.settle(v, tokens=1, cost_usd=1.5)
            await drain(lim)
            server.kill()
            during = await lim.check(r, 1)  # served, counted in this process
            assert during.allowed and lim.degraded and lim.ready and not lim.shared
            assert lim.status() == {"store": "redis", "shared": False, "degraded": True, "on_error": "local"}
            assert events.degraded_ == [False, True]
            assert during.spends == (1.5,)  # starts from the spend last read from Redis
            lim.settle(during, tokens=1, cost_usd=2.0)
            await drain(lim)
            assert await admitted(lim, r, 5) == 3  # per process now, from zero: 4 per minute, 1 used
            server.start()  # back, empty
            await until(lambda: not lim.degraded)
            assert events.degraded_ == [False, True, False]
            client = Redis.from_url(server.url)
            try:  # the spend charged during the outage was replayed
                assert float(await client.get(r.plan(0, 0).budgets[0].key.replace("m1970-01", _month()))) == 2.0
            finally:
                await client.aclose()
            await until_shared(other, r)
            assert await admitted(lim, r, 3) + await admitted(other, r, 3) == 4  # shared again
        finally:
            await lim.aclose()
            await other.aclose()


async def test_outage_with_on_error_block_refuses_and_recovers(tmp_path: Path, events: Events) -> None:
    with redis_server(tmp_path) as server:
        lim = await started(server, events, on_error="block")
        r = Rules("k", None, "gw", key_limits=Limits(rpm=100))
        try:
            assert (await lim.check(r, 1)).allowed
            server.kill()
            with pytest.raises(LimitsUnavailable) as refused:
                await lim.check(r, 1)
            assert refused.value.status == 503 and not lim.ready
            with pytest.raises(LimitsUnavailable):  # without waiting for Redis again
                await lim.check(r, 1)
            server.start()
            await until(lambda: lim.ready)
            assert (await lim.check(r, 1)).allowed
        finally:
            await lim.aclose()


async def test_redis_down_at_start_or_not_named(tmp_path: Path, events: Events) -> None:
    server = RedisServer(tmp_path)  # not started
    lim = await started(server, events, on_error="local")
    assert lim.degraded and (await lim.check(Rules("k", None, "gw", key_limits=Limits(rpm=1)), 0)).allowed
    server.start()
    try:
        await until(lambda: not lim.degraded)
    finally:
        await lim.aclose()
        server.kill()
    for environ in ({}, {"UNSET": "http://user:pw@host"}):  # not set, or not a Redis URL
        unset = Limiter(StateConfig(redis_url_env="UNSET", on_error="block"), environ, Events())
        await unset.start()
        assert unset.degraded and not unset.ready
        with pytest.raises(LimitsUnavailable):
            await unset.check(Rules("k", None, "gw", key_limits=Limits(rpm=1)), 0)
        await unset.aclose()


async def admitted(lim: Limiter, r: Rules, n: int) -> int:
    return sum([(await lim.check(r, 0)).allowed for _ in range(n)])


async def until(predicate: object, seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def until_shared(lim: Limiter, r: Rules) -> None:
    """A replica that has not called Redis since the outage learns of it at its next call."""
    try:
        await lim.check(Rules("probe", None, "gw", key_limits=Limits(rpm=1000)), 0)
    except Exception:
        pass
    await until(lambda: lim.shared)


def _month() -> str:
    import time

    from gateway.limits.periods import window
    return window("month", time.time()).id


def _scripts() -> tuple[object, ...]:
    from gateway.limits.redis_store import CHECK_SCRIPT, SETTLE_SCRIPT
    return CHECK_SCRIPT, SETTLE_SCRIPT
