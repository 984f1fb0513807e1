"""Retries and a circuit breaker for one backend, and a wrapper applying both.

- :class:`RetryPolicy` (pure): how long to wait before trying the *same* backend again after a
  failure before the first byte; exponential backoff with jitter, or the upstream's
  ``retry-after`` when it is not longer than ``max_retry_after`` (a longer one means: do not
  retry here, let the caller fall back).
- :class:`CircuitBreaker` (pure, injectable clock): closed -> open after ``failures``
  consecutive failures -> half-open after ``cooldown`` seconds, letting one probe through at a
  time; a success closes it, a failed probe opens it again. :meth:`CircuitBreaker.snapshot`
  is what ``/readyz`` and metrics read.
- :class:`ResilientBackend`: any backend behind both. Fallbacks to *other* backends stay with
  the caller, which checks the zone invariant at every hop; an open breaker fails fast with
  ``BackendFailure(kind="circuit_open", status=503)``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from gateway.backends.base import Backend, BackendState, UpstreamCall, UpstreamReply, UpstreamStream
from gateway.errors import BackendFailure, StreamBroken
from gateway.types import Endpoint

log = logging.getLogger("gateway.backends")

# Failures a retry on the same backend cannot fix.
NO_RETRY_KINDS = frozenset({"unsupported", "unavailable", "circuit_open"})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 2  # tries on this backend in all (1: no retry)
    backoff: float = 0.2  # seconds before the first retry; doubles at each one
    max_backoff: float = 2.0
    max_retry_after: float = 5.0

    def delay(self, attempt: int, failure: BackendFailure, rand: Callable[[], float] = random.random) -> float | None:
        """Seconds to wait after failed try number ``attempt`` (1-based), or ``None``: give up."""
        if attempt >= self.attempts or not failure.retryable or failure.kind in NO_RETRY_KINDS:
            return None
        if failure.retry_after is not None:
            wait = failure.retry_after
            return wait if wait <= self.max_retry_after else None
        base = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return base / 2 + rand() * base / 2  # "equal jitter": never zero, never above the cap


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerSnapshot:
    state: BreakerState
    consecutive_failures: int
    retry_in: float  # seconds until an open breaker lets a probe through (0 otherwise)


class CircuitBreaker:
    def __init__(self, failures: int = 5, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self._clock = clock
        self._count = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self.cooldown:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allow(self) -> bool:
        """May a call go out now? In half-open, only one probe at a time (it must end with
        :meth:`record_success`, :meth:`record_failure` or :meth:`release`)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN or self._probing:
            return False
        self._probing = True
        return True

    def record_success(self) -> None:
        self._count = 0
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        self._count += 1
        if self._opened_at is not None or self._count >= self.failures:
            self._opened_at = self._clock()  # a failed probe opens it for another cool-down
        self._probing = False

    def release(self) -> None:
        """A call ended without telling anything about the backend's health (a cancelled call,
        a request the backend rejected)."""
        self._probing = False

    def snapshot(self) -> BreakerSnapshot:
        state = self.state
        retry_in = 0.0
        if state is BreakerState.OPEN and self._opened_at is not None:
            retry_in = max(self.cooldown - (self._clock() - self._opened_at), 0.0)
        return BreakerSnapshot(state, self._count, retry_in)


def counts_against_health(failure: BackendFailure) -> bool:
    """Failures that say the backend is unwell (not: rate limits, rejected requests)."""
    return failure.retryable and failure.status != 429 and failure.kind not in NO_RETRY_KINDS


class ResilientBackend:
    def __init__(self, inner: Backend, retry: RetryPolicy, breaker: CircuitBreaker, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 rand: Callable[[], float] = random.random) -> None:
        self.inner = inner
        self.name = inner.name
        self.zone = inner.zone
        self.retry = retry
        self.breaker = breaker
        self._sleep = sleep
        self._rand = rand

    @property
    def speaks(self) -> frozenset[Endpoint]:
        return self.inner.speaks

    async def send(self, call: UpstreamCall) -> UpstreamReply | UpstreamStream:
        return await self._run(lambda: self.inner.send(call))

    async def start(self) -> None:
        await self.inner.start()

    def state(self) -> BackendState:
        return self.inner.state()

    async def count_tokens(self, call: UpstreamCall) -> int | None:
        return await self.inner.count_tokens(call)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def _run(self, attempt_once: Callable[[], Awaitable[UpstreamReply | UpstreamStream]]
                   ) -> UpstreamReply | UpstreamStream:
        attempt = 0
        while True:
            attempt += 1
            if not self.breaker.allow():
                raise BackendFailure(f"backend {self.name} is unavailable (circuit open)", kind="circuit_open",
                                     before_first_byte=True, status=503)
            try:
                result = await attempt_once()
            except BackendFailure as failure:
                if counts_against_health(failure):
                    self._failed(failure.kind)
                else:
                    self.breaker.release()
                delay = self.retry.delay(attempt, failure, self._rand)
                if delay is None:
                    raise
                await self._sleep(delay)
                continue
            except BaseException:
                self.breaker.release()
                raise
            if self.breaker.state is not BreakerState.CLOSED:
                log.info("backend %s recovered: circuit closed", self.name)
            self.breaker.record_success()
            if isinstance(result, UpstreamStream):
                result.chunks = self._watch(result.chunks)
            return result

    def _failed(self, kind: str) -> None:
        """Count a failure against the backend's health; say so once when the circuit opens."""
        was_open = self.breaker.state is BreakerState.OPEN
        self.breaker.record_failure()
        if not was_open and self.breaker.state is BreakerState.OPEN:
            log.warning("backend %s: circuit open after %d consecutive failures (last: %s); retried in %.0fs",
                        self.name, self.breaker.snapshot().consecutive_failures, kind, self.breaker.cooldown)

    async def _watch(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """A stream that breaks after it started counts against the backend's health."""
        try:
            async for chunk in chunks:
                yield chunk
        except StreamBroken as broken:
            self._failed(broken.kind)
            raise
