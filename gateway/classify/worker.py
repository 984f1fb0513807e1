"""Detection inside worker processes.

Each worker process builds (and warms) its own :class:`Detector` once, in the pool's
initializer; the one module-level variable below is that per-process instance, which is how
``ProcessPoolExecutor`` initializers hand state to tasks. The parent process never touches it.
"""

from __future__ import annotations

from gateway.classify.detector import Detector, TextResult, build_detector
from gateway.config import ClassifierConfig

_DETECTOR: list[Detector] = []  # at most one per worker process


def init_worker(cfg: ClassifierConfig) -> None:
    _DETECTOR.clear()
    _DETECTOR.append(build_detector(cfg))


def scan_texts(texts: list[str]) -> list[TextResult]:
    detector = _DETECTOR[0]
    return [detector.scan(t) for t in texts]


def ping() -> bool:
    return bool(_DETECTOR)
