"""Local sensitivity detection: entities (type, score, where) in every text part of a request.

Public API: :class:`ClassifyService` (async, for the HTTP layer), :class:`Detector` (sync),
:data:`PERSONAL_TYPES` / :data:`DEFAULT_MIN_SCORE` (the default policy's guard).
"""

from gateway.classify.detector import Detector, TextResult, build_detector
from gateway.classify.service import ClassifyService
from gateway.classify.types import DEFAULT_MIN_SCORE, PERSONAL_TYPES

__all__ = ["DEFAULT_MIN_SCORE", "PERSONAL_TYPES", "ClassifyService", "Detector", "TextResult", "build_detector"]
