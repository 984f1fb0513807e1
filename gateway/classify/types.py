"""Entity types the detector reports, and the set the default policy treats as personal.

``PERSONAL_TYPES`` is the ``entities: {any: [...]}`` list of the default policy's guard
(``regulated-data-stays-local``) and ``DEFAULT_MIN_SCORE`` its ``min_score``. The benchmarks
score request-level recall and flag rate under exactly this set and threshold.

Not personal on their own (reported, but not in the set): ``LOCATION`` (a city or country),
``ORGANIZATION``, ``DATE_TIME``, ``NRP``. ``IP_ADDRESS`` is in the set: under GDPR an IP address
identifies a device and so a person. ``DATE_OF_BIRTH`` is in it, a date that is no birth date
(``DATE_TIME``) is not; so is ``MEDICAL_RECORD``.
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
    "MEDICAL_RECORD",
    "DATE_OF_BIRTH",
    "IP_ADDRESS",
    "SECRET",
)
DEFAULT_MIN_SCORE = 0.5

# Every type the built-in recognizers can report (custom recognizers add theirs). A policy that
# names another type is told so by `gateway check`: nothing would ever find it.
DETECTED_TYPES = frozenset({
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "LOCATION", "NRP", "DATE_TIME",
    "ORGANIZATION", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "URL", "CRYPTO",
    "US_SSN", "US_PASSPORT", "US_DRIVER_LICENSE", "US_ITIN", "US_BANK_NUMBER", "MEDICAL_LICENSE",
    "UK_NHS", "UK_NINO",
    "RU_PASSPORT", "RU_SNILS", "RU_INN", "RU_OGRN", "RU_OMS", "RU_BANK_ACCOUNT", "SECRET",
    "MEDICAL_RECORD", "DATE_OF_BIRTH",
})

# Types found only in text that contains a digit; skipped for digit-free segments.
DIGIT_TYPES = frozenset({
    "PHONE_NUMBER", "STREET_ADDRESS", "RU_PASSPORT", "RU_SNILS", "RU_INN", "RU_OGRN", "RU_OMS",
    "CREDIT_CARD", "IBAN_CODE", "RU_BANK_ACCOUNT", "US_SSN", "IP_ADDRESS", "MEDICAL_RECORD", "DATE_OF_BIRTH",
})
