"""Retry policy, circuit breaker and ResilientBackend: a fake clock, a recorded sleep, no waiting."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.backends.base import UpstreamCall, UpstreamReply, UpstreamStream
from gateway.backends.registry import build_backends
from gateway.backends.resilience import BreakerState, CircuitBreaker, ResilientBackend, RetryPolicy
from gateway.config import BackendConfig, Config, Secrets
from gateway.errors import BackendFailure, StreamBroken
from gateway.types import Endpoint, Zone

CALL = UpstreamCall("chat", {"model": "m", "messages": [{"role": "user", "content": "hi"}]}, False)


def failure(kind: str = "connect", status: int = 502, retry_after: float | None = None,
            before: bool = True) -> BackendFailure:
    return BackendFailure("boom", kind=kind, before_first_byte=before, status=status, retry_after=retry_after)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Scripted:
    """A backend answering from a script: a BackendFailure is raised, anything else returned."""

    name = "up"
    zone: Zone = "cloud"
    speaks: frozenset[Endpoint] = frozenset({"chat"})

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.calls = 0
        self.started = False

    async def start(self) -> None:
        self.started = True

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        self.calls += 1
        item = self.script.pop(0) if self.script else UpstreamReply(200, b"{}")
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, UpstreamReply | UpstreamStream)
        return item

    async def aclose(self) -> None:
        return None


def wrap(inner: Scripted, retry: RetryPolicy | None = None,
         breaker: CircuitBreaker | None = None) -> tuple[ResilientBackend, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return ResilientBackend(inner, retry or RetryPolicy(), breaker or CircuitBreaker(), sleep=sleep,
                            rand=lambda: 0.5), waits


# --- RetryPolicy ---------------------------------------------------------------------------------

def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    p = RetryPolicy(attempts=10, backoff=0.2, max_backoff=1.0)
    assert [p.delay(n, failure(), lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    assert [p.delay(n, failure(), lambda: 1.0) for n in (1, 2, 3, 4)] == [0.2, 0.4, 0.8, 1.0]


def test_attempts_bound_retries() -> None:
    p = RetryPolicy(attempts=3)
    assert p.delay(1, failure()) is not None and p.delay(2, failure()) is not None
    assert p.delay(3, failure()) is None
    assert RetryPolicy(attempts=1).delay(1, failure()) is None


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    p = RetryPolicy(attempts=5, max_retry_after=5)
    assert p.delay(1, failure("status", 429, retry_after=3)) == 3
    assert p.delay(1, failure("status", 429, retry_after=30)) is None  # too long: fall back instead
    assert p.delay(1, failure("status", 429)) is not None


@pytest.mark.parametrize("f", [
    failure("status", 400), failure("status", 404), failure("unsupported", 400), failure("unavailable", 503),
    failure("circuit_open", 503), failure("timeout", 504, before=False),
])
def test_no_retry_for_failures_a_retry_cannot_fix(f: BackendFailure) -> None:
    assert RetryPolicy(attempts=5).delay(1, f) is None


# --- CircuitBreaker ------------------------------------------------------------------------------

def test_opens_after_consecutive_failures_and_half_opens_after_cooldown() -> None:
    clock = Clock()
    cb = CircuitBreaker(failures=3, cooldown=30, clock=clock)
    for _ in range(2):
        assert cb.allow()
        cb.record_failure()
    cb.record_success()  # resets the count: failures must be consecutive
    for _ in range(3):
        assert cb.allow()
        cb.record_failure()
    assert cb.state is BreakerState.OPEN and not cb.allow()
    assert cb.snapshot().retry_in == 30 and cb.snapshot().consecutive_failures == 3
    clock.now += 29.9
    assert not cb.allow()
    clock.now += 0.1
    assert cb.state is BreakerState.HALF_OPEN and cb.snapshot().retry_in == 0
    assert cb.allow()  # the probe
    assert not cb.allow()  # one at a time
    cb.record_success()
    assert cb.state is BreakerState.CLOSED and cb.allow() and cb.snapshot().consecutive_failures == 0


def test_failed_probe_reopens_for_another_cooldown() -> None:
    clock = Clock()
    cb = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    cb.record_failure()
    clock.now += 10
    assert cb.allow()
    cb.record_failure()
    assert cb.state is BreakerState.OPEN and cb.snapshot().retry_in == 10


def test_released_probe_lets_another_through() -> None:
    clock = Clock()
    cb = CircuitBreaker(failures=1, cooldown=1, clock=clock)
    cb.record_failure()
    clock.now += 1
    assert cb.allow() and not cb.allow()
    cb.release()
    assert cb.allow()


# --- ResilientBackend ----------------------------------------------------------------------------

async def test_retries_the_same_backend_then_succeeds() -> None:
    inner = Scripted(failure(), failure("status", 429, retry_after=1.5))
    b, waits = wrap(inner, RetryPolicy(attempts=3, backoff=0.2))
    reply = await b.send(CALL)
    assert isinstance(reply, UpstreamReply) and inner.calls == 3
    assert waits == [pytest.approx(0.15), 1.5]
    assert (b.name, b.zone) == ("up", "cloud")


async def test_gives_up_after_attempts_with_the_last_failure() -> None:
    last = failure("timeout", 504)
    inner = Scripted(failure(), last)
    b, waits = wrap(inner, RetryPolicy(attempts=2))
    with pytest.raises(BackendFailure) as info:
        await b.send(CALL)
    assert info.value is last and inner.calls == 2 and len(waits) == 1


async def test_client_errors_are_not_retried_and_do_not_trip_the_breaker() -> None:
    inner = Scripted(*[failure("status", 400)] * 10)
    b, waits = wrap(inner, RetryPolicy(attempts=3), CircuitBreaker(failures=2))
    for _ in range(5):
        with pytest.raises(BackendFailure):
            await b.send(CALL)
    assert inner.calls == 5 and waits == [] and b.breaker.state is BreakerState.CLOSED


async def test_open_breaker_fails_fast_then_probes_after_cooldown() -> None:
    clock = Clock()
    inner = Scripted(failure(), failure(), failure())
    b, _ = wrap(inner, RetryPolicy(attempts=1), CircuitBreaker(failures=2, cooldown=5, clock=clock))
    for _ in range(2):
        with pytest.raises(BackendFailure):
            await b.send(CALL)
    with pytest.raises(BackendFailure) as info:
        await b.send(CALL)
    f = info.value
    assert (f.kind, f.status, f.before_first_byte, f.retryable) == ("circuit_open", 503, True, True)
    assert inner.calls == 2  # failed fast: the backend was not called
    clock.now += 5
    with pytest.raises(BackendFailure):
        await b.send(CALL)  # the probe fails: open again
    assert inner.calls == 3 and b.breaker.state is BreakerState.OPEN
    clock.now += 5
    assert isinstance(await b.send(CALL), UpstreamReply) and b.breaker.state is BreakerState.CLOSED


async def test_breaker_opening_during_retries_stops_them() -> None:
    inner = Scripted(failure(), failure(), failure())
    b, _ = wrap(inner, RetryPolicy(attempts=5), CircuitBreaker(failures=2))
    with pytest.raises(BackendFailure) as info:
        await b.send(CALL)
    assert info.value.kind == "circuit_open" and inner.calls == 2


async def test_rate_limits_do_not_trip_the_breaker() -> None:
    inner = Scripted(*[failure("status", 429)] * 6)
    b, _ = wrap(inner, RetryPolicy(attempts=1), CircuitBreaker(failures=2))
    for _ in range(6):
        with pytest.raises(BackendFailure) as info:
            await b.send(CALL)
        assert info.value.status == 429
    assert b.breaker.state is BreakerState.CLOSED


async def test_cancelled_probe_is_released() -> None:
    clock = Clock()

    class Hang(Scripted):
        async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
            await asyncio.Event().wait()
            raise AssertionError

    cb = CircuitBreaker(failures=1, cooldown=1, clock=clock)
    cb.record_failure()
    clock.now += 1
    b, _ = wrap(Hang(), breaker=cb)
    task = asyncio.create_task(b.send(CALL))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cb.allow()  # the next probe may go


async def test_stream_broken_after_start_counts_against_health() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: {}\n\n"
        raise StreamBroken("cut", "protocol")

    async def aclose() -> None:
        return None

    inner = Scripted(UpstreamStream(200, chunks(), aclose))
    b, _ = wrap(inner, breaker=CircuitBreaker(failures=1))
    stream = await b.send(CALL)
    assert isinstance(stream, UpstreamStream) and b.breaker.state is BreakerState.CLOSED
    with pytest.raises(StreamBroken):
        [c async for c in stream.chunks]
    assert b.breaker.state is BreakerState.OPEN


async def test_capabilities_and_start_are_the_inner_backends() -> None:
    inner = Scripted()
    b, _ = wrap(inner)
    assert b.speaks == {"chat"}
    await b.start()
    assert inner.started


def test_registry_wraps_adapters_with_configured_policies() -> None:
    config = Config.model_validate({
        "backends": {
            "a": {"type": "anthropic", "zone": "cloud", "base_url": "http://a.test",
                  "retries": {"attempts": 4, "backoff": 0.5}, "circuit_breaker": {"failures": 2, "cooldown": 7}},
            "o": {"type": "openai", "zone": "local", "base_url": "http://o.test/v1"},
            "l": {"type": "llama_cpp", "zone": "local", "model_path": "m.gguf"},
        },
        "models": {"m": {"backend": "a", "model": "claude"}},
    })
    backends = build_backends(config, Secrets(backend_keys={"a": "k"}), {})
    a, o = backends["a"], backends["o"]
    assert isinstance(a, ResilientBackend) and isinstance(o, ResilientBackend)
    assert a.retry == RetryPolicy(attempts=4, backoff=0.5, max_backoff=2.0, max_retry_after=5.0)
    assert (a.breaker.failures, a.breaker.cooldown, a.speaks) == (2, 7, {"messages"})
    assert o.retry == RetryPolicy() and o.speaks == {"chat", "completions", "embeddings"} and o.zone == "local"
    llama = backends["l"]  # the embedded model, behind the same policies (or unavailable without the extra)
    if importlib.util.find_spec("llama_cpp") is not None:
        assert isinstance(llama, ResilientBackend) and type(llama.inner).__name__ == "LlamaCppBackend"
        assert str(llama.inner.model_path).endswith("m.gguf")  # type: ignore[attr-defined]
    else:
        assert not isinstance(llama, ResilientBackend)
    defaults = BackendConfig(type="openai", zone="cloud", base_url="http://x")
    assert (defaults.retries.attempts, defaults.circuit_breaker.failures) == (2, 5)
