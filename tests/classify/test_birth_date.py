from __future__ import annotations

import pytest

from gateway.classify.detector import Detector
from tests.classify.conftest import found


@pytest.mark.parametrize(("text", "date"), [
    ("DOB: 03/14/1985", "03/14/1985"),
    ("He was born on March 14, 1985.", "March 14, 1985"),
    ("date of birth 1985-03-14, male", "1985-03-14"),
    ("The patient (d.o.b. 3/14/85) reports chest pain.", "3/14/85"),
    ("I was born in Ohio on 14 March 1985.", "14 March 1985"),
    ("дата рождения 14.03.1985", "14.03.1985"),
    ("Он родился 14 марта 1985 г. в Твери.", "14 марта 1985 г."),
    ("Иванов И. И., 14.03.1985 г.р.", "14.03.1985"),
])
def test_date_of_birth(detector: Detector, text: str, date: str) -> None:
    assert found(detector, text, "DATE_OF_BIRTH") == [date]


@pytest.mark.parametrize("text", [
    "The meeting moved to March 14, 1985.",  # a date, but no birth date
    "Invoice dated 03/14/2024 is unpaid.",
    "She was born in 1985.",  # a year alone
    "Mozart was born on 27 January 1756.",  # nobody alive: under the threshold
])
def test_not_date_of_birth(detector: Detector, text: str) -> None:
    assert not found(detector, text, "DATE_OF_BIRTH")


def test_other_dates_stay_date_time(detector: Detector) -> None:
    text = "The meeting moved to March 14, 2024."
    assert found(detector, text, "DATE_TIME", 0.0)
