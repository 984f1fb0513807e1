"""Limiter fixtures: a real redis-server per test module, and a recorder of limiter events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.limits.redis_process import RedisServer, redis_server


@dataclass
class Events:
    """Records what the limiter reports (as the gateway's metrics would)."""

    limited_: list[tuple[str, str]] = field(default_factory=list)
    spends: dict[str, float] = field(default_factory=dict)
    degraded_: list[bool] = field(default_factory=list)

    def limited(self, key: str, kind: str) -> None:
        self.limited_.append((key, kind))

    def spend(self, team: str, usd: float) -> None:
        self.spends[team] = usd

    def degraded(self, flag: bool) -> None:
        self.degraded_.append(flag)


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def events() -> Events:
    return Events()
