"""The limiter the HTTP layer calls: ``check`` before a request is read further, ``settle`` once
its usage and cost are known. It picks the store (Redis when the config names one, else this
process), fails over when Redis cannot be reached (``on_error: local`` counts in this process
and says so; ``block`` refuses with 503), probes until Redis answers again and then shares the
counts again, replaying the spend it charged locally meanwhile.

    limiter = Limiter(config.state, os.environ, events)
    await limiter.start()
    verdict = await limiter.check(rules, estimated_tokens)   # None: no limit applies
    if not verdict.allowed: raise verdict.error()
    ...
    limiter.settle(verdict, tokens=prompt + completion, cost_usd=cost)   # in the background
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from redis.exceptions import RedisError

from gateway.config import StateConfig
from gateway.errors import LimitsUnavailable
from gateway.limits.local import LocalStore
from gateway.limits.plan import Plan, Rules
from gateway.limits.redis_store import RedisStore
from gateway.limits.verdict import Verdict

log = logging.getLogger("gateway.limits")
STORE_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


class LimitEvents(Protocol):
    """Where the limiter reports (the gateway's metrics)."""

    def limited(self, key: str, kind: str) -> None: ...

    def spend(self, team: str, usd: float) -> None: ...

    def degraded(self, flag: bool) -> None: ...


class Limiter:
    def __init__(self, state: StateConfig, environ: Mapping[str, str], events: LimitEvents, *,
                 clock: Callable[[], float] = time.time, probe_interval: float = 0.5) -> None:
        self._state = state
        self._events = events
        self._clock = clock
        self._probe_interval = probe_interval
        self._local = LocalStore(clock)
        self._redis: RedisStore | None = None
        self._degraded = False
        self._probe: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._known: dict[str, tuple[float, int]] = {}  # counter -> (USD, ttl): last read from Redis
        self._unsynced: dict[str, tuple[float, int]] = {}  # counter -> (USD, ttl) charged locally while degraded
        if state.redis_url_env is not None:
            url = environ.get(state.redis_url_env)
            if url:
                self._redis = RedisStore(url, timeout=state.timeout, connections=state.connections,
                                         cluster=state.cluster)
            else:  # said to share, cannot: never silently count per process without saying so
                log.error("state.redis_url_env: environment variable %s is not set; limits are %s",
                          state.redis_url_env, "counted per process" if state.on_error == "local" else "refused")
                self._degraded = True

    @property
    def shared(self) -> bool:
        """Counts are shared through Redis right now."""
        return self._redis is not None and not self._degraded

    @property
    def degraded(self) -> bool:
        return self._state.redis_url_env is not None and (self._redis is None or self._degraded)

    def status(self) -> dict[str, object]:
        """For ``/readyz``."""
        store = "none" if self._state.redis_url_env is None else "redis"
        return {"store": store, "shared": self.shared, "degraded": self.degraded, "on_error": self._state.on_error}

    @property
    def ready(self) -> bool:
        """False only when Redis is down and ``on_error: block`` refuses every limited request."""
        return not (self.degraded and self._state.on_error == "block")

    async def start(self) -> None:
        self._events.degraded(self.degraded)
        if self._redis is None:
            return
        try:
            await self._redis.ping()
        except STORE_ERRORS as exc:
            self._fail(exc)

    async def aclose(self) -> None:
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=5)
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
        result = await self._check(plan, now_s)
        self._report(plan, result.spends)
        if not result.allowed and result.denied is not None:
            self._events.limited(plan.key_id, result.denied)
        return result

    def settle(self, verdict: Verdict, tokens: int, cost_usd: float) -> None:
        """Correct the token buckets from the estimate to ``tokens`` and charge ``cost_usd`` to the
        budgets, in the background (the response is not held up)."""
        plan = verdict.plan
        corrections = [(b.key, b.interval, tokens - b.cost) for b in plan.buckets
                       if b.kind == "tokens" and tokens != b.cost]
        now_s = self._clock()
        charges = [(line.key, cost_usd, line.ttl(now_s)) for line in plan.budgets] if cost_usd > 0 else []
        if not corrections and not charges:
            return
        task = asyncio.get_running_loop().create_task(self._settle(plan, corrections, charges))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _check(self, plan: Plan, now_s: float) -> Verdict:
        if self._redis is not None and not self._degraded:
            try:
                result = await self._redis.check(plan, now_s)
                self._remember(plan, result.spends, now_s)
                return result
            except STORE_ERRORS as exc:
                self._fail(exc)
        if self._state.redis_url_env is not None and self._state.on_error == "block":
            raise LimitsUnavailable("the shared limit store cannot be reached; try again shortly")
        return self._local.check(plan)

    async def _settle(self, plan: Plan, corrections: list[tuple[str, float, int]],
                      charges: list[tuple[str, float, int]]) -> None:
        if self._redis is not None and not self._degraded:
            try:
                totals = await self._redis.settle(corrections, charges)
                self._remember_charges(charges, totals)
                self._report_totals(plan, charges, totals)
                return
            except STORE_ERRORS as exc:
                self._fail(exc)
        totals = self._local.settle(corrections, charges)
        if self._state.redis_url_env is not None:  # replayed into Redis when it is back
            for key, usd, ttl in charges:
                spent, _ = self._unsynced.get(key, (0.0, ttl))
                self._unsynced[key] = (spent + usd, ttl)
        self._report_totals(plan, charges, totals)

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
                if replay:
                    await self._redis.settle([], [(k, usd, ttl) for k, (usd, ttl) in replay.items()])
            except STORE_ERRORS:
                for key, (usd, ttl) in replay.items():  # keep them for the next attempt
                    spent, _ = self._unsynced.get(key, (0.0, ttl))
                    self._unsynced[key] = (spent + usd, ttl)
                continue
            self._degraded = False
            self._events.degraded(False)
            log.warning("limit store reachable again: limits are shared again")
            return

    def _remember(self, plan: Plan, spends: tuple[float, ...], now_s: float) -> None:
        for line, spent in zip(plan.budgets, spends, strict=True):
            self._known[line.key] = (spent, line.ttl(now_s))
        if len(self._known) > 10_000:  # old periods' counters
            self._known.clear()

    def _remember_charges(self, charges: list[tuple[str, float, int]], totals: list[float]) -> None:
        for (key, _, ttl), total in zip(charges, totals, strict=True):
            self._known[key] = (total, ttl)

    def _report(self, plan: Plan, spends: tuple[float, ...]) -> None:
        for line, spent in zip(plan.budgets, spends, strict=True):
            if line.scope == "team" and plan.team is not None:
                self._events.spend(plan.team, spent)

    def _report_totals(self, plan: Plan, charges: list[tuple[str, float, int]], totals: list[float]) -> None:
        by_key = {key: total for (key, _, _), total in zip(charges, totals, strict=True)}
        for line in plan.budgets:
            if line.scope == "team" and plan.team is not None and line.key in by_key:
                self._events.spend(plan.team, by_key[line.key])
