"""Where metrics live and how ``/metrics`` renders them, in one process or under several workers.

prometheus-client's multiprocess mode: when ``PROMETHEUS_MULTIPROC_DIR`` is set *before*
``prometheus_client`` is imported, every process writes its values to memory-mapped files in
that directory, and a scrape merges them with a :class:`MultiProcessCollector`. uvicorn starts
its workers with ``spawn``, so a variable the parent sets before ``uvicorn.run`` reaches every
worker before its first import. ``gateway serve --workers N`` (N > 1) does this for you
(:func:`prepare_multiprocess_dir`); the directory is emptied at start, as the library requires.

    metrics = Metrics(make_registry(), multiproc_dir=multiprocess_dir(environ))
    body = metrics.render()          # the /metrics body, merged across workers when needed
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir(environ: Mapping[str, str]) -> str | None:
    """The multiprocess directory named in ``environ``, if any (either spelling the library reads)."""
    return environ.get(MULTIPROC_ENV) or environ.get("prometheus_multiproc_dir") or None


def make_registry() -> CollectorRegistry:
    """The registry the gateway's :class:`~gateway.observability.metrics.Metrics` register on."""
    return CollectorRegistry(auto_describe=True)


def render_metrics(registry: CollectorRegistry, multiproc_dir: str | None = None) -> bytes:
    """The text exposition of ``registry``; with ``multiproc_dir``, the merge of every process's
    values instead (a fresh registry per scrape, as prometheus-client documents)."""
    if multiproc_dir is None:
        return generate_latest(registry)
    merged = CollectorRegistry()
    MultiProcessCollector(merged, path=multiproc_dir)  # type: ignore[no-untyped-call]
    return generate_latest(merged)


def prepare_multiprocess_dir(environ: MutableMapping[str, str], workers: int) -> str | None:
    """Before starting ``workers`` uvicorn workers: make sure a clean multiprocess directory is
    named in ``environ`` (create a private temporary one when several workers run and none was
    given), and empty it of a previous run's files. Returns the directory, or None when a single
    worker runs without one."""
    path = multiprocess_dir(environ)
    if path is None:
        if workers <= 1:
            return None
        path = tempfile.mkdtemp(prefix="gateway-metrics-")
        environ[MULTIPROC_ENV] = path
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return str(directory)


def remove_multiprocess_dir(path: str | None) -> None:
    """Remove a directory made by :func:`prepare_multiprocess_dir` (after the workers stopped)."""
    if path is not None and Path(path).name.startswith("gateway-metrics-"):
        shutil.rmtree(path, ignore_errors=True)
