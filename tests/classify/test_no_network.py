"""Invariant 4: building and running the detector opens no connection."""

from __future__ import annotations

from gateway.classify.detector import build_detector
from gateway.config import ClassifierConfig


def test_detector_makes_no_network_call(no_network: None) -> None:
    detector = build_detector(ClassifierConfig())
    text = "Mail jane.doe@example.co.uk or visit https://example.org; Иван Петров, +7 912 345-67-89."
    kinds = {s.type for s in detector.scan(text).spans}
    assert "EMAIL_ADDRESS" in kinds
