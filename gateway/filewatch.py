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

from watchfiles import Change, awatch

SETTLE_SECONDS = 1.0  # a changed file must stay unchanged this long before it is loaded
MAX_SETTLE_WAIT = 10.0  # a file that never stops changing is loaded as it then is


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
