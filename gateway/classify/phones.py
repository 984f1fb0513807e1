"""``PHONE_NUMBER`` by the written shape of a number, beyond Presidio's ``phonenumbers`` matcher.

``phonenumbers`` only reports numbers that are valid in its numbering plans, so a North-American
number with an area code outside the plan (``083-710-1222``), or one written with a ``001-``
prefix, is missed although anyone reads it as a phone. These recognizers go by shape:

* North-American numbers (:class:`NanpPhoneRecognizer`): ``555-123-4567``, ``555.123.4567``,
  ``(555)123-4567``, ``(555) 123-4567``, with a ``+1`` / ``1`` / ``001`` prefix and an extension
  (``x0785``, ``ext. 123``), the extension inside the span. Ten bare digits are a phone only
  next to a context word ("call", "phone", ...).
* Other national groupings (:class:`PhoneContextRecognizer`) need a context word.
* International ``+`` prefixes, a trunk ``0`` with a separator and an area code in parentheses
  (:class:`PhoneShapeRecognizer`) are phones on their own.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.classify.checksums import digits_of

ENTITY = "PHONE_NUMBER"
_PHONE_E = r"(?!\w|[.\-]\d)"  # a phone may be followed by "-Office", "-Fax", or end a sentence
_NANP_B = r"(?<![\w+\-.,/])"
_NOT_SSN = r"(?!\d{3}-\d{2}-\d{4}(?![\w\-]))"  # 123-45-6789 is the SSN's shape, not a phone's
_PREFIX = r"(?:(?:\+1|001|1)[ .\-]?)?"
_PREFIX_SPACED = r"(?:\+1 ?|001 ?|1 )?"
_LOCAL = r"(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}"
_EXT = r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6}|\s?,\s?ext\.?\s?\d{1,6})"
CONTEXT = ("call", "phone", "mobile", "cell", "tel", "fax", "sms", "text", "reach", "contact",
           "message", "dial", "number", "whatsapp", "answer", "ring", "office", "desk", "voicemail",
           "звон", "тел", "номер")


class _Shaped(PatternRecognizer):
    """A pattern recognizer whose matches must have a plausible number of digits."""

    PATTERNS: tuple[Pattern, ...] = ()
    CONTEXT: tuple[str, ...] = CONTEXT
    MIN_DIGITS = 7
    MAX_DIGITS = 15

    def __init__(self, language: str = "en") -> None:
        super().__init__(supported_entity=ENTITY, name=type(self).__name__, supported_language=language,
                         patterns=list(self.PATTERNS), context=list(self.CONTEXT))

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if self.MIN_DIGITS <= len(digits_of(pattern_text)) <= self.MAX_DIGITS else False


# "my number", "her new number", "cell number": a person's number is a phone number.
_MY_NUMBER = re.compile(r"(?i:\b(?:my|your|his|her|our|their|new|home|work|cell|mobile|contact)\s+(?:new\s+)?number\b)")
MY_NUMBER_SCORE = 0.65


class NanpPhoneRecognizer(_Shaped):
    """North-American numbers by shape, whatever their area code; extensions included. Ten bare
    digits need a phone word nearby: "number" alone is not one ("order number 7974074151"), a
    person's number is ("my number", "her new number")."""

    CONTEXT = tuple(w for w in CONTEXT if w not in ("number", "номер", "message", "answer"))

    PATTERNS = (
        Pattern("nanp extension", _NANP_B + _PREFIX + _LOCAL + _EXT + _PHONE_E, 0.75),
        Pattern("nanp prefixed", r"(?<![\w+\-.,/])(?:\+1|001)[ .\-]?" + _LOCAL + _PHONE_E, 0.7),
        Pattern("nanp", _NANP_B + _PREFIX + _LOCAL + _PHONE_E, 0.6),
        Pattern("nanp spaced prefix", _NANP_B + _PREFIX_SPACED + r"\(\d{3}\) \d{3}[ .\-]\d{4}" + _PHONE_E, 0.6),
        Pattern("nanp bare extension", _NANP_B + r"(?:\+?1)?\d{10}" + _EXT + _PHONE_E, 0.5),
        Pattern("nanp bare", _NANP_B + r"(?:\+1|001)?\d{10}" + _PHONE_E, 0.3),
    )
    MIN_DIGITS = 10
    MAX_DIGITS = 19  # prefix, number and extension

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        results: list[RecognizerResult] = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for r in results:
            if r.score < MY_NUMBER_SCORE and _MY_NUMBER.search(text, max(0, r.start - 40), r.start):
                r.score = MY_NUMBER_SCORE
        return results


class PhoneContextRecognizer(_Shaped):
    """Phone numbers in national formats Presidio's phonenumbers regions miss: digit groups
    that are a phone only next to a context word."""

    PATTERNS = (
        Pattern("grouped", r"(?<![\w\-+.])" + _NOT_SSN + r"(?:\+\d{1,3}[ .\-]?)?\(?\d{2,5}\)?(?:[ .\-]\d{2,4}){1,4}"
                + _PHONE_E, 0.3),
    )
    MAX_DIGITS = 13


class PhoneShapeRecognizer(_Shaped):
    """Numbers whose written form is a phone's on its own, without a context word: an
    international ``+`` prefix, a national trunk ``0`` followed by a separator, or an area code in
    parentheses, 9-15 digits in all. Dates (at most 8 digits), amounts (no leading ``+``/``0``,
    decimal commas) and plain digit runs do not take these shapes."""

    PATTERNS = (
        Pattern("international",
                r"(?<![\w+\-.,/])\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{2,5}(?:[ .\-]?\d{2,5}){1,4}"
                + _PHONE_E, 0.5),
        Pattern("trunk 0", r"(?<![\w+\-.,/])" + _NOT_SSN + r"\(?0\d{1,4}\)?[ .\-/]\d{2,8}(?:[ .\-]\d{2,5}){0,3}"
                + _PHONE_E, 0.5),
        Pattern("area code", r"(?<![\w+\-.,/])\(\d{2,5}\)\s?\d{3,4}[ .\-]?\d{3,4}" + _PHONE_E, 0.5),
    )
    MIN_DIGITS = 9


def phone_recognizers(language: str = "en") -> list[PatternRecognizer]:
    return [NanpPhoneRecognizer(language), PhoneContextRecognizer(language), PhoneShapeRecognizer(language)]
