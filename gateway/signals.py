"""What the detector tells the policy: entities found (types, scores, where), what could not be
read as text (``content`` kinds), the semantic signals (confidential categories and complexity,
when the policy needs them), and whether detection failed. Holds no text of the request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Entity:
    type: str
    score: float
    message: int
    part: int
    start: int
    end: int
    # found across the seam of two strings (a value split between two messages or parts): it has
    # no single place in the body
    seam: bool = False


# not_needed: the policy's decision cannot depend on them for this request, so they were not
# computed (conditions on them are false); failed: they were needed and scoring failed
# (conditions on them are unknown: fail closed).
SemanticState = Literal["ok", "not_needed", "failed"]


@dataclass(frozen=True)
class Semantic:
    """Scores of the small local model: each confidential category (0..1, the highest over the
    conversation's messages) and the complexity of the latest user message (0..1)."""

    categories: Mapping[str, float]
    complexity: float
    state: SemanticState = "ok"

    def flagged(self, threshold: float = 0.5) -> list[str]:
        return sorted(c for c, s in self.categories.items() if s >= threshold)


NOT_NEEDED = Semantic({}, 0.0, "not_needed")
FAILED = Semantic({}, 0.0, "failed")


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
    semantic: Semantic = NOT_NEEDED

    def counts(self, min_score: float = 0.0) -> dict[str, int]:
        return dict(Counter(e.type for e in self.entities if e.score >= min_score))
