"""Budget periods in UTC: calendar day, ISO week from Monday, calendar month; and their ends."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.limits.periods import window


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_day() -> None:
    w = window("day", ts(2025, 3, 9, 23, 59, 59))
    assert (w.id, w.start, w.end) == ("d2025-03-09", ts(2025, 3, 9), ts(2025, 3, 10))
    assert window("day", ts(2025, 3, 10)).id == "d2025-03-10"


def test_iso_week_starts_on_monday_and_crosses_years() -> None:
    w = window("week", ts(2025, 1, 1, 12))  # a Wednesday of ISO week 2025-W01, which began in 2024
    assert (w.id, w.start, w.end) == ("w2025-W01", ts(2024, 12, 30), ts(2025, 1, 6))
    assert window("week", ts(2025, 1, 5, 23, 59)).id == "w2025-W01"
    assert window("week", ts(2025, 1, 6)).id == "w2025-W02"
    assert window("week", ts(2021, 1, 3)).id == "w2020-W53"


def test_month_including_december_and_february() -> None:
    w = window("month", ts(2024, 12, 31, 23))
    assert (w.id, w.end) == ("m2024-12", ts(2025, 1, 1))
    feb = window("month", ts(2024, 2, 29, 10))
    assert (feb.id, feb.start, feb.end) == ("m2024-02", ts(2024, 2, 1), ts(2024, 3, 1))
    assert feb.remaining(ts(2024, 2, 29)) == 86400
