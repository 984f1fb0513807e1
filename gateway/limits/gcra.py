"""The generic cell rate algorithm (GCRA) for per-minute limits, as pure arithmetic.

A limit of ``L`` units per minute is a bucket that holds one minute's worth and refills
continuously: each unit moves the bucket's *theoretical arrival time* (TAT) ``60 s / L`` into
the future, and a request of ``cost`` units is admitted when the new TAT is at most one minute
ahead of now. The state is one number per bucket, a request's cost may be any number of units
(tokens), and a later correction (the real token count) just moves the TAT. The Redis script in
:mod:`gateway.limits.redis_store` does exactly this arithmetic, on the server. Times are in
microseconds.
"""

from __future__ import annotations

import math

WINDOW_US = 60_000_000.0
EPSILON_US = 1.0  # float rounding of stored times: never deny for less than this


def interval_us(limit: int) -> float:
    """Microseconds one unit occupies in a bucket of ``limit`` units per minute."""
    return WINDOW_US / limit


def admit(tat: float | None, now: float, interval: float, cost: int) -> tuple[float, float, bool]:
    """``(base, new_tat, allowed)``: ``base`` is the bucket's TAT before the request (never in
    the past), ``new_tat`` what it becomes if the request is admitted."""
    base = now if tat is None or tat < now else tat
    new = base + cost * interval
    return base, new, new - now <= WINDOW_US + EPSILON_US


def remaining(limit: int, tat: float, now: float) -> int:
    """Units still available at ``now`` in a bucket whose TAT is ``tat``."""
    used = max(tat - now, 0.0) / WINDOW_US
    return max(math.floor(limit * (1.0 - used) + 1e-9), 0)


def reset_us(tat: float, now: float) -> float:
    """Time until the bucket is full again (OpenAI's ``x-ratelimit-reset-*``)."""
    return max(tat - now, 0.0)


def retry_after_us(base: float, now: float, interval: float, cost: int) -> float:
    """Time until a request of ``cost`` units would be admitted."""
    return max(base + cost * interval - WINDOW_US - now, 0.0)


def correct(tat: float | None, now: float, interval: float, delta: int) -> float | None:
    """The TAT after adding ``delta`` units (negative: a refund) to a bucket after the fact;
    None when the bucket is then full (nothing to store)."""
    if delta >= 0:
        new = max(tat or now, now) + delta * interval
    else:
        new = (tat or now) + delta * interval
    return new if new > now else None
