"""The limiter the HTTP layer calls: ``check`` before a request is read further, ``settle`` once
its usage and cost are known. It picks the store (Redis when the config names one, else this
process), fails over when Redis cannot be reached (``on_error: local`` counts in this process
and says so; ``block`` refuses with 503), probes until Redis answers again and then shares the
counts again, replaying the spend it charged locally meanwhile.

With Redis, settlements (token corrections and spend) are summed in memory and sent every
``settle_interval`` seconds, one script call per hash tag: the hot path is one round trip per
request, and a budget learns of a request's cost within that interval of its end.

    limiter = Limiter(config.state, os.environ, events)
    await limiter.start()
    verdict = await limiter.check(rules, estimated_tokens)
    if not verdict.allowed: raise verdict.error()
    ...
    limiter.settle(verdict, tokens=prompt + completion, cost_usd=cost)
    await limiter.aclose()      # sends what is still pending
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from redis.exceptions import RedisError

from gateway.config import StateConfig
from gateway.errors import LimitsUnavailable
from gateway.limits.local import LocalStore
from gateway.limits.plan import Plan, Rules
from gateway.limits.redis_store import RedisStore
from gateway.limits.resp import ReplyError
from gateway.limits.verdict import Verdict

log = logging.getLogger("gateway.limits")
STORE_ERRORS = (RedisError, ReplyError, OSError, asyncio.TimeoutError, ValueError)


class LimitEvents(Protocol):
    """Where the limiter reports (the gateway's metrics)."""

    def limited(self, key: str, kind: str) -> None: ...

    def spend(self, team: str, usd: float) -> None: ...

    def degraded(self, flag: bool) -> None: ...


@dataclass
class _Batch:
    """Settlements of one hash tag waiting to be sent: sums per storage key."""

    corrections: dict[str, tuple[float, int]] = field(default_factory=dict)  # bucket -> (interval, tokens)
    charges: dict[str, tuple[float, int]] = field(default_factory=dict)  # counter -> (usd, ttl)
    teams: dict[str, str] = field(default_factory=dict)  # team counter -> team (for the gauge)


class Limiter:
    def __init__(self, state: StateConfig, environ: Mapping[str, str], events: LimitEvents, *,
                 clock: Callable[[], float] = time.time, probe_interval: float = 0.5,
                 settle_interval: float = 0.02) -> None:
        self._state = state
        self._events = events
        self._clock = clock
        self._probe_interval = probe_interval
        self._settle_interval = settle_interval
        self._local = LocalStore(clock)
        self._redis: RedisStore | None = None
        self._degraded = False
        self._probe: asyncio.Task[None] | None = None
        self._batches: dict[str, _Batch] = {}
        self._flusher: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()
        self._known: dict[str, tuple[float, int]] = {}  # counter -> (USD, ttl): last read from Redis
        self._unsynced: dict[str, tuple[float, int]] = {}  # counter -> (USD, ttl) charged locally while degraded
        if state.redis_url_env is not None:
            url = environ.get(state.redis_url_env)
            problem = None if url else "is not set"
            if url:
                try:
                    self._redis = RedisStore(url, timeout=state.timeout, cluster=state.cluster)
                except ValueError:  # the URL itself stays out of the log: it may hold a password
                    problem = "does not hold a redis://, rediss:// or unix:// URL"
            if problem is not None:  # said to share, cannot: never count per process without saying so
                log.error("state.redis_url_env: environment variable %s %s; limits are %s", state.redis_url_env,
                          problem, "counted per process" if state.on_error == "local" else "refused")
                self._degraded = True

    @property
    def shared(self) -> bool:
        """Counts are shared through Redis right now."""
        return self._redis is not None and not self._degraded

    @property
    def degraded(self) -> bool:
        """Redis is named but cannot be used."""
        return self._state.redis_url_env is not None and (self._redis is None or self._degraded)

    @property
    def ready(self) -> bool:
        """False only when Redis is down and ``on_error: block`` refuses every limited request."""
        return not (self.degraded and self._state.on_error == "block")

    def status(self) -> dict[str, object]:
        """For ``/readyz``."""
        store = "none" if self._state.redis_url_env is None else "redis"
        return {"store": store, "shared": self.shared, "degraded": self.degraded, "on_error": self._state.on_error}

    async def start(self) -> None:
        self._events.degraded(self.degraded)
        if self._redis is None:
            return
        try:
            await self._redis.ping()
        except STORE_ERRORS as exc:
            self._fail(exc)

    async def aclose(self) -> None:
        await self.flush()
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        if self._redis is not None:
            with contextlib.suppress(*STORE_ERRORS):
                await self._redis.aclose()

    async def check(self, rules: Rules, estimated_tokens: int) -> Verdict:
        """Admit or deny one request of ``rules``' key, estimated at ``estimated_tokens``; an
        admitted request has consumed its share. Raises :class:`LimitsUnavailable` when Redis is
        down and ``on_error`` is ``block``."""
        now_s = self._clock()
        plan = rules.plan(estimated_tokens, now_s)
        if self._redis is not None and not self._degraded:
            try:
                result = await self._redis.check(plan, now_s)
                for line, spent in zip(plan.budgets, result.spends, strict=True):
                    self._known[line.key] = (spent, line.ttl(now_s))
            except STORE_ERRORS as exc:
                self._fail(exc)
                result = self._local_check(plan)
        else:
            result = self._local_check(plan)
        if plan.team is not None:
            for line, spent in zip(plan.budgets, result.spends, strict=True):
                if line.scope == "team":
                    self._events.spend(plan.team, spent)
        if not result.allowed and result.denied is not None:
            self._events.limited(plan.key_id, result.denied)
        return result

    def settle(self, verdict: Verdict, tokens: int, cost_usd: float) -> None:
        """Correct the token buckets from the estimate to ``tokens`` and charge ``cost_usd`` to the
        budgets (at once in process; with Redis in the next batch)."""
        plan = verdict.plan
        corrections = [(b.key, b.interval, tokens - b.cost) for b in plan.buckets
                       if b.kind == "tokens" and tokens != b.cost]
        if cost_usd <= 0 and not corrections:
            return
        now_s = self._clock()
        charges = [(line.key, cost_usd, line.ttl(now_s)) for line in plan.budgets] if cost_usd > 0 else []
        if self.shared:
            self._enqueue(plan, corrections, charges)
        else:
            self._settle_locally(plan, corrections, charges)

    async def flush(self) -> None:
        """Send the pending settlements now (and wait for those already on their way)."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self._send()
        if self._flushing:
            await asyncio.wait(set(self._flushing))

    def _local_check(self, plan: Plan) -> Verdict:
        if self._state.redis_url_env is not None and self._state.on_error == "block":
            raise LimitsUnavailable("the shared limit store cannot be reached; try again shortly")
        return self._local.check(plan)

    def _settle_locally(self, plan: Plan, corrections: list[tuple[str, float, int]],
                        charges: list[tuple[str, float, int]]) -> None:
        totals = self._local.settle(corrections, charges)
        if self._state.redis_url_env is not None:  # replayed into Redis when it is back
            for key, usd, ttl in charges:
                spent, _ = self._unsynced.get(key, (0.0, ttl))
                self._unsynced[key] = (spent + usd, ttl)
        if plan.team is not None:
            for line, (key, _, _), total in zip(plan.budgets, charges, totals, strict=False):
                if line.scope == "team" and line.key == key:
                    self._events.spend(plan.team, total)

    def _enqueue(self, plan: Plan, corrections: list[tuple[str, float, int]],
                 charges: list[tuple[str, float, int]]) -> None:
        tag = plan.keys[0].split("}", 1)[0]
        batch = self._batches.get(tag)
        if batch is None:
            batch = self._batches[tag] = _Batch()
        for key, interval, delta in corrections:
            _, total = batch.corrections.get(key, (interval, 0))
            batch.corrections[key] = (interval, total + delta)
        for key, usd, ttl in charges:
            total_usd, _ = batch.charges.get(key, (0.0, ttl))
            batch.charges[key] = (total_usd + usd, ttl)
        if plan.team is not None:
            for line in plan.budgets:
                if line.scope == "team":
                    batch.teams[line.key] = plan.team
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().call_later(self._settle_interval, self._flush_soon)

    def _flush_soon(self) -> None:
        self._flusher = None
        task = asyncio.get_running_loop().create_task(self._send())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _send(self) -> None:
        batches, self._batches = self._batches, {}
        if batches:
            await asyncio.gather(*(self._send_one(batch) for batch in batches.values()))

    async def _send_one(self, batch: _Batch) -> None:
        corrections = [(k, interval, delta) for k, (interval, delta) in batch.corrections.items() if delta]
        charges = [(k, usd, ttl) for k, (usd, ttl) in batch.charges.items()]
        if not corrections and not charges:
            return
        totals: list[float] | None = None
        if self.shared:
            assert self._redis is not None
            try:
                totals = await self._redis.settle(corrections, charges)
                for (key, _, ttl), total in zip(charges, totals, strict=True):
                    self._known[key] = (total, ttl)
            except STORE_ERRORS as exc:
                self._fail(exc)
        if totals is None:  # Redis failed meanwhile: count here, replay later
            totals = self._local.settle(corrections, charges)
            for key, usd, ttl in charges:
                spent, _ = self._unsynced.get(key, (0.0, ttl))
                self._unsynced[key] = (spent + usd, ttl)
        for (key, _, _), total in zip(charges, totals, strict=True):
            team = batch.teams.get(key)
            if team is not None:
                self._events.spend(team, total)

    def _fail(self, exc: BaseException) -> None:
        if not self._degraded:
            log.error("limit store unreachable (%s); %s until it answers again", type(exc).__name__,
                      "counting in this process" if self._state.on_error == "local" else "refusing limited requests")
            self._degraded = True
            self._local.clear()
            self._local.seed(self._known)
            self._events.degraded(True)
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._recover())

    async def _recover(self) -> None:
        assert self._redis is not None
        while True:
            await asyncio.sleep(self._probe_interval)
            replay, self._unsynced = self._unsynced, {}
            try:
                await self._redis.ping()
                for charges in _by_tag(replay).values():
                    await self._redis.settle([], charges)
            except STORE_ERRORS:
                for key, (usd, ttl) in replay.items():  # kept for the next attempt
                    spent, _ = self._unsynced.get(key, (0.0, ttl))
                    self._unsynced[key] = (spent + usd, ttl)
                continue
            self._degraded = False
            self._events.degraded(False)
            log.warning("limit store reachable again: limits are shared again")
            return


def _by_tag(charges: dict[str, tuple[float, int]]) -> dict[str, list[tuple[str, float, int]]]:
    """Group counters by their hash tag (one script call may touch one slot only)."""
    out: dict[str, list[tuple[str, float, int]]] = {}
    for key, (usd, ttl) in charges.items():
        out.setdefault(key.split("}", 1)[0], []).append((key, usd, ttl))
    return out
