"""``SemanticScorer``: confidential categories and complexity of a text, from a small local model.

Load once per process (it reads ~70 MB of word vectors from installed packages and the trained
heads from this package's data), then call :meth:`SemanticScorer.score` from any thread: scoring
only reads the loaded arrays. Deterministic, no network, no global state.

Categories are scored per window of sentences and the highest window wins (a confidential
sentence inside a long pasted thread counts); complexity is scored on the whole text and on its
first and last windows, where the ask usually is.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gateway.classify.semantic.encoders import F32, I64, NavecEncoder, WordLlamaEncoder
from gateway.classify.semantic.features import FeatureBuilder, Limits
from gateway.classify.semantic.model import Heads, load_heads

if TYPE_CHECKING:
    from navec import Navec

CATEGORIES: tuple[str, ...] = ("financial", "health", "legal", "hr", "source_code", "trade_secret", "security")
WEIGHTS_FILE = "semantic_v1.npz"


@dataclass(frozen=True)
class SemanticConfig:
    """Where the model comes from and how much of a long text is read.

    ``weights``: path to a heads file written by ``bench/semantic/train.py`` (None: the one shipped
    in this package). ``navec``: path to a navec archive (None: the one shipped by natasha).
    """

    weights: str | None = None
    navec: str | None = None
    wordllama: str = "l2_supercat"
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class SemanticResult:
    categories: dict[str, float]
    complexity: float

    @property
    def flagged(self) -> list[str]:
        """Names of the categories that score at least 0.5."""
        return [k for k, v in self.categories.items() if v >= 0.5]


class SemanticScorer:
    def __init__(self, cfg: SemanticConfig, navec: Navec | None = None) -> None:
        """``navec``: the Russian word vectors when this process has them loaded already (the
        detector's Russian NER); used unless ``cfg.navec`` names another archive."""
        self._cfg = cfg
        ru = NavecEncoder(navec) if navec is not None and cfg.navec is None else NavecEncoder(path=cfg.navec)
        self._features = FeatureBuilder(WordLlamaEncoder(cfg.wordllama), ru, cfg.limits)
        heads = _load(cfg.weights)
        self._cat, self._cx, self.meta = heads.cat, heads.cx, heads.meta
        self._point = float(self.meta.get("operating_point", "0.5"))
        if not 0.0 < self._point < 1.0:
            raise ValueError("semantic weights carry an operating point outside (0, 1)")
        self._checkers = tuple(e for e in (heads.cues, heads.words) if e is not None)
        if (self._cat.outputs != len(CATEGORIES) + 1 or self._cat.bins != cfg.limits.bins or self._cx.outputs != 1
                or any(e.outputs != 1 or e.bins not in (0, cfg.limits.bins) for e in self._checkers)):
            raise ValueError("semantic weights do not match this scorer (categories or hashing bins)")

    def score(self, text: str) -> SemanticResult:
        if not text.strip():
            return SemanticResult({c: 0.0 for c in CATEGORIES}, 0.0)
        cat, cx = self._features.build(text)
        p = self._category_scores(cat.dense, cat.ids)
        c = float(self._cx.predict(cx.dense, cx.ids)[0, 0])
        return SemanticResult({name: round(float(v), 4) for name, v in zip(CATEGORIES, p, strict=True)}, round(c, 4))

    def _category_scores(self, dense: F32, ids: list[I64]) -> F32:
        """Per category: the highest window's P(confidential) x P(category | confidential), the
        second factor scaled so that the window's most likely category gets P(confidential).

        P(confidential) of a window is the mean of the category head's and its checkers' (cue counts
        alone; cue counts and hashed words): a harmless prompt on a category's topic flags only when
        the cues of ownership agree with the word vectors."""
        out = self._cat.predict(dense, ids)  # (windows, 7 + 1)
        conf: F32 = out[:, len(CATEGORIES)]
        if self._checkers:
            votes = [conf, *(e.predict(dense, ids)[:, 0] for e in self._checkers)]
            conf = np.mean(votes, axis=0).astype(np.float32)
        given = out[:, : len(CATEGORIES)]
        rel = given / np.maximum(given.max(axis=1, keepdims=True), 1e-6)
        scores: F32 = (conf[:, None] * rel).max(axis=0).astype(np.float32)
        return calibrate(scores, self._point)

    def score_batch(self, texts: list[str]) -> list[SemanticResult]:
        return [self.score(t) for t in texts]


def calibrate(scores: F32, point: float) -> F32:
    """Scores mapped so that ``point`` reads 0.5: linear on each side, 0 and 1 kept, order kept.
    The weights file names the operating point chosen for it (``operating_point``, the model's
    P(confidential) at which a prompt counts as confidential): policies keep ``min_score: 0.5``."""
    if point == 0.5:
        return scores
    low = scores * (0.5 / point)
    high = 0.5 + (scores - point) * (0.5 / (1.0 - point))
    out: F32 = np.where(scores < point, low, high).astype(np.float32)
    return out


def _load(path: str | None) -> Heads:
    if path is not None:
        with Path(path).open("rb") as f:
            return load_heads(f)
    with (importlib.resources.files("gateway.classify.semantic") / "data" / WEIGHTS_FILE).open("rb") as f:
        return load_heads(f)
