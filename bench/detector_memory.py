"""Resident memory of one detector worker process, with and without the semantic model.

Each configuration runs in a fresh process: build the detector as a worker does
(``build_detector``: models loaded, warmed up), scan and score a few hundred varied texts (so
the word-vector pages a real workload touches are resident), then read the process's RSS and
PSS (``/proc/self/smaps_rollup``; PSS splits shared pages, such as a memory-mapped table, among
the processes that map them). The gateway runs ``classifier.workers`` such processes.

    python bench/detector_memory.py [--texts 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
from gateway.config import ClassifierConfig
from gateway.classify.detector import build_detector

def mem():
    out = {}
    for line in open("/proc/self/smaps_rollup"):
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            out[key.lower()] = int(rest.split()[0]) / 1024
    return out

semantic = sys.argv[2] == "on"
det = build_detector(ClassifierConfig().model_copy(update={"semantic": semantic}))
texts = json.loads(sys.stdin.read())
for t in texts:
    det.scan(t)
    if semantic:
        det.semantic(t)
print(json.dumps(mem()))
"""


def texts(n: int) -> list[str]:
    """Prompts of the public sets (English and Russian), so both vector tables are read."""
    shared = ROOT.parent / "shared" / "benchmarks"
    rows: list[str] = []
    for name in ("confidential_dev.jsonl", "complexity_dev.jsonl"):
        path = shared / name
        if path.exists():
            rows += [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        rows = ["Summarise the attached quarterly report in three bullet points.",
                "Переведи на английский: встреча переносится на четверг."]
    return [rows[i % len(rows)] for i in range(n)]


def measure(semantic: bool, sample: list[str]) -> dict[str, float]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), "on" if semantic else "off"],
                         input=json.dumps(sample), capture_output=True, text=True, env=env, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=300)
    args = parser.parse_args()
    sample = texts(args.texts)
    off, on = measure(False, sample), measure(True, sample)
    print(f"# one detector worker process after {len(sample)} texts (MB)")
    print(f"{'':24} {'RSS':>8} {'PSS':>8}")
    print(f"{'semantic off':24} {off['rss']:>8.0f} {off['pss']:>8.0f}")
    print(f"{'semantic on':24} {on['rss']:>8.0f} {on['pss']:>8.0f}")
    print(f"{'added by the model':24} {on['rss'] - off['rss']:>8.0f} {on['pss'] - off['pss']:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
