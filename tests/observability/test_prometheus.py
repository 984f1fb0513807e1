"""A real Prometheus (Debian's ``prometheus``) scrapes a running gateway every second; after
representative traffic, every PromQL expression of the Grafana dashboard is evaluated through
Prometheus' HTTP API and must succeed and return data."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.e2e.harness import RunningGateway
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import free_port, running_process
from tests.observability import dashboard
from tests.observability.traffic import drive

pytestmark = pytest.mark.e2e  # a real gateway process on loopback

PROMETHEUS = "/usr/bin/prometheus"



@contextmanager
def run_prometheus(tmp: Path, target: str) -> Iterator[str]:
    """Prometheus on loopback scraping ``target`` (host:port) every second; yields its URL."""
    binary = shutil.which("prometheus") or PROMETHEUS
    if not os.path.exists(binary):
        if os.environ.get("CI"):
            pytest.fail(f"{PROMETHEUS} is missing: .ci/run installs Debian's prometheus package")
        pytest.skip(f"{PROMETHEUS} is not installed (apt-get install prometheus); CI installs it")
    config = tmp / "prometheus.yml"
    config.write_text(f"""\
global: {{scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: llm-gateway
    metrics_path: /metrics
    static_configs: [{{targets: ["{target}"]}}]
""")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    with running_process(argv, ready_url=url + "/-/ready", timeout=30, log=tmp / "prometheus.log"):
        yield url


def query(prom: str, expr: str) -> dict[str, Any]:
    response = httpx.get(prom + "/api/v1/query", params={"query": expr}, timeout=5)
    body: dict[str, Any] = response.json()
    return body


def wait_for(prom: str, expr: str, predicate: Any, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        body = query(prom, expr)
        if predicate(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def has_data(body: dict[str, Any]) -> bool:
    return body.get("status") == "success" and bool(body["data"]["result"])


def test_every_dashboard_query_has_data_in_a_real_prometheus(
        tmp_path: Path, gateway: RunningGateway, cloud_fake: FakeOpenAI, local_fake: FakeOpenAI) -> None:
    target = urlparse(gateway.url).netloc
    with run_prometheus(tmp_path, target) as prom:
        up = wait_for(prom, 'up{job="llm-gateway"}',
                      lambda b: has_data(b) and b["data"]["result"][0]["value"][1] == "1", 20)
        assert has_data(up) and up["data"]["result"][0]["value"][1] == "1", f"target not up: {up}"
        sent = drive(gateway.url, cloud_fake, local_fake)
        # every request counted, then two more scrapes so rate() has two samples of the final values
        counted = wait_for(prom, "sum(gateway_requests_total)",
                           lambda b: has_data(b) and float(b["data"]["result"][0]["value"][1]) == sent.requests, 20)
        assert has_data(counted) and float(counted["data"]["result"][0]["value"][1]) == sent.requests
        time.sleep(2.5)
        queries = dashboard.queries(dashboard.load())
        assert len(queries) >= 20
        failures: list[str] = []
        deadline = time.monotonic() + 30  # bounded: all expressions together
        for q in queries:
            body = wait_for(prom, q.promql, has_data, max(deadline - time.monotonic(), 0))
            if body.get("status") != "success":
                failures.append(f"{q.panel} [{q.ref}] {q.promql}: {body.get('errorType')}: {body.get('error')}")
            elif not body["data"]["result"]:
                failures.append(f"{q.panel} [{q.ref}] {q.promql}: no data")
        assert failures == [], "\n".join(failures)
        # and the numbers agree with what was sent, through PromQL too
        blocked = query(prom, 'sum(gateway_requests_total{route="block-secrets-everywhere", status="403"})')
        assert float(blocked["data"]["result"][0]["value"][1]) == 1
        for expr in ("sum(gateway_tokens_total)", "sum(gateway_cost_usd_total)",
                     "sum(gateway_cost_avoided_usd_total)", "sum(gateway_entities_total)",
                     "sum(gateway_fallbacks_total)", "sum(gateway_guard_denials_total)"):
            value = float(query(prom, expr)["data"]["result"][0]["value"][1])
            assert value > 0, f"{expr} = {value}"
        # the tenancy row: the team's spend in its budget period is the cost the cost metric counts
        spend = float(query(prom, 'max(gateway_spend_usd{team="qa"})')["data"]["result"][0]["value"][1])
        cost = float(query(prom, 'sum(gateway_cost_usd_total{team="qa"})')["data"]["result"][0]["value"][1])
        assert cost > 0 and abs(spend - cost) <= 1e-9 * cost
        local = query(prom, 'sum(gateway_requests_total{zone="local"})')
        assert float(local["data"]["result"][0]["value"][1]) == sum(1 for u in sent.usages if u.zone == "local")
