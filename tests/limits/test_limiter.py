"""The limiter over both stores, the same behaviour in process and through a real Redis: limits
hold exactly, the tightest wins, a team's limit is shared by its keys, a refused request consumes
nothing, tokens are estimated then corrected, budgets stop a key when spent, and many requests
at once never pass more than the limit."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from gateway.config import Budget, Limits, StateConfig
from gateway.limits import Limiter, Rules
from tests.limits.conftest import Events
from tests.limits.redis_process import RedisServer

PREFIXES = (f"t{i}" for i in itertools.count())  # a fresh key space per test on the shared server


@pytest.fixture(params=["local", "redis"])
async def limiter(request: pytest.FixtureRequest, events: Events) -> AsyncIterator[Limiter]:
    if request.param == "local":
        lim = Limiter(StateConfig(), {}, events)
    else:
        server: RedisServer = request.getfixturevalue("redis")
        lim = Limiter(StateConfig(redis_url_env="R"), {"R": server.url}, events)
    await lim.start()
    yield lim
    await lim.aclose()


def rules(key: str = "k", team: str | None = "team", **kw: object) -> Rules:
    return Rules(key, team, next(PREFIXES), **kw)  # type: ignore[arg-type]


async def admitted(lim: Limiter, r: Rules, n: int, tokens: int = 0) -> int:
    return sum([(await lim.check(r, tokens)).allowed for _ in range(n)])


async def test_rpm_holds_exactly_and_says_when_to_retry(limiter: Limiter, events: Events) -> None:
    r = rules(key_limits=Limits(rpm=5))
    assert await admitted(limiter, r, 5) == 5
    refused = await limiter.check(r, 0)
    assert not refused.allowed and refused.denied == "requests"
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert 11 <= int(refused.headers["retry-after"]) <= 12  # one request refills every 12 s
    assert events.limited_ == [("k", "requests")]


async def test_the_tightest_limit_wins_and_a_team_limit_is_shared(limiter: Limiter) -> None:
    prefix = next(PREFIXES)
    a = Rules("a", "team", prefix, key_limits=Limits(rpm=10), team_limits=Limits(rpm=4))
    b = Rules("b", "team", prefix, team_limits=Limits(rpm=4))
    assert await admitted(limiter, a, 3) == 3
    assert await admitted(limiter, b, 5) == 1  # the team's fourth and last
    assert await admitted(limiter, a, 1) == 0
    c = Rules("c", "other", prefix, team_limits=Limits(rpm=4))
    assert await admitted(limiter, c, 1) == 1


async def test_a_refused_request_consumes_nothing(limiter: Limiter) -> None:
    r = rules(key_limits=Limits(rpm=100), team_limits=Limits(tpm=1000))
    assert (await limiter.check(r, 900)).allowed
    refused = await limiter.check(r, 200)
    assert refused.denied == "tokens"
    assert refused.headers["x-ratelimit-remaining-requests"] == "99"  # the refused one took no request
    assert (await limiter.check(r, 100)).allowed


async def test_tokens_are_estimated_then_corrected(limiter: Limiter) -> None:
    r = rules(key_limits=Limits(tpm=1000))
    first = await limiter.check(r, 600)
    assert first.headers["x-ratelimit-remaining-tokens"] == "400"
    limiter.settle(first, tokens=100, cost_usd=0.0)  # it used 100: 500 back
    await drain(limiter)
    second = await limiter.check(r, 800)
    assert second.allowed and second.headers["x-ratelimit-remaining-tokens"] == "100"
    limiter.settle(second, tokens=1000, cost_usd=0.0)  # it used more than estimated: a debt
    await drain(limiter)
    third = await limiter.check(r, 1)
    assert not third.allowed and third.denied == "tokens"
    too_large = await limiter.check(rules(key_limits=Limits(tpm=10)), 11)
    assert too_large.too_large and too_large.headers["retry-after"] == "60"


async def test_a_budget_is_spent_at_settle_and_then_refuses(limiter: Limiter, events: Events) -> None:
    r = rules(key="spender", team="finance", key_budget=Budget(usd=1.0), team_budget=Budget(usd=0.5, period="day"))
    first = await limiter.check(r, 10)
    assert first.allowed and first.spends == (0.0, 0.0)
    limiter.settle(first, tokens=10, cost_usd=0.3)
    await drain(limiter)
    assert events.spends == {"finance": pytest.approx(0.3)}
    second = await limiter.check(r, 10)
    assert second.allowed  # 0.3 < 0.5: in-flight spend is only known afterwards
    limiter.settle(second, tokens=10, cost_usd=0.25)
    await drain(limiter)
    refused = await limiter.check(r, 10)
    assert not refused.allowed and refused.denied == "budget"
    assert refused.error().code == "insufficient_quota"
    assert events.spends["finance"] == pytest.approx(0.55)
    assert events.limited_ == [("spender", "budget")]


async def test_many_requests_at_once_never_pass_more_than_the_limit(limiter: Limiter) -> None:
    r = rules(key_limits=Limits(rpm=25), team_limits=Limits(tpm=10_000))
    results = await asyncio.gather(*(limiter.check(r, 100) for _ in range(300)))
    assert sum(v.allowed for v in results) == 25


async def drain(limiter: Limiter) -> None:
    """Send the settlements the limiter batches (Redis) now."""
    await limiter.flush()
