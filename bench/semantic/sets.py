"""The labelled sets the semantic scorer is trained and judged on, and the fixed hold-out split.

Public development sets (``../shared/benchmarks``): 30 % of the rows, chosen by a hash of the row
id (so the split never changes and never depends on order), are held out from training and only
scored. Category names of the public set map to the scorer's names.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "benchmarks"
DATA = Path(__file__).resolve().parent / "data"

CATEGORY_MAP = {
    "financial_internal": "financial", "health": "health", "legal_privileged": "legal", "hr_personnel": "hr",
    "source_internal": "source_code", "trade_secret": "trade_secret", "security_internal": "security",
}
HOLDOUT_SHARE = 0.30


def held_out(row_id: str) -> bool:
    h = int.from_bytes(hashlib.sha256(row_id.encode()).digest()[:4], "big")
    return h / 2**32 < HOLDOUT_SHARE


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def confidential_dev(shared: Path = SHARED) -> list[dict[str, Any]]:
    rows = read_jsonl(shared / "confidential_dev.jsonl")
    for r in rows:
        r["category"] = CATEGORY_MAP[r["category"]]
        r["holdout"] = held_out(r["id"])
    return rows


def complexity_dev(shared: Path = SHARED) -> list[dict[str, Any]]:
    rows = read_jsonl(shared / "complexity_dev.jsonl")
    for r in rows:
        r["holdout"] = held_out(r["id"])
    return rows


def mt_bench_first_turns(shared: Path = SHARED) -> list[str]:
    return [r["turns"][0] for r in read_jsonl(shared / "prompts" / "mt_bench_questions.jsonl")]


def eval_styles() -> list[dict[str, Any]]:
    return read_jsonl(DATA / "eval_styles.jsonl")


def train_confidential() -> list[dict[str, Any]]:
    return read_jsonl(DATA / "train_confidential.jsonl")


def train_complexity() -> list[dict[str, Any]]:
    return read_jsonl(DATA / "train_complexity.jsonl")
