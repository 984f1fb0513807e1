"""Limits and spend in Redis, shared by every replica: one atomic Lua script per check.

The check script reads every bucket and budget of the request, decides with the server's clock
(``TIME``: replicas' clocks need not agree), and writes the new bucket times only when the
request is admitted: check-and-increment in one round trip, nothing consumed by a denied
request. The settle script corrects the token buckets by the real usage and adds the cost to
the spend counters. Every key has a TTL (a bucket's until it is full again, a spend counter's a
day past its period) and carries one hash tag per request, so it works on Redis Cluster.
Scripts run by ``EVALSHA``, falling back to ``EVAL`` (which also caches them) on ``NOSCRIPT``.
Settlements are batched by the limiter (one script call per hash tag every few milliseconds), so
the hot path costs one round trip per request.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError

from gateway.limits import gcra
from gateway.limits.plan import Plan
from gateway.limits.resp import ReplyError, RespConnection
from gateway.limits.verdict import Verdict, verdict

# KEYS: nb bucket keys, then ns spend counters (one hash slot).
# ARGV: nb, ns, window_us, epsilon_us, then (interval_us, cost) per bucket, then usd limit per counter.
# Returns {denied, now_us, base_1..base_nb, spend_1..spend_ns}, numbers as strings.
CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nb, ns = tonumber(ARGV[1]), tonumber(ARGV[2])
local window, epsilon = tonumber(ARGV[3]), tonumber(ARGV[4])
local denied = 0
local base, new = {}, {}
for i = 1, nb do
  local interval, cost = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or 0)
  if tat < now then tat = now end
  base[i] = tat
  new[i] = tat + cost * interval
  if denied == 0 and new[i] - now > window + epsilon then denied = i end
end
local out = {}
local spends = {}
for j = 1, ns do
  local spent = tonumber(redis.call('GET', KEYS[nb + j]) or 0)
  spends[j] = spent
  if denied == 0 and spent >= tonumber(ARGV[4 + 2 * nb + j]) then denied = nb + j end
end
out[1] = tostring(denied)
out[2] = string.format('%.17g', now)
for i = 1, nb do
  if denied == 0 then
    redis.call('SET', KEYS[i], string.format('%.17g', new[i]), 'PX', math.ceil((new[i] - now) / 1000) + 1)
  end
  out[2 + i] = string.format('%.17g', base[i])
end
for j = 1, ns do out[2 + nb + j] = string.format('%.17g', spends[j]) end
return out
"""

# KEYS: nt token buckets, then ns spend counters. ARGV: nt, ns, (interval_us, delta) per bucket,
# (usd, ttl_s) per counter. Returns each counter's new total, as strings.
SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nt, ns = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, nt do
  local interval, delta = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or 0)
  local new
  if delta >= 0 then
    if tat < now then tat = now end
    new = tat + delta * interval
  else
    new = tat + delta * interval
  end
  if new > now then
    redis.call('SET', KEYS[i], string.format('%.17g', new), 'PX', math.ceil((new - now) / 1000) + 1)
  else
    redis.call('DEL', KEYS[i])
  end
end
local out = {}
for j = 1, ns do
  local k = KEYS[nt + j]
  out[j] = redis.call('INCRBYFLOAT', k, ARGV[1 + 2 * nt + 2 * j])
  redis.call('EXPIRE', k, ARGV[2 + 2 * nt + 2 * j])
end
return out
"""


class Script:
    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


CHECK_SCRIPT, SETTLE_SCRIPT = Script(CHECK), Script(SETTLE)


class RedisStore:
    """``url``: ``redis://``, ``rediss://`` or ``unix://`` (one pipelined connection, see
    :mod:`gateway.limits.resp`), or with ``cluster`` a Redis Cluster's (redis-py's cluster client,
    which routes each script to the shard of its keys' hash slot). ``timeout``: seconds to
    connect and per call."""

    def __init__(self, url: str, *, timeout: float, cluster: bool = False) -> None:
        self._conn: RespConnection | None = None
        self._cluster: RedisCluster | None = None
        if cluster:
            self._slots = asyncio.Semaphore(CLUSTER_CALLS)  # its pool raises when exhausted: wait here
            self._cluster = RedisCluster.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                                  retry=Retry(NoBackoff(), 1), max_connections=CLUSTER_CALLS + 4)
        else:
            self._conn = RespConnection.from_url(url, timeout=timeout)

    async def check(self, plan: Plan, now_s: float) -> Verdict:
        """One round trip. ``now_s``: the wall clock, for budget periods (buckets use the server's)."""
        args: list[str | int] = [len(plan.buckets), len(plan.budgets), WINDOW, EPSILON]
        for b in plan.buckets:
            args += [repr(b.interval), b.cost]
        args += [repr(line.usd) for line in plan.budgets]
        out = await self._run(CHECK_SCRIPT, plan.keys, args)
        nb = len(plan.buckets)
        values = [float(x) for x in out[1:]]
        return verdict(plan, values[0], values[1:1 + nb], values[1 + nb:], int(out[0]), now_s)

    async def settle(self, corrections: Sequence[tuple[str, float, int]],
                     charges: Sequence[tuple[str, float, int]]) -> list[float]:
        """Correct token buckets and charge spend counters that share one hash tag."""
        keys = [c[0] for c in corrections] + [c[0] for c in charges]
        args: list[str | int] = [len(corrections), len(charges)]
        for _, interval, delta in corrections:
            args += [repr(interval), delta]
        for _, usd, ttl in charges:
            args += [repr(usd), ttl]
        out = await self._run(SETTLE_SCRIPT, keys, args)
        return [float(x) for x in out]

    async def ping(self) -> None:
        if self._conn is not None:
            await self._conn.call(b"PING")
        else:
            assert self._cluster is not None
            async with self._slots:
                await self._cluster.ping()

    async def aclose(self) -> None:
        if self._conn is not None:
            await self._conn.aclose()
        if self._cluster is not None:
            await self._cluster.aclose()

    async def _run(self, script: Script, keys: list[str], args: list[str | int]) -> list[Any]:
        if self._conn is not None:
            try:
                out = await self._conn.call(b"EVALSHA", script.sha, len(keys), *keys, *args)
            except ReplyError as exc:
                if not str(exc).startswith("NOSCRIPT"):
                    raise
                # a restarted or flushed server: EVAL sends the source and caches it again
                out = await self._conn.call(b"EVAL", script.source, len(keys), *keys, *args)
            return list(out)
        assert self._cluster is not None
        async with self._slots:
            try:
                out = await self._cluster.evalsha(script.sha, len(keys), *keys, *args)
            except NoScriptError:
                out = await self._cluster.eval(script.source, len(keys), *keys, *args)
        return list(out)


CLUSTER_CALLS = 32  # calls in flight per process on a cluster
WINDOW, EPSILON = repr(gcra.WINDOW_US), repr(gcra.EPSILON_US)
