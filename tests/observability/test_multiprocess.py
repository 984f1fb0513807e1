"""``gateway serve --workers 2``: /metrics merges every worker's values (prometheus-client
multiprocess mode), whichever worker answers the scrape, with the contract's labels only."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import DEFAULT_POLICY, ENV, KEY, write_config
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import free_port, running_process
from tests.observability.dashboard import ROOT
from tests.observability.promtext import samples, total
from tests.observability.traffic import CLEAN

pytestmark = pytest.mark.e2e  # a real gateway process on loopback


WORKERS = 2
REQUESTS = 24



@contextmanager
def serve_workers(config: Path, metrics_dir: Path, log: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, **ENV, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    argv = [sys.executable, "-m", "gateway", "serve", "--config", str(config), "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(WORKERS), "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    # each worker loads the detector
    with running_process(argv, ready_url=url + "/readyz", timeout=120, log=log, cwd=ROOT, env=env, stop_timeout=30):
        yield url


def test_metrics_merge_every_worker(tmp_path: Path, local_fake: FakeOpenAI, cloud_fake: FakeOpenAI) -> None:
    config = write_config(tmp_path, local_url=local_fake.base_url, cloud_url=cloud_fake.base_url,
                          policy=DEFAULT_POLICY, classifier=", workers: 0")
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # a previous run's file: removed at start
    with serve_workers(config, metrics_dir, tmp_path / "gateway.log") as url:
        # wait until every worker is up (each writes its policy_info gauge at startup)
        deadline = time.monotonic() + 120
        while len({p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("gauge_livemax_*.db")}) < WORKERS:
            assert time.monotonic() < deadline, "not every worker started"
            time.sleep(0.5)

        def one(_: int) -> int:
            with httpx.Client(base_url=url, timeout=30) as h:  # a new connection: any worker
                return h.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": CLEAN},
                              headers={"authorization": f"Bearer {KEY}"}).status_code

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(one, range(REQUESTS))) == [200] * REQUESTS
        pids = {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}
        assert "999999" not in pids
        for _ in range(6):  # every scrape, whichever worker answers, sees every worker's counts
            got = samples(httpx.get(url + "/metrics", timeout=10).text)
            assert total(got, "gateway_requests_total", route="client-choice", status="200") == REQUESTS
            assert total(got, "gateway_request_duration_seconds_count") == REQUESTS
            assert total(got, "gateway_inflight_requests") == 0
            info = [(labels, v) for n, labels, v in got if n == "gateway_policy_info"]
            assert len(info) == 1 and set(info[0][0]) == {"version"} and info[0][1] == 1
            assert all("pid" not in labels for n, labels, _ in got if n.startswith("gateway_"))
        assert len(pids) >= 1
