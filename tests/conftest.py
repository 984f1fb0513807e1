"""Session-wide fixtures: the real detector, loaded once, for every package that needs it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from gateway.request import GatewayRequest, text_parts
from gateway.signals import Signals
from tests.e2e.harness import SessionClassifier, start_session_classifier


@pytest.fixture(scope="session")
def classifier() -> Iterator[SessionClassifier]:
    c = start_session_classifier()
    yield c
    asyncio.run(c.service.aclose())


@pytest.fixture(scope="session")
def detector(classifier: SessionClassifier) -> Callable[[GatewayRequest], Signals]:
    """The real detector as the synchronous callable policy test cases take."""

    def classify(request: GatewayRequest) -> Signals:
        parts, opaque = text_parts(request.endpoint, request.body)
        return asyncio.run(classifier.classify(parts, opaque))

    return classify
