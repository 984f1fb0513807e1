"""The trained heads: a one-hidden-layer network over dense inputs and hashed lexical ids.

``hidden = relu(((x - mu) / sd) @ w_dense + sum(w_lex[ids]) / sqrt(len(ids)) + b1)``,
``p = sigmoid(hidden @ w_out + b2)``. The weights are a NumPy ``.npz`` file (float16 on disk)
written by ``bench/semantic/train.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

import numpy as np

from gateway.classify.semantic.encoders import F32, I64


@dataclass(frozen=True)
class Head:
    mu: F32
    sd: F32
    w_dense: F32  # (dense, hidden)
    w_lex: F32  # (bins + 1, hidden); the last row is zero (padding for empty windows)
    b1: F32
    w_out: F32  # (hidden, outputs)
    b2: F32
    cols: I64 | None = None  # the dense columns read (None: all); mu, sd and w_dense are cut to them

    @property
    def lexical(self) -> bool:
        """False for a head that reads no hashed words (its ``w_lex`` is the padding row alone)."""
        return int(self.w_lex.shape[0]) > 1

    def logits(self, dense: F32, ids: list[I64]) -> F32:
        if self.cols is not None:
            dense = dense[:, self.cols]
        x = (dense - self.mu) / self.sd
        h = x @ self.w_dense + self.b1
        if not self.lexical:
            np.maximum(h, 0.0, out=h)
            dense_only: F32 = (h @ self.w_out + self.b2).astype(np.float32, copy=False)
            return dense_only
        pad = self.w_lex.shape[0] - 1
        lens = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
        flat = np.concatenate([*ids, np.full(1, pad, dtype=np.int64)]) if ids else np.full(1, pad, np.int64)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        rows = self.w_lex[flat]
        summed = np.add.reduceat(rows, np.minimum(starts, len(flat) - 1), axis=0)
        summed[lens == 0] = 0.0
        h += summed / np.sqrt(np.maximum(lens, 1))[:, None].astype(np.float32)
        np.maximum(h, 0.0, out=h)
        out: F32 = (h @ self.w_out + self.b2).astype(np.float32, copy=False)
        return out

    def predict(self, dense: F32, ids: list[I64]) -> F32:
        z = self.logits(dense, ids)
        out: F32 = (1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))).astype(np.float32)
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        if self.cols is not None:
            raise ValueError("a head cut to its dense columns is not written back")
        return {f"{prefix}.{k}": getattr(self, k).astype(np.float16)
                for k in ("mu", "sd", "w_dense", "w_lex", "b1", "w_out", "b2")}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> Head:
        """A head as written by ``arrays``; one trained on a few dense columns (its other rows of
        ``w_dense`` are zero) reads only those."""
        def get(k: str) -> F32:
            return np.ascontiguousarray(arrays[f"{prefix}.{k}"], dtype=np.float32)

        mu, sd, w_dense = get("mu"), get("sd"), get("w_dense")
        used = np.flatnonzero(np.any(w_dense != 0.0, axis=1))
        if len(used) < len(w_dense) // 2:
            return cls(mu[used], sd[used], np.ascontiguousarray(w_dense[used]), get("w_lex"), get("b1"),
                       get("w_out"), get("b2"), used.astype(np.int64))
        return cls(mu, sd, w_dense, get("w_lex"), get("b1"), get("w_out"), get("b2"))


@dataclass(frozen=True)
class Ensemble:
    """Several heads trained with different seeds; their probabilities are averaged."""

    heads: tuple[Head, ...]

    def predict(self, dense: F32, ids: list[I64]) -> F32:
        out: F32 = np.mean([h.predict(dense, ids) for h in self.heads], axis=0).astype(np.float32)
        return out

    @property
    def outputs(self) -> int:
        return int(self.heads[0].w_out.shape[1])

    @property
    def bins(self) -> int:
        return max(int(h.w_lex.shape[0]) for h in self.heads) - 1

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i, h in enumerate(self.heads):
            out.update(h.arrays(f"{prefix}{i}"))
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> Ensemble:
        n = 0
        while f"{prefix}{n}.w_out" in arrays:
            n += 1
        if n == 0:
            raise ValueError(f"no {prefix} heads in the weights file")
        return cls(tuple(Head.from_arrays(arrays, f"{prefix}{i}") for i in range(n)))


@dataclass(frozen=True)
class Heads:
    """The category head, its two checkers, and the complexity head.

    ``cues`` reads only the cue counts and shape of the window and of the text's opening (no
    word vectors, no hashed words); ``words`` reads those and the hashed words. Both output
    P(confidential) alone. They are trained on the same rows as ``cat``; what they cannot learn is
    a topic's word vectors, which is what ``cat`` overfits on harmless prompts about the
    categories' topics (a story with a secret, a role-played doctor, a survey with percentages).
    An older weights file without them has ``cues = words = None``.
    """

    cat: Ensemble
    cx: Ensemble
    cues: Ensemble | None
    words: Ensemble | None
    meta: dict[str, str]


def load_heads(f: IO[bytes]) -> Heads:
    with np.load(f, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = {str(k): str(v) for k, v in zip(arrays["meta.keys"], arrays["meta.values"], strict=True)}

    def optional(prefix: str) -> Ensemble | None:
        return Ensemble.from_arrays(arrays, prefix) if f"{prefix}0.w_out" in arrays else None

    return Heads(Ensemble.from_arrays(arrays, "cat"), Ensemble.from_arrays(arrays, "cx"), optional("cues"),
                 optional("words"), meta)
