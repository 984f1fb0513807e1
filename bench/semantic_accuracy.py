"""Accuracy of the semantic scorer (confidential categories and complexity).

    PYTHONPATH=$PWD python bench/semantic_accuracy.py                    # the shipped weights
    PYTHONPATH=$PWD python bench/semantic_accuracy.py --weights /tmp/x.npz --misses

Prints, per language: recall and flag rate on the held-out 30 % of confidential_dev (the split
of bench/semantic/sets.py, never trained on) with per-category recall; recall and flag rate on
the other-styles evaluation set (bench/semantic/data/eval_styles.jsonl, never trained on) per
style; complexity accuracy on the held-out part of complexity_dev and on the other-styles
complexity rows; MT-Bench first turns: the share flagged by the categories and the share scored
complex. A flag is max category score >= --threshold (0.5); complex is complexity >= 0.5.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.semantic import sets  # noqa: E402
from gateway.classify.semantic import CATEGORIES, SemanticConfig, SemanticResult, SemanticScorer  # noqa: E402

THRESHOLD = [0.5]  # set by --threshold: the policy's categories min_score


def flagged(r: SemanticResult) -> bool:
    return max(r.categories.values()) >= THRESHOLD[0]


def frac(a: int, b: int) -> str:
    return f"{a / b:.3f} ({a}/{b})" if b else "  -  "


def confidential_table(title: str, rows: list[dict[str, Any]], res: list[SemanticResult], by: str,
                       misses: bool) -> None:
    print(f"\n{title}")
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[r["lang"]].append(i)
        groups[f"{r['lang']}/{r[by]}"].append(i)
    print(f"{'group':24} {'recall (sensitive)':>22} {'flag rate (harmless)':>22}")
    for g in sorted(groups):
        idx = groups[g]
        pos = [i for i in idx if rows[i]["sensitive"]]
        neg = [i for i in idx if not rows[i]["sensitive"]]
        print(f"{g:24} {frac(sum(flagged(res[i]) for i in pos), len(pos)):>22} "
              f"{frac(sum(flagged(res[i]) for i in neg), len(neg)):>22}")
    cats: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        if r["sensitive"]:
            cats[f"{r['lang']}/{r['category']}"].append(i)
    print("per-category recall (flag, and the right category >= 0.5):")
    for c in sorted(cats):
        idx = cats[c]
        right = sum(res[i].categories[rows[i]["category"]] >= 0.5 for i in idx)
        print(f"  {c:24} {frac(sum(flagged(res[i]) for i in idx), len(idx)):>16}  right {frac(right, len(idx))}")
    if misses:
        for i, r in enumerate(rows):
            if r["sensitive"] != flagged(res[i]):
                kind = "MISS" if r["sensitive"] else "FLAG"
                top = max(res[i].categories.items(), key=lambda kv: kv[1])
                print(f"  {kind} {r['id']} {r.get('category')} top={top[0]}:{top[1]:.2f} | "
                      f"{r['text'][:150]!r}")


def complexity_table(title: str, rows: list[dict[str, Any]], res: list[SemanticResult], misses: bool) -> None:
    print(f"\n{title}")
    for lang in sorted({r["lang"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        ok = sum((res[i].complexity >= 0.5) == rows[i]["complex"] for i in idx)
        share = sum(res[i].complexity >= 0.5 for i in idx)
        print(f"  {lang}: accuracy {frac(ok, len(idx))}, routed complex {frac(share, len(idx))}")
    if misses:
        for i, r in enumerate(rows):
            if (res[i].complexity >= 0.5) != r["complex"]:
                print(f"  WRONG {r['id']} complex={r['complex']} score={res[i].complexity:.2f} "
                      f"{r.get('kind', r.get('style'))} | {r['text'][:120]!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", help="heads file to score with (default: the shipped one)")
    ap.add_argument("--misses", action="store_true", help="print misclassified rows")
    ap.add_argument("--threshold", type=float, default=0.5,
                    help="flag at max category score >= this (the policy's categories min_score)")
    args = ap.parse_args()
    THRESHOLD[0] = args.threshold
    scorer = SemanticScorer(SemanticConfig(weights=args.weights))
    print(f"weights: {args.weights or 'shipped'}  meta: {scorer.meta}")

    dev = [r for r in sets.confidential_dev() if r["holdout"]]
    confidential_table("confidential_dev, held-out 30 % (by style = category)", dev,
                       [scorer.score(r["text"]) for r in dev], "category", args.misses)

    ev = sets.eval_styles()
    ev_conf = [r for r in ev if r["task"] == "confidential"]
    confidential_table("other-styles evaluation set (bench/semantic/data/eval_styles.jsonl)", ev_conf,
                       [scorer.score(r["text"]) for r in ev_conf], "style", args.misses)

    cx = [r for r in sets.complexity_dev() if r["holdout"]]
    complexity_table("complexity_dev, held-out 30 %", cx, [scorer.score(r["text"]) for r in cx], args.misses)
    ev_cx = [r for r in ev if r["task"] == "complexity"]
    complexity_table("complexity, other-styles evaluation rows", ev_cx, [scorer.score(r["text"]) for r in ev_cx],
                     args.misses)

    mt = sets.mt_bench_first_turns()
    mt_res = [scorer.score(t) for t in mt]
    n_flag = sum(flagged(r) for r in mt_res)
    n_cx = sum(r.complexity >= 0.5 for r in mt_res)
    print(f"\nMT-Bench first turns ({len(mt)}): flagged by categories {frac(n_flag, len(mt))}, "
          f"scored complex {frac(n_cx, len(mt))}")
    if args.misses:
        for t, r in zip(mt, mt_res, strict=True):
            if flagged(r):
                top = max(r.categories.items(), key=lambda kv: kv[1])
                print(f"  FLAG top={top[0]}:{top[1]:.2f} | {t[:120]!r}")
    _ = CATEGORIES


if __name__ == "__main__":
    main()
