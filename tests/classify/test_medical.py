from __future__ import annotations

import pytest

from gateway.classify.detector import Detector
from tests.classify.conftest import found


@pytest.mark.parametrize(("text", "mrn"), [
    ("MRN 00123456", "00123456"),
    ("Patient Jane Roe, MRN: A1234567, admitted for observation.", "A1234567"),
    ("medical record no. 4567890 shows an allergy", "4567890"),
    ("Med rec # 1234567 - follow-up in two weeks", "1234567"),
    ("Can you summarise the notes for patient ID 7788123?", "7788123"),
    ("Record for MRN#00123 updated by the nurse.", "00123"),
    ("номер медицинской карты 123456", "123456"),
    ("мед. карта № 78901 у терапевта", "78901"),
])
def test_medical_record(detector: Detector, text: str, mrn: str) -> None:
    assert found(detector, text, "MEDICAL_RECORD") == [mrn]


@pytest.mark.parametrize("text", [
    "Order 00123456 shipped today.",  # a number without a medical label
    "patient number 4 was discharged",  # too short to be a record number
    "Medical records 2019-2021 were digitised.",  # years
    "The MRN field must not be empty.",
    "The hospital number is 0161 496 0753, ask for the ward.",  # a phone number
])
def test_not_medical_record(detector: Detector, text: str) -> None:
    assert not found(detector, text, "MEDICAL_RECORD")
