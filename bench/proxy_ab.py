"""Before and after on a machine whose speed drifts: the gateways of several checkouts run at
once, and wrk runs alternate between them and direct nginx, round after round, so a slower
minute hits every tree alike. Prints the median per tree of the added p50 and the requests/s
(and every run's requests/s), for the cases of ``bench/proxy.py``.

    python bench/proxy_ab.py --trees ../before . --rounds 4 --duration 5
    python bench/proxy_ab.py --trees ../before . --semantic
    python bench/proxy_ab.py --trees ../before . --stream-timing 30   # and time to the first streamed event
    python bench/proxy_ab.py --trees ../before . --cases cached:1 cached:32 --rounds 12 --duration 3

Every tree after the first is also compared with the first round by round (the runs of one round
are seconds apart): the median of the per-round ratios of requests/s, and of the per-round
differences of the added p50.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import proxy

CASES = (("cached", 1), ("cached", 32), ("unique", 1), ("unique", 32))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", nargs="+", type=Path, required=True, help="checkouts whose gateways to compare")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--cases", nargs="+", default=[f"{c}:{n}" for c, n in CASES], metavar="CASE:CONCURRENCY",
                        help="cases of bench/proxy.py and their concurrency (default: %(default)s)")
    parser.add_argument("--semantic", action="store_true", help="the policy reads categories and complexity")
    parser.add_argument("--stream-timing", type=int, default=0, metavar="N",
                        help="then, each round, N streamed requests per tree at concurrency 1 against an upstream "
                             "that sends 5 events 20 ms apart: the time to the first event")
    args = parser.parse_args()
    trees = [t.resolve() for t in args.trees]
    cases = [(c, int(n)) for c, _, n in (x.partition(":") for x in args.cases)]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        up = proxy.free_port()
        upstream = f"http://127.0.0.1:{up}"
        nginx = proxy.start_nginx(tmp, up)
        slow = proxy.free_port()  # the streaming upstream (--stream-timing)
        gateways: list[tuple[Path, subprocess.Popen[bytes], int]] = []
        try:
            proxy.wait_http(f"{upstream}/v1/chat/completions")
            for i, tree in enumerate(trees):
                sub = tmp / str(i)
                sub.mkdir()
                config = proxy.write_config(sub, upstream, slow, semantic=args.semantic)
                port = proxy.free_port()
                gw = proxy.start_gateway(config, port, 1, {**os.environ, "PYTHONUNBUFFERED": "1"}, tree)
                gateways.append((tree, gw, port))
            for _, _, port in gateways:
                proxy.wait_http(f"http://127.0.0.1:{port}/readyz")
            print(f"# {args.rounds} rounds x {args.duration} s, medians; added p50 in ms"
                  f"{'; policy reads categories and complexity' if args.semantic else ''}")
            for case, conc in cases:
                script = proxy.lua_script(tmp, case)
                for _, _, port in gateways:  # warm every gateway up
                    proxy.run_wrk(f"http://127.0.0.1:{port}/v1/chat/completions", script, conc, 2)
                direct: list[dict[str, float]] = []
                through: dict[Path, list[dict[str, float]]] = {t: [] for t in trees}
                for r in range(args.rounds):
                    base = proxy.run_wrk(f"{upstream}/v1/chat/completions", script, conc, args.duration)
                    direct.append(base)
                    for tree, _, port in gateways if r % 2 == 0 else gateways[::-1]:
                        run = proxy.run_wrk(f"http://127.0.0.1:{port}/v1/chat/completions", script, conc,
                                            args.duration)
                        run["added"] = run["p50"] - base["p50"]
                        through[tree].append(run)
                line = (f"{case:6} c{conc:<3} | direct p50 {statistics.median(x['p50'] for x in direct):.3f} "
                        f"rps {statistics.median(x['rps'] for x in direct):.0f}")
                for tree in trees:
                    runs = through[tree]
                    line += (f" | {tree.name}: added p50 {statistics.median(x['added'] for x in runs):.3f} "
                             f"rps {statistics.median(x['rps'] for x in runs):.0f} "
                             f"({' '.join(str(round(x['rps'])) for x in runs)})")
                print(line, flush=True)
                first = through[trees[0]]
                for tree in trees[1:]:
                    runs = through[tree]
                    ratios = [b["rps"] / a["rps"] for a, b in zip(first, runs, strict=True)]
                    deltas = [b["added"] - a["added"] for a, b in zip(first, runs, strict=True)]
                    print(f"{'':11} | {tree.name} against {trees[0].name}, round by round: rps ratio median "
                          f"{statistics.median(ratios):.3f} ({' '.join(f'{x:.2f}' for x in ratios)}); added p50 "
                          f"difference median {statistics.median(deltas):+.3f} ms", flush=True)
            if args.stream_timing:
                stream_rounds(trees, gateways, slow, args.rounds, args.stream_timing)
            print("# RSS of each gateway with its detector processes (MB): "
                  + ", ".join(f"{t.name} {proxy.tree_rss_mb(gw.pid):.0f}" for t, gw, _ in gateways))
        finally:
            for _, gw, _ in gateways:
                proxy.stop_process(gw)
            nginx.terminate()
            nginx.wait(timeout=10)
    return 0


def stream_rounds(trees: list[Path], gateways: list[tuple[Path, subprocess.Popen[bytes], int]], slow: int,
                  rounds: int, requests: int) -> None:
    """Time to the first streamed event, direct and through each gateway, alternating per round."""
    threading.Thread(target=lambda: asyncio.run(proxy.slow_stream_server(slow, 5, 0.02)), daemon=True).start()
    time.sleep(0.3)
    body = json.dumps({"model": "slow", "stream": True, "messages": [
        {"role": "system", "content": proxy.SYSTEM}, {"role": "user", "content": proxy.USER}]}).encode()
    direct: list[float] = []
    added: dict[Path, list[float]] = {t: [] for t in trees}
    for r in range(rounds):
        base = asyncio.run(proxy.stream_timing(f"http://127.0.0.1:{slow}/v1/chat/completions", body, requests))
        direct.append(base["ttft_p50"])
        for tree, _, port in gateways if r % 2 == 0 else gateways[::-1]:
            run = asyncio.run(proxy.stream_timing(f"http://127.0.0.1:{port}/v1/chat/completions", body, requests))
            added[tree].append(run["ttft_p50"] - base["ttft_p50"])
    line = f"stream c1   | direct time to first event p50 {statistics.median(direct):.3f}"
    for tree in trees:
        line += (f" | {tree.name}: added {statistics.median(added[tree]):.3f} "
                 f"({' '.join(f'{x:.2f}' for x in added[tree])})")
    print(line, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
