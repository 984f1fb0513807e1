"""``PERSON`` beyond what spaCy's small English model finds.

``en_core_web_sm`` misses many names, most of all foreign ones and names without context.
This recognizer adds two cheap signals, both independent of any benchmark:

* a lexicon of given names (the ~46,000 international first names that the ``gender-guesser``
  package ships): a known given name followed by a capitalised word (``Krisztián Szöllösy``,
  ``Maria J. Lopez``) is a full name;
* context: a capitalised word after ``my name is``, ``Dear``, ``Mr.``, ``Dr.``, «меня зовут» ...

Famous people are still names; the score (0.6 lexicon, 0.65 context) is over the policy
threshold on purpose: a full name is personal data unless known to be public.
"""

from __future__ import annotations

import re
from importlib import resources

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

ENTITY = "PERSON"

_WORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'’\-]+"
_FULL = re.compile(
    r"(?<![\w.])(?P<first>" + _WORD + r")(?:\s+(?P<mid>[A-Z]\.?|" + _WORD + r"))?\s+(?P<last>" + _WORD + r")(?!\w)"
)
_CONTEXT = re.compile(
    r"(?:(?i:my name is|my name's|name:|i am called|this is|signed,?|regards,?|sincerely,?|dear|"
    r"hi|hello|contact|patient|client|customer|employee|applicant)"
    r"|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?|Prof\.?|Sir|Madam)\s+"
    r"(?P<name>" + _WORD + r"(?:\s+(?:[A-Z]\.\s*)?" + _WORD + r"){0,2})"
)
# Words that start sentences or headings and are also given names in the lexicon.
_NOT_NAMES = frozenset(
    {"Will", "May", "June", "April", "August", "Hope", "Grace", "Joy", "Faith", "Art", "Bill", "Love",
     "Rose", "Summer", "Dawn", "Page", "Case", "Mark", "Max", "Chase", "Major", "King", "Young",
     "Rich", "Sky", "Star", "Ocean", "River", "Lake", "Forest", "Stone", "Gold", "Silver", "Ruby",
     "Pearl", "Jade", "Amber", "Crystal", "Holly", "Ivy", "Lily", "Iris", "Violet", "Sunny",
     "Christian", "Prince", "Princess", "Angel", "Santa", "Saint", "General", "Street", "Court"}
)
_NOT_SURNAMES = frozenset({"Street", "Avenue", "Road", "University", "College", "School", "Company",
                           "Inc", "Ltd", "Corp", "Group", "Bank", "Hospital", "Day", "City"})


def load_given_names() -> frozenset[str]:
    """Given names from the ``gender-guesser`` data file (read once per detector)."""
    names: set[str] = set()
    data = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    with data.open(encoding="utf-8") as f:
        for line in f:
            if line[:1] in "#=" or len(line) < 30:
                continue
            name = line[3:29].strip()
            if name and " " not in name and "+" not in name:
                names.add(name)
    return frozenset(n for n in names if n.lower() not in STOP_WORDS and n not in _NOT_NAMES)


class NameRecognizer(EntityRecognizer):
    """Full names by the given-name lexicon, and names after a title or a naming phrase."""

    def __init__(self, given_names: frozenset[str], language: str = "en",
                 lexicon_score: float = 0.6, context_score: float = 0.65) -> None:
        self._given = given_names
        self._lexicon_score = lexicon_score
        self._context_score = context_score
        super().__init__(supported_entities=[ENTITY], name="NameRecognizer", supported_language=language)

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for m in _FULL.finditer(text):
            first, last = m.group("first"), m.group("last")
            if first in self._given and last not in _NOT_SURNAMES and last.lower() not in STOP_WORDS:
                out.append(self._result(m.start(), m.end(), self._lexicon_score))
        for m in _CONTEXT.finditer(text):
            name = m.group("name")
            if name.split()[0].lower() in STOP_WORDS:
                continue
            out.append(self._result(m.start("name"), m.end("name"), self._context_score))
        return out

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult(ENTITY, start, end, score, recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        })
