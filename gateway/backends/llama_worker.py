"""One dedicated thread in front of one llama.cpp context, behind a bounded queue.

A llama context serves one request at a time, and generation is CPU-bound C code that must
never run on the event loop. :class:`Worker` runs jobs one after another on its own thread; at
most ``queue_size`` jobs wait behind the running one, and a job submitted beyond that is refused
at once (:class:`QueueFull`), so the caller can answer 429 or fall back instead of piling up.

A job talks to the event loop through a :class:`Channel`: the thread ``put``\\ s items, the loop
awaits them. Cancelling a job (the client went away) sets a flag the job checks between tokens;
a job still waiting is skipped when its turn comes. The slot is free when the job has returned.

    worker = Worker("embedded", queue_size=4)
    job = worker.submit(lambda job: generate(job))     # QueueFull when the queue is full
    kind, value = await job.channel.get()               # ("chunk", ...)*, then ("done", fn's result)
    job.cancel()                                        # idempotent
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("gateway.backends.llama_cpp")

# Items a job's caller receives: ("chunk", dict) for each streamed piece (the job puts them),
# then ("done", what the job returned) or ("error", exception), once the slot is free again.
Item = tuple[str, Any]


class QueueFull(Exception):
    """Every slot in the queue is taken."""


class WorkerClosed(Exception):
    """The backend is shutting down."""


class Channel:
    """Thread -> event loop: ``put`` from any thread, ``get`` on the loop that created it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: asyncio.Queue[Item] = asyncio.Queue()

    def put(self, kind: str, value: Any = None) -> None:
        # The loop may be gone (shutdown, a client that left): nothing is waiting then.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._items.put_nowait, (kind, value))

    async def get(self) -> Item:
        return await self._items.get()


class Job:
    def __init__(self, fn: Callable[[Job], Any], channel: Channel) -> None:
        self.fn = fn
        self.channel = channel
        self.cancelled = threading.Event()
        self.finished = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()


class Worker:
    def __init__(self, name: str, queue_size: int) -> None:
        self.name = name
        self.capacity = queue_size + 1  # the running job and those waiting behind it
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._admitted = 0
        self._closed = False
        self._current: Job | None = None
        self._thread = threading.Thread(target=self._run, name=f"llama-{name}", daemon=True)
        self._thread.start()

    @property
    def admitted(self) -> int:
        """Jobs running or waiting (the embedded backend's queue, in /readyz)."""
        with self._lock:
            return self._admitted

    def submit(self, fn: Callable[[Job], Any]) -> Job:
        """Queue ``fn(job)`` to run on the worker thread; the job's channel belongs to the
        calling (running) event loop."""
        job = Job(fn, Channel(asyncio.get_running_loop()))
        with self._lock:
            if self._closed or self._admitted >= self.capacity:
                raise QueueFull(self.name)
            self._admitted += 1
        self._jobs.put(job)
        return job

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self._current = job
            outcome: Item | None = None
            try:
                if self._closed:
                    outcome = ("error", WorkerClosed(self.name))
                elif not job.cancelled.is_set():
                    outcome = ("done", job.fn(job))
            except BaseException as exc:  # a job must never kill the worker
                log.error("backend %s: job failed: %s", self.name, type(exc).__name__)
                outcome = ("error", exc)
            finally:
                with self._lock:
                    self._admitted -= 1
                self._current = None
                job.finished.set()
            # The slot is free before the caller hears the outcome: its next request finds room.
            if outcome is not None and not job.cancelled.is_set():
                job.channel.put(*outcome)

    def close(self, timeout: float = 5.0) -> None:
        """Refuse new jobs, let the running one see its cancel flag, and stop the thread."""
        with self._lock:
            self._closed = True
        current = self._current
        if current is not None:
            current.cancel()
        self._jobs.put(None)
        self._thread.join(timeout)
