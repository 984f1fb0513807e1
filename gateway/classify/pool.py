"""The detector's worker processes: fair, bounded in time, and self-healing.

* Each worker is a child process (:mod:`gateway.classify.workerproc`) that loads the models once
  and then scans batches sent over a pipe; the event loop never runs detection.
* Work is queued per request and handed out round-robin across requests, one batch at a time,
  so a request split into many batches (one huge prompt) cannot hold the queue: a small request
  that arrives meanwhile waits for at most one batch per worker. When nothing else waits and
  workers are idle, a request's batch of several texts is split among them (a new message and
  the seam before it are read in parallel); under load its texts travel together.
* A request that outlives its timeout is stopped: its queued batches are dropped and a worker
  still running one of them is killed and replaced (a detection cannot be interrupted any
  other way). A worker that dies is replaced too, after a back-off when it dies at start-up.
* :attr:`DetectorPool.ready` and :meth:`DetectorPool.status` say how many workers can take work
  right now, for ``/readyz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.classify.workerproc import HEADER, Item, Result
from gateway.config import ClassifierConfig

log = logging.getLogger("gateway.classify")

MAX_BACKOFF = 30.0
# Numerical libraries in a worker use one thread: the pool of processes is the parallelism.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
GRACE = 1.0  # seconds a timed-out request's running batch may still take before its worker is killed


class WorkerFailed(Exception):
    """A worker died, or failed on a batch: the request fails closed."""


@dataclass(eq=False)
class _Worker:
    proc: asyncio.subprocess.Process
    ready: bool = False
    alive: bool = True
    busy: bool = False  # a batch is out to it

    def kill(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()


@dataclass(eq=False)
class _Batch:
    items: Sequence[Item]
    future: asyncio.Future[list[Result]]
    worker: _Worker | None = None


@dataclass
class PoolStatus:
    workers: int
    ready: int
    restarts: int
    queued: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class DetectorPool:
    def __init__(self, cfg: ClassifierConfig, size: int, *, start_timeout: float = 300.0,
                 grace: float = GRACE) -> None:
        self._cfg = cfg
        self._size = size
        self._start_timeout = start_timeout
        self._grace = grace
        self._slots: list[_Worker | None] = [None] * size
        self._queues: dict[object, deque[_Batch]] = {}  # insertion order: round robin
        self._work = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._reapers: set[asyncio.Task[None]] = set()
        self._closed = False
        self._restarts = 0

    @property
    def ready(self) -> bool:
        return any(w is not None and w.ready and w.alive for w in self._slots)

    def status(self) -> PoolStatus:
        ready = sum(1 for w in self._slots if w is not None and w.ready and w.alive)
        return PoolStatus(self._size, ready, self._restarts, sum(len(q) for q in self._queues.values()))

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._slots if w is not None and w.alive]

    async def start(self) -> None:
        """Start every worker and wait until all are ready (at least one, or raise)."""
        self._tasks = [asyncio.create_task(self._slot(i)) for i in range(self._size)]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._start_timeout
        while loop.time() < deadline:
            if all(w is not None and w.ready for w in self._slots):
                return
            await asyncio.sleep(0.05)
        if not self.ready:
            await self.aclose()
            raise RuntimeError("no detector worker could start")

    async def run(self, owner: object, batches: Sequence[Sequence[Item]], timeout: float) -> list[list[Result]]:
        """Scan ``batches`` for ``owner`` (one request) within ``timeout`` seconds."""
        if self._closed:
            raise WorkerFailed("the detector is stopped")
        loop = asyncio.get_running_loop()
        pieces = self._spread(batches)
        mine = [_Batch(items, loop.create_future()) for _, items in pieces]
        self._queues.setdefault(owner, deque()).extend(mine)
        self._work.set()
        try:
            async with asyncio.timeout(timeout):
                done = await asyncio.gather(*(b.future for b in mine))
            out: list[list[Result]] = [[] for _ in batches]
            for (index, _), results in zip(pieces, done, strict=True):
                out[index].extend(results)
            return out
        except TimeoutError:
            for b in mine:
                if b.worker is not None:
                    self._reap(b, b.worker)
            raise
        finally:
            self._queues.pop(owner, None)
            for b in mine:
                if not b.future.done():
                    b.future.cancel()

    def idle_workers(self) -> int:
        """Workers that would start a batch at once: 0 while any batch waits."""
        if any(self._queues.values()):
            return 0
        return sum(1 for w in self._slots if w is not None and w.alive and w.ready and not w.busy)

    def _spread(self, batches: Sequence[Sequence[Item]]) -> list[tuple[int, list[Item]]]:
        """``batches`` as pieces to send (each with the index of the batch it belongs to): while
        no other request waits and more workers are idle than there are pieces, the piece with
        the most texts is cut in two of about equal size."""
        pieces = [(i, list(b)) for i, b in enumerate(batches)]
        idle = self.idle_workers()
        while len(pieces) < idle:
            j = max(range(len(pieces)), key=lambda k: len(pieces[k][1]))
            index, items = pieces[j]
            if len(items) < 2:
                break
            cut = balanced_cut([len(item[1]) for item in items])
            pieces[j:j + 1] = [(index, items[:cut]), (index, items[cut:])]
        return pieces

    def _reap(self, batch: _Batch, worker: _Worker) -> None:
        """Stop a batch that outlived its request: a batch is one chunk and ends soon, unless the
        detection runs away; then the only way to stop it is to replace the process."""

        async def reap() -> None:
            await asyncio.sleep(self._grace)
            if batch.worker is worker:
                log.warning("detection ran past its time: replacing worker %d", worker.proc.pid)
                worker.kill()

        task = asyncio.get_running_loop().create_task(reap())
        self._reapers.add(task)
        task.add_done_callback(self._reapers.discard)

    async def aclose(self) -> None:
        self._closed = True
        for reaper in self._reapers:
            reaper.cancel()
        self._work.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        workers = [w for w in self._slots if w is not None]
        for w in workers:
            if w.proc.stdin is not None:
                w.proc.stdin.close()  # the worker exits at the end of its input
        for w in workers:
            try:
                await asyncio.wait_for(w.proc.wait(), 2.0)
            except TimeoutError:
                w.kill()
                with contextlib.suppress(Exception):
                    await w.proc.wait()
        self._slots = [None] * self._size

    # --- one slot: start a worker, serve until it dies, start another -----------------------

    async def _slot(self, index: int) -> None:
        failures = 0
        while not self._closed:
            try:
                worker = await self._spawn()
            except Exception as exc:
                failures += 1
                delay = min(MAX_BACKOFF, 2.0 ** failures)
                log.error("detector worker failed to start (%s); retrying in %.0fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            self._slots[index] = worker
            watcher = asyncio.create_task(self._watch(worker))
            try:
                await self._serve(worker)
            finally:
                watcher.cancel()
                worker.kill()
                with contextlib.suppress(Exception):
                    await worker.proc.wait()
                self._slots[index] = None
            if not self._closed:
                self._restarts += 1
                log.warning("detector worker %d stopped; starting a new one", worker.proc.pid)

    async def _spawn(self) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from gateway.classify.workerproc import main; raise SystemExit(main())",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env={**os.environ, **ONE_THREAD})
        worker = _Worker(proc)
        try:
            await _send(worker, self._cfg)
            reply = await asyncio.wait_for(_receive(worker), self._start_timeout)
        except BaseException:
            worker.kill()
            with contextlib.suppress(Exception):
                await proc.wait()
            raise
        if not (isinstance(reply, tuple) and reply[:1] == ("ready",)):
            worker.kill()
            raise WorkerFailed("unexpected answer from a starting worker")
        worker.ready = True
        return worker

    async def _watch(self, worker: _Worker) -> None:
        await worker.proc.wait()
        worker.alive = False
        self._work.set()  # wake its serving loop

    async def _serve(self, worker: _Worker) -> None:
        while not self._closed and worker.alive:
            batch = self._take()
            if batch is None:
                self._work.clear()
                await self._work.wait()
                continue
            batch.worker = worker
            worker.busy = True
            try:
                await _send(worker, list(batch.items))
                reply = await _receive(worker)
            except (OSError, EOFError, asyncio.IncompleteReadError, pickle.UnpicklingError) as exc:
                _fail(batch, WorkerFailed(f"detector worker stopped ({type(exc).__name__})"))
                return
            except asyncio.CancelledError:
                _fail(batch, WorkerFailed("the detector is stopping"))
                raise
            finally:
                batch.worker = None
                worker.busy = False
            if isinstance(reply, tuple):
                _fail(batch, WorkerFailed(f"detection failed ({reply[1]})"))
            elif not batch.future.done():
                batch.future.set_result(reply)

    def _take(self) -> _Batch | None:
        """The next batch, round robin over the requests that have work queued."""
        for owner in list(self._queues):
            queue = self._queues.pop(owner)
            while queue:
                batch = queue.popleft()
                if not batch.future.done():
                    if queue:
                        self._queues[owner] = queue  # back of the line
                    return batch
        return None


def balanced_cut(sizes: Sequence[int]) -> int:
    """Where to cut a list of at least two texts (by their sizes) into two parts of about equal
    size, each non-empty: the index of the first text of the second part."""
    total = sum(sizes)
    best, best_gap, prefix = 1, total, 0
    for i in range(1, len(sizes)):
        prefix += sizes[i - 1]
        gap = abs(total - 2 * prefix)
        if gap < best_gap:
            best, best_gap = i, gap
    return best


def _fail(batch: _Batch, exc: Exception) -> None:
    if not batch.future.done():
        batch.future.set_exception(exc)


async def _send(worker: _Worker, value: Any) -> None:
    stdin = worker.proc.stdin
    assert stdin is not None
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stdin.write(HEADER.pack(len(data)) + data)
    await stdin.drain()


async def _receive(worker: _Worker) -> Any:
    stdout = worker.proc.stdout
    assert stdout is not None
    (size,) = HEADER.unpack(await stdout.readexactly(HEADER.size))
    return pickle.loads(await stdout.readexactly(size))
