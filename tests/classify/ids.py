"""Build valid identifiers (and the same digits with a wrong check digit) for tests."""

from __future__ import annotations

from gateway.classify import checksums


def complete(body: str, check: object, width: int = 1) -> tuple[str, str]:
    """The first completion of ``body`` that ``check`` accepts, and one it rejects."""
    good = bad = None
    for n in range(10 ** width):
        candidate = body + str(n).zfill(width)
        if check(candidate):  # type: ignore[operator]
            good = good or candidate
        else:
            bad = bad or candidate
    assert good and bad
    return good, bad


def inn12(body: str) -> tuple[str, str]:
    return complete(body, checksums.inn, 2)
