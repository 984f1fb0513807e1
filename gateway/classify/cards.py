"""``CREDIT_CARD``: payment card numbers of every major scheme, Luhn-checked.

A candidate is a run of 12-19 digits, bare or in groups (the first of four digits) separated
consistently by a space, a dash, a dot, a slash or `` - ``. It is a card when its issuer prefix
(IIN) belongs to a scheme that issues numbers of that length and the Luhn check digit is right:

=========== ============================================== ============
scheme      prefixes                                       lengths
=========== ============================================== ============
Visa        4                                              13, 16, 19
Mastercard  51-55, 2221-2720                               16
Amex        34, 37                                         15
Discover    6011, 644-649, 65, 622126-622925               16-19
Diners      300-305, 3095, 36, 38, 39                      14-19
JCB         35 (16-19); 1800, 2131 (15)                    15-19
Mir         2200-2204                                      16-19
UnionPay    62, 81                                         16-19
Maestro     50, 56-69, 0604                                12-19
=========== ============================================== ============

JCB issues 3528-3589 only, but generators (Faker) and test data use all of 35; it is taken
whole, as Presidio's pattern does.

Scores: 0.8 for a number of a scheme's usual length; 0.6 for 13-digit Visa, which shares its
length with EAN-13 barcodes; 0.5 for 12-digit Maestro numbers of a Maestro-only prefix (5018,
5020, 5038, 5893, 6304, 6759, 6761-6763, 6390, 0604, 56-58), 0.3 for other 12-digit ones (a
context word lifts them). A number that fails Luhn, or whose prefix or length fits no scheme
(an order number, a timestamp), is not reported, whatever words stand next to it.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.classify.checksums import luhn
from gateway.classify.results import make_result

ENTITY = "CREDIT_CARD"
CONTEXT = ("card", "credit", "debit", "карт", "visa", "mastercard", "amex", "discover", "diners", "jcb",
           "maestro", "мир", "unionpay", "payment", "charge")

_CANDIDATE = re.compile(
    r"(?<![\w+\-.,/])(?:\d{12,19}|\d{4}(?P<sep> - |[ \-./])\d{2,7}(?:(?P=sep)\d{1,7}){1,4})(?![\w]|[.,/\-]\d)"
)

# (lowest prefix, highest prefix, lengths): prefixes compared on as many leading digits as given.
_SCHEMES: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),
    ("51", "55", frozenset({16})),
    ("2221", "2720", frozenset({16})),
    ("34", "34", frozenset({15})),
    ("37", "37", frozenset({15})),
    ("6011", "6011", frozenset(range(16, 20))),
    ("644", "649", frozenset(range(16, 20))),
    ("65", "65", frozenset(range(16, 20))),
    ("622126", "622925", frozenset(range(16, 20))),
    ("300", "305", frozenset(range(14, 20))),
    ("3095", "3095", frozenset(range(14, 20))),
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(14, 20))),
    ("35", "35", frozenset(range(16, 20))),
    ("1800", "1800", frozenset({15})),
    ("2131", "2131", frozenset({15})),
    ("2200", "2204", frozenset(range(16, 20))),
    ("62", "62", frozenset(range(16, 20))),
    ("81", "81", frozenset(range(16, 20))),
    ("50", "50", frozenset(range(12, 20))),
    ("56", "69", frozenset(range(12, 20))),
    ("0604", "0604", frozenset(range(12, 20))),
)
_MAESTRO_ONLY = ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763", "6390", "0604",
                 "56", "57", "58")


def card_scheme_fits(digits: str) -> bool:
    """Whether some scheme issues numbers with this prefix and this length."""
    n = len(digits)
    return any(lo <= digits[:len(lo)] <= hi and n in lengths for lo, hi, lengths in _SCHEMES)


def card_score(digits: str) -> float | None:
    """The score of a candidate's digits, ``None`` when it is no card number."""
    if not (card_scheme_fits(digits) and luhn(digits)):
        return None
    if len(digits) == 12:
        return 0.5 if digits.startswith(_MAESTRO_ONLY) else 0.3
    if len(digits) == 13:
        return 0.6
    return 0.8


class CardRecognizer(EntityRecognizer):
    """Card numbers by scheme prefix, length and Luhn check, bare or grouped."""

    def __init__(self, language: str = "en") -> None:
        super().__init__(supported_entities=[ENTITY], name="CardRecognizer", supported_language=language,
                         context=list(CONTEXT))

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for m in _CANDIDATE.finditer(text):
            found = _longest_card(m.group(), m.group("sep"))
            if found is not None:
                length, score = found
                out.append(make_result("CardRecognizer", self.id, ENTITY, m.start(), m.start() + length, score,
                                       "scheme prefix, length and Luhn"))
        return out


def _longest_card(candidate: str, sep: str | None) -> tuple[int, float] | None:
    """The length and score of the longest card number that opens ``candidate``: all of it, or
    its first groups (a card number followed by another group of digits, a year or a code)."""
    if sep is None:
        score = card_score(candidate)
        return None if score is None else (len(candidate), score)
    groups = candidate.split(sep)
    for k in range(len(groups), 2, -1):
        score = card_score("".join(groups[:k]))
        if score is not None:
            return len(sep.join(groups[:k])), score
    return None
