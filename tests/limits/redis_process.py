"""A real ``redis-server`` (Debian's package) on loopback, as a subprocess the tests start, kill
and restart on the same port.

    with redis_server(tmp_path) as server:      # skipped without redis-server, except in CI
        server.url                              # "redis://127.0.0.1:PORT/0"
        server.kill(); server.start()           # an outage, and Redis coming back (empty)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fakes.server import free_port

REDIS_SERVER = "/usr/bin/redis-server"


def redis_binary() -> str:
    binary = shutil.which("redis-server") or REDIS_SERVER
    if not os.path.exists(binary):
        if os.environ.get("CI"):
            pytest.fail(f"{REDIS_SERVER} is missing: .ci/run installs Debian's redis-server package")
        pytest.skip(f"{REDIS_SERVER} is not installed (apt-get install redis-server); CI installs it")
    return binary


class RedisServer:
    def __init__(self, directory: Path, *, cluster: bool = False) -> None:
        self.directory = directory
        self.cluster = cluster
        self.port = cluster_port() if cluster else free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.extra: list[str] = []  # more redis-server options

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}" + ("" if self.cluster else "/0")

    def start(self, timeout: float = 10) -> None:
        argv = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.directory), "--protected-mode", "yes", *self.extra]
        if self.cluster:
            (self.directory / "nodes.conf").unlink(missing_ok=True)
            argv += ["--cluster-enabled", "yes", "--cluster-config-file", str(self.directory / "nodes.conf")]
        log = self.directory / "redis.log"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.command("PING") not in (b"+PONG", b"-NOAUTH Authentication required."):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        if self.cluster:  # one node that owns every slot: a real cluster (CROSSSLOT is enforced)
            assert self.command("CLUSTER ADDSLOTSRANGE 0 16383") == b"+OK"
            while b"cluster_state:ok" not in self.command("CLUSTER INFO", read=4096):
                if time.monotonic() > deadline:
                    raise RuntimeError("redis cluster did not come up")
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: an outage (connections refused until :meth:`start`)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def command(self, line: str, read: int = 256) -> bytes:
        """One inline command; the raw reply (b"" when nothing answers)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(line.encode() + b"\r\n")
                return s.recv(read).strip()
        except OSError:
            return b""


def cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    for _ in range(100):
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@contextmanager
def redis_server(directory: Path, *, cluster: bool = False) -> Iterator[RedisServer]:
    server = RedisServer(directory, cluster=cluster)
    server.start()
    try:
        yield server
    finally:
        server.kill()
