"""``DATE_OF_BIRTH``: a date given as someone's birth date (HIPAA identifier 3), EN and RU.

A date is a birth date when a birth word introduces it: ``DOB: 03/14/1985``, ``d.o.b.``,
``date of birth 1985-03-14``, ``birth date``, ``birthday``, ``born on March 14, 1985`` (a few
words may stand between: ``born in Ohio on ...``); in Russian ``дата рождения 14.03.1985``,
``д.р.``, ``родился 14 марта 1985 г.``; or when a birth mark follows it: ``14.03.1985 г.р.``,
``1985-03-14 (DOB)``. The date is the span. Any other date stays spaCy's ``DATE_TIME``, which
is not personal data. A year alone (``born in 1985``) is not a date of birth here; a month with
a year, or a day and a month, is. A birth year before 1900 belongs to no one alive: such a date
(``Mozart was born on 27 January 1756``) is reported with a score under the policy threshold.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.classify.gates import Gate
from gateway.classify.results import make_result

ENTITY = "DATE_OF_BIRTH"
SCORE = 0.85
HISTORICAL_SCORE = 0.3
_LIVING_FROM = 1900

_MONTH_EN = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
             r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?")
_MONTH_RU = r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:1\d{3}|20\d{2})"
_DATE = (
    r"(?P<date>"
    r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?![\d/.\-]\d)"           # 03/14/1985, 14.03.85
    r"|" + _YEAR + r"[\-/.]\d{1,2}[\-/.]\d{1,2}(?![\d/.\-]\d)"            # 1985-03-14
    r"|" + _MONTH_EN + r"\s+" + _DAY + _ORD + r",?\s+" + _YEAR +          # March 14, 1985
    r"|" + _DAY + _ORD + r"\s+(?:of\s+)?" + _MONTH_EN + r",?\s+" + _YEAR +  # 14 March 1985
    r"|" + _DAY + r"\s+" + _MONTH_RU + r"\s+" + _YEAR + r"(?:\s*(?:г\.|года|г(?!\w)))?"  # 14 марта 1985 г.
    r"|" + _MONTH_EN + r",?\s+" + _YEAR +                                  # March 1985
    r"|" + _MONTH_EN + r"\s+" + _DAY + _ORD +                              # March 14 (a birthday)
    r"|" + _DAY + _ORD + r"\s+(?:of\s+)?" + _MONTH_EN +                    # 14th of March
    r"|" + _DAY + r"\s+" + _MONTH_RU +                                     # 14 марта
    r")(?![\w])"
)
_CUE_BEFORE = (
    r"\b(?:D\.?\s?O\.?\s?B\b\.?|date\s+of\s+birth|birth\s*date|birthday|born|"
    r"дат[аеуы]\s+рождения|д\.\s?р\.|д/р|родил(?:ся|ась|ись)|рожд[её]н[аы]?|день\s+рождения)"
)
# Between the cue and the date: a colon or a dash, "is", "was", "on", or (after "born") a few words
_BETWEEN = r"(?:\s*(?:[:=\-–—(]|\bis\b|\bwas\b|\bon\b|\bof\b|\bin\b|\bthe\b|\bit's\b|\bis\s+on\b))*\s*"
_BORN_GAP = r"(?:\s+[\w'’\-]+,?){0,4}?\s+(?:on|in)?\s*"
_BEFORE = re.compile(r"(?i:" + _CUE_BEFORE + r")" + _BETWEEN + _DATE)
_BORN = re.compile(r"(?i:\b(?:born|родил(?:ся|ась|ись)|рожд[её]н[аы]?))" + _BORN_GAP + _DATE)
_AFTER = re.compile(_DATE + r"\s*(?:\(\s*(?i:DOB|D\.O\.B\.?|born)\s*\)|(?i:г\.\s?р\.|года\s+рождения))")
_YEAR_IN = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Every match has a birth word: the cues of _BEFORE, _BORN and _AFTER, each as a literal every
# form of it contains. (Every match has a digit too: the detector skips DIGIT_TYPES, this one
# among them, in text without one.)
_CUE = Gate(r"(?i)d\.?\s?o\.?\s?b", r"(?i)b(?:irth|orn)", r"(?i)ро(?:жд|дил)", r"(?i)д(?:\.\s?р\.|/р)",
            r"(?i)г\.\s?р\.")


def _score(date: str) -> float:
    year = _YEAR_IN.search(date)
    return HISTORICAL_SCORE if year is not None and int(year.group(1)) < _LIVING_FROM else SCORE


class DateOfBirthRecognizer(EntityRecognizer):
    def __init__(self, language: str = "en") -> None:
        super().__init__(supported_entities=[ENTITY], name="DateOfBirthRecognizer", supported_language=language)

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        seen: set[tuple[int, int]] = set()
        out: list[RecognizerResult] = []
        if not _CUE.open(text):
            return out
        for pattern in (_BEFORE, _BORN, _AFTER):
            for m in pattern.finditer(text):
                where = (m.start("date"), m.end("date"))
                if where in seen:
                    continue
                seen.add(where)
                out.append(make_result("DateOfBirthRecognizer", self.id, ENTITY, *where, _score(m.group("date")),
                                       "date after a birth word"))
        return out
