"""Budget periods: calendar day, ISO week (from Monday) and calendar month, in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Period = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Window:
    """One budget period: its id (part of the storage key) and when it ends (epoch seconds)."""

    id: str
    start: float
    end: float

    def remaining(self, now: float) -> float:
        return max(self.end - now, 0.0)


def window(period: Period, now: float) -> Window:
    """The period of kind ``period`` that contains ``now`` (epoch seconds)."""
    t = datetime.fromtimestamp(now, UTC)
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        start, end, ident = day, day + timedelta(days=1), f"d{day:%Y-%m-%d}"
    elif period == "week":
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        end, ident = start + timedelta(days=7), f"w{year}-W{week:02d}"
    else:
        start = day.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        ident = f"m{start:%Y-%m}"
    return Window(ident, start.timestamp(), end.timestamp())
