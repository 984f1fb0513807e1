"""Detector accuracy on the shared benchmarks: request-level recall / flag rate and span-level
precision / recall / F2 per entity type, under PERSONAL_TYPES and DEFAULT_MIN_SCORE.

    python bench/detector_accuracy.py [--vanilla] [--limit N] [--misses TYPE]

Data is read from ../shared/benchmarks relative to the repository root.

Label mapping (gold -> detector): GPE -> LOCATION; every other label keeps its name. A
DATE_OF_BIRTH found on a gold DATE_TIME span matches it (the sets label birth dates DATE_TIME).
Request level: a text is "with PII" when it has a gold label in PERSONAL_TYPES. Left out as not
personal on their own (a text whose only labels are these counts as clean): LOCATION/GPE,
ORGANIZATION, DATE_TIME, TITLE, AGE, NRP, and also ZIP_CODE and DOMAIN_NAME (a postcode or a
domain alone identifies no one); the numbers with those two counted as PII are printed too.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.classify.detector import Span, build_detector  # noqa: E402
from gateway.classify.types import DEFAULT_MIN_SCORE, PERSONAL_TYPES  # noqa: E402
from gateway.config import ClassifierConfig  # noqa: E402

DATA = (ROOT / ".." / "shared" / "benchmarks").resolve()
MAPPING = {"GPE": "LOCATION"}
LEFT_OUT = {"ZIP_CODE", "DOMAIN_NAME"}
Gold = list[tuple[str, int, int]]


def load_synth() -> list[tuple[str, Gold]]:
    rows = json.loads((DATA / "pii" / "presidio_synth_dataset_v2.json").read_text())
    return [(r["full_text"], [(MAPPING.get(s["entity_type"], s["entity_type"]), s["start_position"],
                               s["end_position"]) for s in r["spans"]]) for r in rows]


def load_ru() -> list[tuple[str, Gold]]:
    lines = (DATA / "pii" / "ru_synth.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [(r["text"], [(s["type"], s["start"], s["end"]) for s in r["spans"]]) for r in rows]


def load_mt_bench(turn: int) -> list[str]:
    lines = (DATA / "prompts" / "mt_bench_questions.jsonl").read_text().splitlines()
    return [json.loads(line)["turns"][turn] for line in lines if line.strip()]


def vanilla_scanner(model: str) -> Callable[[str], list[Span]]:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]})
    engine = AnalyzerEngine(nlp_engine=provider.create_engine())

    def scan(text: str) -> list[Span]:
        return [Span(r.entity_type, r.score, r.start, r.end) for r in engine.analyze(text, "en")]

    return scan


def same_kind(found: str, gold: str) -> bool:
    """The labelled sets predate DATE_OF_BIRTH and label birth dates DATE_TIME: a birth date
    found on a gold DATE_TIME span is that span found (a finer type of it)."""
    return found == gold or (found, gold) == ("DATE_OF_BIRTH", "DATE_TIME")


def flagged(spans: Iterable[Span]) -> bool:
    return any(s.type in PERSONAL_TYPES and s.score >= DEFAULT_MIN_SCORE for s in spans)


def f2(p: float, r: float) -> float:
    return 5 * p * r / (4 * p + r) if p + r else 0.0


def evaluate(name: str, data: list[tuple[str, Gold]], scan: Callable[[str], list[Span]],
             misses: str | None) -> None:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    pii = hit = pii_all = hit_all = clean = clean_flag = 0
    t0 = time.perf_counter()
    for text, gold in data:
        spans = [s for s in scan(text) if s.score >= DEFAULT_MIN_SCORE]
        is_flag = flagged(spans)
        kinds = {g[0] for g in gold}
        if kinds & set(PERSONAL_TYPES):
            pii += 1
            hit += is_flag
        elif kinds & LEFT_OUT:
            pass
        else:
            clean += 1
            clean_flag += is_flag
        if kinds & (set(PERSONAL_TYPES) | LEFT_OUT):
            pii_all += 1
            hit_all += is_flag
        if misses and (misses in kinds) and not is_flag:
            print("MISS", repr(text[:300]), [s for s in spans])
        if misses == "FP" and not kinds & (set(PERSONAL_TYPES) | LEFT_OUT) and is_flag:
            print("FP", repr(text[:300]), [(s.type, s.score, text[s.start:s.end]) for s in spans])
        for kind, gs, ge in gold:
            if any(same_kind(s.type, kind) and s.start < ge and gs < s.end for s in spans):
                tp[kind] += 1
            else:
                fn[kind] += 1
        for s in spans:
            if not any(same_kind(s.type, k) and s.start < ge and gs < s.end for k, gs, ge in gold):
                fp[s.type] += 1
    dt = time.perf_counter() - t0
    print(f"\n== {name}: {len(data)} texts, {1000 * dt / len(data):.1f} ms/text")
    print(f"request recall {hit / max(pii, 1):.3f} ({hit}/{pii} texts with PII); "
          f"incl. ZIP_CODE/DOMAIN_NAME-only {hit_all / max(pii_all, 1):.3f} ({hit_all}/{pii_all}); "
          f"flag rate on clean {clean_flag / max(clean, 1):.3f} ({clean_flag}/{clean})")
    print(f"{'type':18} {'prec':>6} {'rec':>6} {'F2':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for kind in sorted(set(tp) | set(fn) | set(fp)):
        p = tp[kind] / max(tp[kind] + fp[kind], 1)
        r = tp[kind] / max(tp[kind] + fn[kind], 1)
        print(f"{kind:18} {p:6.3f} {r:6.3f} {f2(p, r):6.3f} {tp[kind]:5} {fp[kind]:5} {fn[kind]:5}")


def negatives(name: str, texts: list[str], scan: Callable[[str], list[Span]], show: bool) -> None:
    n = 0
    for text in texts:
        spans = [s for s in scan(text) if s.score >= DEFAULT_MIN_SCORE]
        if flagged(spans):
            n += 1
            if show:
                print("FLAG", repr(text[:120]), [(s.type, s.score, text[s.start:s.end]) for s in spans
                                                 if s.type in PERSONAL_TYPES])
    print(f"== {name}: flag rate {n / len(texts):.3f} ({n}/{len(texts)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vanilla", action="store_true", help="score vanilla Presidio instead")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--half", choices=("even", "odd"),
                    help="only texts with even / odd index (tune on one half, check on the other)")
    ap.add_argument("--misses", help="print texts with this gold type that were not flagged (FP: false flags)")
    args = ap.parse_args()
    cfg = ClassifierConfig()
    if args.vanilla:
        scan = vanilla_scanner(cfg.spacy_model)
    else:
        detector = build_detector(cfg)

        def scan(text: str) -> list[Span]:
            return list(detector.scan(text).spans)

    synth, ru = load_synth(), load_ru()
    if args.half:
        keep = 0 if args.half == "even" else 1
        synth = synth[keep::2]
        ru = ru[keep::2]
    if args.limit:
        synth = synth[: args.limit]
    evaluate("presidio synth v2", synth, scan, args.misses)
    evaluate("ru_synth", ru, scan, args.misses)
    show = args.misses == "FP"
    negatives("MT-Bench turn 1", load_mt_bench(0), scan, show)
    negatives("MT-Bench turn 2", load_mt_bench(1), scan, show)
    negatives("MT-Bench both turns", load_mt_bench(0) + load_mt_bench(1), scan, False)
    ru_neg = [t for t, g in ru if not g]
    negatives("ru_synth negatives", ru_neg, scan, show)


if __name__ == "__main__":
    re.compile("")  # keep the import used for --misses filters added later
    main()
