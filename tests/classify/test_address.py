from __future__ import annotations

import pytest

from gateway.classify.detector import Detector
from tests.classify.conftest import found


@pytest.mark.parametrize("address", [
    "1777 Kramer Court\nJohnsonfurt, NE 80119",
    "743 Rachel Burgs\nNorth Debratown, FM 50466",  # a USPS suffix that is also an English word
    "083 Crosby Plaza Apt. 533\nFarleytown, MT 73436",
    "690 Sanchez Union Suite 625\nChristopherhaven, CT 21957",
    "675 Reed Plain, Stephentown, AS 30595-1234",
    "522 Michael Garden\nPort Austinfort, MH 60618",  # a name before the suffix is no PERSON here
    "PSC 1241, Box 5868\nAPO AP 25384",
    "USNS Smith\nFPO AP 12345",
    "USS Jones\nFPO AA 12345",
    "Unit 1506 Box 1622\nDPO AE 12345",
])
def test_us_address_one_span(detector: Detector, address: str) -> None:
    assert found(detector, f"Ship it to:\n{address}", "STREET_ADDRESS") == [address]
    assert found(detector, f"{address}", "STREET_ADDRESS") == [address]


@pytest.mark.parametrize("text", [
    "We moved to 743 Rachel Burgs in March.",  # weak suffix, a context word
    "Send it to 12 Oak Street, Apt. 4 please.",
])
def test_us_street_line(detector: Detector, text: str) -> None:
    assert found(detector, text, "STREET_ADDRESS")


@pytest.mark.parametrize("text", [
    "I bought 5 Blue Lights for the party.",  # a weak suffix alone, no context
    "Apollo 11 Mission Control answered.",
    "Room 21 on floor 3, building 7.",  # a room is no address
    "Springfield, IL 62704 has a new library.",  # a town line alone is a place
])
def test_us_address_negatives(detector: Detector, text: str) -> None:
    assert not found(detector, text, "STREET_ADDRESS")
