"""Entity type names the policy may refer to without declaring them.

The detector owns detection; the policy only needs the *names*, to catch a typo such as
``EMAIL_ADRESS`` at load time instead of a guard that silently never matches. Types of custom
recognizers come from ``classifier.recognizers`` in the config, and a policy may declare more
under ``entity_types``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Presidio's predefined recognizers.
PRESIDIO_TYPES = frozenset({
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS",
    "LOCATION", "DATE_TIME", "NRP", "MEDICAL_LICENSE", "URL", "CRYPTO", "ORGANIZATION",
    "US_SSN", "US_PASSPORT", "US_DRIVER_LICENSE", "US_BANK_NUMBER", "US_ITIN",
    "UK_NHS", "UK_NINO", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "IT_DRIVER_LICENSE",
    "IT_VAT_CODE", "IT_PASSPORT", "IT_IDENTITY_CARD", "PL_PESEL", "SG_NRIC_FIN", "SG_UEN",
    "AU_ABN", "AU_ACN", "AU_TFN", "AU_MEDICARE", "IN_PAN", "IN_AADHAAR",
    "IN_VEHICLE_REGISTRATION", "IN_VOTER", "IN_PASSPORT", "FI_PERSONAL_IDENTITY_CODE", "KR_RRN",
})

# The gateway's own recognizers (DESIGN.md, "Entity types").
GATEWAY_TYPES = frozenset({
    "STREET_ADDRESS", "RU_PASSPORT", "RU_SNILS", "RU_INN", "RU_OGRN", "RU_OMS",
    "RU_BANK_ACCOUNT", "SECRET", "MEDICAL_RECORD", "DATE_OF_BIRTH",
})

KNOWN_ENTITY_TYPES = PRESIDIO_TYPES | GATEWAY_TYPES

# Keys under which a custom recognizer in ``classifier.recognizers`` may name its type.
_RECOGNIZER_TYPE_KEYS = ("entity_type", "entity", "type", "supported_entity")


def custom_types(recognizers: Iterable[Mapping[str, object]]) -> frozenset[str]:
    """Entity types declared by custom recognizers in the config."""
    out: set[str] = set()
    for rec in recognizers:
        for key in _RECOGNIZER_TYPE_KEYS:
            value = rec.get(key)
            if isinstance(value, str) and value:
                out.add(value)
    return frozenset(out)
