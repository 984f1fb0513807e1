"""Fixtures of the end-to-end tests that share one gateway per module."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import RunningGateway, SessionClassifier, run_gateway, write_config
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve

ROOT = Path(__file__).resolve().parents[2]
Servers = tuple[RunningGateway, FakeOpenAI, FakeOpenAI, FakeAnthropic]


@pytest.fixture(scope="module")
def servers(classifier: SessionClassifier, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The shipped default policy in front of a local fake, an OpenAI cloud fake and an Anthropic
    cloud fake; (gateway, local, cloud, anthropic)."""
    local = FakeOpenAI(api_key="test-local-key", models=["llama-3.1-8b"])
    cloud = FakeOpenAI(api_key="test-openai-key")
    anthropic = FakeAnthropic(api_key="test-anthropic-key")
    with contextlib.ExitStack() as stack:
        for fake in (local, cloud, anthropic):
            fake.base_url = stack.enter_context(serve(fake.app))
        tmp = tmp_path_factory.mktemp("leaks")
        shutil.copytree(ROOT / "policies", tmp / "policies")
        policy = (tmp / "policies" / "default.yaml").read_text()
        path = write_config(tmp, local_url=local.base_url, cloud_url=cloud.base_url, policy=policy,
                            anthropic_url=anthropic.base_url)
        with run_gateway(path, classifier) as gw:
            yield gw, local, cloud, anthropic




E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is end to end (``-m 'not e2e'`` leaves them out)."""
    for item in items:
        if E2E_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)
