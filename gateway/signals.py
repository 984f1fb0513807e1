"""What the detector tells the policy: entities found (types, scores, where), what could not be
read as text (``content`` kinds), and whether detection failed. Holds no text of the request."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entity:
    type: str
    score: float
    message: int
    part: int
    start: int
    end: int


@dataclass(frozen=True)
class Signals:
    entities: tuple[Entity, ...] = ()
    # Detection errored, timed out, or met input it could not read: fail closed.
    classify_failed: bool = False
    prompt_tokens: int = 0
    languages: frozenset[str] = field(default_factory=frozenset)
    # What the upstream would receive that cannot be read as text: image, audio, file,
    # token_ids, unreadable (see gateway.outbound).
    content: frozenset[str] = field(default_factory=frozenset)

    def counts(self, min_score: float = 0.0) -> dict[str, int]:
        return dict(Counter(e.type for e in self.entities if e.score >= min_score))
