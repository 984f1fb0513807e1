"""When two detected values are the same value: the key a value is numbered by.

The same value must get the same placeholder everywhere in a conversation, and two different
values must never share one (the wrong value would be restored). Keys are therefore
conservative: they merge only forms that are the same value beyond doubt.

* identifiers (phone, card, account, document numbers): their letters and digits, without the
  spaces, dashes and dots between groups (``4111 1111 1111 1111`` and ``4111-1111-1111-1111``);
* names and the rest: case folded, white space collapsed (``Anna Petrova``, ``ANNA PETROVA``);
* Russian names of two or three words: each word's dictionary form (pymorphy2) with one
  grammatical gender that every word agrees on, so ``Анна Петрова``, ``Анны Петровой`` and
  ``Анне Петровой`` are one person. One word alone (``Петрова`` is a woman or a man's genitive)
  and names whose words do not agree on a gender are not merged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Types whose values are identifiers: compared by their letters and digits only.
IDENTIFIER_TYPES = frozenset({
    "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "US_PASSPORT", "US_DRIVER_LICENSE",
    "US_BANK_NUMBER", "US_ITIN", "UK_NHS", "UK_NINO", "RU_PASSPORT", "RU_SNILS", "RU_INN", "RU_OGRN",
    "RU_OMS", "RU_BANK_ACCOUNT", "MEDICAL_RECORD", "MEDICAL_LICENSE", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE",
    "PL_PESEL", "SG_NRIC_FIN", "AU_TFN", "AU_MEDICARE", "IN_PAN", "IN_AADHAAR", "KR_RRN",
})
NAME_TYPES = frozenset({"PERSON"})

_SEPARATORS = re.compile(r"[\s\-./()_]+")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_CYRILLIC = re.compile(r"^[\u0400-\u04ff\-]+$")
_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})
_GENDERS = ("masc", "femn")


class ValueKeys:
    """Keys of values. ``morph`` (a pymorphy2 ``MorphAnalyzer``) is loaded on first use of a
    Russian name, once per process; the keys of one word are cached."""

    def __init__(self) -> None:
        self._morph: Any = None
        self._cache: dict[str, dict[str, str | None]] = {}

    def warm(self) -> None:
        """Load the morphology now (a quarter of a second), not in the first request that needs it."""
        self._analyzer()

    def key(self, entity_type: str, value: str) -> tuple[str, str]:
        text = unicodedata.normalize("NFKC", value).strip()
        if entity_type in IDENTIFIER_TYPES:
            return entity_type, _SEPARATORS.sub("", text).casefold()
        if entity_type in NAME_TYPES:
            russian = self._russian_name(text)
            if russian is not None:
                return entity_type, russian
        return entity_type, _SPACES.sub(" ", text).casefold()

    def _russian_name(self, text: str) -> str | None:
        words = _WORD.findall(text)
        if not 2 <= len(words) <= 3 or not all(_CYRILLIC.match(w) for w in words):
            return None
        forms = [self._forms(w.casefold().replace("ё", "е")) for w in words]
        common = [g for g in _GENDERS if all(g in f for f in forms)]
        if len(common) != 1:
            return None
        lemmas = [f[common[0]] for f in forms]
        if any(lemma is None for lemma in lemmas):
            return None
        return f"{common[0]}:" + " ".join(lemma for lemma in lemmas if lemma is not None)

    def _forms(self, word: str) -> dict[str, str | None]:
        """For each gender: the word's one dictionary form as a name, surname or patronymic of
        that gender (None when it has several: ambiguous)."""
        hit = self._cache.get(word)
        if hit is None:
            hit = self._cache[word] = _forms(self._analyzer(), word)
            if len(self._cache) > 4096:
                self._cache.pop(next(iter(self._cache)))
        return hit

    def _analyzer(self) -> Any:
        if self._morph is None:
            import yargy.morph  # noqa: F401  (applies pymorphy2's fix for Python 3.11)
            from pymorphy2 import MorphAnalyzer

            self._morph = MorphAnalyzer()
        return self._morph


def _forms(morph: Any, word: str) -> dict[str, str | None]:
    found: dict[str, set[str]] = {}
    fixed: dict[str, set[str]] = {}
    for parse in morph.parse(word):
        grammemes = parse.tag.grammemes
        if not grammemes & _NAME_TAGS or "plur" in grammemes:
            continue  # a name in a full name is singular ("Петров" is not "of the Peters")
        for gender in _GENDERS:
            if gender in grammemes:
                (fixed if "Fixd" in grammemes else found).setdefault(gender, set()).add(
                    parse.normal_form.replace("ё", "е"))
    out: dict[str, str | None] = {}
    for gender in _GENDERS:
        lemmas = found.get(gender) or fixed.get(gender)  # an indeclinable reading only as a last resort
        if lemmas:
            out[gender] = next(iter(lemmas)) if len(lemmas) == 1 else None
    return out
