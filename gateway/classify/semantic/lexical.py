"""Cheap lexical features: hashed word unigrams and bigrams, and a few cue counts.

Words are lower-cased and cut to a stem-like prefix (Cyrillic 6 letters, Latin 7) so that
Russian inflections share a feature. Hashing uses CRC32, which is the same in every process
(Python's ``hash`` is salted per process). Cue features count things that tell "our own, not
public" from "a textbook question": first-person plural, secrecy words, internal host names,
private addresses, money amounts, and the opposite cues (public, template, example).
"""

from __future__ import annotations

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


def _cue_table() -> dict[str, tuple[int, ...]]:
    """Stem (or stem bigram) -> the indexes of the word cues of ``_WORD_CUES`` it belongs to."""
    table: dict[str, tuple[int, ...]] = {}
    for i, words in enumerate(_WORD_CUES):
        for phrase in words.split("|"):
            key = " ".join(_stem(w) for w in phrase.split())
            if i not in table.get(key, ()):
                table[key] = (*table.get(key, ()), i)
    return table


# Word cues: what tells "our own, not public" from "a textbook question". Matched on stems.
_WORD_CUES = [
    # first person plural: our own business
    "our|ours|we|we're|we've|we'll|наш|наша|наше|наши|нашего|нашей|нашему|нашим|нашими|наших|нашу|мы|нас|нам|нами",
    # first person singular: my own situation
    "my|i|me|i'm|i've|mine|мой|моя|моё|мое|мои|моего|моей|моих|моему|мне|меня|я|мной",
    # someone close: a relative, colleague or patient
    "wife|husband|son|daughter|mother|father|mom|dad|sister|brother|colleague|patient|grandmother|grandfather|"
    "жена|жены|муж|мужа|мужу|сын|сына|сыну|дочь|дочери|мама|мамы|маме|папа|папы|отец|отца|отцу|сестра|сестры|сестре|"
    "брат|брата|коллега|коллеги|коллеге|пациент|пациента|пациентка|бабушка|бабушке|дедушка|дедушке",
    # secrecy
    "confidential|confidentially|internal|internally|privileged|unannounced|embargo|embargoed|secret|secretly|nda|"
    "proprietary|unreleased|undisclosed|not public|don't share|dont share|don't forward|not announced|between us|"
    "in confidence|haven't told|not yet|under nda|only for|nobody knows|"
    "конфиденциально|конфиденциальный|внутренний|внутренняя|внутреннее|внутренние|тайна|тайну|тайне|секрет|секретный|"
    "эмбарго|неанонсированный|невыпущенный|не для|не публиковать|между нами|не анонсировано|ещё не|еще не|"
    "не знают|не говорили|не пересылайте|только для|не распространять|никто не",
    # public, teaching, generic
    "public|publicly|published|announced|textbook|generic|template|example|fictional|made up|sample|typical|usually|"
    "explain|in general|what is|what are|how does|how do|публичный|публичная|публично|опубликовал|опубликовала|"
    "опубликованный|учебный|учебная|учебной|шаблон|пример|примеры|выдуманный|выдуманная|типовой|типовая|обычно|"
    "объясни|в общих|что такое|как работает|в целом",
    # money words
    "million|billion|rubles|ruble|usd|eur|bn|млн|млрд|тыс|руб|рублей|рубля",
    # percentages
    "percent|процент|процентов|процента",
    # asks that take several steps (complexity)
    "prove|derive|design|architecture|implement|algorithm|optimize|analyze|analyse|compare|tradeoffs|trade-offs|"
    "pros and cons|plan|strategy|step by step|explain why|why does|debug|refactor|estimate|forecast|essay|story|"
    "schedule|itinerary|write a function|write a script|write a class|complexity|constraints|"
    "докажи|выведи|спроектируй|архитектуру|реализуй|алгоритм|оптимизируй|проанализируй|разбери|сравни|"
    "плюсы и минусы|спланируй|стратегию|по шагам|пошагово|почему|отладь|отрефактори|оцени|прогноз|эссе|рассказ|"
    "расписание|маршрут|напиши функцию|напиши скрипт|напиши класс|сложность|условия|ограничения",
    # asks of one step (complexity)
    "translate|spell|spelling|grammar|fix|correct|synonym|synonyms|what is|who|when|where|how many|how much|"
    "convert|capital|define|meaning|shorten|summarize|joke|hi|hello|thanks|"
    "переведи|орфографию|исправь|синоним|синонимы|кто|когда|где|сколько|столица|значит|сократи|перескажи|"
    "анекдот|привет|спасибо",
    # framing that makes the matter not the writer's own: hypothetical, fiction, role play, exercises
    "imagine|suppose|pretend|hypothetical|hypothetically|fictional|fiction|story|stories|novel|character|"
    "characters|role|roleplay|act as|scenario|puzzle|riddle|assume|let's say|once upon|protagonist|plot|poem|"
    "game|quiz|exercise|homework|students|you are|you're a|yourself|your task|reviews|review|rate|"
    "представь|представьте|вообрази|вообразите|допустим|предположим|гипотетически|вымышленный|вымышленная|"
    "вымышленной|рассказ|рассказа|роман|персонаж|персонажа|роль|роли|сыграй|сценарий|загадка|задача|задачу|"
    "задачи|сюжет|стихотворение|игра|игры|упражнение|домашнее|студенты|школьники|ты врач|отзывы|отзыв|оцени",
    # a real, current situation: time deixis, pasted material, people of the writer's organisation
    "today|tomorrow|yesterday|tonight|asap|right now|next week|last week|this week|this quarter|deadline|"
    "attached|below|pasted|forwarded|fyi|boss|manager|ceo|cfo|cto|board|client|vendor|lawyers|team|"
    "сегодня|завтра|вчера|сейчас|срочно|на этой|на следующей|на прошлой|дедлайн|во вложении|прилагаю|"
    "пересылаю|ниже|шеф|начальник|руководитель|директор|финдиректор|гендиректор|совет директоров|клиент|"
    "клиента|юристы|юрист|команда|команде",
]
_CUE_IDS: dict[str, tuple[int, ...]] = _cue_table()  # a constant, built once at import


@dataclass(frozen=True)
class LexUnits:
    starts: I64
    ends: I64
    ids: I64  # hashed feature id of each unit (unigrams and bigrams, in text order)
    cues: list[I64]  # per word cue: sorted start offsets of its matches


def lex_units(text: str, bins: int) -> LexUnits:
    """Hashed unigrams and bigrams of ``text`` with their spans (ends are non-decreasing: a
    bigram is appended right after the unigram that ends it), and the word cues' offsets."""
    cue_ids = _CUE_IDS
    spans: list[tuple[int, int]] = []
    ids: list[int] = []
    cues: list[list[int]] = [[] for _ in _WORD_CUES]
    prev = ""
    prev_start = -1
    mask = bins - 1
    crc = zlib.crc32
    for m in _WORD.finditer(text.lower()):
        w = m.group()
        if w.isdigit():
            w = "<num>"
        elif "а" <= w[0] <= "я" or w[0] == "ё":
            w = w[:6]
        else:
            w = w[:7]
        st, en = m.span()
        spans.append((st, en))
        ids.append(crc(w.encode()) & mask)
        hit = cue_ids.get(w)
        if hit is not None:
            for c in hit:
                cues[c].append(st)
        if prev_start >= 0:
            bigram = f"{prev} {w}"
            spans.append((prev_start, en))
            ids.append(crc(bigram.encode()) & mask)
            hit = cue_ids.get(bigram)
            if hit is not None:
                for c in hit:
                    cues[c].append(prev_start)
        prev, prev_start = w, st
    arr = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    return LexUnits(arr[:, 0].copy(), arr[:, 1].copy(), np.asarray(ids, dtype=np.int64),
                    [np.asarray(sorted(c), dtype=np.int64) for c in cues])


def window_ids(lu: LexUnits, s: int, e: int) -> I64:
    """Hashed ids of the units inside [s, e)."""
    i1 = int(np.searchsorted(lu.ends, e, side="right"))
    sel = lu.starts[:i1] >= s
    out: I64 = lu.ids[:i1][sel]
    return out


_CHAR_CUES = [
    # internal host names, services, schemas (suffixes only: linear-time patterns)
    re.compile(r"\.(?:internal|local|corp|lan|intra|svc|prod)\b|\b\w+[-_]prod\b|\bprod[-_]\w"),
    # private addresses and CIDR blocks
    re.compile(r"\b(?:10\.\d{1,3}|192\.168|172\.(?:1[6-9]|2\d|3[01]))\.\d{1,3}(?:\.\d{1,3})?\b|\b\d+\.\d+\.\d+\.\d+/\d\d\b"),
    # dates and reporting periods: a quarter, a year, a day of the month
    re.compile(r"\bq[1-4]\b|\b(?:fy|h[12])[- ]?\d\d\b|\b(?:19|20)\d\d\b|\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b"),
    # internal names: ticket ids, code names of projects
    re.compile(r"\b[a-z]{2,}-\d{2,}\b|\b(?:project|codename|проект\w*|кодов\w*)\s+[«\"']?\w"),
]
_CURRENCY = np.frombuffer("$€£₽%".encode("utf-32-le"), dtype=np.uint32)
_CODE = np.frombuffer("{}();=<>[]_/\\|".encode("utf-32-le"), dtype=np.uint32)

N_CUES = len(_WORD_CUES) + len(_CHAR_CUES)
N_SHAPE = N_CUES + 7


@dataclass(frozen=True)
class TextShape:
    """Per text, once: prefix sums of character classes and the start offsets of every cue."""

    cum: NDArray[np.int64]  # (len + 1, 8): space, digit, cyrillic, latin, code, newline, "?", currency
    cues: list[I64]


def text_shape(text: str, lu: LexUnits) -> TextShape:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    classes = np.empty((len(codes) + 1, 8), dtype=np.int64)
    classes[0] = 0
    m = classes[1:]
    m[:, 0] = codes == 32
    m[:, 1] = (codes >= 48) & (codes <= 57)
    m[:, 2] = (codes >= 0x400) & (codes <= 0x4FF)
    m[:, 3] = ((codes >= 65) & (codes <= 90)) | ((codes >= 97) & (codes <= 122))
    m[:, 4] = np.isin(codes, _CODE)
    m[:, 5] = codes == 10
    m[:, 6] = codes == 63
    m[:, 7] = np.isin(codes, _CURRENCY)
    np.cumsum(classes, axis=0, out=classes)
    low = text.lower()
    char_cues = [np.fromiter((mt.start() for mt in pat.finditer(low)), dtype=np.int64) for pat in _CHAR_CUES]
    return TextShape(classes, lu.cues + char_cues)


def shape_rows(ts: TextShape, spans: NDArray[np.int64]) -> F32:
    """Cue counts and shape of each [start, end) span, each squashed to about 0..1.

    Cues are matched once over the whole text and counted per span by their start offset;
    character classes are prefix sums, so a span costs O(1) whatever its length."""
    k = N_CUES
    out = np.zeros((len(spans), N_SHAPE), dtype=np.float32)
    if not len(spans):
        return out
    s, e = spans[:, 0], spans[:, 1]
    c = (ts.cum[e] - ts.cum[s]).astype(np.float64)  # (spans, 8)
    n = np.maximum(e - s, 1).astype(np.float64)
    words = c[:, 0] + 1.0
    root_words = np.sqrt(words)
    for i, starts in enumerate(ts.cues):
        if not len(starts):
            continue  # most cues have no match in a given text
        hits = np.searchsorted(starts, e, side="left") - np.searchsorted(starts, s, side="left")
        out[:, i] = np.minimum(1.0, hits / root_words)
    letters = np.maximum(c[:, 2] + c[:, 3], 1.0)
    out[:, k] = np.log1p(n) / 9.0
    out[:, k + 1] = c[:, 1] / n * 4.0
    out[:, k + 2] = np.minimum(1.0, c[:, 4] / n * 10.0)
    out[:, k + 3] = c[:, 2] / letters
    out[:, k + 4] = np.minimum(1.0, c[:, 5] / 20.0)
    out[:, k + 5] = np.minimum(1.0, c[:, 6] / 3.0)
    out[:, k + 6] = np.minimum(1.0, c[:, 7] / root_words)
    return out
