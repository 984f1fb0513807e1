"""Works out of the box: ``gateway serve`` started exactly as the README's first command says, in a
clean environment without any cloud key and without a local model server. Chat (whole and
streamed), embeddings and token counts are answered inside the perimeter by the models that ship
in packages; the cloud backends are disabled (never tried); no connection leaves 127.0.0.1; the
README's Python example runs; SIGTERM and SIGINT finish the request in flight, stop every child
process and exit 0."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.fakes.server import child_pids, free_port, wait_ready

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def readme_serve_command() -> tuple[dict[str, str], list[str]]:
    """The environment and argv of the README's first command (its ``gateway serve`` part)."""
    block = re.search(r"```sh\n(.*?)```", README.split("## Install and run", 1)[1], re.S)
    assert block is not None, "the README's install-and-run block is missing"
    command = block.group(1).replace("\\\n", " ")
    serve = command[command.index("&& ", command.index("pip install")) + 3:].strip()
    words = shlex.split(serve)
    env = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
    argv = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
    assert argv[:2] == ["gateway", "serve"], argv
    return env, argv


def clean_environment(extra: dict[str, str]) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")
    return {**{k: v for k, v in os.environ.items() if k in keep}, **extra}


def remote_addresses(pids: list[int]) -> set[str]:
    """The remote addresses of the TCP connections the processes hold."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    out: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes and fields[3] != "0A":  # 0A: listening
                out.add(fields[2].split(":")[0])
    return out


LOOPBACK = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F",
            "00000000", "00000000000000000000000000000000"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    env, argv = readme_serve_command()
    port = free_port()
    log = tmp_path / "gateway.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gateway", *argv[1:], "--port", str(port)], cwd=ROOT,
                                env=clean_environment(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url + "/readyz", proc, 300, lambda: log.read_text()[-3000:])
            yield url, proc, log
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def test_the_readme_command_serves_locally_with_nothing_leaving(served: tuple[str, subprocess.Popen[bytes], Path]
                                                               ) -> None:
    url, proc, log = served
    env, _ = readme_serve_command()
    key = env["GATEWAY_KEY_ANALYTICS"]
    ready = httpx.get(url + "/readyz").json()
    assert ready["status"] == "ready"
    assert ready["backends"]["openai"]["state"] == "disabled"
    assert ready["backends"]["anthropic"]["state"] == "disabled"
    assert ready["backends"]["embedded"]["state"] == "ready"
    startup = log.read_text()
    assert "OPENAI_API_KEY is not set" in startup and "gateway ready on" in startup
    assert "not mapped to a Presidio entity" not in startup  # the libraries' chatter stays out

    client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="auto", max_tokens=16, messages=[{"role": "user", "content": "Say hello in one word."}])
    answer = raw.parse()
    assert answer.choices[0].message.content and answer.model == "local-llama"
    assert raw.headers["x-gateway-zone"] == "local" and raw.headers["x-gateway-backend"] == "embedded"
    named = client.chat.completions.create(model="gpt-4o", max_tokens=8, messages=[{"role": "user", "content": "Hi"}])
    assert named.model == "local-llama"  # the cloud model is disabled: its fallback served
    pieces = [c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="auto", max_tokens=16, stream=True, messages=[{"role": "user", "content": "Count to three."}])
        if c.choices]
    assert "".join(pieces)
    vectors = client.embeddings.create(model="auto", input=["first text", "second text"])
    assert len(vectors.data) == 2 and len(vectors.data[0].embedding) > 10 and vectors.model == "local-embed"
    counted = httpx.post(url + "/v1/messages/count_tokens", headers={"x-api-key": key},
                         json={"model": "claude", "messages": [{"role": "user", "content": "Hello there"}]})
    assert counted.status_code == 200 and counted.json()["input_tokens"] > 0
    assert counted.headers["x-gateway-token-count"] == "exact"  # the embedded model's own tokenizer
    assert httpx.get(url + "/v1/models/local-llama", headers={"authorization": f"Bearer {key}"}).json()["id"] == \
        "local-llama"
    assert httpx.get(url + "/v1/models").status_code == 401

    # the README's Python example, as written (but for the port)
    example = re.search(r"```python\n(.*?)```", README, re.S)
    assert example is not None
    code = example.group(1).replace("http://127.0.0.1:8080", url).replace('"change-me"', repr(key))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "local"

    assert remote_addresses([proc.pid, *child_pids(proc.pid)]) <= LOOPBACK


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_clean_stop(served: tuple[str, subprocess.Popen[bytes], Path], sig: signal.Signals) -> None:
    url, proc, log = served
    env, _ = readme_serve_command()
    workers = child_pids(proc.pid)
    assert workers  # the detector's worker processes
    answers: list[httpx.Response] = []

    def ask() -> None:
        answers.append(httpx.post(url + "/v1/chat/completions", timeout=120,
                                  headers={"authorization": f"Bearer {env['GATEWAY_KEY_ANALYTICS']}"},
                                  json={"model": "auto", "max_tokens": 48,
                                        "messages": [{"role": "user", "content": "Write a haiku about rain."}]}))

    in_flight = threading.Thread(target=ask)
    in_flight.start()
    time.sleep(0.3)  # the request is being answered
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == 0
    in_flight.join(timeout=60)
    assert answers and answers[0].status_code == 200  # finished within the grace period
    time.sleep(0.5)
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    output = log.read_text()
    assert "leaked semaphore" not in output and "Traceback" not in output
