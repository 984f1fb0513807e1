"""Cheap lexical features: hashed word unigrams and bigrams, and a few cue counts.

Words are lower-cased and cut to a stem-like prefix (Cyrillic 6 letters, Latin 7) so that
Russian inflections share a feature. Hashing uses CRC32, which is the same in every process
(Python's ``hash`` is salted per process). Cue features count things that tell "our own, not
public" from "a textbook question": first-person plural, secrecy words, internal host names,
private addresses, money amounts, and the opposite cues (public, template, example).
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gateway.classify.semantic.encoders import F32, I64

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


def _stem(w: str) -> str:
    if "а" <= w[0] <= "я" or w[0] == "ё":
        return w[:6]
    return w[:7]


@dataclass(frozen=True)
class LexUnits:
    starts: I64
    ends: I64
    ids: I64  # hashed feature id of each unit (unigrams and bigrams, in text order)


def lex_units(text: str, bins: int) -> LexUnits:
    starts: list[int] = []
    ends: list[int] = []
    ids: list[int] = []
    prev: str | None = None
    prev_start = 0
    mask = bins - 1
    crc = zlib.crc32
    for m in _WORD.finditer(text.lower()):
        w = m.group()
        if w.isdigit():
            w = "<num>"
        else:
            w = _stem(w)
        starts.append(m.start())
        ends.append(m.end())
        ids.append(crc(w.encode()) & mask)
        if prev is not None:
            starts.append(prev_start)
            ends.append(m.end())
            ids.append(crc(f"{prev} {w}".encode()) & mask)
        prev, prev_start = w, m.start()
    order = np.argsort(np.asarray(ends, dtype=np.int64), kind="stable")
    return LexUnits(np.asarray(starts, dtype=np.int64)[order], np.asarray(ends, dtype=np.int64)[order],
                    np.asarray(ids, dtype=np.int64)[order])


def window_ids(lu: LexUnits, s: int, e: int) -> I64:
    """Hashed ids of the units inside [s, e)."""
    i1 = int(np.searchsorted(lu.ends, e, side="right"))
    sel = lu.starts[:i1] >= s
    out: I64 = lu.ids[:i1][sel]
    return out


_I = re.IGNORECASE
_CUES: list[re.Pattern[str]] = [
    # first person plural: our own business
    re.compile(r"\b(?:our|ours|we|we're|we've|we'll|us)\b|\b(?:наш\w*|мы|нас|нам|нами)\b", _I),
    # first person singular: my own situation
    re.compile(r"\b(?:my|i|me|i'm|i've|mine)\b|\b(?:мой|моя|моё|мое|мои|моего|моей|моих|мне|меня|я)\b", _I),
    # someone close: a relative or colleague's situation
    re.compile(r"\b(?:wife|husband|son|daughter|mother|father|mom|dad|sister|brother|colleague|patient)\b|"
               r"\b(?:жена|муж\w*|сын\w*|доч\w*|мам\w*|пап\w*|отц\w*|сестр\w*|брат\w*|коллег\w*|пациент\w*)\b", _I),
    # secrecy words
    re.compile(r"confidential|internal|not public|don'?t (?:share|forward|tell)|under (?:the )?nda|privileged|"
               r"between us|unannounced|not announced|embargo|secret|in confidence|only for|not yet|haven'?t told|"
               r"конфиденц|внутрен|не для|не публик|не пересыл|между нами|не анонс|не объявл|тайн|секрет|эмбарго|"
               r"только для|ещё не|еще не|не знают|не говорил", _I),
    # public / teaching cues
    re.compile(r"\b(?:public|publicly|published|announced|textbook|in general|generic|template|example|fictional|"
               r"made-up|sample|typical|usually|explain|what is|what are|how does|how do)\b|"
               r"публичн|опубликов|представил|в общих чертах|учебн|шаблон|пример|выдуманн|типов|обычно|объясни|"
               r"что такое|как работает|в целом", _I),
    # internal host names, services, schemas
    re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:internal|local|corp|lan|intra|svc|prod)\b|\b\w+[-_]prod\w*\b|"
               r"\bprod[-_]\w+", _I),
    # private addresses and CIDR blocks
    re.compile(r"\b(?:10\.\d{1,3}|192\.168|172\.(?:1[6-9]|2\d|3[01]))\.\d{1,3}(?:\.\d{1,3})?\b|\b\d+\.\d+\.\d+\.\d+/\d\d\b"),
    # money amounts
    re.compile(r"[$€£₽]\s?\d|\d\s?(?:[$€£₽]|k\b|m\b|bn\b|млн|млрд|тыс|руб)|\b(?:million|billion|rubles?|usd|eur)\b",
               _I),
    # percentages
    re.compile(r"\d\s?%|процент", _I),
]
_CODE = re.compile(r"[{}();=<>\[\]_/\\|]")
_DIGIT = re.compile(r"\d")
_CYR = re.compile(r"[а-яёА-ЯЁ]")
_ALPHA = re.compile(r"[^\W\d_]")

N_SHAPE = len(_CUES) + 6


def shape(text: str) -> F32:
    """Cue counts and shape of one window, each squashed to about 0..1."""
    n = max(len(text), 1)
    words = max(1, text.count(" ") + 1)
    out = np.empty(N_SHAPE, dtype=np.float32)
    for i, pat in enumerate(_CUES):
        out[i] = min(1.0, len(pat.findall(text)) / math.sqrt(words))
    letters = max(1, len(_ALPHA.findall(text)))
    k = len(_CUES)
    out[k] = math.log1p(n) / 9.0
    out[k + 1] = len(_DIGIT.findall(text)) / n * 4.0
    out[k + 2] = min(1.0, len(_CODE.findall(text)) / n * 10.0)
    out[k + 3] = len(_CYR.findall(text)) / letters
    out[k + 4] = min(1.0, text.count("\n") / 20.0)
    out[k + 5] = min(1.0, text.count("?") / 3.0)
    return out


def shape_rows(text: str, spans: NDArray[np.int64]) -> F32:
    return np.stack([shape(text[s:e]) for s, e in spans]) if len(spans) else np.zeros((0, N_SHAPE), np.float32)
