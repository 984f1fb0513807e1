"""Run any ASGI app under uvicorn on 127.0.0.1 with an ephemeral port, in a background thread.

    with serve(app) as base_url:          # "http://127.0.0.1:PORT"
        httpx.get(base_url + "/v1/models")

:func:`unused_url` gives a URL where nothing listens (the "connection refused" failure mode).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import uvicorn


@contextmanager
def serve(app: Any, *, host: str = "127.0.0.1", startup_timeout: float = 10.0) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False,
                            timeout_graceful_shutdown=1, ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"fake-server-{port}")
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("fake server did not start")
        time.sleep(0.005)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def unused_url(host: str = "127.0.0.1") -> str:
    """A base URL on a port that was free a moment ago: connecting to it is refused."""
    return f"http://{host}:{free_port(host)}"


F = TypeVar("F", bound="HasApp")


class HasApp(Protocol):
    app: Any
    base_url: str


def running(fake: F) -> Iterator[F]:
    """Serve a fake upstream for the length of a fixture: ``yield from running(FakeOpenAI())``."""
    with serve(fake.app) as url:
        fake.base_url = url
        yield fake


@contextmanager
def running_process(argv: list[str], *, ready_url: str, timeout: float, log: Path, cwd: Path | None = None,
                    env: dict[str, str] | None = None, stop_timeout: float = 10) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process (output to ``log``) until ``ready_url`` answers 200; stop it with
    SIGTERM afterwards, and kill its whole process group if it does not exit in ``stop_timeout``."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_ready(ready_url, proc, timeout, lambda: log.read_text()[-3000:])
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float, describe: Callable[[], str]) -> None:
    """Poll ``url`` until it answers 200 while ``proc`` runs; fail with ``describe()`` (a log
    tail) if the process exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited: {describe()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready in {timeout:g} s: {describe()}")
        time.sleep(0.2)


def child_pids(pid: int, command_contains: str | None = None) -> list[int]:
    """The live (not zombie) child processes of ``pid``, from /proc; only those whose command
    line contains ``command_contains`` when given."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and (command_contains is None or command_contains in cmdline):
            out.append(int(entry.name))
    return out
