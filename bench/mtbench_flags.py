"""MT-Bench first turns through the detector as the default policy reads it: the share flagged by
identifiers (its personal, financial and secret types at score >= 0.5), by the semantic
categories at several thresholds, by either (what keeps an ordinary prompt local needlessly), the
share scored complex, and the share of ``model: auto`` traffic the default policy sends to the
cloud (complex, nothing flagged).

    python bench/mtbench_flags.py
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.classify.service import ClassifyService  # noqa: E402
from gateway.classify.types import DEFAULT_MIN_SCORE, PERSONAL_TYPES  # noqa: E402
from gateway.config import ClassifierConfig  # noqa: E402
from gateway.outbound import outbound  # noqa: E402


async def main() -> None:
    svc = ClassifyService(ClassifierConfig(workers=0, timeout=60))
    await svc.start()
    path = ROOT.parent / "shared" / "benchmarks" / "prompts" / "mt_bench_questions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    ent: list[bool] = []
    cats: list[float] = []
    cx: list[float] = []
    for r in rows:
        o = outbound("chat", {"messages": [{"role": "user", "content": r["turns"][0]}]})
        s = await svc.classify(o)
        ent.append(any(e.type in PERSONAL_TYPES and e.score >= DEFAULT_MIN_SCORE for e in s.entities))
        sem = await svc.semantic(o)
        cats.append(max(sem.categories.values()))
        cx.append(sem.complexity)
    n = len(rows)
    print(f"MT-Bench first turns ({n}): flagged by identifiers {sum(ent) / n:.3f}")
    for t in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8):
        c = [x >= t for x in cats]
        both = sum(a or b for a, b in zip(ent, c, strict=True))
        print(f"  categories min_score {t:.2f}: flagged by categories {sum(c) / n:.3f}, by either {both / n:.3f}")
    cloud = sum(x >= 0.5 and not a and y < 0.5 for x, a, y in zip(cx, ent, cats, strict=True))
    print(f"scored complex {sum(x >= 0.5 for x in cx) / n:.3f}; model auto sent to the cloud by the default "
          f"policy (complex, nothing flagged at 0.5): {cloud / n:.3f}")
    await svc.aclose()


if __name__ == "__main__":
    asyncio.run(main())
