from __future__ import annotations

import pytest

from gateway.classify import checksums
from gateway.classify.cards import card_score
from gateway.classify.detector import Detector
from tests.classify.conftest import found
from tests.classify.ids import complete

# One Luhn-valid number per scheme and length (body + the check digit that makes it valid).
CARDS = {
    "visa13": complete("411111111111", checksums.luhn)[0],
    "visa16": "4111111111111111",
    "visa19": complete("411111111111111111", checksums.luhn)[0],
    "mastercard 51": "5555555555554444",
    "mastercard 2221": complete("222100000000000", checksums.luhn)[0],
    "mastercard 2720": complete("272099999999999", checksums.luhn)[0],
    "amex 34": complete("34000000000000", checksums.luhn)[0],
    "amex 37": "378282246310005",
    "discover 6011": "6011111111111117",
    "discover 65": complete("650000000000000", checksums.luhn)[0],
    "diners 36": "36259600000004",
    "diners 300": complete("3000000000000", checksums.luhn)[0],
    "jcb16": "3530111333300000",
    "jcb15 1800": complete("18000000000000", checksums.luhn)[0],
    "jcb15 2131": complete("21310000000000", checksums.luhn)[0],
    "maestro 12": complete("50180000000", checksums.luhn)[0],
    "maestro 19": complete("676100000000000000", checksums.luhn)[0],
    "mir": complete("220000123456789", checksums.luhn)[0],
}


@pytest.mark.parametrize("number", CARDS.values(), ids=CARDS.keys())
def test_every_scheme_scores_over_the_threshold(number: str) -> None:
    assert (card_score(number) or 0.0) >= 0.5


@pytest.mark.parametrize("digits", [
    "4111111111111112",  # Luhn fails
    complete("911111111111111", checksums.luhn)[0],  # no scheme starts with 9
    complete("41111111111111", checksums.luhn)[0],  # Visa has no 15-digit numbers
    "1700000000000",  # a millisecond timestamp: no scheme starts with 17
    complete("378282246310", checksums.luhn)[0],  # Amex prefix, 13 digits
])
def test_no_card(digits: str) -> None:
    assert card_score(digits) is None


@pytest.mark.parametrize("written", [
    "4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111",
    "4111/1111/1111/1111", "4111 - 1111 - 1111 - 1111", "3782 822463 10005", "3625 960000 0004",
])
def test_grouped_forms(detector: Detector, written: str) -> None:
    assert found(detector, f"Charge card {written} please.", "CREDIT_CARD") == [written]
    assert found(detector, f"Use {written} for it.", "CREDIT_CARD") == [written]  # no context word


def test_card_followed_by_more_digits(detector: Detector) -> None:
    assert found(detector, "card 4111 1111 1111 1111 2027", "CREDIT_CARD") == ["4111 1111 1111 1111"]


@pytest.mark.parametrize("text", [
    "My card number is 4111 1111 1111 1112.",  # 16 digits, Luhn fails
    "Gift card order number 5023 1184 9921 0075 shipped.",  # an order number next to "card", Luhn fails
    "The card reader logged transaction 1700000000000 at noon.",  # a timestamp, no scheme
    "Your gift card order #900012345678 is ready.",  # 12 digits, no Maestro prefix
])
def test_card_negatives(detector: Detector, text: str) -> None:
    assert not found(detector, text, "CREDIT_CARD")
