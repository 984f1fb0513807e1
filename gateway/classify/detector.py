"""The synchronous, CPU-bound detector: text parts in, entities out.

Per text part: the language is detected (share of Cyrillic); the text is cut into sentences and
segments; spaCy NER runs only on English sentences that may hold a name, natasha only on Russian
ones; Presidio's recognizers (regexes with checksums and context) run on every segment, limited
to the types the segment can hold (no digits: no identifiers; no ``@``: no e-mail). Overlapping
findings are resolved in favour of personal types, then higher scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from natasha import NewsEmbedding

from gateway.classify.decode import decoded_views
from gateway.classify.engine import Engine, build_engine
from gateway.classify.gates import JUNCTION
from gateway.classify.lang import detect_language
from gateway.classify.normalize import normalize
from gateway.classify.russian import LABELS, RussianNer
from gateway.classify.segment import Piece, may_hold_name, segments, sentences
from gateway.classify.semantic import SemanticConfig, SemanticResult, SemanticScorer
from gateway.classify.types import DIGIT_TYPES, PERSONAL_TYPES
from gateway.config import ClassifierConfig

_PERSONAL = frozenset(PERSONAL_TYPES)
# Identifiers validated by a check digit win ties against generic shapes (cards, phones).
_CHECKED = frozenset({"RU_SNILS", "RU_INN", "RU_OGRN", "RU_OMS", "RU_BANK_ACCOUNT"})
_NER_TYPES = frozenset({"PERSON", "LOCATION", "NRP", "DATE_TIME"})
# Not read in a seam (``identifiers_only``): names need NER; and a seam joins two strings without a
# separator, so a system prompt's last word and the user's first read as a domain name
# ("assistant." + "Can you" -> "assistant.Ca", Canada's domain): a URL would be found across
# nearly every seam after a sentence.
_NOT_IN_SEAMS = _NER_TYPES | {"URL"}
MAX_DEPTH = 2  # decoded text inside decoded text, at most
_WARM_TEXT = (
    "Hello, my name is John Smith, I live at 24 Clarke Avenue and my e-mail is john@example.com. "
    "Меня зовут Иван Петров, телефон +7 (912) 345-67-89."
)


@dataclass(frozen=True)
class Span:
    type: str
    score: float
    start: int
    end: int


@dataclass(frozen=True)
class TextResult:
    """What one text part holds: spans (offsets into that text) and its language."""

    spans: tuple[Span, ...]
    language: str | None


class Detector:
    """Loads the models once (``__init__``) and then scans text; not thread-safe per call
    ordering guarantees aside, it holds no per-request state."""

    def __init__(self, cfg: ClassifierConfig) -> None:
        self._cfg = cfg
        self._engine: Engine = build_engine(cfg)
        # natasha's word vectors serve the Russian NER and the semantic scorer: loaded once
        embedding = NewsEmbedding() if "ru" in cfg.languages or cfg.semantic else None
        self._russian = RussianNer(embedding) if "ru" in cfg.languages else None
        self._custom = frozenset(e for r in cfg.recognizers if isinstance(e := r.get("supported_entity"), str))
        self._scorer = SemanticScorer(SemanticConfig(), navec=embedding) if cfg.semantic else None

    def semantic(self, text: str) -> SemanticResult:
        """Confidential categories and complexity of ``text`` (normalised first)."""
        if self._scorer is None:
            raise RuntimeError("the semantic model is turned off (classifier.semantic: false)")
        return self._scorer.score(normalize(text).text)

    @property
    def reported_types(self) -> frozenset[str]:
        """Every entity type this detector can report."""
        russian = frozenset(LABELS.values()) if self._russian is not None else frozenset()
        return frozenset(self._engine.entities) | russian | self._custom

    def warm_up(self) -> None:
        """Run every model once so the first real request does not pay for lazy set-up."""
        self.scan(_WARM_TEXT)
        if self._scorer is not None:
            self._scorer.score(_WARM_TEXT)

    def scan(self, text: str, *, identifiers_only: bool = False, junction: int | None = None,
             depth: int = 0) -> TextResult:
        """Findings in ``text``, with offsets into ``text`` as given.

        The text is normalised first (see :mod:`gateway.classify.normalize`); runs that decode to
        text (percent-encoding, HTML entities, base64) are read decoded too, up to ``MAX_DEPTH``
        levels, and a finding there is reported on the run it came from. ``identifiers_only``
        skips names (no NER) and URLs: for the short seams between two strings of a request.
        ``junction`` (a seam's) says that only findings across that offset are wanted: work that
        cannot produce one is skipped (other findings may still be reported)."""
        norm = normalize(text)
        at = None if junction is None else norm.from_original(junction)
        found = self._scan_plain(norm.text, identifiers_only, at)
        spans = [Span(s.type, s.score, *norm.to_original(s.start, s.end)) for s in found.spans]
        if depth < MAX_DEPTH:
            for view in decoded_views(norm.text):
                inner = self.scan(view.text, identifiers_only=identifiers_only, depth=depth + 1)
                for s in inner.spans:
                    start, end = view.to_source(s.start, s.end)
                    spans.append(Span(s.type, s.score, *norm.to_original(start, end)))
        return TextResult(tuple(resolve(spans)), found.language)

    def _scan_plain(self, text: str, identifiers_only: bool, junction: int | None) -> TextResult:
        language = detect_language(text)
        if language is None and not any(ch.isdigit() for ch in text):
            return TextResult((), None)
        pieces = sentences(text)
        ner_spans = {} if identifiers_only else self._ner(text, pieces)
        found: list[Span] = []
        for seg in segments(text, pieces):
            if junction is None:
                found.extend(self._analyze(text, seg, ner_spans, identifiers_only))
            elif seg.start < junction < seg.end:  # no value inside another segment crosses it
                token = JUNCTION.set(junction - seg.start)
                try:
                    found.extend(self._analyze(text, seg, ner_spans, identifiers_only))
                finally:
                    JUNCTION.reset(token)
        return TextResult(tuple(resolve(found)), language)

    def _ner(self, text: str, pieces: list[Piece]) -> dict[int, list[Span]]:
        """NER spans (absolute offsets) keyed by the start of the sentence they are in."""
        en: list[Piece] = []
        out: dict[int, list[Span]] = {}
        for p in pieces:
            sentence = text[p.start:p.end]
            if not may_hold_name(sentence):
                continue
            if detect_language(sentence) == "ru":
                if self._russian is not None:
                    out[p.start] = [Span(s.type, s.score, p.start + s.start, p.start + s.end)
                                    for s in self._russian.find(sentence)]
            elif "en" in self._cfg.languages:
                en.append(p)
        nlp = self._engine.nlp.language
        for p, doc in zip(en, nlp.pipe(text[p.start:p.end] for p in en), strict=True):
            out[p.start] = [Span(e.label_, 0.0, p.start + e.start_char, p.start + e.end_char) for e in doc.ents
                            if not (e.label_ == "PERSON" and self._not_a_person(e.text, e.start == 0))]
        return out

    def _not_a_person(self, name: str, sentence_start: bool) -> bool:
        """A spaCy PERSON that ends in an English word and starts with no known name ("Samsung
        Galaxy", "Anavilhanas Archipelago", "Iron Man", or one word opening the sentence, "Embark",
        "Generate"): a product, a place or an imperative verb. "Harry Potter", "Lisa Brown" keep
        their label (a given name opens them)."""
        names = self._engine.names
        words = name.split()
        if not names.words or len(words) < (1 if sentence_start else 2):
            return False
        first = words[0].strip(".,'’")
        return (words[-1].lower() in names.words and first not in names.all and first not in names.surnames
                and not any(ch.isdigit() for ch in name))

    def _analyze(self, text: str, seg: Piece, ner: dict[int, list[Span]], identifiers_only: bool = False
                 ) -> list[Span]:
        chunk = text[seg.start:seg.end]
        doc = self._engine.nlp.language.make_doc(chunk)
        spacy_ents = []
        natasha: list[Span] = []
        for start, spans in ner.items():
            if not seg.start <= start < seg.end:
                continue
            for s in spans:
                if s.score == 0.0:  # a spaCy label, turned into a Presidio entity below
                    ent = doc.char_span(s.start - seg.start, s.end - seg.start, label=s.type,
                                        alignment_mode="expand")
                    if ent is not None:
                        spacy_ents.append(ent)
                else:
                    natasha.append(s)
        try:
            doc.set_ents(spacy_ents)
        except ValueError:  # overlapping spans after re-tokenisation: keep what fits
            doc.set_ents([e for i, e in enumerate(spacy_ents)
                          if all(e.end <= o.start or e.start >= o.end for o in spacy_ents[:i])])
        wanted = self._wanted(chunk, bool(spacy_ents))
        if identifiers_only:
            wanted = [w for w in wanted if w not in _NOT_IN_SEAMS]
        results = self._engine.analyzer.analyze(
            chunk, "en", entities=wanted, nlp_artifacts=self._engine.nlp.artifacts(doc),
            regex_flags=re.MULTILINE,
        )
        out = [Span(r.entity_type, round(r.score, 4), seg.start + r.start, seg.start + r.end) for r in results]
        return out + natasha

    def _wanted(self, chunk: str, has_ner: bool) -> list[str]:
        wanted = set(self._engine.entities)
        if not any(ch.isdigit() for ch in chunk):
            wanted -= DIGIT_TYPES
        if "@" not in chunk:
            wanted.discard("EMAIL_ADDRESS")
        if not has_ner:
            wanted -= _NER_TYPES - {"PERSON"}
        return sorted(wanted | self._custom)


def resolve(spans: list[Span]) -> list[Span]:
    """Drop findings that overlap a better one: personal types first, then score, then length."""
    ranked = sorted(spans, key=lambda s: (s.type in _PERSONAL, s.score, s.type in _CHECKED, s.end - s.start),
                    reverse=True)
    kept: list[Span] = []
    for s in ranked:
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: (s.start, s.end))


def build_detector(cfg: ClassifierConfig) -> Detector:
    detector = Detector(cfg)
    detector.warm_up()
    return detector
