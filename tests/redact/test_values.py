"""When two values are one: identifiers by their letters and digits, names by case, Russian
names by their dictionary forms when every word agrees on one gender; never two people."""

from __future__ import annotations

import pytest

from gateway.redact import ValueKeys

KEYS = ValueKeys()


@pytest.mark.parametrize(("kind", "a", "b"), [
    ("PERSON", "Anna Petrova", "ANNA  petrova"),
    ("PERSON", "Анна Петрова", "Анны Петровой"),
    ("PERSON", "Анна Петрова", "Анне Петровой"),
    ("PERSON", "Иван Петров", "Ивану Петрову"),
    ("PERSON", "Мария Ивановна Ковалёва", "Марии Ивановны Ковалевой"),
    ("PHONE_NUMBER", "+1 415 555 0132", "+1 (415) 555-0132"),
    ("CREDIT_CARD", "4111 1111 1111 1111", "4111-1111-1111-1111"),
    ("EMAIL_ADDRESS", "Anna.Petrova@Example.com", "anna.petrova@example.com"),
    ("RU_SNILS", "112-233-445 95", "11223344595"),
])
def test_one_value(kind: str, a: str, b: str) -> None:
    assert KEYS.key(kind, a) == KEYS.key(kind, b)


@pytest.mark.parametrize(("kind", "a", "b"), [
    ("PERSON", "Иван Петров", "Анна Петрова"),
    ("PERSON", "Петров", "Петрова"),  # a man, or a woman: one word cannot tell
    ("PERSON", "Александр Пушкин", "Александра Пушкина"),  # his genitive, or a woman
    ("PERSON", "Anna Petrova", "Anna Petrov"),
    ("PHONE_NUMBER", "+1 415 555 0132", "+1 415 555 0133"),
    ("EMAIL_ADDRESS", "anna@example.com", "anna@example.org"),
])
def test_two_values(kind: str, a: str, b: str) -> None:
    assert KEYS.key(kind, a) != KEYS.key(kind, b)


def test_the_type_is_part_of_the_key() -> None:
    assert KEYS.key("PERSON", "Jordan") != KEYS.key("LOCATION", "Jordan")
