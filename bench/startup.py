"""Out of the box: how long `gateway serve --config config.example.yaml` takes to be ready and to
give its first answer, how much memory the gateway and its processes hold with the embedded model
loaded, and how fast the embedded model generates.

    python bench/startup.py                 # 3 starts, 20 generations
    python bench/startup.py --starts 1 --generations 5
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def one_start(generations: int) -> dict[str, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["GATEWAY_KEY_ANALYTICS"] = KEY
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--config", "config.example.yaml",
                             "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - t0 > 300:
                raise RuntimeError("the gateway did not become ready")
            time.sleep(0.05)
        ready = time.perf_counter() - t0
        headers = {"authorization": f"Bearer {KEY}"}
        question = {"model": "auto", "max_tokens": 32,
                    "messages": [{"role": "user", "content": "What is the capital of France?"}]}
        httpx.post(url + "/v1/chat/completions", json=question, headers=headers, timeout=120).raise_for_status()
        first = time.perf_counter() - t0
        rates = []
        for i in range(generations):
            body = {"model": "auto", "max_tokens": 128, "messages": [
                {"role": "user", "content": f"Write a short story about a lighthouse keeper, number {i}."}]}
            t = time.perf_counter()
            answer = httpx.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=300).json()
            tokens = answer["usage"]["completion_tokens"]
            rates.append(tokens / (time.perf_counter() - t))
        memory = rss_mb(tree(proc.pid))
        return {"ready_s": ready, "first_answer_s": first, "rss_mb": memory,
                "tokens_per_s": statistics.median(rates) if rates else 0.0}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--generations", type=int, default=20)
    args = parser.parse_args()
    runs = [one_start(args.generations) for _ in range(args.starts)]
    print(f"# python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.starts} starts, "
          f"{args.generations} generations of up to 128 tokens each (medians)")
    for key, label in (("ready_s", "serve -> /readyz 200 (s)"), ("first_answer_s", "serve -> first answer (s)"),
                       ("rss_mb", "resident memory, all processes (MB)"),
                       ("tokens_per_s", "embedded model, tokens/s (one request at a time)")):
        values = [r[key] for r in runs]
        print(f"{label:50s} {statistics.median(values):8.2f}   (min {min(values):.2f}, max {max(values):.2f})")


if __name__ == "__main__":
    main()
