"""Custom recognizers from ``classifier.recognizers`` in the config.

Each entry uses Presidio's ad-hoc recognizer format (the ``PatternRecognizer.from_dict`` /
recognizer-YAML shape)::

    - name: project-codenames
      supported_entity: PROJECT_CODENAME
      deny_list: [Bluebird, Nightjar]          # whole words, case-insensitive
    - name: ticket-ids
      supported_entity: INTERNAL_TICKET
      patterns: [{name: ticket, regex: "\\\\bOPS-\\\\d{4,}\\\\b", score: 0.4}]
      context: [ticket, incident]              # raises the score by 0.35 when nearby

``supported_language`` is ignored: custom recognizers run on every text part.
"""

from __future__ import annotations

from collections.abc import Mapping

import re

from presidio_analyzer import PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.errors import ConfigError, ConfigProblem

_ALLOWED = {"name", "supported_entity", "patterns", "deny_list", "context", "deny_list_score",
            "supported_language", "version", "global_regex_flags"}


class CustomRecognizer(PatternRecognizer):
    """A config-defined recognizer; matches case-insensitively whatever flags the caller passes."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        return super().analyze(text, entities, nlp_artifacts, re.MULTILINE | re.IGNORECASE)


def custom_recognizers(specs: list[dict[str, object]], language: str = "en") -> list[PatternRecognizer]:
    out: list[PatternRecognizer] = []
    problems: list[ConfigProblem] = []
    for i, spec in enumerate(specs):
        where = f"classifier.recognizers[{i}]"
        unknown = set(spec) - _ALLOWED
        if unknown:
            problems.append(ConfigProblem("config", None, where, f"unknown keys: {', '.join(sorted(unknown))}"))
            continue
        if not spec.get("supported_entity") or not (spec.get("patterns") or spec.get("deny_list")):
            problems.append(ConfigProblem("config", None, where, "needs supported_entity and patterns or deny_list"))
            continue
        data: dict[str, object] = {**spec, "supported_language": language}
        data.setdefault("name", f"custom-{i}")
        patterns = data.get("patterns")
        if isinstance(patterns, list):
            data["patterns"] = [dict(p) for p in patterns if isinstance(p, Mapping)]
        try:
            out.append(CustomRecognizer.from_dict(data))
        except Exception as exc:  # noqa: BLE001 - report every bad definition, not only the first
            problems.append(ConfigProblem("config", None, where, f"invalid recognizer: {type(exc).__name__}: {exc}"))
    if problems:
        raise ConfigError(problems)
    return out
