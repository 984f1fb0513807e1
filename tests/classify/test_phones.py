from __future__ import annotations

import pytest

from gateway.classify.detector import Detector
from tests.classify.conftest import found


@pytest.mark.parametrize("phone", [
    "555-123-4567x0785",  # extension glued with x
    "555-123-4567 ext. 123",
    "001-555-123-4567",  # international prefix from the US
    "001-083-710-1222x123",  # area code outside the NANP plan, which phonenumbers rejects
    "555.123.4567",
    "(555)123-4567",
    "(555) 123-4567",
    "+1-555-123-4567x123",
    "+1 (555) 123-4567",
    "183.555.0199",  # area code starting with 1: not a valid NANP number, still a phone
])
def test_north_american_shapes_whole_span(detector: Detector, phone: str) -> None:
    assert found(detector, f"Reach me at {phone} tomorrow.", "PHONE_NUMBER") == [phone]
    assert found(detector, f"Notes: {phone}", "PHONE_NUMBER") == [phone]  # no context word needed


def test_phone_in_parentheses(detector: Detector) -> None:
    assert found(detector, "Contact Tara Reyes (831.711.6517x98742) about the lease.", "PHONE_NUMBER") == [
        "831.711.6517x98742"]


def test_bare_ten_digits_need_a_phone_word(detector: Detector) -> None:
    assert found(detector, "Please call 5551234567 after lunch.", "PHONE_NUMBER") == ["5551234567"]
    assert found(detector, "My number changed to 5055221169 last week.", "PHONE_NUMBER") == ["5055221169"]
    assert not found(detector, "Gift card order number 7974074151 shipped today.", "PHONE_NUMBER")


@pytest.mark.parametrize("text", [
    "My SSN is 082-10-3703.",  # the SSN shape, also a trunk-0 shape
    "Version 10.2.2024 was released.",
    "The ISBN is 978-3-16-148410-0.",
])
def test_not_phones(detector: Detector, text: str) -> None:
    assert not found(detector, text, "PHONE_NUMBER")


@pytest.mark.parametrize("phone", [
    "(416) 555-0199",  # Toronto
    "+1 604 555 0142",  # Vancouver
    "514-555-0173",  # Montreal
    "+44 20 7946 0958",
    "020 7946 0958",  # London, national format
    "+49 30 901820",
])
def test_phones_of_every_region_without_a_canadian_pass(detector: Detector, phone: str) -> None:
    """Canada shares the North American plan with the US: the US pass finds its numbers."""
    assert found(detector, f"Call me on {phone} after six.", "PHONE_NUMBER") == [phone]
