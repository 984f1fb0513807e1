"""From text to the scorer's inputs: dense vectors and hashed lexical ids.

Category inputs are per window (see ``windows``): the mean English piece vector, the mean
Russian word vector, cue counts, and the hashed words of the window, plus the two mean vectors of
the text's first ``whole_max_chars`` characters as context. Complexity inputs are per
text: the same vectors for the whole text and for its first and last windows (where the ask
usually is: "translate this:" above pasted material, "what should I do?" below it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gateway.classify.semantic.encoders import F32, I64, NavecEncoder, WordLlamaEncoder, window_means
from gateway.classify.semantic.lexical import N_SHAPE, lex_units, shape_rows, text_shape, window_ids
from gateway.classify.semantic.windows import windows

CAT_DENSE = 2 * (WordLlamaEncoder.dim + NavecEncoder.dim) + 2 * N_SHAPE
CX_DENSE = 3 * (WordLlamaEncoder.dim + NavecEncoder.dim) + N_SHAPE


@dataclass(frozen=True)
class Inputs:
    dense: F32  # (rows, dim)
    ids: list[I64]  # hashed lexical ids of each row
    spans: I64  # (rows, 2) the character span each row reads


@dataclass(frozen=True)
class Limits:
    window_chars: int = 360
    max_windows: int = 64
    whole_max_chars: int = 1500  # texts up to this length are also scored whole
    max_chars: int = 100_000  # a longer text is cut to its first max_chars characters
    bins: int = 1 << 15  # hashed lexical features


class FeatureBuilder:
    def __init__(self, en: WordLlamaEncoder, ru: NavecEncoder, limits: Limits) -> None:
        self.en = en
        self.ru = ru
        self.limits = limits

    def category_spans(self, text: str) -> I64:
        lim = self.limits
        spans = windows(text, lim.window_chars, lim.max_windows)
        if len(spans) > 1 and len(text) <= lim.whole_max_chars:
            spans.append((0, len(text)))
        return np.asarray(spans, dtype=np.int64).reshape(-1, 2)

    def build(self, text: str, spans: I64 | None = None) -> tuple[Inputs, Inputs]:
        """Category inputs (one row per window, or per given span) and complexity inputs (one row)."""
        text = text[: self.limits.max_chars]
        if spans is None:
            spans = self.category_spans(text)
        en = self.en.encode(text)
        ru = self.ru.encode(text)
        lu = lex_units(text, self.limits.bins)
        ts = text_shape(text, lu)
        # every window also sees its text's opening (what kind of prompt it sits in: a story to
        # continue, reviews to rate, notes to summarise)
        ctx_span = np.asarray([[0, min(len(text), self.limits.whole_max_chars)]], dtype=np.int64)
        whole = np.asarray([[0, len(text)]], dtype=np.int64)
        # cue counts of the windows, of the opening and of the whole text, in one pass
        shapes = shape_rows(ts, np.vstack([spans, ctx_span, whole]))
        # and the cue counts of that opening: how the whole prompt frames its matter (a story, a role
        # to play, an exercise, or the writer's own people, dates and pasted material)
        ctx = np.hstack([window_means(en, ctx_span), window_means(ru, ctx_span), shapes[-2:-1]])
        cat = Inputs(
            np.hstack([window_means(en, spans), window_means(ru, spans), shapes[:-2],
                       np.repeat(ctx, len(spans), axis=0)]),
            [window_ids(lu, int(s), int(e)) for s, e in spans],
            spans,
        )
        win = windows(text, self.limits.window_chars, self.limits.max_windows) or [(0, len(text))]
        ends = np.asarray([win[0], win[-1]], dtype=np.int64)
        parts = np.vstack([whole, ends])
        e_m = window_means(en, parts)
        r_m = window_means(ru, parts)
        cx_dense = np.concatenate([e_m.reshape(-1), r_m.reshape(-1), shapes[-1]])[None, :]
        head_tail = np.concatenate([window_ids(lu, int(s), int(e)) for s, e in ends])
        cx = Inputs(cx_dense.astype(np.float32), [head_tail], whole)
        return cat, cx
