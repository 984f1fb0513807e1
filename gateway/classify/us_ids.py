"""``US_SSN``: Presidio's SSN recognizer, with nine bare digits next to a context word reported.

Presidio scores a bare nine-digit number 0.05, so even "My SSN is 536228726" stays under any
threshold after its context boost (+0.35). Here a bare run scores 0.3: on its own it is still
no SSN, next to "SSN" / "social security" it is (0.65). The written forms ``536-22-8726`` and
``536 22 8726`` keep Presidio's 0.5, and Presidio's validation still drops numbers the SSA never
issues (area 000, 666 or 900-999, group 00, serial 0000, one repeated digit, known samples).
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import UsSsnRecognizer as PresidioSsnRecognizer

from gateway.classify.checksums import digits_of

CONTEXT = ("social", "security", "ssn", "ssns")
LABELLED_SCORE = 0.95
_PATTERNS = (
    Pattern("SSN dashed or spaced", r"(?<![\w\-+.])\d{3}([- .])\d{2}\1\d{4}(?![\w\-]|\.\d)", 0.5),
    Pattern("SSN bare", r"(?<![\w\-+.])\d{9}(?![\w\-]|\.\d)", 0.3),
)
# The value's own label right before it: "SSN: ", "social security no. ", "SSN is "
_LABEL = re.compile(r"(?i:\b(?:ssn|social\s+security(?:\s+(?:number|num|no\.?|#))?)\s*(?:[:#=\-]|is|was)?\s*)$")


class UsSsnRecognizer(PresidioSsnRecognizer):
    def __init__(self, language: str = "en") -> None:
        super().__init__(patterns=list(_PATTERNS), context=list(CONTEXT), supported_language=language)

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        results: list[RecognizerResult] = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for r in results:
            if _LABEL.search(text, max(0, r.start - 40), r.start):
                r.score = max(r.score, LABELLED_SCORE)
        return results

    def invalidate_result(self, pattern_text: str) -> bool:
        if super().invalidate_result(pattern_text):
            return True
        return digits_of(pattern_text).startswith("9")  # 900-999: ITINs, never SSNs
