"""GCRA arithmetic: a full minute's burst, continuous refill, corrections; and a property: over any
stretch of time, admitted units never exceed one bucket plus what refilled meanwhile."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.limits import gcra

NOW = 1_700_000_000_000_000.0  # microseconds


def run(limit: int, arrivals: list[tuple[float, int]]) -> list[bool]:
    tat: float | None = None
    out = []
    for t, cost in arrivals:
        _, new, ok = gcra.admit(tat, t, gcra.interval_us(limit), cost)
        if ok:
            tat = new
        out.append(ok)
    return out


def test_a_full_minute_at_once_then_one_unit_per_interval() -> None:
    limit = 7  # 60/7 s is not a round number of microseconds
    assert run(limit, [(NOW, 1)] * 8) == [True] * 7 + [False]
    interval = gcra.interval_us(limit)
    assert run(limit, [(NOW, 1)] * 7 + [(NOW + interval - 10, 1), (NOW + interval, 1)])[-2:] == [False, True]


def test_remaining_reset_and_retry_after() -> None:
    limit, interval = 10, gcra.interval_us(10)
    assert gcra.remaining(limit, NOW, NOW) == 10
    base, tat, ok = gcra.admit(None, NOW, interval, 3)
    assert ok and base == NOW
    assert gcra.remaining(limit, tat, NOW) == 7
    assert gcra.reset_us(tat, NOW) == 3 * interval
    full = NOW + 10 * interval
    assert gcra.remaining(limit, full, NOW) == 0
    assert gcra.retry_after_us(full, NOW, interval, 1) == interval
    assert gcra.retry_after_us(full, NOW, interval, 4) == 4 * interval


def test_a_request_larger_than_the_bucket_never_fits() -> None:
    assert run(100, [(NOW, 101)]) == [False]
    assert run(100, [(NOW, 100)]) == [True]


def test_corrections_charge_and_refund_but_never_beyond_full() -> None:
    interval = gcra.interval_us(60)  # one unit a second
    tat = NOW + 10 * interval
    assert gcra.correct(tat, NOW, interval, 5) == NOW + 15 * interval
    assert gcra.correct(tat, NOW, interval, -4) == NOW + 6 * interval
    assert gcra.correct(tat, NOW, interval, -50) is None  # full: nothing to keep
    assert gcra.correct(None, NOW, interval, 2) == NOW + 2 * interval
    assert gcra.correct(NOW - 1e9, NOW, interval, 2) == NOW + 2 * interval  # from now, not the stale past


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(1, 50),
       steps=st.lists(st.tuples(st.floats(0, 5e6), st.integers(0, 8)), min_size=1, max_size=120))
def test_admitted_units_never_exceed_a_bucket_plus_the_refill(limit: int, steps: list[tuple[float, int]]) -> None:
    arrivals, t = [], NOW
    for gap, cost in steps:
        t += gap
        arrivals.append((t, cost))
    admitted = run(limit, arrivals)
    for i, (start, _) in enumerate(arrivals):
        used = 0
        for (t2, cost), ok in zip(arrivals[i:], admitted[i:], strict=True):
            if ok:
                used += cost
            refill = (t2 - start) / gcra.interval_us(limit)
            assert used <= limit + refill + 1e-6
