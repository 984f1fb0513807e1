"""Normalisation before detection: what it rewrites, and that offsets map back."""

from __future__ import annotations

import pytest

from gateway.classify.normalize import normalize


@pytest.mark.parametrize(("raw", "expected"), [
    ("plain ascii", "plain ascii"),
    ("Привет, мир", "Привет, мир"),
    ("４１１１ １１１１", "4111 1111"),  # fullwidth digits and ideographic space
    ("anna＠example．com", "anna@example.com"),
    ("an\u200bna@exa\u200dmple.com", "anna@example.com"),  # zero-width space and joiner
    ("anna\u00ad@example.com", "anna@example.com"),  # soft hyphen
    ("\ufeffsk-\u2060abc", "sk-abc"),  # BOM, word joiner
    ("4111\u00a01111\u202f1111\u20091111", "4111 1111 1111 1111"),  # no-break, narrow, thin spaces
    ("٤١١١ ०१२३", "4111 0123"),  # Arabic-Indic, Devanagari digits
    ("112\u2013233\u2014445\u2212 95", "112-233-445- 95"),  # dashes and minus
    ("ﬁle ①②", "file 12"),  # ligature, circled digits
    ("a\u2028b", "a\nb"),
    ("паспорт № 4509", "паспорт № 4509"),  # kept: NFKC would make it "No"
    ("x\ufe0fy\u034fz", "xyz"),  # variation selector, combining grapheme joiner
])
def test_rewrites(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


def test_unchanged_text_has_no_map() -> None:
    assert normalize("hello").origin is None
    assert normalize("ёжик 123").origin is None


def test_offsets_map_back_to_the_original() -> None:
    raw = "mail: an\u200bna＠exam\u00adple.com ok"
    norm = normalize(raw)
    start = norm.text.index("anna@example.com")
    a, b = norm.to_original(start, start + len("anna@example.com"))
    assert raw[a:b] == "an\u200bna＠exam\u00adple.com"
    assert norm.to_original(0, 4) == (0, 4)


@pytest.mark.parametrize("raw", ["4111\u200b1111 1111 1111", "ﬁle ①② an\u00adna＠x.com", "plain text here"])
def test_a_span_crosses_an_offset_in_the_normalised_text_exactly_when_it_does_in_the_original(raw: str) -> None:
    norm = normalize(raw)
    n = len(norm.text)
    for junction in range(len(raw) + 1):
        at = norm.from_original(junction)
        for start in range(n):
            for end in range(start + 1, n + 1):
                a, b = norm.to_original(start, end)
                assert (start < at < end) == (a < junction < b), (junction, start, end)
