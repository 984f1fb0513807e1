"""Cheap necessary conditions in front of the slowest patterns.

Some of Presidio's patterns cost far more than the others on ordinary prose: the URL pattern
without a scheme tries ``[a-z0-9.\\-]{1,253}`` from every position of every word and backtracks
over ~700 top-level domains (~0.3-0.5 ms on a 600-character prompt, more than all other
patterns together), the driver licence's 24 alternatives, the NINO and IPv6 ones. Each pattern
below gets a *gate*: a short regex that every match of the pattern must contain (a ``.``
followed by a letter for a URL, a letter next to a digit for a licence, a ``:`` for IPv6). When
the gate finds nothing in the text, the pattern cannot match and is not run; when it finds
something, the pattern runs as before. Findings are therefore identical with and without the
gates (``tests/classify/test_gates.py`` compares them on the public sets and on random text).

A gate is compiled with the flags of the pattern it guards (the same ``regex`` module, the same
flags Presidio compiled the pattern with), so its character classes mean the same.

Our own recognizers whose patterns open with a long case-insensitive alternation of label words
(dates of birth, medical record numbers, secret assignments) use :class:`Gate`: a few searches for
a literal every match contains, each a fast scan (a case-insensitive alternation of words with
different first letters is tried at every position: ~10x slower).

On a seam (the end of one string joined to the start of the next, read for a value split between
them) only a finding across the junction counts. The detector sets :data:`JUNCTION` while it
reads one, and Presidio's phone recognizer, the slowest there, runs only when a ``phonenumbers``
candidate crosses it (:class:`SeamPhoneRecognizer`).
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import regex
from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

# Presidio pattern name -> (a regex that every match of that pattern contains, the first 16 hex
# digits of the SHA-256 of the pattern the gate was written for). A pattern whose text differs (a
# newer Presidio) runs ungated: a gate is only sound for the pattern it was derived from.
GATES: Mapping[str, tuple[str, str]] = {
    # UrlRecognizer: "[a-z0-9.\-]{1,253}[.](?:com|...)" in all four; every top-level domain
    # begins with a letter; the patterns carry (?i), so does the gate.
    "Standard Url": (r"(?i)[a-z0-9.\-][.][a-z]", "422b91a465b6177e"),
    "Non schema URL": (r"(?i)[a-z0-9.\-][.][a-z]", "7405c3a8b8c39f4d"),
    "Quoted URL": (r"(?i)[a-z0-9.\-][.][a-z]", "473c5e6b40a31272"),
    "Quoted Non-schema URL": (r"(?i)[a-z0-9.\-][.][a-z]", "58b5bbbc4796bab1"),
    # UsLicenseRecognizer: each alternative has a letter next to a digit ("A1234", "12ABC") or
    # Presidio's literal "A-Z]]" before digits (a typo in its pattern, kept as it matches).
    "Driver License - Alphanumeric (weak)": (r"[A-Z][0-9]|[0-9][A-Z]|\][0-9]", "ab1eb0b240f24580"),
    "Driver License - Digits (very weak)": (r"[0-9]{6}", "03317c267dbb76a2"),
    # UkNinoRecognizer: a word starting with two letters, an optional space, two digits.
    "NINO (medium)": (r"\b[A-Za-z]{2} ?[0-9]{2}", "21f524c59171e715"),
    # IpRecognizer
    "IPv4_mapped": (r"::", "5def597d3b4dac73"),
    "IPv4_embedded": (r":", "66197b1f8e63cd27"),
    "IPv4": (r"[0-9][.][0-9]", "ae1e66dfc54606cf"),
    "IPv6": (r":", "c4f79b73053cd5f0"),
    "IPv6_unspecified": (r"::", "c696285024ae5b47"),
    # MedicalLicenseRecognizer: a letter, then a letter or a 9, then seven digits.
    "USA DEA Certificate Number (weak)": (r"\d{7}", "8b00da21c7ca480a"),
    # UsPassportRecognizer: nine digits, or a letter and eight digits.
    "Passport (very weak)": (r"[0-9]{9}", "31cb23903d565134"),
    "Passport Next Generation (very weak)": (r"[A-Z][0-9]{8}", "a4aad820a6663d66"),
    # UsBankRecognizer
    "Bank Account (weak)": (r"[0-9]{8}", "77ff5492baf67207"),
}


class _SharedGate:
    """One compiled gate, shared by the patterns that have it (the four URL patterns): the
    answer for the text last asked about is kept, so a text is searched once per gate."""

    __slots__ = ("_last", "_regex")

    def __init__(self, gate: str, flags: int) -> None:
        self._regex = regex.compile(gate, flags=flags)
        self._last: tuple[str, bool] = ("", False)  # one tuple, replaced whole: safe across threads

    def open(self, text: str) -> bool:
        last = self._last
        if last[0] is text:
            return last[1]
        found = self._regex.search(text) is not None
        self._last = (text, found)
        return found


_shared: dict[tuple[str, int], _SharedGate] = {}


class _GatedRegex:
    """A compiled pattern that first looks for its gate (compiled with the pattern's flags)."""

    __slots__ = ("_gate", "_inner")

    def __init__(self, gate: str, inner: Any) -> None:
        self._inner = inner
        flags = int(inner.flags)
        self._gate = _shared.get((gate, flags)) or _shared.setdefault((gate, flags), _SharedGate(gate, flags))

    def finditer(self, text: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
        if not self._gate.open(text):
            return iter(())
        return self._inner.finditer(text, *args, **kwargs)  # type: ignore[no-any-return]


class GatedPattern(Pattern):
    """A Presidio :class:`Pattern` whose compiled form is run only where its gate matches.

    Presidio compiles a pattern on first use (and again when called with other flags) by
    assigning ``compiled_regex``; the assignment is wrapped here, so the gate follows the flags."""

    def __init__(self, pattern: Pattern, gate: str) -> None:
        self._gate_regex = gate
        self._compiled: _GatedRegex | None = None
        super().__init__(pattern.name, pattern.regex, pattern.score)

    @property  # type: ignore[override]
    def compiled_regex(self) -> _GatedRegex | None:
        return self._compiled

    @compiled_regex.setter
    def compiled_regex(self, value: Any) -> None:
        self._compiled = None if value is None else _GatedRegex(self._gate_regex, value)


def fingerprint(pattern: str) -> str:
    return hashlib.sha256(pattern.encode()).hexdigest()[:16]


def gated(patterns: Sequence[Pattern]) -> list[Pattern]:
    """Fresh copies of ``patterns`` (never Presidio's shared class-level objects), those with a
    gate in :data:`GATES` written for exactly their text wrapped."""
    out: list[Pattern] = []
    for p in patterns:
        gate, written_for = GATES.get(p.name, ("", ""))
        if gate and fingerprint(p.regex) == written_for:
            out.append(GatedPattern(p, gate))
        else:
            out.append(Pattern(p.name, p.regex, p.score))
    return out


class Gate:
    """Open when any of ``patterns`` occurs in a text: each a necessary condition of a match of
    the pattern it guards, written with that pattern's flags (``(?i)`` for a case-insensitive
    label), and cheap: a literal or a short prefix, no alternation of different first letters."""

    __slots__ = ("_patterns",)

    def __init__(self, *patterns: str) -> None:
        self._patterns = tuple(re.compile(p) for p in patterns)

    def open(self, text: str) -> bool:
        return any(p.search(text) is not None for p in self._patterns)


# --- seams ----------------------------------------------------------------------------------------

# The offset of the junction in the text being analysed, while the detector reads a seam (the end
# of one string joined to the start of the next: only a value across the junction is news there).
JUNCTION: ContextVar[int | None] = ContextVar("seam_junction", default=None)

# phonenumbers' candidate pattern: its matcher reports only numbers inside a match of it (each
# candidate is a match of this pattern at some position, then trimmed or searched within). A
# private name: without it every seam runs the matcher, as before.
_PHONE_CANDIDATE: re.Pattern[str] | None = getattr(
    importlib.import_module("phonenumbers.phonenumbermatcher"), "_PATTERN", None)


def phone_may_cross(text: str, junction: int) -> bool:
    """Could ``phonenumbers`` find a number in ``text`` across ``junction``? Only when a candidate
    (a match of its pattern at some position before the junction) reaches past the junction."""
    pattern = _PHONE_CANDIDATE
    if pattern is None:
        return True
    for start in range(junction):
        m = pattern.match(text, start)
        if m is not None and m.end() > junction:
            return True
    return False


class SeamPhoneRecognizer(PhoneRecognizer):
    """Presidio's phone recognizer (the ``phonenumbers`` matcher, once per region: the slowest
    recognizer on a seam), not run on a seam where no candidate crosses the junction."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        junction = JUNCTION.get()
        if junction is not None and not phone_may_cross(text, junction):
            return []
        return super().analyze(text, entities, nlp_artifacts)  # type: ignore[arg-type]
