"""The detector stays available, with ``gateway serve`` as users run it: a dead detector worker is
replaced and ``/readyz`` tells the truth meanwhile; one huge prompt cannot starve other requests;
requests never go to the cloud unjudged while the detector is down."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import DEFAULT_POLICY, ENV, KEY, write_config
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import child_pids, free_port, running_process

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"authorization": f"Bearer {KEY}"}
HARMLESS = "How do I reverse a list in Python without changing the original? Version {i}."


def children(pid: int) -> list[int]:
    return child_pids(pid, "gateway.classify.workerproc")


@pytest.fixture
def served(tmp_path: Path, local_fake: FakeOpenAI, cloud_fake: FakeOpenAI) -> Iterator[tuple[str, int]]:
    config = write_config(tmp_path, local_url=local_fake.base_url, cloud_url=cloud_fake.base_url,
                          policy=DEFAULT_POLICY, classifier=", workers: 2")
    config.write_text(config.read_text().replace("max_body_bytes: 65536", "max_body_bytes: 8000000")
                      .replace("timeout: 10", "timeout: 30"))
    port = free_port()
    argv = [sys.executable, "-m", "gateway", "serve", "--config", str(config), "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    with running_process(argv, ready_url=url + "/readyz", timeout=180, log=tmp_path / "gateway.log", cwd=ROOT,
                         env={**os.environ, **ENV}, stop_timeout=30) as proc:
        yield url, proc.pid


def ask(url: str, text: str, timeout: float = 60) -> httpx.Response:
    return httpx.post(url + "/v1/chat/completions", headers=AUTH, timeout=timeout,
                      json={"model": "gpt-4o", "messages": [{"role": "user", "content": text}]})


def wait_for(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_dead_workers_are_replaced_and_readyz_tells_the_truth(served: tuple[str, int], cloud_fake: FakeOpenAI
                                                              ) -> None:
    url, pid = served
    workers = children(pid)
    assert len(workers) == 2
    assert httpx.get(url + "/readyz").json()["detector"] == {"workers": 2, "ready": 2, "restarts": 0, "queued": 0}

    os.kill(workers[0], signal.SIGKILL)
    wait_for(lambda: httpx.get(url + "/readyz").json()["detector"]["ready"] == 1, 10)
    assert httpx.get(url + "/readyz").status_code == 200  # one worker still serves
    assert ask(url, HARMLESS.format(i=1)).headers["x-gateway-zone"] == "cloud"

    for w in children(pid):
        os.kill(w, signal.SIGKILL)
    wait_for(lambda: httpx.get(url + "/readyz").status_code == 503, 10)
    assert httpx.get(url + "/readyz").json()["checks"]["detector"] is False
    before = len(cloud_fake.requests)
    r = ask(url, "Mail jane.doe@example.com the report", timeout=120)  # waits for a worker, or fails closed
    assert r.status_code == 200 and r.headers["x-gateway-zone"] == "local"
    assert len(cloud_fake.requests) == before

    wait_for(lambda: httpx.get(url + "/readyz").status_code == 200, 180)
    ready = httpx.get(url + "/readyz").json()["detector"]
    assert ready["restarts"] >= 2
    wait_for(lambda: httpx.get(url + "/readyz").json()["detector"]["ready"] == 2, 180)
    assert len(children(pid)) == 2  # no orphan, no extra process
    assert ask(url, HARMLESS.format(i=2)).headers["x-gateway-zone"] == "cloud"


def test_one_huge_prompt_does_not_starve_other_requests(served: tuple[str, int]) -> None:
    url, _ = served
    huge = "The committee reviewed the annual plan and agreed on the next steps. " * 75_000  # ~5 MB
    with ThreadPoolExecutor(8) as pool:
        big = pool.submit(ask, url, huge, 300)
        time.sleep(0.5)  # the huge one is being read
        started = time.monotonic()
        small = list(pool.map(lambda i: ask(url, HARMLESS.format(i=i + 10)), range(12)))
        small_seconds = time.monotonic() - started
        answer = big.result()
    # the small ones were judged (not failed closed by a timeout): harmless ones reach the cloud
    assert [r.headers["x-gateway-zone"] for r in small] == ["cloud"] * 12
    assert small_seconds < 30
    # the huge one: read up to the budget, the rest unread, so it fails closed
    assert answer.status_code == 200
    assert answer.headers["x-gateway-zone"] == "local"
    assert "unreadable" in answer.headers["x-gateway-content"]
