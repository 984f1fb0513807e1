from __future__ import annotations

import pytest

from gateway.classify.detector import Detector
from tests.classify.conftest import found


@pytest.mark.parametrize(("text", "ssn"), [
    ("My SSN is 536228726", "536228726"),  # bare, next to a context word
    ("social security number 082-10-3703", "082-10-3703"),  # labelled, wins over a phone shape
    ("SSN: 536 22 8726", "536 22 8726"),
    ("Please verify 536-22-8726 against the file.", "536-22-8726"),  # the dashed shape alone
])
def test_ssn(detector: Detector, text: str, ssn: str) -> None:
    assert found(detector, text, "US_SSN") == [ssn]


@pytest.mark.parametrize("text", [
    "The invoice total was 536228726 cents.",  # nine bare digits without a context word
    "My SSN is 666228726",  # area 666 is never issued
    "My SSN is 936228726",  # 9xx: an ITIN, not an SSN
    "SSN 536-22-0000",  # serial 0000
])
def test_not_ssn(detector: Detector, text: str) -> None:
    assert not found(detector, text, "US_SSN")
