"""Runs that decode to text: percent-encoding, HTML entities, base64."""

from __future__ import annotations

import base64

from gateway.classify.decode import MAX_VIEWS, decoded_views


def test_percent_and_html_entities_in_one_view() -> None:
    text = "to anna%40example.com and bob&#64;example.org &amp; co"
    (view,) = decoded_views(text)
    assert view.text == "to anna@example.com and bob@example.org & co"
    start = view.text.index("anna@example.com")
    a, b = view.to_source(start, start + len("anna@example.com"))
    assert text[a:b] == "anna%40example.com"


def test_utf8_percent_sequences() -> None:
    (view,) = decoded_views("q=%D0%98%D0%B2%D0%B0%D0%BD")
    assert view.text == "q=Иван"


def test_base64_text_runs() -> None:
    run = base64.b64encode(b"anna.petrova@example.com").decode()
    text = f"payload {run} end"
    (view,) = decoded_views(text)
    assert view.text == "anna.petrova@example.com"
    assert view.to_source(0, len(view.text)) == (text.index(run), text.index(run) + len(run))
    urlsafe = base64.urlsafe_b64encode("почта: иван@пример.рф?".encode()).decode().rstrip("=")
    assert [v.text for v in decoded_views(urlsafe)] == ["почта: иван@пример.рф?"]


def test_binary_and_ordinary_words_are_not_decoded() -> None:
    binary = base64.b64encode(bytes(range(256))).decode()
    assert decoded_views(f"image {binary}") == []
    assert decoded_views("internationalization and 50% off, R&D") == []
    assert decoded_views("sha 3f786850e387550fdab836ed7e6dc881de23001b") == []


def test_bounded() -> None:
    run = base64.b64encode(b"some text to decode here").decode()
    views = decoded_views(" ".join([run] * (MAX_VIEWS + 10)))
    assert len(views) == MAX_VIEWS
