"""What reversible redaction costs: the same request through the same gateway, redacted and not.

One gateway, one static nginx upstream (bench/proxy.py's), a policy with two routes to the same
cloud backend: ``cloud`` sends the body as it is, ``cloud-r`` pseudonymises names, e-mail
addresses and phone numbers first and restores the answer. wrk loads both in turn with the same
~800-character prompt holding two names, an e-mail address and a phone number:

* ``cached``: the same prompt every time (its texts, and the redacted texts, are in the
  detector's cache): the cost of redacting and restoring themselves;
* ``unique``: a new number in every prompt: detection runs on every request, and the redacted
  body is scanned again (entities and categories): the full cost of the re-scan.

Then time to first token of a stream (50 events 20 ms apart, concurrency 1), redacted against
not. See bench/README.md.

    python bench/redaction.py --concurrency 1 32 --duration 8 --stream-timing 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import proxy

SYSTEM = proxy.SYSTEM
USER = ("Please rewrite this customer complaint so that it is polite and short, keep every fact, and add a "
        "closing line that promises a call back within two working days. Ticket UNIQUE. The customer is Anna "
        "Petrova (anna.petrova@example.com, +1 415 555 0132). She writes: 'This is the third time your courier "
        "has been late. On Monday I waited at home all morning and nobody came, on Wednesday the parcel was left "
        "with a neighbour I have never met, and today the tracking page says delivered although nothing arrived. "
        "I asked Daniel Okafor from your support team to call me back and he never did. I want a refund of the "
        "delivery fee and a clear answer about where my parcel is, otherwise I will cancel my subscription. I "
        "have been a customer for six years and I expect better than this.'")


def write_config(tmp: Path, upstream: str, slow_port: int) -> Path:
    (tmp / "policy.yaml").write_text("""\
version: 1
default: cloud
groups:
  personal: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER]
routes:
  - id: redacted
    when: {model: {in: [cloud-r, slow-r]}}
    to: requested
    redact: [personal]
  - id: plain
    when: {model: {in: [cloud, slow]}}
    to: requested
""")
    (tmp / "config.yaml").write_text(f"""\
auth: {{allow_anonymous: true}}
backends:
  cloud-nginx: {{type: openai, zone: cloud, base_url: "{upstream}/v1"}}
  cloud-slow: {{type: openai, zone: cloud, base_url: "http://127.0.0.1:{slow_port}/v1"}}
models:
  cloud: {{backend: cloud-nginx, model: bench-cloud}}
  cloud-r: {{backend: cloud-nginx, model: bench-cloud}}
  slow: {{backend: cloud-slow, model: bench-slow}}
  slow-r: {{backend: cloud-slow, model: bench-slow}}
classifier: {{workers: {os.cpu_count() or 1}}}
policy: policy.yaml
audit: {{path: "{tmp / 'audit.jsonl'}"}}
""")
    return tmp / "config.yaml"


def script(tmp: Path, model: str, unique: bool) -> Path:
    body = json.dumps({"model": model, "messages": [{"role": "system", "content": SYSTEM},
                                                    {"role": "user", "content": USER}]})
    if not unique:
        body = body.replace("UNIQUE", "42")
    path = tmp / f"{model}-{'unique' if unique else 'cached'}.lua"
    path.write_text(proxy.LUA % (body, "true" if unique else "false", '{["Content-Type"]="application/json"}'))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["cached", "unique"], choices=["cached", "unique"])
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 32])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="load both routes this many times (medians)")
    parser.add_argument("--stream-timing", type=int, default=100, metavar="N",
                        help="streamed requests at concurrency 1 for time to first token (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        up_port, gw_port, slow_port = proxy.free_port(), proxy.free_port(), proxy.free_port()
        upstream = f"http://127.0.0.1:{up_port}"
        nginx = proxy.start_nginx(tmp, up_port)
        threading.Thread(target=lambda: asyncio.run(proxy.slow_stream_server(slow_port, 50, 0.02)),
                         daemon=True).start()
        gateway = proxy.start_gateway(write_config(tmp, upstream, slow_port), gw_port, 1,
                                      {**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            proxy.wait_http(f"{upstream}/v1/chat/completions")
            proxy.wait_http(f"http://127.0.0.1:{gw_port}/readyz")
            url = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
            print(f"# python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.duration}s per run, "
                  f"{args.rounds} rounds; user message {len(USER)} characters, system {len(SYSTEM)}")
            print(f"{'case':7} {'conc':>4} | {'plain p50':>9} {'p99':>7} {'rps':>7} | {'redacted p50':>12} {'p99':>7} "
                  f"{'rps':>7} {'err':>4} | {'added p50':>9} {'rps ratio':>9}")
            for case in args.cases:
                unique = case == "unique"
                plain, redacted = script(tmp, "cloud", unique), script(tmp, "cloud-r", unique)
                for c in args.concurrency:
                    runs: dict[str, list[dict[str, float]]] = {"plain": [], "redacted": []}
                    for _ in range(args.rounds):
                        runs["plain"].append(proxy.run_wrk(url, plain, c, args.duration))
                        runs["redacted"].append(proxy.run_wrk(url, redacted, c, args.duration))
                    p = {k: statistics.median(r[k] for r in runs["plain"]) for k in ("p50", "p99", "rps")}
                    r = {k: statistics.median(x[k] for x in runs["redacted"]) for k in ("p50", "p99", "rps")}
                    errors = sum(x["errors"] for x in runs["redacted"] + runs["plain"])
                    print(f"{case:7} {c:>4} | {p['p50']:>9.3f} {p['p99']:>7.3f} {p['rps']:>7.0f} | "
                          f"{r['p50']:>12.3f} {r['p99']:>7.3f} {r['rps']:>7.0f} {errors:>4.0f} | "
                          f"{r['p50'] - p['p50']:>+9.3f} {r['rps'] / p['rps'] if p['rps'] else float('nan'):>9.2f}",
                          flush=True)
            print("# latencies in ms through the gateway; added = redacted minus plain, medians over the rounds")
            if args.stream_timing:
                time.sleep(0.3)
                timings = {}
                for model in ("slow", "slow-r", "slow", "slow-r"):
                    body = json.dumps({"model": model, "stream": True, "messages": [
                        {"role": "system", "content": SYSTEM},
                        {"role": "user", "content": USER.replace("UNIQUE", "42")}]}).encode()
                    timings.setdefault(model, []).append(
                        asyncio.run(proxy.stream_timing(url, body, args.stream_timing // 2)))
                plain_t = statistics.median(t["ttft_p50"] for t in timings["slow"])
                red_t = statistics.median(t["ttft_p50"] for t in timings["slow-r"])
                gaps = (statistics.median(t["max_gap_p50"] for t in timings["slow"]),
                        statistics.median(t["max_gap_p50"] for t in timings["slow-r"]))
                print(f"# stream, 50 events 20 ms apart, {args.stream_timing} requests each at concurrency 1: "
                      f"time to first event p50 plain {plain_t:.3f} ms, redacted {red_t:.3f} ms "
                      f"(added {red_t - plain_t:+.3f} ms); largest gap p50 plain {gaps[0]:.1f} ms, "
                      f"redacted {gaps[1]:.1f} ms")
        finally:
            proxy.stop_process(gateway)
            nginx.terminate()
            nginx.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
