"""What to check for one request: the buckets (requests and tokens per minute, of the key and of
its team) and the budgets (of the key and of its team), with their storage keys.

Every storage key of a key's request carries the same Redis Cluster hash tag (the team's, or the
key's when it has no team), so one atomic script can read and write all of them on one shard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from gateway.config import Budget, Limits
from gateway.limits import gcra
from gateway.limits.periods import window

BucketKind = Literal["requests", "tokens"]
Scope = Literal["key", "team"]
SPEND_GRACE_S = 86_400  # a spend counter outlives its period by a day


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str  # storage key
    kind: BucketKind
    scope: Scope
    limit: int  # units per minute
    cost: int  # units this request takes (tokens: the estimate)
    interval: float  # microseconds per unit


@dataclass(frozen=True, slots=True)
class BudgetLine:
    key: str  # storage key of the spend counter for the current period
    scope: Scope
    usd: float
    period_end: float  # epoch seconds

    def ttl(self, now: float) -> int:
        return int(max(self.period_end - now, 0)) + SPEND_GRACE_S


@dataclass(frozen=True, slots=True)
class Plan:
    key_id: str
    team: str | None
    buckets: tuple[Bucket, ...]
    budgets: tuple[BudgetLine, ...]

    @property
    def keys(self) -> list[str]:
        return [b.key for b in self.buckets] + [b.key for b in self.budgets]


@dataclass
class _Derived:
    """What a key's rules work out once: buckets (tokens' cost set per request), and the budget
    lines of the current periods."""

    ready: bool = False
    buckets: tuple[Bucket, ...] = ()
    budgets: list[tuple[str, Scope, Budget]] = field(default_factory=list)
    lines: tuple[BudgetLine, ...] = ()
    lines_from: float = 0.0
    lines_until: float = 0.0


@dataclass(frozen=True)
class Rules:
    """The limits and budgets that apply to one key (its own and its team's), from the config."""

    key_id: str
    team: str | None
    prefix: str
    key_limits: Limits | None = None
    key_budget: Budget | None = None
    team_limits: Limits | None = None
    team_budget: Budget | None = None
    _cache: _Derived = field(default_factory=lambda: _Derived(), compare=False, repr=False)

    @property
    def empty(self) -> bool:
        return not any(_has(x) for x in (self.key_limits, self.team_limits)) and \
            self.key_budget is None and self.team_budget is None

    def kinds(self) -> tuple[str, ...]:
        """What can refuse this key's requests: ``requests``, ``tokens``, ``budget``."""
        limits = [x for x in (self.key_limits, self.team_limits if self.team else None) if x is not None]
        out = []
        if any(x.rpm is not None for x in limits):
            out.append("requests")
        if any(x.tpm is not None for x in limits):
            out.append("tokens")
        if self.key_budget is not None or (self.team is not None and self.team_budget is not None):
            out.append("budget")
        return tuple(out)

    def storage_prefix(self, scope: Scope) -> str:
        """``<prefix>:{t:<team>}:k:<key>`` or ``<prefix>:{t:<team>}:t``: ids percent-encoded."""
        tag = f"{{t:{quote(self.team, safe='')}}}" if self.team is not None else f"{{k:{quote(self.key_id, safe='')}}}"
        base = f"{self.prefix}:{tag}"
        return f"{base}:k:{quote(self.key_id, safe='')}" if scope == "key" else f"{base}:t"

    def plan(self, estimated_tokens: int, now: float) -> Plan:
        """The checks for a request estimated at ``estimated_tokens`` at ``now`` (epoch seconds)."""
        d = self._derived()
        cost = max(estimated_tokens, 0)
        buckets = tuple(b if b.kind == "requests" else Bucket(b.key, b.kind, b.scope, b.limit, cost, b.interval)
                        for b in d.buckets)
        if d.budgets and not d.lines_from <= now < d.lines_until:
            self._period_lines(d, now)
        return Plan(self.key_id, self.team, buckets, d.lines)

    def _derived(self) -> _Derived:
        """Storage keys and limits, worked out once per key (and per reload)."""
        d = self._cache
        if d.ready:
            return d
        scopes: tuple[tuple[Scope, Limits | None, Budget | None], ...] = (
            ("key", self.key_limits, self.key_budget),
            ("team", self.team_limits if self.team is not None else None,
             self.team_budget if self.team is not None else None))
        buckets: list[Bucket] = []
        for scope, limits, budget in scopes:
            prefix = self.storage_prefix(scope)
            if limits is not None and limits.rpm is not None:
                buckets.append(Bucket(f"{prefix}:rpm", "requests", scope, limits.rpm, 1, gcra.interval_us(limits.rpm)))
            if limits is not None and limits.tpm is not None:
                buckets.append(Bucket(f"{prefix}:tpm", "tokens", scope, limits.tpm, 0, gcra.interval_us(limits.tpm)))
            if budget is not None:
                d.budgets.append((prefix, scope, budget))
        d.buckets = tuple(buckets)
        d.ready = True
        return d

    @staticmethod
    def _period_lines(d: _Derived, now: float) -> None:
        """The budget lines of the periods that contain ``now`` (kept until one of them ends)."""
        lines = []
        d.lines_from, d.lines_until = float("-inf"), float("inf")
        for prefix, scope, budget in d.budgets:
            w = window(budget.period, now)
            d.lines_from, d.lines_until = max(d.lines_from, w.start), min(d.lines_until, w.end)
            lines.append(BudgetLine(f"{prefix}:usd:{w.id}", scope, budget.usd, w.end))
        d.lines = tuple(lines)


def _has(limits: Limits | None) -> bool:
    return limits is not None and (limits.rpm is not None or limits.tpm is not None)
