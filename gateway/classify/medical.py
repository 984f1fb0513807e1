"""``MEDICAL_RECORD``: a medical record number (HIPAA identifier 8), EN and RU.

An MRN has no standard format (each hospital numbers its own charts): what makes a number one
is the label written before it: ``MRN 00123456``, ``MRN: A1234567``, ``medical record no.
4567890``, ``med rec # 1234567``, ``patient ID 7788123``, ``chart number ...``; in Russian
``номер медицинской карты ...``, ``мед. карта № ...``, ``медкарта ...``, ``амбулаторная карта
№ ...``, ``история болезни № ...``. The value (at least four digits, an optional letter prefix)
is the span; the label is not. A number with no such label, or a year after the label
("medical records 2019-2021"), is not reported.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.classify.gates import Gate
from gateway.classify.results import make_result

ENTITY = "MEDICAL_RECORD"
SCORE = 0.85

_EN_LABEL = (
    r"\bMRN|\bMR\s?#|\bMR\s?(?:no|num)\b\.?|"
    r"\bmedical\s+record(?:s)?(?:\s+(?:number|num|no\b\.?|id\b|#))?|"
    r"\bmed\.?\s*rec(?:ord)?\b\.?(?:\s*(?:number|num|no\b\.?|#))?|"
    r"\b(?:patient|pt\.?)\s*(?:ID|id|Id|identifier|number|no\b\.?|#)|"
    r"\b(?:chart|hospital|health\s+record|EHR|EMR)\s+(?:number|num|no\b\.?|ID|id|#)"
)
_RU_LABEL = (
    r"(?:номер|№)\s+(?:медицинской|мед\.?|амбулаторной)\s*карты|"
    r"(?:медицинск(?:ая|ой|ую)|мед\.?|амбулаторн(?:ая|ой|ую))\s*карт(?:а|ы|у)(?:\s+пациента)?|"
    r"медкарт(?:а|ы|у)|истори(?:я|и|ю)\s+болезни|карт(?:а|ы)\s+пациента"
)
_JOIN = r"(?:\s*(?:[:#№=\-]|\bis\b|\bnumber\b|\bномер\b|\bN\b))*\s*"
# The value; not the first group of a spaced number ("the hospital number is 0161 496 0753")
_VALUE = r"(?P<id>(?:[A-Za-z]{1,3}[\-]?)?\d(?:[\d\-]*\d)?)(?![\w\-]|[ \t]\d)"
_YEARS = re.compile(r"(?:19|20)\d{2}(?:-(?:19|20)?\d{2})?")  # "medical records 2019-2021"
_PATTERN = re.compile(r"(?i:" + _EN_LABEL + "|" + _RU_LABEL + r")" + _JOIN + _VALUE)
# Every match has a label, and every label one of these literals. (And a digit: the detector
# skips DIGIT_TYPES, this one among them, in text without one.)
_LABEL = Gate(r"(?i)m(?:r|ed)", r"(?i)p(?:atient|t)", r"(?i)chart", r"(?i)h(?:ospital|ealth)", r"(?i)e[hm]r",
              r"(?i)карт", r"(?i)болезни")


class MedicalRecordRecognizer(EntityRecognizer):
    def __init__(self, language: str = "en") -> None:
        super().__init__(supported_entities=[ENTITY], name="MedicalRecordRecognizer", supported_language=language)

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        if not _LABEL.open(text):
            return out
        for m in _PATTERN.finditer(text):
            value = m.group("id")
            if sum(ch.isdigit() for ch in value) < 4 or _YEARS.fullmatch(value):
                continue
            out.append(make_result("MedicalRecordRecognizer", self.id, ENTITY, m.start("id"), m.end("id"), SCORE,
                                   "labelled medical record number"))
        return out
