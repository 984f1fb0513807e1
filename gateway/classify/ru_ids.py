"""Recognizers for Russian identifiers (152-FZ), validated by their check digits.

Each is a Presidio :class:`PatternRecognizer`. A candidate whose check digit is wrong is
dropped (``validate_result`` returns ``False``); a valid one keeps the pattern's score, and
Presidio's context enhancer raises it when a context word («паспорт», «СНИЛС», ...) is near.
Scores are chosen so that a bare number that merely passes a checksum stays below the default
policy threshold (0.5) unless its format or a context word makes it specific.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.classify import checksums

_B = r"(?<![\w\-+])"  # not preceded by a word character, sign or dash
_E = r"(?![\w\-])"
_ACCOUNT_CONTEXT = re.compile(r"(?i)р/с|к/с|сч[её]т|account|расч|реквизит")
_BIK = re.compile(r"(?i)(?:бик|bic|bik)\W{0,3}(\d{9})(?!\d)")


class _Checked(PatternRecognizer):
    """A pattern recognizer whose matches must pass ``check`` on their digits."""

    ENTITY = ""
    PATTERNS: tuple[Pattern, ...] = ()
    CONTEXT: tuple[str, ...] = ()

    def __init__(self, language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name=type(self).__name__,
            supported_language=language,
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )

    def check(self, digits: str) -> bool:
        raise NotImplementedError

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if self.check(checksums.digits_of(pattern_text)) else False


class SnilsRecognizer(_Checked):
    ENTITY = "RU_SNILS"
    PATTERNS = (
        Pattern("snils formatted", _B + r"\d{3}-\d{3}-\d{3}[ \-]\d{2}" + _E, 0.6),
        Pattern("snils spaced", _B + r"\d{3} \d{3} \d{3}[ \-]\d{2}" + _E, 0.45),
        Pattern("snils bare", _B + r"\d{11}" + _E, 0.3),
    )
    CONTEXT = ("снилс", "страхов", "пенсион", "snils")

    def check(self, digits: str) -> bool:
        return checksums.snils(digits)


class InnRecognizer(_Checked):
    ENTITY = "RU_INN"
    PATTERNS = (
        Pattern("inn 10", _B + r"\d{10}" + _E, 0.25),
        Pattern("inn 12", _B + r"\d{12}" + _E, 0.3),
        Pattern("inn 12 grouped", _B + r"\d{4}([ \-])\d{4}\1\d{4}" + _E, 0.3),
        Pattern("inn 12 grouped 2-2-6-2", _B + r"\d{2} \d{2} \d{6} \d{2}" + _E, 0.3),
    )
    CONTEXT = ("инн", "налогоплательщик", "inn")

    def check(self, digits: str) -> bool:
        return checksums.inn(digits)


class OgrnRecognizer(_Checked):
    ENTITY = "RU_OGRN"
    PATTERNS = (
        Pattern("ogrn 13", _B + r"[1235]\d{12}" + _E, 0.3),
        Pattern("ogrnip 15", _B + r"3\d{14}" + _E, 0.3),
    )
    CONTEXT = ("огрн", "огрнип", "ogrn", "регистрац")

    def check(self, digits: str) -> bool:
        return checksums.ogrn(digits)


class OmsRecognizer(_Checked):
    ENTITY = "RU_OMS"
    PATTERNS = (Pattern("oms 16", _B + r"\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4}" + _E, 0.3),)
    CONTEXT = ("омс", "полис", "медицинск", "страхов")
    _NEAR = re.compile(r"(?i)омс|полис|oms|медицинск")

    def check(self, digits: str) -> bool:
        return checksums.oms(digits)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        # A valid 16-digit number also passes Luhn more often than not: next to «полис ОМС»
        # the policy number must win over the card reading.
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for r in results:
            if self._NEAR.search(text[max(0, r.start - 40):r.start]):
                r.score = 1.0
        return results


class PassportRecognizer(_Checked):
    """Паспорт РФ: series (region code + year, 4 digits) and number (6 digits). No check digit:
    the written form (``серия 4510 номер 123456``, ``45 10 123456``) and context carry it."""

    ENTITY = "RU_PASSPORT"
    PATTERNS = (
        Pattern("passport words", r"(?i)серия\s*\d{2}\s?\d{2}\s*(?:№|номер|n)?\s*\d{6}" + _E, 0.75),
        Pattern("passport spaced", _B + r"\d{2} \d{2}(?: |\s?№\s?)\d{6}" + _E, 0.4),
        Pattern("passport 4+6", _B + r"\d{4}(?: |\s?№\s?)\d{6}" + _E, 0.35),
        Pattern("passport bare", _B + r"\d{10}" + _E, 0.05),
    )
    CONTEXT = ("паспорт", "passport", "удостоверени", "выдан")

    def check(self, digits: str) -> bool:
        return len(digits) == 10


class RuPhoneRecognizer(_Checked):
    """Russian phone numbers: +7 / 8 followed by a 10-digit number in the usual groupings."""

    ENTITY = "PHONE_NUMBER"
    PATTERNS = (
        Pattern(
            "ru phone +7",
            r"(?<![\w+])\+7[ \-]?\(?\d{3}\)?[ \-]?\d{3}[ \-]?\d{2}[ \-]?\d{2}" + _E, 0.7,
        ),
        Pattern(
            "ru phone 8",
            _B + r"8[ \-]?\(?9\d{2}\)?[ \-]?\d{3}[ \-]?\d{2}[ \-]?\d{2}" + _E, 0.55,
        ),
        Pattern(
            "ru phone 8 grouped",
            _B + r"8[ \-]\(?\d{3,5}\)?[ \-]\d{1,3}[ \-]?\d{2}[ \-]\d{2}" + _E, 0.5,
        ),
    )
    CONTEXT = ("тел", "phone", "моб", "звон", "whatsapp", "telegram")

    def check(self, digits: str) -> bool:
        return len(digits) == 11


class BankAccountRecognizer(_Checked):
    """Счёт (20 digits). With a БИК in the same text the control key decides (valid: high
    score, invalid: dropped); without one only context («р/с», «счёт») lifts it over 0.5."""

    ENTITY = "RU_BANK_ACCOUNT"
    PATTERNS = (Pattern("account 20", _B + r"\d{5}[ .]?\d{3}[ .]?\d[ .]?\d{4}[ .]?\d{7}" + _E, 0.2),)
    CONTEXT = ("счет", "счёт", "р/с", "к/с", "расч", "account", "реквизит")

    def check(self, digits: str) -> bool:
        return checksums.plausible_account(digits) or len(digits) == 20

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        if not results:
            return results
        biks = [m.group(1) for m in _BIK.finditer(text)]
        kept: list[RecognizerResult] = []
        for r in results:
            digits = checksums.digits_of(text[r.start:r.end])
            if biks:
                if any(checksums.bank_account(digits, bik) for bik in biks):
                    r.score = max(r.score, 0.9)
                    kept.append(r)
            elif checksums.plausible_account(digits):
                if _ACCOUNT_CONTEXT.search(text[max(0, r.start - 40):r.start]):
                    r.score = max(r.score, 0.65)  # «р/с» splits into three tokens: Presidio misses it
                kept.append(r)
        return kept


def ru_id_recognizers(language: str = "en") -> list[PatternRecognizer]:
    return [
        SnilsRecognizer(language), InnRecognizer(language), OgrnRecognizer(language),
        OmsRecognizer(language), PassportRecognizer(language), RuPhoneRecognizer(language),
        BankAccountRecognizer(language),
    ]
