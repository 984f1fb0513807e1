"""The gateway object: what the HTTP layer works with, built once at startup and passed in
explicitly, and its lifespan (start the detector, the backends and the limiter, watch the policy
and the config's keys, handle SIGHUP; stop them all)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.backends.base import Backend
from gateway.classify.pool import PoolStatus
from gateway.config import Config, Secrets
from gateway.limits import Limiter, TenancyStore
from gateway.observability.audit import AuditLog
from gateway.observability.metrics import Metrics
from gateway.outbound import Outbound
from gateway.policy import PolicyStore
from gateway.redact import ValueKeys
from gateway.request import GatewayRequest, outbound_of
from gateway.signals import Semantic, Signals

GC_THRESHOLD = 20_000  # allocations between young-generation collections (CPython's default: 700)


class Classifier(Protocol):
    @property
    def ready(self) -> bool: ...

    def status(self) -> PoolStatus: ...

    async def start(self) -> None: ...

    async def classify(self, outbound: Outbound) -> Signals: ...

    async def semantic(self, outbound: Outbound) -> Semantic: ...

    def semantic_ahead(self, outbound: Outbound) -> asyncio.Task[Semantic] | None: ...

    async def aclose(self) -> None: ...


class LoopClassify:
    """The detector as the synchronous callable that policy tests need at reload time.

    Reloads run in a worker thread; this hands the classification to the server's event loop
    (bound at startup) and waits for it."""

    def __init__(self, classifier: Classifier) -> None:
        self._classifier = classifier
        self.loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, request: GatewayRequest) -> Signals:
        if self.loop is None:
            raise RuntimeError("the detector is not running yet")
        future = asyncio.run_coroutine_threadsafe(judge(self._classifier, outbound_of(request)), self.loop)
        return future.result(timeout=60)


async def judge(classifier: Classifier, outbound: Outbound) -> Signals:
    """Entities and the semantic signals both, for policy tests (a case may read either)."""
    signals = await classifier.classify(outbound)
    return dataclasses.replace(signals, semantic=await classifier.semantic(outbound))


@dataclass
class Gateway:
    config: Config
    secrets: Secrets
    backends: dict[str, Backend]
    classifier: Classifier
    policies: PolicyStore
    metrics: Metrics
    audit: AuditLog
    tenancy: TenancyStore  # keys, teams, limits (reloaded with the config)
    limits: Limiter
    value_keys: ValueKeys = field(default_factory=ValueKeys)  # when two values are one (redaction)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list, repr=False)
    _stop_watching: asyncio.Event | None = field(default=None, repr=False)

    async def start(self, *, watch_signals: bool = False, tune_gc: bool = False) -> None:
        """Load the detector and the backends (an embedded model loads here), then watch the
        policy file. ``watch_signals``: SIGHUP reloads the policy and reopens the audit file (as
        logrotate expects; main thread only). ``tune_gc``: move everything built so far out of
        the collector's way and collect less often (a server process only)."""
        await self.classifier.start()
        for backend in self.backends.values():
            await backend.start()
        loop = asyncio.get_running_loop()
        if any("PERSON" in r.redact for r in self.policies.current.routes):
            await loop.run_in_executor(None, self.value_keys.warm)  # Russian name forms, before a request needs them
        if isinstance(self.policies.classify, LoopClassify):
            self.policies.classify.loop = loop
        self._stop_watching = asyncio.Event()
        self._tasks.append(loop.create_task(self.policies.watch(stop_event=self._stop_watching)))
        self._tasks.append(loop.create_task(self.tenancy.watch(stop_event=self._stop_watching)))
        await self.limits.start()
        if watch_signals:
            loop.add_signal_handler(signal.SIGHUP, self.on_sighup, loop)
        if tune_gc:
            gc.collect()
            gc.freeze()
            gc.set_threshold(GC_THRESHOLD, 20, 20)

    def on_sighup(self, loop: asyncio.AbstractEventLoop) -> None:
        """Reload the policy and the config's keys and limits; reopen the audit file."""
        self.audit.reopen()
        self.policies.reload_soon(loop)
        self.tenancy.reload_soon(loop)

    async def stop(self) -> None:
        if self._stop_watching is not None:
            self._stop_watching.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        await self.limits.aclose()
        for backend in self.backends.values():
            await backend.aclose()
        await self.classifier.aclose()
        self.metrics.process_exited()
        self.audit.close()

    def lifespan(self, *, watch_signals: bool = False, tune_gc: bool = False
                 ) -> contextlib.AbstractAsyncContextManager[None]:
        @contextlib.asynccontextmanager
        async def span() -> AsyncIterator[None]:
            await self.start(watch_signals=watch_signals, tune_gc=tune_gc)
            try:
                yield
            finally:
                await self.stop()

        return span()
