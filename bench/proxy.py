"""Added latency and throughput of the gateway over calling the upstream directly.

A static nginx answers a fixed chat.completion (and a 50-chunk SSE stream); wrk, in its own
process, loads nginx directly and then through `gateway serve`, in the same run, at several
concurrencies. Every run is bounded in time. See bench/README.md.

    python bench/proxy.py                       # all cases, concurrency 1 8 32 64, 10 s each
    python bench/proxy.py --cases cached --concurrency 1 32 --duration 5
    python bench/proxy.py --limits none local redis --concurrency 1 32 --duration 5 --rounds 3   # limits' cost
    python bench/proxy.py --tree ../before --cases cached unique --concurrency 1 32   # another checkout's gateway
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SYSTEM = ("You are a helpful assistant for an engineering team. Answer precisely, prefer short code "
          "examples, say when you are unsure, and never invent APIs. Use British spelling and keep "
          "answers under two hundred words unless the user asks for more detail on the topic.")
USER = ("I have a Python service that reads messages from a queue, transforms them and writes them "
        "to a database. Under load the memory grows slowly until the container is killed. What are "
        "the usual causes of such a leak in a long-running asyncio program, how would you find which "
        "objects accumulate, and which tools would you use first? Please also mention how to make "
        "sure the fix holds, for example with a soak test that runs for an hour in staging.")
PII_USER = USER + " The on-call engineer is Margaret Thompson, reachable at margaret.thompson@example.com."
COMPLETION = {"id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "bench",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Use tracemalloc first."},
                           "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 180, "completion_tokens": 6, "total_tokens": 186}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sse_body() -> str:
    chunks = []
    for i in range(50):
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "bench",
                 "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}]}
        chunks.append("data: " + json.dumps(chunk) + "\n\n")
    return "".join(chunks) + "data: [DONE]\n\n"


def start_nginx(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    (tmp / "chat.json").write_text(json.dumps(COMPLETION))
    (tmp / "stream.txt").write_text(sse_body())
    conf = f"""
worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp}; keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location = /v1/chat/completions {{
      client_body_buffer_size 64k;
      default_type application/json; alias {tmp}/chat.json;
      error_page 405 =200 $uri;
    }}
    location = /stream/v1/chat/completions {{
      client_body_buffer_size 64k;
      default_type text/event-stream; alias {tmp}/stream.txt;
      error_page 405 =200 $uri;
    }}
  }}
}}"""
    (tmp / "nginx.conf").write_text(conf)
    return subprocess.Popen(["nginx", "-c", str(tmp / "nginx.conf"), "-p", str(tmp)])


BENCH_KEY = "bench-key-0123456789"
# --limits: the same key with no limit, with limits far above the load (never refused, always
# checked and settled: rpm, tpm and a team budget), in process or through Redis.
LIMIT_AUTH = {
    "none": "auth:\n  keys: [{id: bench, secret_env: BENCH_KEY, team: bench}]\n",
    "limited": ("auth:\n  keys: [{id: bench, secret_env: BENCH_KEY, team: bench,\n"
                "          limits: {rpm: 1000000000, tpm: 1000000000000}}]\n"
                "  teams: {bench: {budget: {usd: 1000000000, period: month}}}\n"),
}


SEMANTIC_GUARD = """\
  - id: confidential-stays-local
    when: {categories: {any: ['*'], min_score: 0.5}}
    deny_zones: [cloud]
"""


def write_config(tmp: Path, upstream: str, slow_port: int, auth: str = "auth: {allow_anonymous: true}\n",
                 state: str = "", semantic: bool = False) -> Path:
    """``semantic``: the policy also reads both semantic signals (a categories guard, a complexity
    condition on the cloud route), so the semantic model scores every new message."""
    complexity = "{all: [{model: auto}, {complexity: {gte: 0.0}}]}" if semantic else "{model: auto}"
    (tmp / "policy.yaml").write_text(f"""\
version: 1
default: local
groups:
  personal: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER, STREET_ADDRESS, CREDIT_CARD, SECRET]
guards:
  - id: personal-stays-local
    when: {{entities: {{any: [personal], min_score: 0.5}}}}
    deny_zones: [cloud]
{SEMANTIC_GUARD if semantic else ""}routes:
  - id: clean-to-cloud
    when: {complexity}
    to: cloud
    fallback: [local]
  - id: streaming-to-cloud
    when: {{model: {{in: [stream, slow]}}}}
    to: requested
""")
    # The audit log goes beside, not into, the configuration's directory, as a deployment keeps
    # it: the gateway watches that directory for policy and config changes, and every line
    # written there would wake its watchers (~10 us of CPU a request, measured).
    logs = tmp / "logs"
    logs.mkdir(exist_ok=True)
    (tmp / "config.yaml").write_text(f"""\
{auth}{state}backends:
  local-nginx: {{type: openai, zone: local, base_url: "{upstream}/v1"}}
  cloud-nginx: {{type: openai, zone: cloud, base_url: "{upstream}/v1"}}
  cloud-stream: {{type: openai, zone: cloud, base_url: "{upstream}/stream/v1"}}
  cloud-slow: {{type: openai, zone: cloud, base_url: "http://127.0.0.1:{slow_port}/v1"}}
models:
  local: {{backend: local-nginx, model: bench-local}}
  cloud: {{backend: cloud-nginx, model: bench-cloud, price: {{input: 2.5, output: 10}}}}
  stream: {{backend: cloud-stream, model: bench-stream, price: {{input: 2.5, output: 10}}}}
  slow: {{backend: cloud-slow, model: bench-slow}}
classifier: {{workers: {os.cpu_count() or 1}}}
policy: policy.yaml
audit: {{path: "{logs / 'audit.jsonl'}"}}
""")
    return tmp / "config.yaml"


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


# Every wrk thread has its own Lua state, and LuaJIT seeds math.random the same way in each: a
# "unique" body carries the thread's number and the run's start time, so no two requests of a
# run, or of two runs on the same gateway, are the same (the detector's cache never answers).
LUA = """
local counter = 0
local threads = 0
local run = 0
local body_template = [[%s]]
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  run = os.time()
end
request = function()
  counter = counter + 1
  local body = body_template
  if %s then
    body = string.gsub(body_template, "UNIQUE", string.format("%%d-%%d-%%d", run, tid or 0, counter))
  end
  return wrk.format("POST", "/v1/chat/completions", %s, body)
end
"""


def lua_script(tmp: Path, case: str, key: str | None = None) -> Path:
    user = PII_USER if case == "pii" else USER
    if case == "unique":
        user = "Request UNIQUE. " + user
    body = json.dumps({"model": "stream" if case == "stream" else "auto",
                       "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
                       "stream": case == "stream"})
    headers = '{["Content-Type"]="application/json"' + (f', ["Authorization"]="Bearer {key}"' if key else "") + "}"
    path = tmp / f"{case}{'-key' if key else ''}.lua"
    path.write_text(LUA % (body, "true" if case == "unique" else "false", headers))
    return path


def run_wrk(url: str, script: Path, concurrency: int, duration: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t", str(min(concurrency, 2)), "-c", str(concurrency), "-d", f"{duration}s",
                          "--latency", "--timeout", "5s", "-s", str(script), url],
                         capture_output=True, text=True, timeout=duration + 30).stdout
    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": ms("50"), "p90": ms("90"), "p99": ms("99"), "rps": float(rps.group(1)) if rps else 0.0,
            "errors": errors + (int(non2xx.group(1)) if non2xx else 0)}


async def slow_stream_server(port: int, chunks: int, gap: float) -> None:
    """A raw HTTP/1.1 server that streams ``chunks`` SSE events ``gap`` seconds apart."""
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                             b"transfer-encoding: chunked\r\n\r\n")
                events = sse_body().split("\n\n")[:-1]
                for i, event in enumerate(events[:chunks] + events[-1:]):
                    data = (event + "\n\n").encode()
                    writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                    await writer.drain()
                    if i < chunks - 1:
                        await asyncio.sleep(gap)
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


async def stream_timing(url: str, body: bytes, requests: int) -> dict[str, float]:
    """Time to the first event and the largest gap between events, per request (aiohttp)."""
    import asyncio
    import statistics

    import aiohttp

    ttfts, gaps = [], []
    async with aiohttp.ClientSession() as session:
        for _ in range(requests):
            start = time.perf_counter()
            arrivals = []
            async with session.post(url, data=body, headers={"content-type": "application/json"}) as r:
                async for _chunk in r.content.iter_any():
                    arrivals.append(time.perf_counter())
            ttfts.append((arrivals[0] - start) * 1000)
            gaps.append(max((b - a for a, b in itertools.pairwise(arrivals)), default=0.0) * 1000)
            await asyncio.sleep(0)
    return {"ttft_p50": statistics.median(ttfts), "ttft_p90": statistics.quantiles(ttfts, n=10)[-1],
            "max_gap_p50": statistics.median(gaps), "max_gap_max": max(gaps)}


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def tree_rss_mb(pid: int) -> float:
    """The resident memory of a process and all its descendants (the detector workers)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += rss_mb(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return total


def report_stream_timing(slow_port: int, gw_port: int, requests: int) -> None:
    """Case (c) in detail: an upstream that streams 50 events 20 ms apart, timed at concurrency 1."""
    import asyncio
    import threading

    threading.Thread(target=lambda: asyncio.run(slow_stream_server(slow_port, 50, 0.02)), daemon=True).start()
    time.sleep(0.3)
    body = json.dumps({"model": "slow", "stream": True, "messages": [{"role": "system", "content": SYSTEM},
                                                                      {"role": "user", "content": USER}]}).encode()
    direct = asyncio.run(stream_timing(f"http://127.0.0.1:{slow_port}/v1/chat/completions", body, requests))
    through = asyncio.run(stream_timing(f"http://127.0.0.1:{gw_port}/v1/chat/completions", body, requests))
    print(f"# streaming, 50 events 20 ms apart, {requests} requests at concurrency 1 (ms):")
    print(f"#   time to first event  direct p50 {direct['ttft_p50']:.3f} p90 {direct['ttft_p90']:.3f} | "
          f"gateway p50 {through['ttft_p50']:.3f} p90 {through['ttft_p90']:.3f} | "
          f"added p50 {through['ttft_p50'] - direct['ttft_p50']:.3f}")
    print(f"#   largest gap between events (upstream sends every 20 ms): direct p50 {direct['max_gap_p50']:.3f} "
          f"max {direct['max_gap_max']:.3f} | gateway p50 {through['max_gap_p50']:.3f} "
          f"max {through['max_gap_max']:.3f}")


def soak(tmp: Path, gw_port: int, pid: int, seconds: int) -> None:
    script = lua_script(tmp, "cached")
    proc = subprocess.Popen(["wrk", "-t", "2", "-c", "32", "-d", f"{seconds}s", "--timeout", "5s", "-s", str(script),
                             f"http://127.0.0.1:{gw_port}/v1/chat/completions"], stdout=subprocess.PIPE, text=True)
    samples = []
    start = time.monotonic()
    while proc.poll() is None and time.monotonic() - start < seconds + 30:
        samples.append(rss_mb(pid))
        time.sleep(10)
    out, _ = proc.communicate(timeout=60)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    first = samples[1] if len(samples) > 1 else samples[0]  # after warm-up
    print(f"# soak {seconds}s at concurrency 32: {rps.group(1) if rps else '?'} requests/s; RSS MB after 10 s "
          f"{first:.0f}, peak {max(samples):.0f}, end {samples[-1]:.0f}: growth {100 * (samples[-1] / first - 1):.1f}%")


def start_gateway(config: Path, port: int, workers: int, env: dict[str, str],
                  tree: Path = ROOT) -> subprocess.Popen[bytes]:
    """``tree``: the checkout whose ``gateway`` package runs (its processes start in it and have
    it first on their path), for before/after runs of one bench script."""
    return subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--config", str(config), "--port", str(port),
                             "--workers", str(workers), "--log-level", "warning"],
                            cwd=tree, env={**env, "PYTHONPATH": str(tree)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def start_redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_limits(args: argparse.Namespace, tmp: Path, upstream: str, slow_port: int) -> None:
    """Case ``cached`` sent with a key, through three gateways running side by side: the key
    without limits (``none``), with limits checked in process (``local``) and through Redis on
    loopback (``redis``, ``on_error: block`` so a Redis failure would show as errors). The limits
    are far above the load: every request is checked (rpm, tpm, team budget) and settled, none
    refused. wrk loads them in turn, ``--rounds`` times, so a busy machine slows all alike; the
    summary gives each one's median over the rounds. CPU per request (the gateway process, and
    redis-server) is what the limits cost, whatever else runs on the machine."""
    import statistics

    script = lua_script(tmp, "cached", key=BENCH_KEY)
    redis: subprocess.Popen[bytes] | None = None
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "BENCH_KEY": BENCH_KEY}
    gateways: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    try:
        if "redis" in args.limits:
            redis, env["BENCH_REDIS_URL"] = start_redis(tmp)
        for mode in args.limits:
            state = "state: {redis_url_env: BENCH_REDIS_URL, on_error: block}\n" if mode == "redis" else ""
            directory = tmp / f"limits-{mode}"
            directory.mkdir()
            config = write_config(directory, upstream, slow_port, LIMIT_AUTH["none" if mode == "none" else "limited"],
                                  state)
            port = free_port()
            gateways[mode] = (start_gateway(config, port, args.workers, env), port)
        for _, port in gateways.values():
            wait_http(f"http://127.0.0.1:{port}/readyz")
        print(f"# python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.duration}s per run, "
              f"gateway workers {args.workers}; case cached with a key; {args.rounds} rounds")
        print(f"{'round':>5} {'limits':7} {'conc':>4} | {'p50':>7} {'p90':>7} {'p99':>7} {'rps':>8} {'err':>4} | "
              f"{'gateway CPU us/req':>18} {'redis us/req':>12}")
        for n in range(args.rounds):
            for c in args.concurrency:
                for mode, (proc, port) in gateways.items():
                    cpu0 = cpu_seconds(proc.pid)
                    redis0 = cpu_seconds(redis.pid) if redis is not None else 0.0
                    r = run_wrk(f"http://127.0.0.1:{port}/v1/chat/completions", script, c, args.duration)
                    done = max(r["rps"] * args.duration, 1.0)
                    r["cpu"] = (cpu_seconds(proc.pid) - cpu0) / done * 1e6
                    r["redis_cpu"] = ((cpu_seconds(redis.pid) - redis0) / done * 1e6
                                      if redis is not None and mode == "redis" else 0.0)
                    runs.setdefault((mode, c), []).append(r)
                    print(f"{n + 1:>5} {mode:7} {c:>4} | {r['p50']:>7.3f} {r['p90']:>7.3f} {r['p99']:>7.3f} "
                          f"{r['rps']:>8.0f} {r['errors']:>4.0f} | {r['cpu']:>18.0f} {r['redis_cpu']:>12.0f}",
                          flush=True)
        print(f"# medians over the rounds\n{'limits':7} {'conc':>4} | {'p50':>7} {'p99':>7} {'rps':>8} {'err':>4} | "
              f"{'added p50 vs none':>17} {'rps vs none':>11} | {'CPU us/req':>10} {'vs none':>8} {'redis':>6}")
        for c in args.concurrency:
            base = runs.get(("none", c))
            for mode in gateways:
                rs = runs[mode, c]
                p50, p99 = statistics.median(r["p50"] for r in rs), statistics.median(r["p99"] for r in rs)
                rps, errors = statistics.median(r["rps"] for r in rs), sum(r["errors"] for r in rs)
                cpu, redis_cpu = statistics.median(r["cpu"] for r in rs), statistics.median(r["redis_cpu"] for r in rs)
                vs, cpu_vs = f"{'':>17} {'':>11}", ""
                if base:
                    b50, brps = statistics.median(r["p50"] for r in base), statistics.median(r["rps"] for r in base)
                    vs = f"{p50 - b50:>+17.3f} {rps / brps if brps else float('nan'):>11.2f}"
                    cpu_vs = f"{cpu - statistics.median(r['cpu'] for r in base):>+8.0f}"
                print(f"{mode:7} {c:>4} | {p50:>7.3f} {p99:>7.3f} {rps:>8.0f} {errors:>4.0f} | {vs} | "
                      f"{cpu:>10.0f} {cpu_vs:>8} {redis_cpu:>6.0f}")
        print("# latencies in ms; 'vs none' = the key without limits, same concurrency, same rounds; CPU: the "
              "gateway process (and redis-server) per request served")
    finally:
        for proc, _ in gateways.values():
            stop_process(proc)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=["cached", "unique", "stream", "pii"],
                        choices=["cached", "unique", "stream", "pii"])
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 8, 32, 64])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=1, help="gateway (uvicorn) workers")
    parser.add_argument("--stream-timing", type=int, default=30, metavar="N",
                        help="requests for the time-to-first-token and chunk-gap measurement (0: skip)")
    parser.add_argument("--soak", type=int, default=0, metavar="SECONDS",
                        help="after the table, load case 'cached' at concurrency 32 this long and report RSS growth")
    parser.add_argument("--limits", nargs="+", choices=["none", "local", "redis"], default=None,
                        help="instead of the cases: case cached with a key, without limits / limits in process / "
                             "limits through redis-server on loopback (none: the others compare to it)")
    parser.add_argument("--semantic", action="store_true",
                        help="the policy reads categories and complexity: the semantic model scores every new message")
    parser.add_argument("--rounds", type=int, default=3, help="with --limits: load each gateway this many times")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="run the gateway of this checkout (e.g. a worktree of an older commit), same bench")
    args = parser.parse_args()
    for tool in ("wrk", "nginx", *(["redis-server"] if args.limits and "redis" in args.limits else [])):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install wrk nginx-light)", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        up_port, gw_port = free_port(), free_port()
        upstream = f"http://127.0.0.1:{up_port}"
        nginx = start_nginx(tmp, up_port)
        slow_port = free_port()
        if args.limits:
            try:
                wait_http(f"{upstream}/v1/chat/completions")
                bench_limits(args, tmp, upstream, slow_port)
            finally:
                nginx.terminate()
                nginx.wait(timeout=10)
            return 0
        config = write_config(tmp, upstream, slow_port, semantic=args.semantic)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        gateway = start_gateway(config, gw_port, args.workers, env, args.tree.resolve())
        try:
            wait_http(f"{upstream}/v1/chat/completions")
            wait_http(f"http://127.0.0.1:{gw_port}/readyz")
            print(f"# python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.duration}s per run, "
                  f"gateway workers {args.workers}, tree {args.tree.resolve()}")
            print(f"{'case':7} {'conc':>4} | {'direct p50':>10} {'p99':>7} {'rps':>8} | {'gateway p50':>11} "
                  f"{'p90':>7} {'p99':>7} {'rps':>8} {'err':>4} | {'added p50':>9} {'added p99':>9} | {'RSS MB':>6}")
            for case in args.cases:
                script = lua_script(tmp, case)
                direct_url = f"{upstream}/{'stream/' if case == 'stream' else ''}v1/chat/completions"
                for c in args.concurrency:
                    direct = run_wrk(direct_url, script, c, args.duration)
                    through = run_wrk(f"http://127.0.0.1:{gw_port}/v1/chat/completions", script, c, args.duration)
                    print(f"{case:7} {c:>4} | {direct['p50']:>10.3f} {direct['p99']:>7.3f} {direct['rps']:>8.0f} | "
                          f"{through['p50']:>11.3f} {through['p90']:>7.3f} {through['p99']:>7.3f} "
                          f"{through['rps']:>8.0f} {through['errors']:>4.0f} | "
                          f"{through['p50'] - direct['p50']:>9.3f} {through['p99'] - direct['p99']:>9.3f} | "
                          f"{rss_mb(gateway.pid):>6.0f}", flush=True)
            print("# latencies in ms; added = through the gateway minus direct, same run; "
                  f"{'policy reads categories and complexity; ' if args.semantic else ''}"
                  f"RSS of the gateway with its detector processes: {tree_rss_mb(gateway.pid):.0f} MB")
            if args.stream_timing:
                report_stream_timing(slow_port, gw_port, args.stream_timing)
            if args.soak:
                soak(tmp, gw_port, gateway.pid, args.soak)
        finally:
            stop_process(gateway)
            nginx.terminate()
            nginx.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
