"""The audit log: one JSON line per request, with decisions, counts and costs, never content."""

from __future__ import annotations

import sys
import threading
from typing import IO, Any

import orjson


class AuditLog:
    """Append JSON lines to a file (opened in append mode, so operators can rotate it with
    copytruncate or by moving it and sending SIGHUP) or to stdout for ``-``."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        # A file is unbuffered: one write() system call per record, a whole line, in append mode.
        self._file: IO[bytes] = sys.stdout.buffer if path == "-" else open(path, "ab", buffering=0)

    def write(self, record: dict[str, Any]) -> None:
        line = orjson.dumps(record) + b"\n"
        with self._lock:
            self._file.write(line)
            if self._path == "-":
                self._file.flush()

    def reopen(self) -> None:
        if self._path == "-":
            return
        with self._lock:
            self._file.close()
            self._file = open(self._path, "ab", buffering=0)

    def close(self) -> None:
        if self._path != "-":
            self._file.close()
