"""Limits and spend kept in this process: the same decisions as the Redis store, in a dict.

Every method is synchronous, so a check-and-increment is atomic on the event loop (nothing
else runs between the read and the write). Entries expire like the Redis keys they mirror.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gateway.limits import gcra
from gateway.limits.plan import Plan
from gateway.limits.verdict import Verdict, first_denial, verdict

PRUNE_EVERY = 4096  # operations between sweeps of expired entries


class LocalStore:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock  # epoch seconds
        self._tats: dict[str, float] = {}  # bucket -> TAT (microseconds)
        self._spend: dict[str, tuple[float, float]] = {}  # counter -> (USD, expires at)
        self._ops = 0

    def check(self, plan: Plan) -> Verdict:
        now_s = self._clock()
        now = now_s * 1e6
        tats = self._tats
        bases = []
        for b in plan.buckets:
            tat = tats.get(b.key)
            bases.append(now if tat is None or tat < now else tat)
        spends = []
        for line in plan.budgets:
            value, expires = self._spend.get(line.key, (0.0, 0.0))
            spends.append(value if expires > now_s else 0.0)
        denied = first_denial(plan, now, bases, spends)
        if denied == 0:
            for bucket, base in zip(plan.buckets, bases, strict=True):
                self._tats[bucket.key] = base + bucket.cost * bucket.interval
        self._tick(now_s)
        return verdict(plan, now, bases, spends, denied, now_s)

    def settle(self, corrections: Sequence[tuple[str, float, int]],
               charges: Sequence[tuple[str, float, int]]) -> list[float]:
        """Apply token corrections ``(bucket, interval, delta)`` and charges ``(counter, usd,
        ttl seconds)``; return each counter's new total."""
        now_s = self._clock()
        now = now_s * 1e6
        for key, interval, delta in corrections:
            tat = gcra.correct(self._tats.get(key), now, interval, delta)
            if tat is None:
                self._tats.pop(key, None)
            else:
                self._tats[key] = tat
        totals = []
        for key, usd, ttl in charges:
            total = self.spend(key, now_s) + usd
            self._spend[key] = (total, now_s + ttl)
            totals.append(total)
        self._tick(now_s)
        return totals

    def spend(self, key: str, now_s: float | None = None) -> float:
        value, expires = self._spend.get(key, (0.0, 0.0))
        return value if expires > (self._clock() if now_s is None else now_s) else 0.0

    def seed(self, spends: dict[str, tuple[float, int]]) -> None:
        """Start from spend known elsewhere (the last values read from Redis): ``counter ->
        (USD, ttl seconds)``; a larger local value stays."""
        now_s = self._clock()
        for key, (usd, ttl) in spends.items():
            if usd > self.spend(key, now_s):
                self._spend[key] = (usd, now_s + ttl)

    def clear(self) -> None:
        self._tats.clear()
        self._spend.clear()

    def _tick(self, now_s: float) -> None:
        self._ops += 1
        if self._ops % PRUNE_EVERY:
            return
        now = now_s * 1e6
        self._tats = {k: t for k, t in self._tats.items() if t > now}
        self._spend = {k: v for k, v in self._spend.items() if v[1] > now_s}
