"""Two gateway processes (``gateway serve``) behind no load balancer but one real Redis: an rpm
limit holds across both to within one request, many requests at once never pass more than the
limit, a team budget spent through either stops both, and the spend equals what
gateway_cost_usd_total counts. Redis killed: the replica with ``on_error: local`` keeps serving
(per-process counts, /readyz and a metric say degraded), the one with ``block`` answers 503;
Redis back: both share the counts again. SIGHUP reloads the keys without a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import DEFAULT_POLICY, ENV, KEY, write_config
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import free_port, wait_ready
from tests.limits.redis_process import RedisServer, redis_server
from tests.observability.dashboard import ROOT
from tests.observability.promtext import samples, total

pytestmark = pytest.mark.slow

KEYS = {"SPEND_KEY": "gw-spend-key", "BURST_KEY": "gw-burst-key", "OPS_KEY": "gw-ops-key"}
AUTH = """\
auth:
  keys:
    - {id: tester, secret_env: GW_KEY, team: qa, limits: {rpm: 8}}
    - {id: burst, secret_env: BURST_KEY, limits: {rpm: 20}}
    - {id: spender, secret_env: SPEND_KEY, team: money}
    - {id: ops, secret_env: OPS_KEY, limits: {rpm: 10000}}
  teams:
    money: {budget: {usd: 0.0003, period: day}}
"""
CLEAN = [{"role": "user", "content": "Explain what a Python list comprehension is."}]


@dataclass
class Replica:
    url: str
    proc: subprocess.Popen[bytes]

    def chat(self, key: str) -> httpx.Response:
        return httpx.post(self.url + "/v1/chat/completions", json={"model": "gpt-4o", "messages": CLEAN},
                          headers={"authorization": f"Bearer {key}"}, timeout=30)

    def metrics(self) -> list[tuple[str, dict[str, str], float]]:
        return samples(httpx.get(self.url + "/metrics", timeout=10).text)

    def ready(self) -> httpx.Response:
        return httpx.get(self.url + "/readyz", timeout=10)


@contextmanager
def replicas(tmp: Path, redis: RedisServer, local: FakeOpenAI, cloud: FakeOpenAI) -> Iterator[tuple[Replica, Replica]]:
    """Replica A counts locally when Redis is down, B refuses; both started at once."""
    env = {**os.environ, **ENV, **KEYS, "GATEWAY_REDIS_URL": redis.url}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with ExitStack() as stack:
        started = []
        for name, on_error in (("a", "local"), ("b", "block")):
            directory = tmp / name
            directory.mkdir()
            config = write_config(directory, local_url=local.base_url, cloud_url=cloud.base_url, policy=DEFAULT_POLICY,
                                  classifier=", workers: 0", auth=AUTH,
                                  extra=f"state: {{redis_url_env: GATEWAY_REDIS_URL, on_error: {on_error},\n"
                                        "        timeout: 2}\n")
            port = free_port()
            log = stack.enter_context((directory / "gateway.log").open("wb"))
            proc = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--config", str(config), "--port",
                                     str(port), "--log-level", "warning"], cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            stack.callback(stop, proc)
            started.append((Replica(f"http://127.0.0.1:{port}", proc), directory / "gateway.log"))
        for replica, log_path in started:
            wait_ready(replica.url + "/readyz", replica.proc, 120, lambda p=log_path: p.read_text()[-3000:])
        yield started[0][0], started[1][0]


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_limits_and_budgets_hold_across_two_replicas(tmp_path: Path, local_fake: FakeOpenAI,
                                                    cloud_fake: FakeOpenAI) -> None:
    with redis_server(tmp_path) as redis, replicas(tmp_path, redis, local_fake, cloud_fake) as (a, b):
        # an rpm limit of 8 across both, requests alternating between them: 8 pass, and one more
        # for every 7.5 s the 12 requests took (the limit refills continuously)
        assert_rpm_shared(a, b)

        # 80 requests at once, across both: never more than the limit (20 a minute, plus the refill)
        started = time.monotonic()
        with ThreadPoolExecutor(32) as pool:
            burst = list(pool.map(lambda i: (a if i % 2 else b).chat(KEYS["BURST_KEY"]).status_code, range(80)))
        refill = (time.monotonic() - started) * 20 / 60
        assert set(burst) <= {200, 429}
        assert 20 <= burst.count(200) <= 20 + int(refill), (burst.count(200), refill)

        # a team budget spent through either replica stops both
        served = 0
        for i in range(10):
            r = (a if i % 2 else b).chat(KEYS["SPEND_KEY"])
            if r.status_code == 429:
                break
            assert r.status_code == 200
            served += 1
            time.sleep(0.1)  # the spend is charged just after each answer
        assert 1 <= served <= 4
        for replica in (a, b):
            r = replica.chat(KEYS["SPEND_KEY"])
            assert r.status_code == 429 and r.json()["error"]["code"] == "insufficient_quota"
        cost = sum(total(r.metrics(), "gateway_cost_usd_total", team="money") for r in (a, b))
        spend = max(total(r.metrics(), "gateway_spend_usd", team="money") for r in (a, b))
        assert cost >= 0.0003 and spend == pytest.approx(cost, rel=1e-9)

        # SIGHUP: keys and policy reloaded at once (forced, even with the file unchanged)
        a.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: total(a.metrics(), "gateway_config_reloads_total", result="success") == 2)

        # Redis killed: A serves with per-process counts and says so, B refuses
        redis.kill()
        assert a.chat(KEYS["OPS_KEY"]).status_code == 200
        down = b.chat(KEYS["OPS_KEY"])
        assert down.status_code == 503 and down.json()["error"]["code"] == "limits_unavailable"
        ready_a, ready_b = a.ready(), b.ready()
        assert ready_a.status_code == 200 and ready_a.json()["status"] == "degraded"
        assert ready_a.json()["limits"] == {"store": "redis", "shared": False, "degraded": True,
                                            "on_error": "local"}
        assert ready_b.status_code == 503 and ready_b.json()["checks"]["limits"] is False
        assert total(a.metrics(), "gateway_limits_degraded") == 1

        # Redis back (empty): both share the counts again
        redis.start()
        for replica in (a, b):
            wait_for(lambda r=replica: r.ready().json()["limits"]["shared"])
        assert total(a.metrics(), "gateway_limits_degraded") == 0
        assert_rpm_shared(a, b)


def assert_rpm_shared(a: Replica, b: Replica) -> None:
    started = time.monotonic()
    codes = [(a if i % 2 else b).chat(KEY).status_code for i in range(12)]
    refill = int((time.monotonic() - started) * 8 / 60)
    assert set(codes) <= {200, 429}
    assert [total(r.metrics(), "gateway_limits_degraded") for r in (a, b)] == [0, 0], "Redis was not used"
    assert 8 <= codes.count(200) <= 8 + refill, (codes, refill)


def wait_for(predicate: Callable[[], object], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")
