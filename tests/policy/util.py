"""Small builders shared by the policy tests (and importable by other test packages)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from gateway.config import Config, load_config
from gateway.policy import Policy, load_policy_text
from gateway.request import GatewayRequest
from gateway.signals import NOT_NEEDED, Entity, Semantic, Signals
from gateway.types import Endpoint

ROOT = Path(__file__).resolve().parents[2]


def example_config() -> Config:
    return load_config(ROOT / "config.example.yaml")


def config_with(on_error: str = "assume_sensitive") -> Config:
    cfg = example_config()
    return cfg.model_copy(update={"classifier": cfg.classifier.model_copy(update={"on_error": on_error})})


def policy(text: str, config: Config | None = None, file: str = "policy.yaml") -> Policy:
    return load_policy_text(textwrap.dedent(text), config or example_config(), file)


def sig(*entities: tuple[str, float] | str, failed: bool = False, tokens: int = 0,
        languages: tuple[str, ...] = (), content: tuple[str, ...] = (),
        categories: dict[str, float] | None = None, complexity: float | None = None,
        semantic: Semantic | None = None) -> Signals:
    ents = tuple(Entity(e, 1.0, 0, 0, 0, 0) if isinstance(e, str) else Entity(e[0], e[1], 0, 0, 0, 0)
                 for e in entities)
    if semantic is None:
        semantic = (Semantic(categories or {}, complexity or 0.0)
                    if categories is not None or complexity is not None else NOT_NEEDED)
    return Signals(ents, failed, tokens, frozenset(languages), content=frozenset(content), semantic=semantic)


def req(model: str = "auto", *, endpoint: Endpoint = "chat", headers: dict[str, str] | None = None,
        team: str | None = None, key: str | None = None) -> GatewayRequest:
    return GatewayRequest(endpoint=endpoint, body={}, model=model, stream=False, request_id="t",
                          headers=headers or {}, key_id=key, team=team)
