"""Where the scorer looks: sentence spans packed into overlapping windows.

A confidential sentence inside a long pasted e-mail or report is diluted in a whole-text average,
so categories are scored per window (a run of consecutive sentences of at most ``window_chars``
characters, one window starting at each sentence) and the highest window wins. Short texts are
also scored whole. The number of windows is bounded: beyond ``max_windows`` they are taken at
evenly spaced sentences, so every part of a long text is still represented.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"[.!?…;]+[\"'»)\]]*(?=\s)|\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence or line that holds a letter or digit."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.end() > start:
            out.append((start, m.end()))
            start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return [(s, e) for s, e in out if any(ch.isalnum() for ch in text[s:e])]


def windows(text: str, window_chars: int, max_windows: int) -> list[tuple[int, int]]:
    """Windows of consecutive sentences; a sentence longer than a window is a window alone."""
    spans = sentence_spans(text)
    if len(spans) <= 1:
        return [(0, len(text))] if text.strip() else []
    out: list[tuple[int, int]] = []
    j = 0
    for i, (s, _) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - s <= window_chars:
            j += 1
        w = (s, spans[j][1])
        if not out or w[1] > out[-1][1]:  # a window inside the previous one adds nothing
            out.append(w)
    if len(out) > max_windows:
        step = len(out) / max_windows
        out = [out[int(k * step)] for k in range(max_windows)]
    return out
