"""``US_SSN``: Presidio's SSN recognizer, with nine bare digits next to a context word reported.

Presidio scores a bare nine-digit number 0.05, so even "My SSN is 536228726" stays under any
threshold after its context boost (+0.35). Here a bare run scores 0.3: on its own it is still
no SSN, next to "SSN" / "social security" it is (0.65). The written forms ``536-22-8726`` and
``536 22 8726`` keep Presidio's 0.5, and Presidio's validation still drops numbers the SSA never
issues (area 000, 666 or 900-999, group 00, serial 0000, one repeated digit, known samples).
"""

from __future__ import annotations

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import UsSsnRecognizer as PresidioSsnRecognizer

from gateway.classify.checksums import digits_of

CONTEXT = ("social", "security", "ssn", "ssns")


class UsSsnRecognizer(PresidioSsnRecognizer):
    PATTERNS = [
        Pattern("SSN dashed or spaced", r"(?<![\w\-+.])\d{3}([- .])\d{2}\1\d{4}(?![\w\-]|\.\d)", 0.5),
        Pattern("SSN bare", r"(?<![\w\-+.])\d{9}(?![\w\-]|\.\d)", 0.3),
    ]

    def __init__(self, language: str = "en") -> None:
        super().__init__(patterns=list(self.PATTERNS), context=list(CONTEXT), supported_language=language)

    def invalidate_result(self, pattern_text: str) -> bool:
        if super().invalidate_result(pattern_text):
            return True
        return digits_of(pattern_text).startswith("9")  # 900-999: ITINs, never SSNs
