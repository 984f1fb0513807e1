"""The compiled, immutable policy that :func:`gateway.policy.evaluate` reads.

Built by :mod:`gateway.policy.load` from a validated file and the config it was checked against;
it carries everything evaluation needs (targets with their backend and zone, ``on_error``), so
evaluation touches neither the config nor the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from gateway.policy.conditions import Matcher
from gateway.types import ModelKind, Zone

OnError = Literal["assume_sensitive", "block"]


@dataclass(frozen=True, slots=True)
class Target:
    """A public model name and where it runs."""

    model: str
    backend: str
    zone: Zone
    kind: ModelKind = "chat"


@dataclass(frozen=True, slots=True)
class Guard:
    id: str
    matches: Matcher
    deny_zones: frozenset[Zone]
    semantic: bool = False  # its condition reads categories or complexity


@dataclass(frozen=True, slots=True)
class Route:
    id: str
    matches: Matcher
    action: Literal["route", "block"]
    target: Target | None  # None: ``requested`` (or a block)
    fallback: tuple[Target, ...]
    message: str | None
    semantic: bool = False  # its condition reads categories or complexity
    redact: frozenset[str] = frozenset()  # entity types it pseudonymises (groups expanded)


@dataclass(frozen=True, slots=True)
class Policy:
    version: str  # short hash of the file's bytes
    source: str  # the file it was loaded from
    default: Target
    guards: tuple[Guard, ...]
    routes: tuple[Route, ...]
    models: Mapping[str, Target]  # every configured model, to resolve ``to: requested``
    on_error: OnError
    min_score: float
    entity_types: frozenset[str] = frozenset()  # every type the policy names, groups expanded
    default_embedding: Target | None = None  # where embeddings go when no route matches
    # The lowest score at which any condition counts an entity: a route redacts every value of
    # its types scoring at least this, so no condition can count one that is left.
    redact_floor: float = 0.5

    @property
    def semantic(self) -> bool:
        """Does any rule read categories or complexity?"""
        return any(g.semantic for g in self.guards) or any(r.semantic for r in self.routes)

    def __repr__(self) -> str:
        return (f"Policy(version={self.version!r}, source={self.source!r}, "
                f"guards={len(self.guards)}, routes={len(self.routes)})")
