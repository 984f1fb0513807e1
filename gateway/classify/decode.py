"""Runs of text that decode to other text: percent-encoding, HTML entities, base64.

``anna%40example.com``, ``anna&#64;example.com`` and ``YW5uYUBleGFtcGxlLmNvbQ==`` all carry an
e-mail address that a pattern on the raw text does not see. :func:`decoded_views` returns the
decoded readings of a text, each with a map back to the span of the original text it came from,
bounded in number and size so that decoding cannot become the expensive part of a scan.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

MAX_VIEWS = 16  # base64 runs decoded per text
MAX_DECODED = 64 * 1024  # characters of decoded text per text, in all

_ESCAPE = re.compile(
    r"(?:%[0-9A-Fa-f]{2})+"  # a run of percent escapes (decoded together: UTF-8 sequences)
    r"|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
_B64 = re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/_\-]{16,}={0,2}(?![A-Za-z0-9+/=_\-])")


@dataclass(frozen=True, slots=True)
class View:
    """A decoded reading: ``text[i]`` came from ``source[starts[i]:ends[i]]``."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """The source span of ``text[start:end]`` (a non-empty span)."""
        return self.starts[start], self.ends[end - 1]


def decoded_views(text: str) -> list[View]:
    views: list[View] = []
    budget = MAX_DECODED
    unescaped = _unescape(text)
    if unescaped is not None:
        views.append(unescaped)
        budget -= len(unescaped.text)
    for m in _B64.finditer(text):
        if len(views) >= MAX_VIEWS or budget <= 0:
            break
        decoded = _b64_text(m.group()[: budget * 4 // 3 + 4])
        if decoded is None:
            continue
        views.append(View(decoded, (m.start(),) * len(decoded), (m.end(),) * len(decoded)))
        budget -= len(decoded)
    return views


def _unescape(text: str) -> View | None:
    if "%" not in text and "&" not in text:
        return None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    changed = False
    for m in _ESCAPE.finditer(text):
        token = m.group()
        decoded = (unquote_to_bytes(token).decode("utf-8", "replace") if token[0] == "%"
                   else html.unescape(token))
        if decoded == token:
            continue
        changed = True
        for i in range(last, m.start()):
            out.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        out.append(decoded)
        starts.extend([m.start()] * len(decoded))
        ends.extend([m.end()] * len(decoded))
        last = m.end()
    if not changed:
        return None
    for i in range(last, len(text)):
        out.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return View("".join(out), tuple(starts), tuple(ends))


def _b64_text(run: str) -> str | None:
    """The text a base64 run encodes, if it is text (valid UTF-8, mostly printable, with letters)."""
    data = run.rstrip("=")
    if len(data) % 4 == 1:
        return None
    padded = data + "=" * (-len(data) % 4)
    try:
        raw = (base64.urlsafe_b64decode(padded) if ("-" in data or "_" in data)
               else base64.b64decode(padded, validate=True))
    except (binascii.Error, ValueError):
        return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for ch in decoded if ch.isprintable() or ch in "\n\t\r")
    letters = sum(1 for ch in decoded if ch.isalpha())
    if printable < 0.95 * len(decoded) or letters < 3:
        return None
    return decoded
