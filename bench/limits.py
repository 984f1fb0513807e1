"""The limiter alone, in one process: time per check (and per check + settle) of a key with an
rpm, a tpm and a team budget, in process and through a redis-server it starts on loopback; and
many checks at once (one pipelined connection). No HTTP: what the limits add to a request's CPU.

    python bench/limits.py                    # 20000 requests per case
    python bench/limits.py --requests 5000 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

import uvloop

from bench.proxy import start_redis
from gateway.config import Budget, Limits, StateConfig
from gateway.limits import Limiter, Rules


class Events:
    def limited(self, key: str, kind: str) -> None: ...

    def spend(self, team: str, usd: float) -> None: ...

    def degraded(self, flag: bool) -> None: ...


async def measure(url: str | None, requests: int, concurrency: int) -> dict[str, float]:
    state = StateConfig(redis_url_env="R") if url else StateConfig()
    limiter = Limiter(state, {"R": url} if url else {}, Events())
    await limiter.start()
    rules = Rules("bench", "bench", f"bench{time.monotonic_ns()}", key_limits=Limits(rpm=10**9, tpm=10**12),
                  team_budget=Budget(usd=1e9))
    try:
        for _ in range(500):  # warm up (and load the scripts)
            await limiter.check(rules, 200)
        out = {}
        t, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            await limiter.check(rules, 200)
        out["check_us"] = (time.perf_counter() - t) / requests * 1e6
        out["check_cpu_us"] = (time.process_time() - cpu) / requests * 1e6
        t, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            verdict = await limiter.check(rules, 200)
            limiter.settle(verdict, 186, 0.0005)
        await limiter.flush()
        out["check_settle_us"] = (time.perf_counter() - t) / requests * 1e6
        out["check_settle_cpu_us"] = (time.process_time() - cpu) / requests * 1e6

        async def one() -> None:
            verdict = await limiter.check(rules, 200)
            limiter.settle(verdict, 186, 0.0005)

        t = time.perf_counter()
        for _ in range(requests // concurrency):
            await asyncio.gather(*(one() for _ in range(concurrency)))
        await limiter.flush()
        out["concurrent_per_s"] = (requests // concurrency) * concurrency / (time.perf_counter() - t)
        assert not limiter.degraded
        return out
    finally:
        await limiter.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (apt-get install redis-server)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as d:
        redis, url = start_redis(Path(d))
        try:
            print(f"# python {sys.version.split()[0]}, uvloop; key with rpm, tpm and a team budget; "
                  f"{args.requests} requests per case; microseconds")
            print(f"{'store':6} | {'check':>7} {'CPU':>7} | {'check+settle':>12} {'CPU':>7} | "
                  f"{'checks+settles/s at ' + str(args.concurrency):>26}")
            for name, target in (("local", None), ("redis", url)):
                r = uvloop.run(measure(target, args.requests, args.concurrency))
                print(f"{name:6} | {r['check_us']:>7.1f} {r['check_cpu_us']:>7.1f} | {r['check_settle_us']:>12.1f} "
                      f"{r['check_settle_cpu_us']:>7.1f} | {r['concurrent_per_s']:>26.0f}", flush=True)
        finally:
            redis.terminate()
            redis.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
