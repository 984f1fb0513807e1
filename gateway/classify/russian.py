"""Russian NER with natasha (its weights ship inside the ``natasha`` / ``navec`` packages).

``PER`` -> ``PERSON``, ``LOC`` -> ``LOCATION``, ``ORG`` -> ``ORGANIZATION``. Only run on text
detected as Russian. Natasha's tagger reports no confidence: spans get fixed scores, PERSON
above the policy threshold (a ФИО is personal data), the rest below it is irrelevant for routing.

Precision filters on ``PER`` (pymorphy2, which natasha itself depends on, gives the word class):
a one-word span that is not a noun or adjective (an imperative such as «Объясни» opening a
prompt) is dropped; a name used as an eponym («алгоритм Дейкстры», «в стиле Пушкина») or with a
regnal epithet («Пётр Первый», «Иван Грозный») names a historical or public figure and is scored
below the threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter
from pymorphy2 import MorphAnalyzer

LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
SCORES = {"PERSON": 0.85, "LOCATION": 0.85, "ORGANIZATION": 0.6}
PUBLIC_FIGURE_SCORE = 0.4
_NAME_POS = frozenset({"NOUN", "ADJF", "ADJS", None})
# Nouns that turn a following surname into an eponym (the thing, not the person).
_EPONYM = re.compile(
    r"(?i)(?:алгоритм|теорем|закон|метод|принцип|стил|эффект|уравнени|формул|преми|задач|гипотез|"
    r"правил|схем|тест|модел|критери|числ|констант|парадокс|лемм|неравенств|ряд|преобразовани|"
    r"распределени|машин|шкал|цикл|музе|проспект|улиц|имени|им\.)\w*\s+$"
)
_EPITHET = frozenset({"первый", "второй", "третий", "четвёртый", "четвертый", "пятый", "шестой", "седьмой",
                      "великий", "грозный", "мудрый", "святой", "благословенный", "освободитель", "миротворец",
                      "тишайший", "кроткий", "долгорукий", "донской", "невский", "калита"})


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int
    score: float


class RussianNer:
    """Loads natasha's segmenter, embeddings and NER tagger once; ``find`` is then pure CPU."""

    def __init__(self, embedding: NewsEmbedding | None = None) -> None:
        """``embedding``: natasha's word vectors when the process has them loaded already (the
        semantic scorer reads the same table)."""
        self._segmenter = Segmenter()
        self._tagger = NewsNERTagger(embedding if embedding is not None else NewsEmbedding())
        self._morph = MorphAnalyzer()

    def find(self, text: str) -> list[Span]:
        doc = Doc(text)
        doc.segment(self._segmenter)
        doc.tag_ner(self._tagger)
        out: list[Span] = []
        for span in doc.spans:
            kind = LABELS.get(span.type)
            if kind is None:
                continue
            score = SCORES[kind]
            if kind == "PERSON":
                words = span.text.split()
                if len(words) == 1 and self._morph.parse(words[0])[0].tag.POS not in _NAME_POS:
                    continue
                if _EPONYM.search(text[max(0, span.start - 40):span.start]) or (
                        len(words) > 1 and self._morph.parse(words[-1])[0].normal_form in _EPITHET):
                    score = PUBLIC_FIGURE_SCORE
            out.append(Span(kind, span.start, span.stop, score))
        return out
