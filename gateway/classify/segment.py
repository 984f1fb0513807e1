"""Cutting text into sentences and segments, and deciding which sentences need NER.

NER is the expensive step. A sentence can only hold a name if it has a capitalised word that is
not just the first word of the sentence, or two capitalised words in a row; sentences without
one skip NER. Segments (runs of sentences up to ``MAX_SEGMENT`` characters) bound the work of
each regex pass and keep context words next to their values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SEGMENT = 3000
_BOUNDARY = re.compile(r"[.!?…]+[\"'»)\]]*(?=\s)|\n")
_CAP = re.compile(r"(?<![\w'’])([A-ZÀ-ÖØ-ÞА-ЯЁ][a-zß-öø-ÿа-яё'’\-]+)")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")


@dataclass(frozen=True)
class Piece:
    start: int
    end: int


def sentences(text: str) -> list[Piece]:
    out: list[Piece] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.end() > start:
            out.append(Piece(start, m.end()))
            start = m.end()
    if start < len(text):
        out.append(Piece(start, len(text)))
    return _split_long(text, out)


def _split_long(text: str, pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for p in pieces:
        start = p.start
        while p.end - start > MAX_SEGMENT:
            cut = text.rfind(" ", start + MAX_SEGMENT // 2, start + MAX_SEGMENT)
            cut = cut + 1 if cut > 0 else start + MAX_SEGMENT
            out.append(Piece(start, cut))
            start = cut
        out.append(Piece(start, p.end))
    return out


def segments(text: str, pieces: list[Piece]) -> list[Piece]:
    """Consecutive sentences joined into segments of at most ``MAX_SEGMENT`` characters."""
    out: list[Piece] = []
    start = end = 0
    for p in pieces:
        if p.end - start > MAX_SEGMENT and end > start:
            out.append(Piece(start, end))
            start = p.start
        end = p.end
    if end > start:
        out.append(Piece(start, end))
    return out


def may_hold_name(sentence: str) -> bool:
    """A capitalised word after the first word, or two capitalised words in a row."""
    words = _WORD.findall(sentence)
    for i, w in enumerate(words):
        if not _CAP.fullmatch(w) or w == "I":
            continue
        if i > 0:
            return True
        if len(words) > 1 and _CAP.fullmatch(words[1]):
            return True
    return False
