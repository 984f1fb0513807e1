"""Decisions and what the client sees: the tightest bucket in OpenAI's headers, retry-after,
the errors (429 rate_limit_exceeded / insufficient_quota), and the plan for a key and its team."""

from __future__ import annotations

from gateway.config import Budget, Limits
from gateway.errors import QuotaExceeded, RateLimited
from gateway.limits import gcra
from gateway.limits.plan import Rules
from gateway.limits.verdict import duration, first_denial, verdict

NOW_S = 1_700_000_000.0
NOW = NOW_S * 1e6


def rules(**kw: object) -> Rules:
    return Rules("k1", "t:eam", "gw", **kw)  # type: ignore[arg-type]


def test_plan_has_key_and_team_buckets_in_one_hash_slot() -> None:
    r = rules(key_limits=Limits(rpm=10, tpm=1000), team_limits=Limits(rpm=3), team_budget=Budget(usd=5, period="day"))
    plan = r.plan(120, NOW_S)
    assert [(b.kind, b.scope, b.limit, b.cost) for b in plan.buckets] == [
        ("requests", "key", 10, 1), ("tokens", "key", 1000, 120), ("requests", "team", 3, 1)]
    assert [(line.scope, line.usd) for line in plan.budgets] == [("team", 5)]
    assert {k.split("}")[0] for k in plan.keys} == {"gw:{t:t%3Aeam"}  # one tag, ids escaped
    assert plan.budgets[0].key.endswith(":t:usd:d2023-11-14")
    assert r.kinds() == ("requests", "tokens", "budget")
    no_team = Rules("solo", None, "gw", key_limits=Limits(rpm=1))
    assert no_team.plan(0, NOW_S).keys == ["gw:{k:solo}:k:solo:rpm"]
    assert Rules("x", "t", "gw", team_limits=None).empty


def test_the_tightest_bucket_is_reported_and_denies() -> None:
    plan = rules(key_limits=Limits(rpm=10), team_limits=Limits(rpm=3)).plan(0, NOW_S)
    bases = [NOW, NOW + 2 * gcra.interval_us(3)]  # the team has one request left
    assert first_denial(plan, NOW, bases, []) == 0
    v = verdict(plan, NOW, bases, [], 0, NOW_S)
    assert v.allowed and v.headers == {"x-ratelimit-limit-requests": "3", "x-ratelimit-remaining-requests": "0",
                                       "x-ratelimit-reset-requests": "1m0s"}
    full = [NOW, NOW + 3 * gcra.interval_us(3)]
    assert first_denial(plan, NOW, full, []) == 2
    denied = verdict(plan, NOW, full, [], 2, NOW_S)
    assert not denied.allowed and denied.denied == "requests"
    assert denied.headers["retry-after"] == "20" and denied.headers["retry-after-ms"] == "20000"
    err = denied.error()
    assert isinstance(err, RateLimited) and err.status == 429 and err.code == "rate_limit_exceeded"


def test_tokens_too_large_and_budget_spent() -> None:
    plan = rules(key_limits=Limits(tpm=100), key_budget=Budget(usd=1)).plan(150, NOW_S)
    assert first_denial(plan, NOW, [NOW], [0.0]) == 1
    v = verdict(plan, NOW, [NOW], [0.0], 1, NOW_S)
    assert v.too_large and v.denied == "tokens" and "larger than" in v.error().message
    small = rules(key_limits=Limits(tpm=100), key_budget=Budget(usd=1)).plan(10, NOW_S)
    assert first_denial(small, NOW, [NOW], [1.0]) == 2
    spent = verdict(small, NOW, [NOW], [1.0], 2, NOW_S)
    err = spent.error()
    assert isinstance(err, QuotaExceeded) and err.status == 429
    assert err.to_openai()["error"] == {"message": err.message, "type": "insufficient_quota",
                                        "code": "insufficient_quota", "param": None}
    assert int(spent.headers["retry-after"]) == int(small.budgets[0].period_end - NOW_S)
    assert spent.headers["x-ratelimit-remaining-tokens"] == "100"


def test_durations_in_openai_format() -> None:
    assert [duration(x) for x in (0.0004, 0.02, 1.5, 12.0, 60.0, 361.2, 7322.0)] == [
        "1ms", "20ms", "1.5s", "12s", "1m0s", "6m1s", "2h2m2s"]
