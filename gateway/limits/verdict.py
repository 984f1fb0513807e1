"""The answer to a check, and the response headers and error that follow from it (pure).

Both stores reach a decision the same way: every bucket and budget of the plan is read; the
first one that cannot take the request denies it, and then nothing is consumed; otherwise every
bucket takes its cost. Headers report, for requests and for tokens, the tightest bucket (fewest
units left), as OpenAI's ``x-ratelimit-*`` headers do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from gateway.errors import GatewayError, QuotaExceeded, RateLimited
from gateway.limits import gcra
from gateway.limits.plan import Plan

DeniedKind = Literal["requests", "tokens", "budget"]
HEADERS = {kind: (f"x-ratelimit-limit-{kind}", f"x-ratelimit-remaining-{kind}", f"x-ratelimit-reset-{kind}")
           for kind in ("requests", "tokens")}


@dataclass(frozen=True)
class Verdict:
    plan: Plan
    allowed: bool
    denied: DeniedKind | None = None
    retry_after: float | None = None  # seconds
    too_large: bool = False  # the request alone exceeds a tokens-per-minute limit
    spends: tuple[float, ...] = ()  # per plan.budgets, as read (USD in the current period)
    headers: dict[str, str] = field(default_factory=dict)

    def error(self) -> GatewayError:
        """The client's error for a denied request (no key secret, no content)."""
        if self.denied == "budget":
            return QuotaExceeded("the budget of this key or its team for the current period is spent")
        if self.too_large:
            return RateLimited("the request is larger than the tokens-per-minute limit of this key or its team")
        what = "requests" if self.denied == "requests" else "tokens"
        return RateLimited(f"rate limit reached for {what} per minute; retry after the time in retry-after")


def first_denial(plan: Plan, now: float, bases: list[float], spends: list[float]) -> int:
    """1-based index into buckets then budgets of the first that denies the request; 0: none.
    (The Redis script computes the same.)"""
    for i, (bucket, base) in enumerate(zip(plan.buckets, bases, strict=True), 1):
        if base + bucket.cost * bucket.interval - now > gcra.WINDOW_US + gcra.EPSILON_US:
            return i
    for j, (line, spent) in enumerate(zip(plan.budgets, spends, strict=True), 1):
        if spent >= line.usd:
            return len(plan.buckets) + j
    return 0


def verdict(plan: Plan, now: float, bases: list[float], spends: list[float], denied: int, now_s: float) -> Verdict:
    """The verdict for ``plan`` given each bucket's TAT before the request (``bases``, never in
    the past) and each budget's spend, ``denied`` as from :func:`first_denial`. ``now`` is the
    store's clock in microseconds; ``now_s`` the wall clock in seconds (budget periods)."""
    allowed = denied == 0
    # the tightest bucket of each kind: fewest units left
    best: dict[str, tuple[int, int, float]] = {}
    for bucket, base in zip(plan.buckets, bases, strict=True):
        tat = base + bucket.cost * bucket.interval if allowed else base
        left = gcra.remaining(bucket.limit, tat, now)
        seen = best.get(bucket.kind)
        if seen is None or left < seen[0] or (left == seen[0] and bucket.limit < seen[1]):
            best[bucket.kind] = (left, bucket.limit, tat)
    headers: dict[str, str] = {}
    for unit, (left, limit, tat) in best.items():
        limit_name, remaining_name, reset_name = HEADERS[unit]
        headers[limit_name] = str(limit)
        headers[remaining_name] = str(left)
        headers[reset_name] = duration((tat - now) / 1e6 if tat > now else 0.0)
    if allowed:
        return Verdict(plan, True, spends=tuple(spends), headers=headers)
    too_large = False
    if denied <= len(plan.buckets):
        bucket = plan.buckets[denied - 1]
        kind: DeniedKind = "requests" if bucket.kind == "requests" else "tokens"
        too_large = bucket.cost > bucket.limit
        wait = gcra.WINDOW_US / 1e6 if too_large else gcra.retry_after_us(bases[denied - 1], now, bucket.interval,
                                                                          bucket.cost) / 1e6
    else:
        kind = "budget"
        wait = max(plan.budgets[denied - len(plan.buckets) - 1].period_end - now_s, 0.0)
    headers["retry-after"] = str(max(math.ceil(wait), 1))
    headers["retry-after-ms"] = str(max(math.ceil(wait * 1000), 1))
    return Verdict(plan, False, kind, wait, too_large, tuple(spends), headers)


def duration(seconds: float) -> str:
    """OpenAI's format for reset times: ``20ms``, ``1.5s``, ``6m0s``."""
    if seconds < 1:
        return f"{math.ceil(seconds * 1000)}ms"
    if seconds < 60:
        return f"{round(seconds, 3):g}s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)}m{int(rest)}s"
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}h{minutes}m{int(rest)}s"
