"""Latency and memory of the semantic scorer, per candidate weights file.

    PYTHONPATH=$PWD python bench/semantic_latency.py                      # the shipped weights
    PYTHONPATH=$PWD python bench/semantic_latency.py --weights /tmp/a.npz /tmp/b.npz --repeat 300

Times are CPU time of the scoring thread (``time.thread_time``), not wall time: the machine is
shared, and wall time under load measures the neighbours. Each candidate runs in a fresh
subprocess (single-threaded BLAS, as in a detector worker):
resident memory before and after the scorer is built (the scorer's share of a worker), load
time, and p50/p95 milliseconds of ``score()`` for short (~50 characters), typical (~800) and
long (~10 KB) prompts. Every call gets a different text (a new user message each time), built
from the development sets' rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _texts(n: int, size: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    import random

    from bench.semantic import sets

    pool = [r["text"] for r in sets.confidential_dev()] + [r["text"] for r in sets.complexity_dev()]
    rng = random.Random(size)
    out = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < size:
            parts.append(rng.choice(pool))
        text = "\n".join(parts)
        out.append(text[:size])
    return out


def child(weights: str | None, repeat: int) -> dict[str, object]:
    import time

    import numpy as np

    sys.path.insert(0, str(ROOT))
    from gateway.classify.semantic import SemanticConfig, SemanticScorer

    sizes = {"short": 50, "typical": 800, "long": 10_000}
    texts = {k: _texts(repeat, v) for k, v in sizes.items()}
    before = _rss_mb()
    t0 = time.thread_time()
    scorer = SemanticScorer(SemanticConfig(weights=weights))
    load_s = time.thread_time() - t0
    for t in texts["typical"][:5]:
        scorer.score(t)
    res: dict[str, object] = {"weights": weights or "shipped", "candidate": scorer.meta.get("candidate", "?"),
                              "load_s": round(load_s, 2)}
    for k, ts in texts.items():
        ms = []
        for t in ts:
            t1 = time.thread_time()
            scorer.score(t)
            ms.append((time.thread_time() - t1) * 1000)
        res[k] = (round(float(np.percentile(ms, 50)), 2), round(float(np.percentile(ms, 95)), 2))
    res["rss_added_mb"] = round(_rss_mb() - before, 1)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", nargs="*", default=[None])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.weights[0], args.repeat)))
        return
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": str(ROOT)}
    print(f"{'candidate':28} {'load s':>7} {'short p50/p95':>15} {'typical p50/p95':>17} {'10KB p50/p95':>15} "
          f"{'RSS +MB':>8}")
    for w in args.weights:
        cmd = [sys.executable, __file__, "--child", "--repeat", str(args.repeat)]
        if w:
            cmd += ["--weights", w]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])

        def pair(k: str, r: dict[str, object] = r) -> str:
            a, b = r[k]  # type: ignore[misc]
            return f"{a:.2f}/{b:.2f}"

        print(f"{r['candidate']:28} {r['load_s']:>7} {pair('short'):>15} {pair('typical'):>17} {pair('long'):>15} "
              f"{r['rss_added_mb']:>8}")


if __name__ == "__main__":
    main()
