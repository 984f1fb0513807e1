"""Russian NER with natasha (its weights ship inside the ``natasha`` / ``navec`` packages).

``PER`` -> ``PERSON``, ``LOC`` -> ``LOCATION``, ``ORG`` -> ``ORGANIZATION``. Only run on text
detected as Russian. Natasha's tagger reports no confidence: spans get fixed scores, PERSON
above the policy threshold (a ФИО is personal data), the rest below it is irrelevant for routing.
"""

from __future__ import annotations

from dataclasses import dataclass

from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
SCORES = {"PERSON": 0.85, "LOCATION": 0.85, "ORGANIZATION": 0.6}


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int
    score: float


class RussianNer:
    """Loads natasha's segmenter, embeddings and NER tagger once; ``find`` is then pure CPU."""

    def __init__(self) -> None:
        self._segmenter = Segmenter()
        self._tagger = NewsNERTagger(NewsEmbedding())

    def find(self, text: str) -> list[Span]:
        doc = Doc(text)
        doc.segment(self._segmenter)
        doc.tag_ner(self._tagger)
        out: list[Span] = []
        for span in doc.spans:
            kind = LABELS.get(span.type)
            if kind is not None:
                out.append(Span(kind, span.start, span.stop, SCORES[kind]))
        return out
