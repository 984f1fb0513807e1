"""Pytest fixtures running the fakes; import them into a test module or conftest:

    from tests.fakes.fixtures import fake_anthropic, fake_openai  # noqa: F401

    def test_x(fake_anthropic: FakeAnthropic) -> None:
        fake_anthropic.base_url         # "http://127.0.0.1:PORT" (no /v1)
        fake_anthropic.mode = "rate_limit"; fake_anthropic.fail_times = 2
        fake_anthropic.requests         # every RecordedRequest, in order
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .anthropic_server import FakeAnthropic
from .openai_server import FakeOpenAI
from .server import running


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    yield from running(FakeAnthropic())


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    yield from running(FakeOpenAI())
