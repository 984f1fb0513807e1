from __future__ import annotations

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
