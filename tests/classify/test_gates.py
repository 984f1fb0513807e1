"""The gates in front of slow patterns never hide a match (gateway.classify.gates)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from gateway.classify import birth_date, medical, secrets
from gateway.classify.detector import Detector
from gateway.classify.engine import PHONE_CONTEXT, PHONE_REGIONS, build_recognizers
from gateway.classify.gates import (
    _PHONE_CANDIDATE,
    GATES,
    JUNCTION,
    GatedPattern,
    SeamPhoneRecognizer,
    fingerprint,
    gated,
    phone_may_cross,
)
from gateway.config import ClassifierConfig

FLAGS = (re.MULTILINE, regex.IGNORECASE | regex.MULTILINE | regex.DOTALL)  # the detector's; Presidio's default


def gated_patterns() -> list[GatedPattern]:
    found = [p for r in build_recognizers(ClassifierConfig()) for p in getattr(r, "patterns", [])
             if isinstance(p, GatedPattern)]
    return found


def test_every_gate_guards_a_loaded_pattern() -> None:
    names = {p.name for p in gated_patterns()}
    assert names == set(GATES)  # a gate written for a pattern that changed would silently go unused


def test_a_changed_pattern_runs_ungated() -> None:
    changed = Pattern("IPv6", r"[0-9a-f]{4}", 0.5)  # same name, other text: the gate may not hold
    (copy,) = gated([changed])
    assert not isinstance(copy, GatedPattern) and copy is not changed
    assert fingerprint(changed.regex) != GATES["IPv6"][1]


@pytest.mark.parametrize("pattern", gated_patterns(), ids=lambda p: p.name)
@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_match_contains_its_gate(pattern: GatedPattern, data: st.DataObject) -> None:
    """Strings generated to match the pattern, inside random text: the gate finds something in
    every one, under both flag sets."""
    match = data.draw(st.from_regex(pattern.regex.replace("(?i)", ""), fullmatch=True), label="match")
    around = st.text(st.sampled_from("aZ09 .:-]\n"), max_size=4)
    text = data.draw(around) + match + data.draw(around)
    for flags in FLAGS:
        inner = regex.compile(pattern.regex, flags=flags)
        if inner.search(text) is not None:
            assert regex.compile(GATES[pattern.name][0], flags=inner.flags).search(text) is not None


def _public_texts() -> list[str]:
    root = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "pii"
    if not root.is_dir():
        pytest.skip("../shared/benchmarks is not beside the checkout")
    rows = json.loads((root / "presidio_synth_dataset_v2.json").read_text())
    texts = [r["full_text"] for r in rows]
    texts += [json.loads(line)["text"] for line in (root / "ru_synth.jsonl").read_text().splitlines() if line]
    return texts


@pytest.mark.parametrize("flags", FLAGS)
def test_gated_and_plain_patterns_find_the_same_on_the_public_sets(flags: int) -> None:
    texts = _public_texts()
    pairs = []
    for p in gated_patterns():
        plain = regex.compile(p.regex, flags=flags)
        p.compiled_regex, p.compiled_with_flags = plain, flags  # as Presidio compiles it
        pairs.append((p.name, p.compiled_regex, plain))
    for text in texts:  # every pattern over one text, as a scan does (patterns share a gate's answer)
        for name, guarded, plain in pairs:
            assert guarded is not None
            assert [m.span() for m in guarded.finditer(text)] == [m.span() for m in plain.finditer(text)], name


OWN = [
    ("date of birth, label before", birth_date._BEFORE, birth_date._CUE.open),
    ("date of birth, born", birth_date._BORN, birth_date._CUE.open),
    ("date of birth, mark after", birth_date._AFTER, birth_date._CUE.open),
    ("medical record", medical._PATTERN, medical._LABEL.open),
    ("secret assignment", secrets._ASSIGN, secrets._ASSIGN_GATE.open),
    ("connection string", secrets._CONN, secrets._CONN_GATE.open),
]


@pytest.mark.parametrize("name, pattern, gate_open", OWN, ids=[o[0] for o in OWN])
@given(data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_our_gates_open_for_every_match(name: str, pattern: re.Pattern[str], gate_open: Callable[[str], bool],
                                        data: st.DataObject) -> None:
    text = data.draw(st.from_regex(pattern))  # a match somewhere in random text, any letter case
    assert pattern.search(text) is not None
    assert gate_open(text)


@pytest.mark.parametrize("text", [
    "DOB: 03/14/1985", "d.o.b. 1985-03-14", "Date of birth 14 March 1985", "born in Ohio on March 14, 1985",
    "дата рождения 14.03.1985", "д.р. 14.03.1985", "родился 14 марта 1985 г.", "14.03.1985 г.р.",
    "MRN 00123456", "medical record no. 4567890", "patient ID 7788123", "мед. карта № 556677",
    "PASSWORD=hunter2x!", "run app --password s3cr3t!x", "postgres://app:Sup3rS3cret@db.internal:5432/x",
])
def test_gates_open_for_the_documented_forms(text: str) -> None:
    assert any(gate_open(text) and pattern.search(text) for _, pattern, gate_open in OWN)


def test_gates_stay_shut_on_ordinary_prose() -> None:
    prose = ("Request 12-968317-12. I have a Python service that reads messages from a queue and writes "
             "them to a database; the memory grows slowly until the container is killed.")
    assert not any(gate_open(prose) for _, _, gate_open in OWN[:4])


# --- seams: Presidio's phone matcher runs only where a candidate crosses the junction -----------

PHONES = ["+1 415 555 0134", "(415) 555-0134", "415.555.0134", "+44 20 7946 0958", "020 7946 0958",
          "+49 30 12345678", "030 1234567", "+7 912 345-67-89", "8 (912) 345-67-89", "+91 98765 43210",
          "+55 11 91234-5678", "+972 3-123-4567", "+33 1 23 45 67 89", "+1 415 555 0134 ext. 12",
          "+1-415-555-0134 x12", "+1 (415) 555-0134", "＋1 415 555 0134", "+1 415 555 0134;ext=7"]
WORDS = ["call me at ", "Phone: ", "tel. ", "", "my number is ", "(", "[", "ok.", "Request 5-39595-5. "]
ENDS = [" today.", "", ", thanks", " or mail", ")", "#", " 12", ".", "-Office"]


def _crossing(results: list[tuple[int, int]], junction: int) -> set[tuple[int, int]]:
    return {(a, b) for a, b in results if a < junction < b}


def test_the_phone_candidate_pattern_is_available() -> None:
    # a private name of phonenumbers: if a release renames it, seams quietly lose the speed-up
    # (not the findings); this says so
    assert _PHONE_CANDIDATE is not None


@given(before=st.sampled_from(WORDS), phone=st.sampled_from(PHONES), after=st.sampled_from(ENDS),
       noise=st.text(st.sampled_from("0123456789 +-().x#ext"), max_size=6), data=st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_seam_phone_recognizer_finds_every_number_across_the_junction(
        before: str, phone: str, after: str, noise: str, data: st.DataObject) -> None:
    """Presidio's recognizer and the seam one, on numbers with digits, separators and extensions
    around them, cut anywhere: every number the plain one finds across the junction, the gated
    one finds too."""
    text = before + noise + phone + after
    junction = data.draw(st.integers(1, len(text) - 1), label="junction")
    plain = PhoneRecognizer(context=list(PHONE_CONTEXT), supported_regions=PHONE_REGIONS)
    seam = SeamPhoneRecognizer(context=list(PHONE_CONTEXT), supported_regions=PHONE_REGIONS)
    want = _crossing([(r.start, r.end) for r in plain.analyze(text, ["PHONE_NUMBER"])], junction)
    token = JUNCTION.set(junction)
    try:
        got = _crossing([(r.start, r.end) for r in seam.analyze(text, ["PHONE_NUMBER"])], junction)
    finally:
        JUNCTION.reset(token)
    assert got == want
    if want:
        assert phone_may_cross(text, junction)


def test_a_seam_without_a_candidate_across_it_skips_the_matcher() -> None:
    text = "more detail on the topic.Request 5-39595-5. I have a Python service"
    junction = text.index("Request")
    assert not phone_may_cross(text, junction)
    assert phone_may_cross("call +1 415 555 0134", len("call +1 415"))
    assert phone_may_cross("call +1 415 555 0134", len("call +"))  # the number starts at the junction's left


def test_seams_read_with_their_junction_find_what_they_found_without_it(detector: Detector) -> None:
    """Over the public sets, with a junction inside every identifier and between words: what a
    seam reports across its junction is the same with the junction known (phone matcher gated,
    segments without it skipped) as without."""
    texts = [t for t in _public_texts() if any(ch.isdigit() for ch in t)][:150]
    checked = 0
    for text in texts:
        full = detector.scan(text, identifiers_only=True)
        junctions = {(s.start + s.end) // 2 for s in full.spans if s.end - s.start > 1}
        junctions |= {m.start() for m in re.finditer(r"(?<=\S) (?=\S)", text)}
        for j in sorted(junctions)[:12]:
            seam = text[max(0, j - 64):j + 64]
            at = j - max(0, j - 64)
            want = {(s.type, s.start, s.end) for s in detector.scan(seam, identifiers_only=True).spans
                    if s.start < at < s.end}
            got = {(s.type, s.start, s.end) for s in detector.scan(seam, identifiers_only=True, junction=at).spans
                   if s.start < at < s.end}
            assert got == want, (seam, at)
            checked += 1
    assert checked > 500
