"""The detector service: what it finds in a request, its cache, its budget, failing closed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.classify.service import ClassifyService
from gateway.config import ClassifierConfig
from gateway.outbound import Outbound, outbound


def chat(*texts: str, **extra: Any) -> Outbound:
    return outbound("chat", {"messages": [{"role": "user", "content": t} for t in texts], **extra})


@pytest.fixture
async def service() -> AsyncIterator[ClassifyService]:
    svc = ClassifyService(ClassifierConfig(workers=0, cache_size=100))
    await svc.start()
    yield svc
    await svc.aclose()


async def test_classify_finds_entities_and_languages(service: ClassifyService) -> None:
    assert service.ready
    signals = await service.classify(chat("My email is jane@example.com", "Мой СНИЛС 112-233-445 95"))
    assert not signals.classify_failed
    assert {"EMAIL_ADDRESS", "RU_SNILS"} <= set(signals.counts(0.5))
    assert signals.languages == frozenset({"en", "ru"})
    snils = next(e for e in signals.entities if e.type == "RU_SNILS")
    assert snils.message == 1


@pytest.mark.parametrize("text", [
    "mail an\u200bna@exa\u200bmple.com",
    "mail anna＠example.com",
    "mail anna\u00ad@example.com",
    "see https://x.test/?u=anna%40example.com",
    "anna&#64;example.com",
    "decode YW5uYS5wZXRyb3ZhQGV4YW1wbGUuY29t please",
])
async def test_obfuscated_email_is_found(service: ClassifyService, text: str) -> None:
    signals = await service.classify(chat(text))
    assert "EMAIL_ADDRESS" in signals.counts(0.5)
    e = next(e for e in signals.entities if e.type == "EMAIL_ADDRESS")
    assert text[e.start:e.end]  # offsets point into the original text


async def test_a_value_split_across_messages_is_found(service: ClassifyService) -> None:
    signals = await service.classify(chat("please write to anna.petrova@exa", "mple.com today"))
    assert "EMAIL_ADDRESS" in signals.counts(0.5)
    assert not (await service.classify(chat("please write to the", "team today"))).entities


@pytest.mark.parametrize("first, second", [
    ("You are a helpful assistant.", "Can you help me with my code?"),  # "assistant.Ca"
    ("Answer in English.", "In which year did it happen?"),  # "English.In"
    ("Be concise.", "Please summarise this"),  # "concise.Pl"
])
async def test_a_sentence_end_and_the_next_message_are_no_domain(service: ClassifyService, first: str,
                                                                  second: str) -> None:
    assert not (await service.classify(chat(first, second))).entities


async def test_fields_beyond_content_are_read(service: ClassifyService) -> None:
    signals = await service.classify(chat("hi", user="jane@example.com"))
    assert "EMAIL_ADDRESS" in signals.counts(0.5)


async def test_cache_avoids_rescanning_history(service: ClassifyService) -> None:
    history = ["Hello, I am Jane Doe.", "Sure, how can I help?"]
    await service.classify(chat(*history))
    before = service._cache.hits
    signals = await service.classify(chat(*history, "What is 2+2?"))
    assert service._cache.hits == before + 3  # two messages and the seam between them
    assert "PERSON" in signals.counts(0.5)


async def test_cache_never_keeps_text(service: ClassifyService) -> None:
    await service.classify(chat("secret text Jane Doe"))
    assert all(isinstance(k, bytes) and len(k) in (16, 20) for k in service._cache._data)


async def test_content_kinds_are_passed_on(service: ClassifyService) -> None:
    signals = await service.classify(outbound("chat", {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}))
    assert signals.content == {"image"} and not signals.classify_failed


async def test_beyond_the_budget_is_unread_and_fails_closed() -> None:
    svc = ClassifyService(ClassifierConfig(workers=0, max_scan_chars=2000))
    await svc.start()
    try:
        signals = await svc.classify(chat("My email is jane@example.com. " + "word " * 1000))
        assert signals.classify_failed and "unreadable" in signals.content
        assert "EMAIL_ADDRESS" in signals.counts(0.5)  # what was read is still reported
        small = await svc.classify(chat("hello there"))
        assert not small.classify_failed and not small.content
    finally:
        await svc.aclose()


async def test_long_text_is_read_in_overlapping_chunks(service: ClassifyService) -> None:
    filler = "lorem ipsum dolor sit amet " * 400  # ~10,800 characters: three chunks
    for cut in (3990, 4000, 4010):
        text = filler[:cut] + " jane.doe@example.com " + filler[cut:]
        signals = await service.classify(chat(text))
        emails = [e for e in signals.entities if e.type == "EMAIL_ADDRESS"]
        assert len(emails) == 1 and text[emails[0].start:emails[0].end] == "jane.doe@example.com"


async def test_timeout_fails_closed() -> None:
    svc = ClassifyService(ClassifierConfig(workers=0, timeout=0.001, cache_size=0))
    await svc.start()
    try:
        signals = await svc.classify(chat("word " * 5000 + "John Smith"))
        assert signals.classify_failed
    finally:
        await svc.aclose()


async def test_not_started_fails_closed() -> None:
    svc = ClassifyService(ClassifierConfig(workers=0))
    signals = await svc.classify(chat("hello"))
    assert signals.classify_failed
