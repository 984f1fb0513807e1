"""Watching one file that a running store reloads (the policy, the config's keys and limits).

The file's directory is watched, since editors and Kubernetes config maps replace a file rather
than write it in place (``..data`` is the config map's swap link). A change is handed on only
once the file has stopped changing for ``settle`` seconds, so a file written in two steps is
never loaded half-written, even when the half is itself valid (a policy with no guards, a
config with no limits)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Generic, TypeVar

from watchfiles import Change, awatch

SETTLE_SECONDS = 1.0  # a changed file must stay unchanged this long before it is loaded
MAX_SETTLE_WAIT = 10.0  # a file that never stops changing is loaded as it then is
R = TypeVar("R")


def file_digest(path: Path) -> str | None:
    """The SHA-256 of the file's bytes (None: it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


async def watch_file(path: Path, on_change: Callable[[], Awaitable[object]], *,
                     stop_event: asyncio.Event | None = None, debounce_ms: int = 300,
                     settle: float = SETTLE_SECONDS) -> None:
    """Call ``on_change`` after each settled change of ``path``, until ``stop_event`` is set."""
    target = path.resolve()

    def relevant(change: Change, changed: str) -> bool:
        name = Path(changed).name
        return name == target.name or name.startswith("..")

    async for _ in awatch(target.parent, watch_filter=relevant, debounce=debounce_ms, step=50,
                          stop_event=stop_event, recursive=False):
        await settled(path, settle)
        await on_change()


async def settled(path: Path, settle: float) -> None:
    """Wait until the file's content stays the same for ``settle`` seconds (at most
    ``MAX_SETTLE_WAIT``)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + MAX_SETTLE_WAIT
    seen = file_digest(path)
    stable_since = loop.time()
    while loop.time() < give_up:
        await asyncio.sleep(min(0.1, settle))
        now = file_digest(path)
        if now != seen:
            seen, stable_since = now, loop.time()
        elif loop.time() - stable_since >= settle:
            return


class ReloadsFile(Generic[R]):
    """What a store that reloads one file shares: a reload off the event loop, the watch, and a
    reload started from a signal handler. A subclass gives :attr:`path`, :meth:`reload` and an
    empty ``_tasks`` set."""

    _tasks: set[asyncio.Task[R]]

    @property
    def path(self) -> Path | None:
        """The file (None: never reloaded)."""
        raise NotImplementedError

    def reload(self, *, force: bool = True) -> R:
        raise NotImplementedError

    async def areload(self, *, force: bool = True) -> R:
        """:meth:`reload` off the event loop (loading and validating may take a while)."""
        return await asyncio.to_thread(self.reload, force=force)

    async def watch(self, *, stop_event: asyncio.Event | None = None, debounce_ms: int = 300,
                    settle: float = SETTLE_SECONDS) -> None:
        """Reload whenever the file changes and has settled (see :func:`watch_file`)."""
        if self.path is not None:
            await watch_file(self.path, lambda: self.areload(force=False), stop_event=stop_event,
                             debounce_ms=debounce_ms, settle=settle)

    def reload_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start a reload now, off the caller's path (what SIGHUP does)."""
        task = loop.create_task(self.areload())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
