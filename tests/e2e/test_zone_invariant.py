"""The zone invariant end to end, over HTTP, under random policies, entity sets and backend
failures: whenever a guard denies a zone, no backend in that zone receives the request.

The signals come from a stand-in classifier (this test is about routing; the real detector has
its own end-to-end tests in test_default_policy.py). What each fake server *received* is the
evidence, not what the gateway says it did.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.classify.pool import PoolStatus
from gateway.config import Config
from gateway.outbound import Outbound
from gateway.signals import Semantic, Signals
from tests.e2e.harness import run_gateway
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve
from tests.policy.strategies import BACKENDS, Scenario, reference, scenarios

MODES = ["ok", "ok", "server_error", "rate_limit", "garbage", "hang", "error_response"]
KEYS = {"alpha": "key-alpha", "beta": "key-beta"}


class FixedSignals:
    """Answers every classification with the scenario's signals."""

    def __init__(self) -> None:
        self.signals = Signals()
        self.ready = True

    async def start(self) -> None:
        return None

    def status(self) -> PoolStatus:
        return PoolStatus(workers=0, ready=1, restarts=0)

    async def semantic(self, outbound: Outbound) -> Semantic:
        return self.signals.semantic

    def semantic_ahead(self, outbound: Outbound) -> asyncio.Task[Semantic] | None:
        return None

    async def classify(self, outbound: Outbound) -> Signals:
        return self.signals

    async def aclose(self) -> None:
        return None


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, FakeOpenAI]]:
    running: dict[str, FakeOpenAI] = {}
    servers = []
    for name in BACKENDS:
        fake = FakeOpenAI(api_key="k", models=[])
        ctx = serve(fake.app)
        fake.base_url = ctx.__enter__()
        servers.append(ctx)
        running[name] = fake
    yield running
    for ctx in servers:
        ctx.__exit__(None, None, None)


def gateway_config(sc: Scenario, fakes: dict[str, FakeOpenAI], policy_path: Path, audit: Path) -> Config:
    data: dict[str, Any] = sc.config.model_dump(exclude={"base_dir"})
    for name, backend in data["backends"].items():
        backend.update(base_url=fakes[name].base_url + "/v1", api_key_env="FAKE_KEY",
                       timeout={"connect": 0.5, "first_byte": 0.5, "total": 2, "idle": 0.5})
    data.update(policy=str(policy_path), audit={"path": str(audit)},
                auth={"keys": [{"id": team, "secret_env": f"KEY_{team.upper()}", "team": team} for team in KEYS],
                      "allow_anonymous": True})
    return Config.model_validate(data)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(sc=scenarios(), modes=st.lists(st.sampled_from(MODES), min_size=4, max_size=4), stream=st.booleans())
def test_no_request_reaches_a_denied_zone(fakes: dict[str, FakeOpenAI], sc: Scenario, modes: list[str],
                                          stream: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        policy_path = Path(tmp) / "policy.yaml"
        policy_path.write_text(sc.text)
        config = gateway_config(sc, fakes, policy_path, Path(tmp) / "audit.jsonl")
        for fake, mode in zip(fakes.values(), modes, strict=True):
            fake.requests.clear()
            fake.mode = mode  # type: ignore[assignment]
            fake.hang_seconds = 1.0
            fake.fail_times = None
        classifier = FixedSignals()
        classifier.signals = sc.signals
        team = sc.request.team
        seen = dataclasses.replace(sc.request, endpoint="chat", key_id=team, team=team)
        denied = reference(dataclasses.replace(sc, request=seen)).denied
        headers = dict(sc.request.headers)
        if team is not None:
            headers["authorization"] = f"Bearer {KEYS[team]}"
        body = {"model": sc.request.model, "messages": [{"role": "user", "content": "hello"}], "stream": stream}
        env = {"FAKE_KEY": "k", **{f"KEY_{t.upper()}": k for t, k in KEYS.items()}}
        config_path = Path(tmp) / "config.yaml"
        config_path.write_text(yaml.safe_dump(config.model_dump(exclude={"base_dir"})))
        with run_gateway(config_path, classifier, env) as gw:
            r = httpx.post(gw.url + "/v1/chat/completions", json=body, headers=headers, timeout=10)
        for name, zone in BACKENDS.items():
            if zone in denied:
                assert fakes[name].requests == [], (name, zone, denied, r.status_code)
        if denied >= {"local", "cloud"}:
            assert r.status_code in (403, 503)
        if r.status_code == 200:  # not vacuous: an allowed backend did serve it
            assert any(fakes[n].requests for n, zone in BACKENDS.items() if zone not in denied)
