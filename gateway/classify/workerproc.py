"""A detector worker process (:func:`main`, started by the pool with ``python -c``).

The parent (:class:`gateway.classify.pool.DetectorPool`) talks to it over its stdin and stdout
with length-prefixed pickle frames: first the classifier config (the worker builds and warms its
detector, then answers ``("ready", pid)``), then batches of work items, each answered by the list
of their results, or by ``("error", exception type name)``. Nothing else may write to the frame
stream, so the worker's file descriptor 1 is pointed at stderr before any library is imported
that might print. The worker exits when its stdin closes (the parent stopped or died) and
ignores SIGINT (a Ctrl-C in a terminal reaches the whole process group; the parent decides).
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import Any, BinaryIO

from gateway.classify.detector import Detector, TextResult, build_detector
from gateway.classify.semantic import SemanticResult

HEADER = struct.Struct(">I")

# A work item: ("scan", text, -1) reads everything; ("ids", text, junction) reads identifiers only,
# across the junction (the seam between two strings, where a split value may hide);
# ("semantic", text, -1) scores categories and complexity.
Item = tuple[str, str, int]
Result = TextResult | SemanticResult


def read_frame(stream: BinaryIO) -> Any:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def write_frame(stream: BinaryIO, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def run_items(detector: Detector, items: list[Item]) -> list[Result]:
    return [detector.semantic(text) if mode == "semantic"
            else detector.scan(text, identifiers_only=True, junction=junction) if mode == "ids"
            else detector.scan(text)
            for mode, text, junction in items]


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    frames = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from libraries go to stderr, never into the frame stream
    requests = sys.stdin.buffer
    cfg = read_frame(requests)
    if cfg is None:
        return 0
    detector = build_detector(cfg)
    write_frame(frames, ("ready", os.getpid()))
    while True:
        batch = read_frame(requests)
        if batch is None:
            return 0
        try:
            reply: Any = run_items(detector, batch)
        except Exception as exc:  # the parent fails the request closed; the worker lives on
            reply = ("error", type(exc).__name__)
        try:
            write_frame(frames, reply)
        except BrokenPipeError:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
