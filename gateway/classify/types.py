"""Entity types the detector reports, and the set the default policy treats as personal.

``PERSONAL_TYPES`` is the ``entities: {any: [...]}`` list of the default policy's guard
(``regulated-data-stays-local``) and ``DEFAULT_MIN_SCORE`` its ``min_score``. The benchmarks
score request-level recall and flag rate under exactly this set and threshold.

Not personal on their own (reported, but not in the set): ``LOCATION`` (a city or country),
``ORGANIZATION``, ``DATE_TIME``, ``NRP``. ``IP_ADDRESS`` is in the set: under GDPR an IP address
identifies a device and so a person.
"""

from __future__ import annotations

PERSONAL_TYPES: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "STREET_ADDRESS",
    "RU_PASSPORT",
    "RU_SNILS",
    "RU_INN",
    "RU_OGRN",
    "RU_OMS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "RU_BANK_ACCOUNT",
    "US_SSN",
    "IP_ADDRESS",
    "SECRET",
)
DEFAULT_MIN_SCORE = 0.5

# Types found only in text that contains a digit; skipped for digit-free segments.
DIGIT_TYPES = frozenset({
    "PHONE_NUMBER", "STREET_ADDRESS", "RU_PASSPORT", "RU_SNILS", "RU_INN", "RU_OGRN", "RU_OMS",
    "CREDIT_CARD", "IBAN_CODE", "RU_BANK_ACCOUNT", "US_SSN", "IP_ADDRESS",
})
