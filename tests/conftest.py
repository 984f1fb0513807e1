"""Shared fixtures: the real detector (loaded once per session), fake upstreams on loopback, and
the gateway under uvicorn in front of them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.api.state import judge
from gateway.request import GatewayRequest, outbound_of
from gateway.signals import Signals
from tests.e2e.harness import (
    DEFAULT_POLICY,
    RunningGateway,
    SessionClassifier,
    run_gateway,
    start_session_classifier,
    write_config,
)
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import running


@pytest.fixture(scope="session")
def classifier() -> Iterator[SessionClassifier]:
    c = start_session_classifier()
    yield c
    asyncio.run(c.service.aclose())


@pytest.fixture(scope="session")
def detector(classifier: SessionClassifier) -> Callable[[GatewayRequest], Signals]:
    """The real detector as the synchronous callable policy test cases take."""

    def classify(request: GatewayRequest) -> Signals:
        return asyncio.run(judge(classifier, outbound_of(request)))

    return classify


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random llama GGUF (see tests/fakes/tiny_gguf.py), built once per session, for the
    tests that run the real llama.cpp path. Skipped without llama-cpp-python, except in CI."""
    if not os.environ.get("CI"):
        pytest.importorskip("llama_cpp")
    from tests.fakes.tiny_gguf import write_tiny_gguf

    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")


@pytest.fixture
def local_fake() -> Iterator[FakeOpenAI]:
    yield from running(FakeOpenAI(api_key="test-local-key", models=["llama-3.1-8b"]))


@pytest.fixture
def cloud_fake() -> Iterator[FakeOpenAI]:
    yield from running(FakeOpenAI(api_key="test-openai-key"))


@pytest.fixture
def anthropic_fake() -> Iterator[FakeAnthropic]:
    yield from running(FakeAnthropic(api_key="test-anthropic-key"))


@pytest.fixture
def gateway(tmp_path: Path, local_fake: FakeOpenAI, cloud_fake: FakeOpenAI,
            classifier: SessionClassifier) -> Iterator[RunningGateway]:
    path = write_config(tmp_path, local_url=local_fake.base_url, cloud_url=cloud_fake.base_url,
                        policy=DEFAULT_POLICY)
    with run_gateway(path, classifier) as gw:
        yield gw
