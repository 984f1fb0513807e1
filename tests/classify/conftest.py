from __future__ import annotations

import socket

import pytest

from gateway.classify.detector import Detector, build_detector
from gateway.config import ClassifierConfig


@pytest.fixture(scope="session")
def detector() -> Detector:
    cfg = ClassifierConfig(recognizers=[
        {"name": "codenames", "supported_entity": "PROJECT_CODENAME", "deny_list": ["Bluebird", "Nightjar"]},
        {"name": "tickets", "supported_entity": "INTERNAL_TICKET", "context": ["ticket"],
         "patterns": [{"name": "ticket", "regex": r"\bOPS-\d{4,}\b", "score": 0.3}]},
    ])
    return build_detector(cfg)


def found(detector: Detector, text: str, kind: str, min_score: float = 0.5) -> list[str]:
    return [text[s.start:s.end] for s in detector.scan(text).spans if s.type == kind and s.score >= min_score]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection or name look-up during the test fails it (invariant 4)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
