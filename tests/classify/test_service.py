from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.classify.service import ClassifyService
from gateway.config import ClassifierConfig
from gateway.request import TextPart


def parts(*texts: str) -> list[TextPart]:
    return [TextPart(i, 0, "user", t) for i, t in enumerate(texts)]


@pytest.fixture
async def service() -> AsyncIterator[ClassifyService]:
    svc = ClassifyService(ClassifierConfig(workers=0, cache_size=100))
    await svc.start()
    yield svc
    await svc.aclose()


async def test_classify_finds_entities_and_languages(service: ClassifyService) -> None:
    assert service.ready
    signals = await service.classify(parts("My email is jane@example.com", "Мой СНИЛС 112-233-445 95"))
    assert not signals.classify_failed
    assert {"EMAIL_ADDRESS", "RU_SNILS"} <= set(signals.counts(0.5))
    assert signals.languages == frozenset({"en", "ru"})
    snils = next(e for e in signals.entities if e.type == "RU_SNILS")
    assert snils.message == 1


async def test_cache_avoids_rescanning_history(service: ClassifyService) -> None:
    history = ["Hello, I am Jane Doe.", "Sure, how can I help?"]
    await service.classify(parts(*history))
    before = service._cache.hits
    signals = await service.classify(parts(*history, "What is 2+2?"))
    assert service._cache.hits == before + 2
    assert "PERSON" in signals.counts(0.5)


async def test_cache_never_keeps_text(service: ClassifyService) -> None:
    await service.classify(parts("secret text Jane Doe"))
    assert all(isinstance(k, bytes) and len(k) == 16 for k in service._cache._data)


async def test_opaque_input_fails_closed(service: ClassifyService) -> None:
    signals = await service.classify(parts("hello"), opaque=True)
    assert signals.classify_failed


async def test_timeout_fails_closed() -> None:
    svc = ClassifyService(ClassifierConfig(workers=0, timeout=0.001, cache_size=0))
    await svc.start()
    try:
        signals = await svc.classify(parts("word " * 50000 + "John Smith"))
        assert signals.classify_failed
    finally:
        await svc.aclose()


async def test_not_started_fails_closed() -> None:
    svc = ClassifyService(ClassifierConfig(workers=0))
    signals = await svc.classify(parts("hello"))
    assert signals.classify_failed


async def test_process_workers() -> None:
    svc = ClassifyService(ClassifierConfig(workers=1))
    await svc.start()
    try:
        results = await asyncio.gather(*(svc.classify(parts(f"call me at +7 912 345-67-{i:02d}")) for i in range(3)))
        assert all("PHONE_NUMBER" in r.counts(0.5) for r in results)
    finally:
        await svc.aclose()
