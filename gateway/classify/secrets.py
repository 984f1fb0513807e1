"""``SECRET``: API keys, tokens, private keys and passwords written into text.

Vendor keys have fixed prefixes and are reported with high scores. Generic assignments
(``PASSWORD=...``, ``api_key: ...``, ``token=...``) and credentials inside connection strings
(``postgres://user:pass@host``) are reported when the value looks like a literal secret rather
than a placeholder (``<password>``, ``${TOKEN}``, ``your_api_key``) or a code reference
(``os.environ["KEY"]``, ``settings.token``).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.classify.gates import Gate

ENTITY = "SECRET"

_VENDOR = (
    Pattern("anthropic", r"\bsk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_\-]{20,}", 1.0),
    Pattern("openai", r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}", 0.95),
    Pattern("aws access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b", 0.95),
    Pattern("github", r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b", 1.0),
    Pattern("github fine-grained", r"\bgithub_pat_[A-Za-z0-9_]{40,}\b", 1.0),
    Pattern("gitlab", r"\bglpat-[A-Za-z0-9_\-]{20,}\b", 1.0),
    Pattern("slack", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", 1.0),
    Pattern("slack webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_]{20,}", 0.95),
    Pattern("google api key", r"\bAIza[0-9A-Za-z_\-]{35}\b", 0.95),
    Pattern("stripe", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}\b", 1.0),
    Pattern("huggingface", r"\bhf_[A-Za-z0-9]{30,}\b", 0.95),
    Pattern("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", 0.95),
    Pattern(
        "pem private key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,8000}?-----END [A-Z0-9 ]*-----)?",
        1.0,
    ),
)

_KEYS = (
    r"password|passwd|passwort|pass|pwd|пароль|secret|secret[_\-]?key|client[_\-]?secret|token|"
    r"access[_\-]?token|refresh[_\-]?token|auth[_\-]?token|bearer|api[_\-]?key|apikey|access[_\-]?key|"
    r"private[_\-]?key|aws[_\-]?secret[_\-]?access[_\-]?key|credentials?"
)
# KEY = value, key: value, "key": "value", --password value; the key may carry a prefix (DB_PASSWORD).
_ASSIGN = re.compile(
    r"(?i)(?:(?<![A-Za-z0-9\-])(?:[A-Za-z0-9]+[_\-.])*(?:" + _KEYS + r")[\"']?\s*(?:[:=]|=>|:=)|"
    r"(?<=\s)--?(?:" + _KEYS + r")(?:\s+|=))\s*"
    r"(?P<q>[\"'`]?)(?P<value>[^\s\"'`,;)(\]\[{}<>]{6,200})(?P=q)"
)
_CONN = re.compile(
    r"(?i)\b[a-z][a-z0-9+.\-]{1,20}://(?P<user>[^\s:/@\"']{1,64}):(?P<value>[^\s@/\"']{3,128})@[^\s/\"']+"
)
_BEARER = re.compile(r"(?i)\bauthorization\W{1,4}bearer\s+(?P<value>[A-Za-z0-9_\-.=/+]{16,})")

_PLACEHOLDER = re.compile(
    r"(?i)^(?:\$|%|\{|<|\*|x{3,}|\.{3})|your|example|placeholder|changeme|redacted|secret_here|"
    r"dummy|sample|here$|^(?:password|secret|token|none|null|true|false|undefined|required|string)$"
)
# An assignment has ":" or "=", or a "-" after a space (a command-line flag); a connection
# string has "://".
_ASSIGN_GATE = Gate(r"[:=]", r"\s-")
_CONN_GATE = Gate(r"://")
_CODE_REF = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$|^[a-z_]+$|^[A-Z][A-Z_]+$")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_secret(value: str, quoted: bool) -> bool:
    """A literal that could be a password or key, not a placeholder or a code reference."""
    if _PLACEHOLDER.search(value):
        return False
    if not quoted and _CODE_REF.match(value):
        return False
    if len(value) >= 16 and entropy(value) >= 3.0:
        return True
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 2 or (quoted and len(value) >= 8)


class SecretRecognizer(PatternRecognizer):
    """Vendor key patterns, plus assignments, bearer headers and connection-string passwords."""

    def __init__(self, language: str = "en") -> None:
        super().__init__(
            supported_entity=ENTITY, name="SecretRecognizer", supported_language=language,
            patterns=list(_VENDOR), global_regex_flags=re.MULTILINE,
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, re.MULTILINE)
        if _ASSIGN_GATE.open(text):
            for m in _ASSIGN.finditer(text):
                if looks_secret(m.group("value"), bool(m.group("q"))):
                    results.append(self._result(m.start("value"), m.end("value"), 0.8, "assignment"))
        if _CONN_GATE.open(text):
            for m in _CONN.finditer(text):
                if not _PLACEHOLDER.search(m.group("value")):
                    results.append(self._result(m.start("user"), m.end("value"), 0.9, "connection string"))
        for m in _BEARER.finditer(text):
            results.append(self._result(m.start("value"), m.end("value"), 0.9, "bearer"))
        return results

    def _result(self, start: int, end: int, score: float, pattern: str) -> RecognizerResult:
        return RecognizerResult(ENTITY, start, end, score,
                                recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: "SecretRecognizer",
                                                      RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
