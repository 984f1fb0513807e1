"""Detector latency vs vanilla Presidio AnalyzerEngine (same spaCy model, same texts, same run).

    python bench/detector_latency.py [--repeat N]

Cases: a ~600-character prompt, a 10 KB and a 100 KB prompt (built from the shared benchmark
texts), and a 10-turn conversation that resends its whole history each turn (our detector
with its per-part cache as the service uses it; vanilla rescans everything). Single prompts are
measured without cache (each repetition scans the text afresh).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.detector_accuracy import DATA, vanilla_scanner  # noqa: E402
from gateway.classify.cache import LruCache, text_key  # noqa: E402
from gateway.classify.detector import TextResult, build_detector  # noqa: E402
from gateway.config import ClassifierConfig  # noqa: E402


def corpus() -> list[str]:
    synth = json.loads((DATA / "pii" / "presidio_synth_dataset_v2.json").read_text())
    lines = (DATA / "prompts" / "mt_bench_questions.jsonl").read_text().splitlines()
    mt = [json.loads(line)["turns"][0] for line in lines]
    texts: list[str] = []
    for i in range(max(len(synth), len(mt))):
        if i < len(mt):
            texts.append(mt[i])
        if i < len(synth):
            texts.append(synth[i]["full_text"])
    return texts


def build(texts: list[str], size: int, offset: int = 0) -> str:
    out: list[str] = []
    n = 0
    i = offset
    while n < size:
        t = texts[i % len(texts)]
        out.append(t)
        n += len(t) + 1
        i += 1
    return "\n".join(out)[:size]


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    cfg = ClassifierConfig()
    detector = build_detector(cfg)
    vanilla = vanilla_scanner(cfg.spacy_model)
    texts = corpus()
    prompt600 = [build(texts, 600, k * 7) for k in range(args.repeat)]
    vanilla(prompt600[0])
    cases: list[tuple[str, Callable[[int], object], Callable[[int], object], int]] = []
    cases.append(("600 chars", lambda k: detector.scan(prompt600[k]), lambda k: vanilla(prompt600[k]), args.repeat))
    kb10 = build(texts, 10_000, 100)
    cases.append(("10 KB", lambda k: detector.scan(kb10), lambda k: vanilla(kb10), max(3, args.repeat // 4)))
    kb100 = build(texts, 100_000, 300)
    cases.append(("100 KB", lambda k: detector.scan(kb100), lambda k: vanilla(kb100), 3))

    turns = [build(texts, 300, 500 + 3 * i) for i in range(20)]  # user and assistant messages

    def conversation_ours(k: int) -> None:
        cache: LruCache[TextResult] = LruCache(1000)
        history: list[str] = []
        for i in range(10):
            history += [turns[2 * i] + f" #{k}", turns[2 * i + 1] + f" #{k}"]
            for t in history:
                key = text_key(t)
                if cache.get(key) is None:
                    cache.put(key, detector.scan(t))

    def conversation_vanilla(k: int) -> None:
        history: list[str] = []
        for i in range(10):
            history += [turns[2 * i] + f" #{k}", turns[2 * i + 1] + f" #{k}"]
            for t in history:
                vanilla(t)

    cases.append(("10-turn conversation", conversation_ours, conversation_vanilla, 3))
    print(f"{'case':22} {'ours p50':>9} {'p95':>8} {'vanilla p50':>12} {'p95':>8} {'ratio p50':>10} {'ratio p95':>10}")
    for name, ours, van, n in cases:
        it = iter(range(10**6))
        o = timed(lambda ours=ours, it=it, n=n: ours(next(it) % n), n)
        it2 = iter(range(10**6))
        v = timed(lambda van=van, it2=it2, n=n: van(next(it2) % n), n)
        o50, o95, v50, v95 = pct(o, 0.5), pct(o, 0.95), pct(v, 0.5), pct(v, 0.95)
        print(f"{name:22} {1000 * o50:8.1f}ms {1000 * o95:7.1f}ms {1000 * v50:11.1f}ms {1000 * v95:7.1f}ms "
              f"{o50 / v50:10.2f} {o95 / v95:10.2f}")
    print("(median of", statistics.median([1]), "run; ratios = ours / vanilla; lower is better)")


if __name__ == "__main__":
    main()
