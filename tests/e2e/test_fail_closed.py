"""Fail closed (invariant 2), end to end: when detection fails or times out, a request is treated
as sensitive (or blocked, per config) and never reaches the cloud."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.classify.service import ClassifyService
from gateway.config import ClassifierConfig
from tests.e2e.harness import DEFAULT_POLICY, KEY, SessionClassifier, run_gateway, write_config
from tests.fakes.openai_server import FakeOpenAI

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "A brand new harmless question, never cached."}]}


@pytest.fixture(scope="module")
def too_slow() -> Iterator[SessionClassifier]:
    """The real detector with a timeout no scan can meet."""
    service = ClassifyService(ClassifierConfig(workers=0, timeout=0.000001))
    asyncio.run(service.start())
    yield SessionClassifier(service)
    asyncio.run(service.aclose())


@pytest.mark.parametrize("on_error,status,zone", [("assume_sensitive", 200, "local"), ("block", 403, None)])
def test_detection_timeout_never_reaches_the_cloud(tmp_path: Path, local_fake: FakeOpenAI, cloud_fake: FakeOpenAI,
                                                   too_slow: SessionClassifier, on_error: str, status: int,
                                                   zone: str | None) -> None:
    path = write_config(tmp_path, local_url=local_fake.base_url, cloud_url=cloud_fake.base_url,
                        policy=DEFAULT_POLICY, classifier=f", on_error: {on_error}")
    with run_gateway(path, too_slow) as gw:
        for model in ("gpt-4o", "auto"):
            r = httpx.post(gw.url + "/v1/chat/completions", json={**BODY, "model": model},
                           headers={"authorization": f"Bearer {KEY}"}, timeout=10)
            assert r.status_code == status, r.text
            if zone:
                assert r.headers["x-gateway-zone"] == zone
            else:
                assert r.json()["error"]["code"] == "policy_blocked"
        explained = httpx.post(gw.url + "/v1/gateway/explain", json=BODY,
                               headers={"authorization": f"Bearer {KEY}"}).json()
        assert explained["classify_failed"] is True
    assert cloud_fake.requests == []
