"""Text normalisation before detection, with offsets kept meaningful.

The detector's patterns are written for plain text. What defeats them is cheap to write: fullwidth
digits (``４１１１``), ``＠``, zero-width spaces or soft hyphens inside an e-mail, a card or a key,
no-break spaces between digit groups, Arabic-Indic or Devanagari digits, typographic dashes. So
every text is first rewritten character by character:

* invisible and format characters are removed (Unicode category Cf: zero-width space and joiners,
  soft hyphen, word joiner, BOM, bidirectional controls, tags; plus variation selectors, the
  combining grapheme joiner and the invisible Hangul fillers);
* every decimal digit becomes its ASCII digit;
* every space separator becomes a plain space, line and paragraph separators a new line;
* every dash (Pd) and the minus sign become ``-``;
* everything else is NFKC-normalised (compatibility forms: fullwidth letters, ``＠``, ligatures,
  circled and superscript digits).

:class:`Normalized` maps every character of the result back to the character it came from, so a
finding in the normalised text is reported at its place in the original one (where redaction
needs it). Text of ASCII and Cyrillic letters only is returned as it is, without any work.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass

# Characters outside these ranges may need rewriting; text without any is left as it is.
_MAY_CHANGE = re.compile(r"[^\x00-\x7f\u0400-\u04ff]")
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u3164\uffa0\u2800"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
_DASHES = frozenset("\u2212\u2043\u2796\ufe63\uff0d")
# Kept as they are: NFKC would spell them out ("№" -> "No"), and recognizers read them as written.
_KEEP = frozenset("\u2116")


@functools.lru_cache(maxsize=4096)
def rewrite_char(ch: str) -> str:
    """What one character becomes (may be empty or several characters)."""
    if ch in _INVISIBLE or 0xE0100 <= ord(ch) <= 0xE01EF:
        return ""
    if ch in _KEEP:
        return ch
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    if category == "Nd":
        return str(unicodedata.digit(ch))
    if category == "Zs":
        return " "
    if category in ("Zl", "Zp"):
        return "\n"
    if category == "Pd" or ch in _DASHES:
        return "-"
    out = unicodedata.normalize("NFKC", ch)
    if out == ch:
        return ch
    return "".join(rewrite_char(c) if c != ch else c for c in out)


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text and, when it differs from the original, the index in the original of
    the character each of its characters came from."""

    text: str
    origin: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]`` (characters removed inside it included)."""
        if self.origin is None or end <= start:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1

    def from_original(self, index: int) -> int:
        """The offset in ``text`` of the first character that came from ``index`` or later in
        the original: a span of ``text`` crosses it exactly when its original span crosses
        ``index``."""
        return index if self.origin is None else bisect.bisect_left(self.origin, index)


def normalize(text: str) -> Normalized:
    if _MAY_CHANGE.search(text) is None:
        return Normalized(text)
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch < "\x80" or "\u0400" <= ch <= "\u04ff":
            out.append(ch)
            origin.append(i)
            continue
        new = rewrite_char(ch)
        out.append(new)
        origin.extend([i] * len(new))
    result = "".join(out)
    if result == text:
        return Normalized(text)
    return Normalized(result, tuple(origin))
