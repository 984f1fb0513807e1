"""Every operator and combinator, through a guard (fires -> cloud denied)."""

from __future__ import annotations

import pytest

from gateway.policy import evaluate
from gateway.request import GatewayRequest
from gateway.signals import Signals
from tests.policy.util import policy, req, sig


def fires(when: str, signals: Signals | None = None, request: GatewayRequest | None = None) -> bool:
    p = policy(f"""\
        version: 1
        default: local-llama
        groups: {{personal: [PERSON, EMAIL_ADDRESS], money: [CREDIT_CARD, IBAN_CODE]}}
        guards:
          - id: g
            when: {when}
            deny_zones: [cloud]
        """)
    d = evaluate(p, signals or sig(), request or req())
    return d.guards == ("g",)


@pytest.mark.parametrize(("when", "model", "expected"), [
    ("{model: gpt-4o}", "gpt-4o", True),
    ("{model: gpt-4o}", "claude", False),
    ("{model: {eq: auto}}", "auto", True),
    ("{model: {in: [gpt-4o, claude]}}", "claude", True),
    ("{model: [gpt-4o, claude]}", "local-llama", False),
    ("{model: {not_in: [gpt-4o]}}", "claude", True),
    ("{model: {not_in: [gpt-4o]}}", "gpt-4o", False),
    ("{model: {matches: '^gpt-'}}", "gpt-4o", True),
    ("{model: {matches: '^gpt-'}}", "claude", False),
    ("{model: {matches: 'pt'}}", "gpt-4o", True),  # search, not fullmatch
    ("{model: {in: [gpt-4o, claude], not_in: [claude]}}", "claude", False),  # operators AND
])
def test_text_operators(when: str, model: str, expected: bool) -> None:
    assert fires(when, request=req(model)) is expected


@pytest.mark.parametrize(("when", "tokens", "expected"), [
    ("{prompt_tokens: {gte: 100}}", 100, True),
    ("{prompt_tokens: {gte: 100}}", 99, False),
    ("{prompt_tokens: {lte: 100}}", 100, True),
    ("{prompt_tokens: {lte: 100}}", 101, False),
    ("{prompt_tokens: {gte: 10, lte: 20}}", 15, True),
    ("{prompt_tokens: {gte: 10, lte: 20}}", 21, False),
    ("{prompt_tokens: 7}", 7, True),
    ("{prompt_tokens: {in: [1, 2]}}", 2, True),
    ("{prompt_tokens: {not_in: [1, 2]}}", 2, False),
])
def test_number_operators(when: str, tokens: int, expected: bool) -> None:
    assert fires(when, sig(tokens=tokens)) is expected


@pytest.mark.parametrize(("field", "kwargs"), [
    ("team", {"team": "analytics"}),
    ("key", {"key": "analytics"}),
])
def test_team_and_key(field: str, kwargs: dict[str, str]) -> None:
    assert fires(f"{{{field}: analytics}}", request=req(**kwargs))  # type: ignore[arg-type]
    assert not fires(f"{{{field}: analytics}}", request=req())
    # a missing value satisfies only not_in
    assert fires(f"{{{field}: {{not_in: [x]}}}}", request=req())
    assert not fires(f"{{{field}: {{matches: '.*'}}}}", request=req())


def test_header_names_are_case_insensitive() -> None:
    when = "{header: {X-Data-Class: {in: [restricted]}}}"
    assert fires(when, request=req(headers={"x-data-class": "restricted"}))
    assert not fires(when, request=req(headers={"x-data-class": "public"}))
    assert not fires(when, request=req())
    assert fires("{header: {x-a: 1, x-b: {matches: '^z'}}}", request=req(headers={"x-a": "1", "x-b": "zz"}))
    assert not fires("{header: {x-a: '1', x-b: {matches: '^z'}}}", request=req(headers={"x-a": "1"}))


def test_endpoint() -> None:
    assert fires("{endpoint: embeddings}", request=req(endpoint="embeddings"))
    assert not fires("{endpoint: [chat, messages]}", request=req(endpoint="completions"))


def test_language_is_a_set() -> None:
    assert fires("{language: ru}", sig(languages=("en", "ru")))
    assert not fires("{language: ru}", sig(languages=("en",)))
    assert fires("{language: {in: [ru, uk]}}", sig(languages=("uk",)))
    assert fires("{language: {not_in: [ru]}}", sig(languages=("en",)))
    assert not fires("{language: {not_in: [ru]}}", sig(languages=("en", "ru")))
    assert fires("{language: {not_in: [ru]}}", sig())
    assert not fires("{language: {in: [ru]}}", sig())


@pytest.mark.parametrize(("when", "entities", "expected"), [
    ("{entities: {any: [PERSON]}}", [("PERSON", 0.9)], True),
    ("{entities: {any: [PERSON]}}", [("PERSON", 0.4)], False),  # policy min_score 0.5
    ("{entities: {any: [PERSON], min_score: 0.3}}", [("PERSON", 0.4)], True),
    ("{entities: {any: [personal]}}", [("EMAIL_ADDRESS", 0.6)], True),
    ("{entities: {any: [personal]}}", [("LOCATION", 0.9)], False),
    ("{entities: {any: [personal, money]}}", [("IBAN_CODE", 0.9)], True),
    ("{entities: {any: ['*']}}", [("URL", 0.9)], True),
    ("{entities: {any: ['*']}}", [], False),
    ("{entities: {any: [personal], min_count: 2}}", [("PERSON", 0.9), ("EMAIL_ADDRESS", 0.9)], True),
    ("{entities: {any: [personal], min_count: 2}}", [("PERSON", 0.9), ("EMAIL_ADDRESS", 0.1)], False),
    ("{entities: {all: [personal, money]}}", [("PERSON", 0.9), ("CREDIT_CARD", 0.9)], True),
    ("{entities: {all: [personal, money]}}", [("PERSON", 0.9)], False),
    ("{entities: {all: [PERSON], min_count: 2}}", [("PERSON", 0.9), ("PERSON", 0.8)], True),
    ("{entities: {none: [money]}}", [("PERSON", 0.9)], True),
    ("{entities: {none: [money]}}", [("IBAN_CODE", 0.9)], False),
    ("{entities: {none: [money]}}", [], True),
    ("{entities: {none: [money], min_count: 2}}", [("IBAN_CODE", 0.9)], True),
    ("{entities: {any: [personal], none: [money]}}", [("PERSON", 0.9), ("IBAN_CODE", 0.9)], False),
])
def test_entities(when: str, entities: list[tuple[str, float]], expected: bool) -> None:
    assert fires(when, sig(*entities)) is expected


@pytest.mark.parametrize(("when", "content", "expected"), [
    ("{content: {any: [image]}}", ("image",), True),
    ("{content: {any: [image, audio]}}", ("audio", "file"), True),
    ("{content: {any: [image]}}", ("file",), False),
    ("{content: {any: [image]}}", (), False),
    ("{content: {none: [token_ids]}}", (), True),
    ("{content: {none: [token_ids]}}", ("token_ids",), False),
    ("{content: {any: [file], none: [unreadable]}}", ("file", "unreadable"), False),
])
def test_content(when: str, content: tuple[str, ...], expected: bool) -> None:
    assert fires(when, sig(content=content)) is expected


@pytest.mark.parametrize(("when", "categories", "expected"), [
    ("{categories: {any: [health]}}", {"health": 0.8}, True),
    ("{categories: {any: [health]}}", {"health": 0.4}, False),
    ("{categories: {any: [health], min_score: 0.3}}", {"health": 0.4}, True),
    ("{categories: {any: ['*']}}", {"legal": 0.6}, True),
    ("{categories: {any: ['*']}}", {"legal": 0.1, "hr": 0.2}, False),
    ("{categories: {all: [hr, legal]}}", {"legal": 0.9, "hr": 0.7}, True),
    ("{categories: {all: [hr, legal]}}", {"legal": 0.9}, False),
    ("{categories: {none: [security]}}", {"legal": 0.9}, True),
    ("{categories: {none: ['*']}}", {"legal": 0.9}, False),
])
def test_categories(when: str, categories: dict[str, float], expected: bool) -> None:
    assert fires(when, sig(categories=categories)) is expected


@pytest.mark.parametrize(("when", "complexity", "expected"), [
    ("{complexity: {gte: 0.5}}", 0.5, True), ("{complexity: {gte: 0.5}}", 0.49, False),
    ("{complexity: {lte: 0.3}}", 0.2, True), ("{complexity: {gte: 0.2, lte: 0.3}}", 0.4, False),
])
def test_complexity(when: str, complexity: float, expected: bool) -> None:
    assert fires(when, sig(complexity=complexity)) is expected


def test_semantic_conditions_when_not_needed_or_failed() -> None:
    from gateway.signals import FAILED, NOT_NEEDED

    # not needed: the decision cannot depend on them; the conditions are false
    assert not fires("{categories: {any: ['*']}}", sig(semantic=NOT_NEEDED))
    assert not fires("{complexity: {gte: 0}}", sig(semantic=NOT_NEEDED))
    # failed: unknown, and a guard fires unless its condition is definitely false (fail closed)
    assert fires("{categories: {any: [health]}}", sig(semantic=FAILED))
    assert fires("{not: {complexity: {gte: 0.5}}}", sig(semantic=FAILED))
    assert not fires("{all: [{categories: {any: [health]}}, {model: gpt-4o}]}", sig(semantic=FAILED))


def test_content_is_known_when_detection_failed() -> None:
    """Content kinds come from the walk over the body, not from the detector."""
    assert fires("{content: {any: [image]}}", sig(failed=True, content=("image",)))
    assert not fires("{content: {any: [image]}}", sig(failed=True))


@pytest.mark.parametrize(("when", "expected"), [
    ("{}", True),
    ("{all: []}", True),
    ("{any: []}", False),
    ("{not: {}}", False),
    ("{model: auto, team: t}", True),  # a plain map means all
    ("{model: auto, team: other}", False),
    ("{all: [{model: auto}, {team: t}]}", True),
    ("{all: [{model: auto}, {team: other}]}", False),
    ("{any: [{model: gpt-4o}, {team: t}]}", True),
    ("{any: [{model: gpt-4o}, {team: other}]}", False),
    ("{not: {model: gpt-4o}}", True),
    ("{not: {model: auto}}", False),
    ("{not: {any: [{model: gpt-4o}, {not: {team: t}}]}}", True),
])
def test_combinators(when: str, expected: bool) -> None:
    assert fires(when, request=req("auto", team="t")) is expected


class TestFailClosedLogic:
    """Classification failed: entity and language conditions are unknown (Kleene logic)."""

    failed = sig(failed=True)

    @pytest.mark.parametrize("when", [
        "{entities: {any: [PERSON]}}",
        "{entities: {none: [PERSON]}}",
        "{entities: {all: [personal, money], min_score: 0.99, min_count: 50}}",
        "{not: {entities: {any: [PERSON]}}}",
        "{language: ru}",
        "{language: {not_in: [ru]}}",
        "{all: [{entities: {any: [PERSON]}}, {model: auto}]}",
        "{any: [{entities: {any: [PERSON]}}, {model: gpt-4o}]}",
    ])
    def test_guards_that_depend_on_content_fire(self, when: str) -> None:
        assert fires(when, self.failed)

    @pytest.mark.parametrize("when", [
        "{all: [{entities: {any: [PERSON]}}, {model: gpt-4o}]}",  # false whatever the entities
        "{model: gpt-4o}",
        "{not: {prompt_tokens: {gte: 0}}}",
    ])
    def test_guards_that_cannot_hold_do_not(self, when: str) -> None:
        assert not fires(when, self.failed)
