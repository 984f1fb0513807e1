"""``PERSON`` beyond what spaCy's small English model finds.

``en_core_web_sm`` misses many names, most of all foreign ones, names without context and names
in uncased text. This recognizer adds cheap signals, all independent of any benchmark:

* a lexicon of given names (the ~46,000 international first names that the ``gender-guesser``
  package ships): a known given name followed by a capitalised word (``Krisztián Szöllösy``,
  ``Maria J. Lopez``) is a full name; a known given name alone is a name inside a sentence, or at
  its start when a person-like continuation follows (``Scott is``, ``Anna, can you``);
* surname morphology: capitalised words with typical surname endings (``-ov``, ``-eva``,
  ``-vich``, ``-ski``, ``-sson``, ``-dóttir``, ``-poulos``, ``-enko``, ``-escu``, ...);
* context: a word after ``my name is``, ``name:``, ``call me``, ``Dear``, ``Mr.``, ``Dr.`` ...
  (lower case accepted after naming phrases), and ``X's daughter`` / ``wife`` / ``boss`` ...;
* uncased text (no capital letter at all): a given name common in English-speaking countries
  followed by another word is a full name.

Candidates that spaCy labels as a place, a date or a group (``Argentina``) are dropped.
Famous people are still names; the scores (0.55-0.65) are over the policy threshold on purpose:
a name is personal data unless known to be public.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import spacy.util
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

ENTITY = "PERSON"

_WORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'’\-]+"
_ANY = r"[^\W\d_][\w'’\-]*"
_FULL = re.compile(
    r"(?<![\w.])(?P<first>" + _WORD + r")(?:\s+(?P<mid>[A-Z]\.?|" + _WORD + r"))?\s+(?P<last>" + _WORD + r")(?!\w)"
)
_CONTEXT = re.compile(
    r"(?:(?i:my name is|my name's|name:|i am called|this is|signed,?|regards,?|sincerely,?|dear|"
    r"hi|hello|contact|patient|client|customer|employee|applicant)"
    r"|(?i:mr|mrs|ms|mx|dr|prof)\.|Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Madam)\s+"
    r"(?P<name>" + _WORD + r"(?:\s+(?:[A-Z]\.\s*)?" + _WORD + r"){0,2})"
)
# After these the next word is a name even in lower case ("my name is vitoria").
_NAMING = re.compile(
    r"(?i:\b(?:my name is|my name's|name is|name:|name\?|names are|surname is|nickname is|"
    r"first name is|last name is|maiden name is))\s+(?P<name>" + _ANY + r"(?:\s+(?:\w\.?\s+)?" + _ANY + r"){0,2})"
)
# After these only a capitalised word or a known given name ("call me Csanád", "named him Luís").
_WEAK_NAMING = re.compile(
    r"(?i:\b(?:call me|called me|named|call him|call her|known as|goes by|(?:mr|mrs|ms|mx|dr|prof)\.?|"
    r"miss|mister|madam|dear))\s+(?:(?:him|her|them|it)\s+)?(?P<name>" + _ANY + r")"
)
_POSSESSIVE = re.compile(
    r"(?<![\w'’])(?P<name>" + _ANY + r")['’]s\s+(?i:kids?|child|children|daughters?|sons?|wife|husband|mother|"
    r"mom|mum|father|dad|brothers?|sisters?|parents|family|boyfriend|girlfriend|partner|fianc[eé]e?|"
    r"friends?|boss|killers?|murderer|lawyer|doctor|grandmother|grandfather|uncle|aunt|cousin|niece|nephew)\b"
)
_GIVEN = re.compile(r"(?<![\w'’\-])(?P<name>" + _WORD + r")(?![\w\-])")
_SURNAME = re.compile(
    r"(?<![\w'’\-])(?P<name>[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž\-]{2,}(?:ov|ova|ová|ev|eva|vich|vić|ić|sky|ski|ska|ská|"
    r"cká|skaya|sson|dóttir|dottir|poulos|poulou|enko|escu|eanu|yan|idze|shvili|oglu|oğlu|zadeh|"
    r"nejad|ovski|evski|owski|ewski|czyk|chuk|yuk|iuk))(?![\w\-])"
)
_UNCASED_FULL = re.compile(
    r"(?<![\w'’\-])(?P<first>[a-zß-öø-ÿā-ž]{3,})(?=\s+(?P<last>[a-zß-öø-ÿā-ž'’\-]{2,})(?![\w\-]))"
)
# Uncased lists of given names ("adam, christopher and caleb").
_UNCASED_LIST = re.compile(
    r"(?<![\w'’\-])(?P<first>[a-zß-öø-ÿā-ž]{3,})(?=(?:\s*,\s*|\s+and\s+|\s*&\s*)(?P<next>[a-zß-öø-ÿā-ž]{3,})(?![\w\-]))"
)
_UNCASED_WORD = re.compile(r"(?<![\w'’\-])[a-zß-öø-ÿā-ž]{3,}(?![\w\-])")
# A sentence-initial given name counts when a person-like continuation follows.
_CONTINUATION = re.compile(
    r"\s*(?:,|['’]s\b|\s(?:is|was|has|had|and|said|says|will|would|can|could|did|does|told|asked|"
    r"wants|wanted|went|lives|lived|works|worked|loves|likes)\b)"
)
# "Soon, he finds": an English word that is also a given name, opening a sentence before a comma
# and a subject, opens an adverbial clause; "Anna, can you" stays a name.
_ADVERBIAL = re.compile(r"\s*,\s*(?:he|she|they|we|it|i|you|there|this|that|the|a|an)\b", re.IGNORECASE)
# An unknown capitalised word (no English word, not in the lexicons) opening a sentence is a name
# when a verb of people follows ("Okonjo began writing", "Tamsalu told me"). Not "is", "was",
# "will", "has": those follow product and technical names as often ("Kubernetes is hard").
_PERSON_VERB = re.compile(
    r"\s+(?:began|started|wrote|writes|said|says|told|asked|joined|studied|grew|"
    r"moved|lives|lived|works|worked|loves|likes|wants|wanted|went|called|married)\s+(?!(?:of|to|in|on|at|a|an|the)\b)"
)
_UNKNOWN_START = re.compile(r"(?<![\w'’\-])(?P<name>[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž]{2,})(?=\s)")
# A kin or work relation then a capitalised word: "my kid Alina", "our neighbour Teodor".
_RELATION = re.compile(
    r"(?i:\b(?:my|our|his|her|their|your)\s+(?:kids?|child|son|daughter|wife|husband|brother|sister|mother|"
    r"father|mom|mum|dad|friend|boss|colleague|co-?worker|partner|boyfriend|girlfriend|fianc[eé]e?|"
    r"neighbou?r|cousin|uncle|aunt|nephew|niece|grandson|granddaughter|grandma|grandpa|tenant|landlord|"
    r"manager|assistant|patient|client|student|teacher|doctor|lawyer|roommate|flatmate))\s+"
    r"(?P<name>[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'’\-]+)"
)
_SENTENCE_PUNCT = frozenset('.!?:;"“”()[]')


def sentence_initial(text: str, start: int) -> bool:
    """Whether ``start`` opens a sentence, a line or the text (looks back a few characters only)."""
    i = start - 1
    while i >= 0 and text[i].isspace():
        if text[i] == "\n":
            return True
        i -= 1
    if i < 0:
        return True
    if text[i] == "." and i >= 1 and text[i - 1].isupper() and (i < 2 or not text[i - 2].isalnum()):
        return False  # an initial: "Vide A. Persson"
    return text[i] in _SENTENCE_PUNCT
# Words that start sentences or headings and are also given names in the lexicon.
NOT_NAMES = frozenset(
    {"Will", "May", "June", "April", "August", "Hope", "Grace", "Joy", "Faith", "Art", "Bill", "Love",
     "Rose", "Summer", "Dawn", "Page", "Case", "Mark", "Max", "Chase", "Major", "King", "Young",
     "Rich", "Sky", "Star", "Ocean", "River", "Lake", "Forest", "Stone", "Gold", "Silver", "Ruby",
     "Pearl", "Jade", "Amber", "Crystal", "Holly", "Ivy", "Lily", "Iris", "Violet", "Sunny",
     "Christian", "Prince", "Princess", "Angel", "Santa", "Saint", "General", "Street", "Court"}
)
# Given names that are also everyday English words: not taken in lower case.
_LOWER_AMBIGUOUS = frozenset(
    {"Guy", "Pat", "Sue", "Rob", "Jack", "Don", "Lane", "Gene", "Bob", "Dick", "Key", "Red", "Price",
     "Will", "Mark", "Rose", "Grace", "Hope", "Joy", "Dawn", "Bill", "Art", "Destiny", "Alpha", "Len",
     "Ken", "Sandy", "Rusty", "Buck", "Bud", "Chuck", "Frank", "Hunter", "Drew", "Sterling", "Misty",
     "Carol", "Penny", "Robin", "Cliff", "Dale", "Glen", "Heath", "Miles", "Wade", "Ray", "Sol"}
)
_NOT_SURNAMES = frozenset({"Street", "Avenue", "Road", "University", "College", "School", "Company",
                           "Inc", "Ltd", "Corp", "Group", "Bank", "Hospital", "Day", "City"})
_NOT_PERSON_LABELS = frozenset({"LOCATION", "GPE", "LOC", "DATE_TIME", "NRP", "NORP", "DATE", "LANGUAGE"})


@dataclass(frozen=True)
class GivenNames:
    """Given names of the lexicon (``all``), those common in English-speaking countries
    (``english``), which are safe to take in uncased text, surnames (``surnames``) and the
    names of either kind that are no English word (``foreign``), safe in uncased text too."""

    all: frozenset[str]
    english: frozenset[str]
    surnames: frozenset[str] = field(default_factory=frozenset)
    foreign: frozenset[str] = field(default_factory=frozenset)
    words: frozenset[str] = field(default_factory=frozenset)  # lower-case English words
    verbs: frozenset[str] = field(default_factory=frozenset)  # those of them that are verbs

    def __contains__(self, name: object) -> bool:
        return name in self.all


_LATIN_NAME = re.compile(_WORD)


def english_words(model: str) -> dict[str, frozenset[str]]:
    """Lower-case English words by part of speech (``noun``, ``verb``, ``adj``, ``adv``: WordNet's
    index, which spaCy's English models ship for their lemmatizer). Empty when the model has no
    such table."""
    from spacy.lookups import Lookups

    try:
        root = Path(spacy.util.get_package_path(model))
    except Exception:  # a path instead of a package, or not installed: no filter data
        root = Path(model)
    out: dict[str, frozenset[str]] = {}
    for table_file in root.glob("**/lemmatizer/lookups/lookups.bin"):
        lookups = Lookups().from_disk(table_file.parent)
        if lookups.has_table("lemma_index"):
            index = lookups.get_table("lemma_index")
            for pos in ("noun", "verb", "adj", "adv"):
                out[pos] = frozenset(w for w in index.get(pos, ()) if "_" not in w)
        break
    return out


def _faker_names() -> tuple[set[str], set[str]]:
    """First and last names of every locale of Faker's person providers (offline data)."""
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for info in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{info.name}"), "Provider", None)
        for attr in dir(provider):
            if not attr.startswith(("first_names", "last_names")):
                continue
            values = getattr(provider, attr)
            if not isinstance(values, (dict, tuple, list)):
                continue
            names: Iterable[object] = values.keys() if isinstance(values, dict) else values
            (first if attr.startswith("first") else last).update(
                n for n in names if isinstance(n, str) and _LATIN_NAME.fullmatch(n))
    return first, last


def load_given_names(model: str | None = None) -> GivenNames:
    """Given names from the ``gender-guesser`` data file (read once per detector). Its columns
    30-32 hold the frequency in Great Britain, Ireland and the USA (hexadecimal 1-D).

    With ``model`` (a spaCy English package): also Faker's first and last names of all its
    locales that are no English word (WordNet's index in the model) and no stop word."""
    names: set[str] = set()
    english: set[str] = set()
    data = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    with data.open(encoding="utf-8") as f:
        for line in f:
            if line[:1] in "#=" or len(line) < 30:
                continue
            name = line[3:29].strip()
            if name and " " not in name and "+" not in name:
                names.add(name)
                if max((int(c, 16) for c in line[30:33] if c.strip()), default=0) >= 2:
                    english.add(name)
    names = {n for n in names if n.lower() not in STOP_WORDS and n not in NOT_NAMES}
    english = {n for n in english if n in names and n not in _LOWER_AMBIGUOUS}
    by_pos = english_words(model) if model is not None else {}
    words = frozenset().union(*by_pos.values())
    if not words:  # without the word list Faker's names would bring in "White", "House", "Close"
        return GivenNames(frozenset(names), frozenset(english))

    def usable(n: str) -> bool:
        low = n.lower()
        return len(n) >= 3 and low not in words and low not in STOP_WORDS and n not in NOT_NAMES

    first, last = _faker_names()
    names |= {n for n in first if usable(n)}
    surnames = frozenset(n for n in last if usable(n) and n not in _NOT_SURNAMES)
    foreign = frozenset(n for n in names | surnames if usable(n))
    return GivenNames(frozenset(names), frozenset(english), surnames, foreign, words, by_pos.get("verb", frozenset()))


class NameRecognizer(EntityRecognizer):
    """Full names by the given-name lexicon, single given names in place, surname endings, and
    names after a title or a naming phrase."""

    def __init__(self, given_names: GivenNames, language: str = "en",
                 lexicon_score: float = 0.6, context_score: float = 0.65, single_score: float = 0.55) -> None:
        self._given = given_names
        self._lexicon_score = lexicon_score
        self._context_score = context_score
        self._single_score = single_score
        super().__init__(supported_entities=[ENTITY], name="NameRecognizer", supported_language=language)

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        given = self._given.all
        surnames = self._given.surnames
        for m in _FULL.finditer(text):
            first, last = m.group("first"), m.group("last")
            if first in given and last not in _NOT_SURNAMES and last.lower() not in STOP_WORDS:
                out.append(self._result(m.start(), m.end(), self._lexicon_score))
        for m in _CONTEXT.finditer(text):
            name = m.group("name")
            if name.split()[0].lower() in STOP_WORDS:
                continue
            out.append(self._result(m.start("name"), m.end("name"), self._context_score))
        for m in _NAMING.finditer(text):
            words = m.group("name").split()
            kept = []
            for w in words:
                if w.lower() in STOP_WORDS:
                    break
                kept.append(w)
            if kept:
                start = m.start("name")
                out.append(self._result(start, start + len(" ".join(kept)), self._context_score))
        for m in _WEAK_NAMING.finditer(text):
            name = m.group("name")
            if name.lower() not in STOP_WORDS and (name[0].isupper() or name.capitalize() in self._given.english):
                out.append(self._result(m.start("name"), m.end("name"), self._context_score))
        for m in _POSSESSIVE.finditer(text):
            name = m.group("name")
            if name.lower() not in STOP_WORDS and (name[0].isupper() or name.capitalize() in given):
                out.append(self._result(m.start("name"), m.end("name"), self._single_score))
        words = self._given.words
        if words:
            for m in _UNKNOWN_START.finditer(text):
                name = m.group("name")
                low = name.lower()
                if (low not in words and low not in STOP_WORDS and sentence_initial(text, m.start())
                        and _PERSON_VERB.match(text, m.end())):
                    out.append(self._result(m.start(), m.end(), self._single_score))
        strong: list[RecognizerResult] = []
        for m in _RELATION.finditer(text):
            if m.group("name").lower() not in STOP_WORDS:
                strong.append(self._result(m.start("name"), m.end("name"), self._context_score))
        for pattern, lexicon in ((_GIVEN, True), (_SURNAME, False)):
            for m in pattern.finditer(text):
                name = m.group("name")
                if lexicon and name not in given and name not in surnames:
                    continue
                if sentence_initial(text, m.start()) and (
                        not _CONTINUATION.match(text, m.end())
                        or (name.lower() in words and _ADVERBIAL.match(text, m.end()))):
                    continue
                out.append(self._result(m.start(), m.end(), self._single_score))
        if not any(ch.isupper() for ch in text):
            out.extend(self._uncased(text))
        return self._not_other_entities(out, nlp_artifacts) + strong

    def _uncased(self, text: str) -> list[RecognizerResult]:
        """Text without any capital letter: case says nothing, so the lexicon of names common in
        English-speaking countries and surname endings decide."""
        out: list[RecognizerResult] = []
        english = self._given.english
        for m in _UNCASED_FULL.finditer(text):
            first, last = m.group("first"), m.group("last")
            if first.capitalize() in english and last not in STOP_WORDS:
                out.append(self._result(m.start(), m.end("last"), self._lexicon_score))
        for m in _UNCASED_LIST.finditer(text):
            if m.group("first").capitalize() in english and m.group("next").capitalize() in english:
                out.append(self._result(m.start(), m.end("first"), self._single_score))
                out.append(self._result(m.start("next"), m.end("next"), self._single_score))
        foreign = self._given.foreign
        for m in _UNCASED_WORD.finditer(text):
            if m.group().capitalize() in foreign:
                out.append(self._result(m.start(), m.end(), self._single_score))
        for m in _SURNAME.finditer(text.title()):
            if text[m.start():m.end()].lower() not in STOP_WORDS:
                out.append(self._result(m.start(), m.end(), self._single_score))
        return out

    def _not_other_entities(self, results: list[RecognizerResult], nlp_artifacts: NlpArtifacts | None
                            ) -> list[RecognizerResult]:
        """Drop one-word candidates inside what spaCy labelled a place, a date or a group, unless
        that starts with a given name common in English-speaking countries."""
        if nlp_artifacts is None or not nlp_artifacts.entities:
            return results
        others = [(e.start_char, e.end_char, e.text) for e in nlp_artifacts.entities if e.label_ in _NOT_PERSON_LABELS]
        if not others:
            return results
        english = self._given.english
        return [r for r in results if not any(s <= r.start and r.end <= e and t.split()[0] not in english
                                              and r.end - r.start == len(t.split()[0]) for s, e, t in others)]

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(ENTITY, start, end, score, recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: "NameRecognizer",
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        })
