"""Train the semantic scorer's two heads and write the weights file the package ships.

    PYTHONPATH=$PWD python bench/semantic/train.py            # writes gateway/classify/semantic/data/semantic_v1.npz
    PYTHONPATH=$PWD python bench/semantic/train.py --out /tmp/x.npz --lexical-only

Training data: the public development sets minus their held-out 30 % (``sets.held_out``), and the
project's own prompts in bench/semantic/data/train_*.jsonl (rebuild with make_train.py). The
other-styles evaluation set and MT-Bench are never read here. Deterministic for a seed: NumPy's
PCG64 generator drives initialisation and batch order, and the arithmetic is single-threaded.

Category rows are windows (the scorer's own windowing). A window is positive for a category when
the text is confidential in it and the window holds the confidential part: the whole text, the
only window, or (for composed long texts that record it) a window covering most of the
confidential sentence. Windows of a confidential text that may not hold the confidential part are
left out; every window of a harmless text is a negative.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread: the same sums in the same order, every run

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.semantic import make_train, sets  # noqa: E402
from gateway.classify.semantic.encoders import NavecEncoder, WordLlamaEncoder  # noqa: E402
from gateway.classify.semantic.features import FeatureBuilder, Limits  # noqa: E402
from gateway.classify.semantic.lexical import N_SHAPE  # noqa: E402
from gateway.classify.semantic.model import Ensemble, Head  # noqa: E402
from gateway.classify.semantic.scorer import CATEGORIES, WEIGHTS_FILE  # noqa: E402

OTHER_CATEGORY_WEIGHT = 0.3  # a confidential row of another category is a soft negative


@dataclass
class Samples:
    dense: np.ndarray
    ids: list[np.ndarray]
    y: np.ndarray  # (n, k)
    w: np.ndarray  # (n, k) loss weights


def augment_dev(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The public rows in the other styles too (in memory only: public data is not copied into the
    repository): terse with typos, under an indirect ask in either language, inside long filler."""
    rng = random.Random(seed)
    fills = {lang: make_train.load_atoms(lang)[3] for lang in ("en", "ru")}
    out: list[dict[str, Any]] = []
    for r in rows:
        lang = r["lang"]
        other = "ru" if lang == "en" else "en"
        base = {"sensitive": r["sensitive"], "category": r["category"] if r["sensitive"] else "none"}
        out.append({**base, "text": make_train.typos(r["text"], rng)})
        for ask_lang in (lang, other):
            tmpl, _ = rng.choice(make_train.WRAP[ask_lang])
            out.append({**base, "text": tmpl.format(x=r["text"])})
        doc, span = make_train.long_doc(lang, fills[lang], r["text"], rng)
        tmpl, _ = rng.choice(make_train.DOC_ASK[lang])
        off = tmpl.index("{x}")
        row = {**base, "text": tmpl.format(x=doc)}
        if span and r["sensitive"]:
            row["span"] = [span[0] + off, span[1] + off]
        out.append(row)
    return out


def category_samples(builder: FeatureBuilder, rows: list[dict[str, Any]]) -> Samples:
    dense, ids, ys, ws = [], [], [], []
    k = len(CATEGORIES)
    for r in rows:
        text: str = r["text"][: builder.limits.max_chars]
        spans = builder.category_spans(text)
        # columns: the seven categories given the text is confidential, then "confidential at all"
        y = np.zeros((len(spans), k + 1), np.float32)
        w = np.zeros((len(spans), k + 1), np.float32)
        w[:, k] = 1.0
        if r["sensitive"]:
            c = CATEGORIES.index(r["category"])
            w[:, :k] = OTHER_CATEGORY_WEIGHT
            w[:, c] = 1.0
            keep = np.zeros(len(spans), bool)
            for i, (s, e) in enumerate(spans):
                whole = s == 0 and e == len(text)
                if "span" in r:
                    cs, ce = r["span"]
                    inside = max(0, min(e, ce) - max(s, cs)) / max(1, ce - cs)
                    pos = inside >= 0.6 or (whole and len(text) <= builder.limits.whole_max_chars)
                    keep[i] = pos or inside == 0.0
                    y[i, c] = y[i, k] = float(pos)
                    if not pos:
                        w[i, :k] = 0.0
                else:
                    keep[i] = whole or len(spans) == 1
                    y[i, c] = y[i, k] = 1.0
            spans, y, w = spans[keep], y[keep], w[keep]
            if not len(spans):
                continue
        cat, _ = builder.build(text, spans)
        dense.append(cat.dense)
        ids.extend(cat.ids)
        ys.append(y)
        ws.append(w)
    return Samples(np.vstack(dense), ids, np.vstack(ys), np.vstack(ws))


def complexity_samples(builder: FeatureBuilder, rows: list[dict[str, Any]]) -> Samples:
    dense, ids, ys = [], [], []
    for r in rows:
        _, cx = builder.build(r["text"])
        dense.append(cx.dense)
        ids.extend(cx.ids)
        ys.append([float(r["complex"])])
    y = np.asarray(ys, np.float32)
    pos = y.mean()
    w = np.where(y > 0.5, 0.5 / pos, 0.5 / (1 - pos)).astype(np.float32)  # balanced classes
    return Samples(np.vstack(dense), ids, y, w)


def train_head(s: Samples, hidden: int, bins: int, epochs: int, seed: int, l2: float, lr: float,
               pos_boost: float = 1.0, lexical: bool = True, dense_mask: np.ndarray | None = None,
               dropout: float = 0.0, lex_dropout: float = 0.0) -> Head:
    rng = np.random.Generator(np.random.PCG64(seed))
    n, d = s.dense.shape
    k = s.y.shape[1]
    mu = s.dense.mean(axis=0).astype(np.float32)
    sd = (s.dense.std(axis=0) + 1e-3).astype(np.float32)
    x_all = ((s.dense - mu) / sd).astype(np.float32)
    if dense_mask is not None:
        x_all = x_all * dense_mask
    w_pos = s.w * np.where(s.y > 0.5, pos_boost, 1.0).astype(np.float32)
    params = {
        "w_dense": (rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)).astype(np.float32),
        "w_lex": (rng.standard_normal((bins + 1, hidden)) * 0.01).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w_out": (rng.standard_normal((hidden, k)) * np.sqrt(1.0 / hidden)).astype(np.float32),
        "b2": np.zeros(k, np.float32),
    }
    params["w_lex"][bins] = 0.0
    m = {p: np.zeros_like(v) for p, v in params.items()}
    v2 = {p: np.zeros_like(v) for p, v in params.items()}
    b1_, b2_, eps = 0.9, 0.999, 1e-8
    step = 0
    batch = 128
    for _ in range(epochs):
        order = rng.permutation(n)
        for b0 in range(0, n, batch):
            idx = order[b0: b0 + batch]
            x = x_all[idx]
            ids = [s.ids[i] for i in idx]
            if lex_dropout:
                ids = [t[rng.random(len(t)) >= lex_dropout] for t in ids]
            lens = np.array([len(t) for t in ids], np.int64)
            scale = (1.0 / np.sqrt(np.maximum(lens, 1))).astype(np.float32)
            flat = np.concatenate(ids) if lens.sum() else np.zeros(0, np.int64)
            owner = np.repeat(np.arange(len(idx)), lens)
            if dropout:
                x = x * (rng.random(x.shape) >= dropout) / (1 - dropout)
            h_pre = x @ params["w_dense"] + params["b1"]
            if lexical and len(flat):
                seg = np.concatenate([[0], np.cumsum(lens)[:-1]])
                lex = np.add.reduceat(params["w_lex"][flat], np.minimum(seg, len(flat) - 1), axis=0)
                lex[lens == 0] = 0.0
                h_pre += lex * scale[:, None]
            h = np.maximum(h_pre, 0)
            if dropout:
                keep_h = (rng.random(h.shape) >= dropout) / (1 - dropout)
                h = h * keep_h
            z = h @ params["w_out"] + params["b2"]
            p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
            wt = w_pos[idx]
            dz = (p - s.y[idx]) * wt / len(idx)
            g = {"w_out": h.T @ dz + l2 * params["w_out"], "b2": dz.sum(0)}
            dh = (dz @ params["w_out"].T) * (h_pre > 0)
            if dropout:
                dh = dh * keep_h
            g["w_dense"] = x.T @ dh + l2 * params["w_dense"]
            g["b1"] = dh.sum(0)
            g_lex = np.zeros_like(params["w_lex"])
            if lexical and len(flat):
                by_id = np.argsort(flat, kind="stable")
                sf = flat[by_id]
                first = np.concatenate([[0], np.flatnonzero(np.diff(sf)) + 1])
                g_lex[sf[first]] = np.add.reduceat((dh * scale[:, None])[owner[by_id]], first, axis=0)
                g_lex += l2 * params["w_lex"]
                g_lex[bins] = 0.0
            g["w_lex"] = g_lex
            step += 1
            for name in params:
                m[name] = b1_ * m[name] + (1 - b1_) * g[name]
                v2[name] = b2_ * v2[name] + (1 - b2_) * g[name] ** 2
                mh = m[name] / (1 - b1_**step)
                vh = v2[name] / (1 - b2_**step)
                params[name] -= lr * mh / (np.sqrt(vh) + eps)
            params["w_lex"][bins] = 0.0
    w_dense = params["w_dense"] if dense_mask is None else params["w_dense"] * dense_mask[:, None]
    return Head(mu, sd, w_dense.astype(np.float32), params["w_lex"], params["b1"], params["w_out"], params["b2"])


def main() -> None:
    ap = argparse.ArgumentParser(description="train the semantic scorer heads")
    ap.add_argument("--out", type=Path, default=ROOT / "gateway" / "classify" / "semantic" / "data" / WEIGHTS_FILE)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--operating-point", type=float, default=0.6,
                    help="the P(confidential) the scorer reports as 0.5, the policies' min_score (calibration)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--lex-dropout", type=float, default=0.3, help="share of hashed words dropped per example")
    ap.add_argument("--ensemble", type=int, default=1, help="heads trained with different seeds, averaged")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--no-lexical", action="store_true", help="candidate: word vectors and cues, no hashed words")
    ap.add_argument("--cx-vectors", action="store_true", help="let the complexity head read word vectors too")
    ap.add_argument("--lexical-only", action="store_true", help="candidate: hashed words and cues, no word vectors")
    ap.add_argument("--no-checkers", action="store_true",
                    help="candidate: the category head alone, without the cue and word checkers")
    args = ap.parse_args()

    t0 = time.time()
    limits = Limits()
    builder = FeatureBuilder(WordLlamaEncoder(), NavecEncoder(), limits)
    conf_dev = [r for r in sets.confidential_dev() if not r["holdout"]]
    cx_dev = [r for r in sets.complexity_dev() if not r["holdout"]]
    conf_rows = conf_dev + augment_dev(conf_dev, args.seed) + sets.train_confidential()
    conf_rows += [{"text": r["text"], "sensitive": False, "category": "none"} for r in cx_dev]
    rng = random.Random(args.seed)
    cx_rows = cx_dev + [{**r, "text": make_train.typos(r["text"], rng)} for r in cx_dev] + sets.train_complexity()
    cat_s = category_samples(builder, conf_rows)
    cx_s = complexity_samples(builder, cx_rows)
    print(f"features: {len(cat_s.y)} category windows from {len(conf_rows)} texts, {len(cx_s.y)} complexity "
          f"texts ({time.time() - t0:.0f} s)", flush=True)

    vec = WordLlamaEncoder.dim + NavecEncoder.dim
    mask_cat = mask_cx = None
    # the cue and shape columns of the dense input: the window's and the text opening's
    mask_cues = np.zeros(cat_s.dense.shape[1], np.float32)
    mask_cues[vec: vec + N_SHAPE] = 1.0
    mask_cues[-N_SHAPE:] = 1.0
    if args.lexical_only:
        mask_cat = mask_cues
    if args.lexical_only or not args.cx_vectors:
        # complexity from hashed words, cues and shape: with word vectors it fit the training
        # phrasings and did worse on the held-out rows (bench/README.md)
        mask_cx = np.zeros(cx_s.dense.shape[1], np.float32)
        mask_cx[3 * vec:] = 1.0
    cat = Ensemble(tuple(
        train_head(cat_s, args.hidden, limits.bins, args.epochs, args.seed + 100 * i, l2=args.l2, lr=args.lr,
                   dense_mask=mask_cat, lexical=not args.no_lexical, dropout=args.dropout,
                   lex_dropout=args.lex_dropout)
        for i in range(args.ensemble)))
    cx = Ensemble(tuple(
        train_head(cx_s, 32, limits.bins, args.epochs, args.seed + 1 + 100 * i, l2=args.l2, lr=args.lr,
                   dense_mask=mask_cx, dropout=args.dropout, lex_dropout=args.lex_dropout)
        for i in range(args.ensemble)))
    checkers: dict[str, Ensemble] = {}
    if not (args.no_checkers or args.lexical_only or args.no_lexical):
        # P(confidential) from the cues alone and from the cues and hashed words (no word vectors),
        # averaged with the category head's by the scorer. Trained on all outputs like the category
        # head (the categories as side tasks); only the "confidential at all" output is kept.
        k = len(CATEGORIES)
        for name, lexical in (("cues", False), ("words", True)):
            heads = []
            for i in range(args.ensemble):
                h = train_head(cat_s, args.hidden, limits.bins, args.epochs, args.seed + 100 * i, l2=args.l2,
                               lr=args.lr, dense_mask=mask_cues, lexical=lexical, dropout=args.dropout,
                               lex_dropout=args.lex_dropout)
                w_lex = h.w_lex if lexical else h.w_lex[limits.bins:] * 0.0  # the padding row alone
                heads.append(Head(h.mu, h.sd, h.w_dense, w_lex, h.b1, h.w_out[:, k:], h.b2[k:]))
            checkers[name] = Ensemble(tuple(heads))
    meta = {"version": "1", "seed": str(args.seed), "epochs": str(args.epochs),
            "candidate": ("lexical" if args.lexical_only else "wordllama+navec" if args.no_lexical
                          else "wordllama+navec+lexical") + (f" x{args.ensemble}" if args.ensemble > 1 else "")
            + (" +checkers" if checkers else ""),
            "train_texts": str(len(conf_rows)), "limits": repr(limits), "operating_point": str(args.operating_point)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    arrays = {**cat.arrays("cat"), **cx.arrays("cx"),
              **{k: v for n, e in checkers.items() for k, v in e.arrays(n).items()},
              "meta.keys": np.asarray(list(meta)), "meta.values": np.asarray(list(meta.values()))}
    with args.out.open("wb") as f:
        np.savez_compressed(f, **arrays)  # type: ignore[arg-type]
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
