"""``PERSON`` candidates that the text itself shows to name no private individual.

The name recognizers (spaCy NER, the lexicon :class:`~gateway.classify.names.NameRecognizer`)
say where a name is; these rules, read off the same text, say when the name is no data subject:

* a persona: a name after a role-play cue ("pretend to be Elon Musk", "embrace the role of
  Sheldon", "the persona of Tony Stark", "act as", "speak like", "in the style of") or tied to a
  work quoted in two words or more ("Sheldon from "The Big Bang Theory"", "Tolstoy in 'War and
  Peace'"; not "Anna from "Accounts""): a public or fictional figure. Every mention of its words in the text then
  scores :data:`PUBLIC_SCORE`, under the policy threshold (as Russian eponyms and epithets do in
  :mod:`gateway.classify.russian`);
* an eponym: a name before a term of science ("Lewis structure", "Bayes theorem"):
  :data:`PUBLIC_SCORE`;
* a quoted title in Title Case that holds a common English word ("The Big Bang Theory",
  "Iron Man"), or a quoted title of two words or more after "in" / "from": no name inside it,
  here or wherever the same title recurs in the text;
* a place named as one by its apposition ("Buenos Aires, the capital of Argentina");
* an item of a list of three or more capitalised words whose other items are common English
  words and no names ("Literature, History, Science, and Art");
* no name has digits ("0647 Box 8252"), and a name after a house number that a street suffix
  ends or follows is a street ("522 Michael Garden", "91507 Valencia Squares").

For spaCy's spans only (the lexicon recognizer checks these itself): a single English verb that
is no known given name or surname, opening a sentence (an imperative: "Embark on ...",
"Generate a ..."); a span with a lower-case word that is no name particle, in cased text
("AR emoji").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from spacy.lang.en.stop_words import STOP_WORDS

from gateway.classify.address import STREET_SUFFIX
from gateway.classify.names import NOT_NAMES, GivenNames, NameRecognizer, sentence_initial

ENTITY = "PERSON"
PUBLIC_SCORE = 0.4

_PARTICLES = frozenset({"de", "da", "di", "du", "del", "della", "der", "den", "van", "von", "la", "le", "bin", "ibn",
                        "al", "el", "y", "dos", "das", "do", "ter", "ten", "af", "zu"})
_CAPWORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.\-]*"
_NAME = (r"(?P<name>" + _CAPWORD + r"(?:\s+(?:(?:" + "|".join(sorted(_PARTICLES)) + r")\s+)?" + _CAPWORD
         + r"){0,3})")
_PERSONA = re.compile(
    r"(?i:\b(?:pretend(?:\s+(?:yourself|you(?:['’]re|\s+are)?))?\s+(?:to\s+be|you\s+are|as)|"
    r"(?:act|acting|role-?play(?:ing)?|pose|posing)\s+as|"
    r"(?:play(?:ing)?|tak(?:e|ing)(?:\s+on)?|assum(?:e|ing)|embrac(?:e|ing)|adopt(?:ing)?|"
    r"step(?:ping)?\s+into|get(?:ting)?\s+into)\s+(?:the\s+)?role\s+of|"
    r"(?:the\s+)?(?:persona|character)\s+of|"
    r"embody(?:ing)?|impersonat(?:e|ing)|channel(?:ing)?|"
    r"(?:speak|speaking|talk|talking|write|writing|answer|respond|reply)\s+(?:like|as)|"
    r"in\s+the\s+(?:style|voice|manner|words)\s+of|"
    r"imagine\s+(?:you\s+are|yourself\s+as|being)|you\s+are\s+now|as\s+if\s+you\s+were))"
    r"\s+(?:(?i:the|famous)\s+)*" + _NAME
)
_OPEN = r"(?:(?<![\w'’])['‘]|[\"“])"
_CLOSE = r"(?:['’](?![\w'’])|[\"”])"
# A work is quoted in two words or more ("Accounts", "Inbox" are a department or a folder)
_WORK_AFTER = re.compile(_NAME + r"(?:\s+[a-z][\w\-]*){0,2}\s+(?:from|in)\s+" + _OPEN
                         + r"(?=[A-Z][\w'’\-]*\s+[\w'’])")
_QUOTED = re.compile(r"(?P<before>\b\w+\s+)?" + _OPEN + r"(?P<title>[A-Z][^\"“”\n]{0,80}?)" + _CLOSE)
_EPONYM = re.compile(
    r"(?:['’]s)?\s+(?:structures?|theorems?|laws?|equations?|effects?|principles?|constants?|conjectures?|"
    r"hypothes[ie]s|paradox(?:es)?|lemmas?|inequalit(?:y|ies)|distributions?|transforms?|algorithms?|formulas?|"
    r"criteri(?:on|a)|syndromes?|disease|scales?|cycles?|diagrams?|curves?|integrals?|sequences?|notation)\b"
)
_PLACE = re.compile(
    r",\s+(?:(?:the|a|an)\s+)?(?:[A-Z][\w\-]*['’]s\s+)?(?:[a-z]+\s+){0,2}?"
    r"(?:capital|city|town|village|metropolis|port|province|region|country|island|county|municipality)\b"
)
_LIST = re.compile(r"(?<![\w'’\-])[A-Z][a-z]+(?:(?:,\s+|,?\s+(?:and|or)\s+)[A-Z][a-z]+){2,}(?![\w'’\-])")
_LIST_ITEM = re.compile(r"[A-Z][a-z]+")
_HOUSE_NUMBER = re.compile(r"(?<![\w.,])\d{1,6}[A-Za-z]?\s+$")
_NEXT_WORD = re.compile(r"\s+([A-Z][\w.]*)")
_POSSESSIVE_S = re.compile(r"['’]s$")
_SMALL = frozenset({"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by", "from", "as"})


@dataclass(frozen=True)
class Mentions:
    """What a text says about the names in it: words of personas, and spans with no names."""

    persona_words: frozenset[str]
    no_name: tuple[tuple[int, int], ...]  # quoted titles, places, list items of common words


def _english(word: str, names: GivenNames) -> bool:
    return (word.lower() in names.words and word not in names.all and word not in names.surnames
            and word not in NOT_NAMES)


def _is_title(title: str, names: GivenNames) -> bool:
    words = re.findall(r"[^\W\d_][\w'’\-]*", title)
    if len(words) < 2 or not all(w[0].isupper() or w.lower() in _SMALL for w in words):
        return False
    return any(w[0].isupper() and w.lower() not in _SMALL and w.lower() not in STOP_WORDS
               and _POSSESSIVE_S.sub("", w.lower()) in names.words and w not in names.all for w in words)


def find_mentions(text: str, names: GivenNames) -> Mentions:
    persona: set[str] = set()
    for pattern in (_PERSONA, _WORK_AFTER):
        for m in pattern.finditer(text):
            persona.update(w.strip(".,'’") for w in m.group("name").split() if w.lower() not in _PARTICLES)
    no_name: list[tuple[int, int]] = []
    titles: set[str] = set()
    for m in _QUOTED.finditer(text):
        before = (m.group("before") or "").strip().lower()
        title = m.group("title").rstrip(" .,;:!?")
        if (before in ("in", "from") and len(title.split()) > 1) or _is_title(title, names):
            no_name.append((m.start("title"), m.start("title") + len(title)))
            if len(title.split()) > 1:
                titles.add(title)
    for title in titles:
        no_name.extend((m.start(), m.end()) for m in re.finditer(re.escape(title), text))
    for m in _LIST.finditer(text):
        items = [(i.start() + m.start(), i.end() + m.start(), i.group()) for i in _LIST_ITEM.finditer(m.group())
                 if i.group() not in ("And", "Or")]
        common = [s for s in items if _english(s[2], names)]
        if len(items) - len(common) <= 1 and len(common) >= 2:
            no_name.extend((s, e) for s, e, _ in items)
    return Mentions(frozenset(persona), tuple(no_name))


def adjust(results: list[RecognizerResult], text: str, names: GivenNames,
           mentions: Mentions | None = None) -> list[RecognizerResult]:
    """Drop or demote the PERSON results that name no private individual (rules above)."""
    if not any(r.entity_type == ENTITY for r in results):
        return results
    mentions = mentions if mentions is not None else find_mentions(text, names)
    out: list[RecognizerResult] = []
    for r in results:
        if r.entity_type != ENTITY:
            out.append(r)
            continue
        if (any(s <= r.start and r.end <= e for s, e in mentions.no_name) or _PLACE.match(text, r.end)
                or any(ch.isdigit() for ch in text[r.start:r.end]) or _street_name(text, r.start, r.end)):
            continue
        words = [w for w in (w.strip(".,'’") for w in text[r.start:r.end].split()) if w and w not in _PARTICLES]
        if (words and all(w in mentions.persona_words for w in words)) or _EPONYM.match(text, r.end):
            r.score = min(r.score, PUBLIC_SCORE)
        out.append(r)
    return out


def _street_name(text: str, start: int, end: int) -> bool:
    """A name after a house number that ends in a street suffix, or is followed by one:
    "522 Michael Garden", "91507 Valencia Squares", "12 Baker Street"."""
    if not _HOUSE_NUMBER.search(text, max(0, start - 12), start):
        return False
    last = text[start:end].split()[-1]
    following = _NEXT_WORD.match(text, end)
    return STREET_SUFFIX.fullmatch(last) is not None or (
        following is not None and STREET_SUFFIX.fullmatch(following.group(1)) is not None)


def not_a_ner_name(text: str, start: int, end: int, names: GivenNames) -> bool:
    """spaCy-only rules: an English verb alone at a sentence start (an imperative), or a span
    with a lower-case word that is no name particle (in cased text)."""
    span = text[start:end]
    words = span.split()
    if len(words) == 1:
        word = words[0].strip(".,'’")
        return word.lower() in names.verbs and _english(word, names) and sentence_initial(text, start)
    if any(ch.isupper() for ch in text) and any(w[0].islower() and w not in _PARTICLES for w in words[1:]):
        return True
    return False


class NerPersonRecognizer(SpacyRecognizer):
    """Presidio's spaCy recognizer with the rules above applied to its PERSON spans."""

    def __init__(self, names: GivenNames, supported_entities: list[str]) -> None:
        super().__init__(supported_entities=supported_entities)
        self._names = names

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = super().analyze(text, entities, nlp_artifacts)
        if self._names.words:
            results = [r for r in results if r.entity_type != ENTITY
                       or not not_a_ner_name(text, r.start, r.end, self._names)]
        return adjust(results, text, self._names)


class FilteredNameRecognizer(NameRecognizer):
    """The lexicon name recognizer with the rules above applied to its results."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        return adjust(super().analyze(text, entities, nlp_artifacts), text, self._given)
