"""Cheap language detection: the share of Cyrillic among the letters of a text."""

from __future__ import annotations

CYRILLIC_SHARE = 0.3


def cyrillic_share(text: str) -> float:
    letters = cyr = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            if "\u0400" <= ch <= "\u04ff":
                cyr += 1
    return cyr / letters if letters else 0.0


def detect_language(text: str) -> str | None:
    """``"ru"`` when at least 30 % of the letters are Cyrillic, ``"en"`` when the text has
    letters otherwise, ``None`` for text without letters (numbers, symbols)."""
    share = cyrillic_share(text)
    if share >= CYRILLIC_SHARE:
        return "ru"
    return "en" if any(ch.isalpha() for ch in text) else None
