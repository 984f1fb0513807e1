"""Put the values back: in whole texts, in JSON texts (tool-call arguments) and in streams.

Only placeholders the gateway issued for this request are restored; matching is lenient where
models are sloppy: with or without the brackets, in any case (``[PERSON_1]``, ``PERSON_1``,
``[person_1]``), never inside a longer name or number (``PERSON_1`` is not the start of
``PERSON_10``). Inside a JSON text the value is written JSON-escaped.

A stream is restored as it goes (:class:`TextStream`, one per choice, content block or tool
call): each delta is passed on at once, except its longest suffix that could still become a
placeholder (``[PER``, ``PERSON_1`` before the next character says whether it is ``PERSON_10``),
which waits for the next delta. A stream that ends inside a partial placeholder gives it back
as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

# Fields of answers that are identifiers or enumerations of the wire formats, never text.
STRUCTURAL_KEYS = frozenset({
    "id", "object", "model", "type", "role", "finish_reason", "stop_reason", "status", "call_id",
    "item_id", "system_fingerprint", "signature", "encrypted_content", "tool_use_id", "service_tier",
    "logprobs",
})
# Fields that hold a JSON text (tool-call arguments): values go in JSON-escaped.
JSON_TEXT_KEYS = frozenset({"arguments", "partial_json"})


class Restorer:
    """The values of one request's placeholders (``values``: ``"PERSON_1"`` -> ``"Anna Petrova"``)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = {name.upper(): value for name, value in values.items()}
        self._escaped = {name: orjson.dumps(value).decode()[1:-1] for name, value in self.values.items()}
        types = sorted({name.rsplit("_", 1)[0] for name in self.values}, key=len, reverse=True)
        alternatives = "|".join(re.escape(t) for t in types) or r"(?!)"
        self._pattern = re.compile(
            r"(\[)?(?<![A-Za-z0-9_])((?:" + alternatives + r")_\d+)(?![A-Za-z0-9_])(\])?", re.IGNORECASE)
        prefixes: set[str] = set()
        for name in self.values:
            for form in (f"[{name}]", f"{name}]"):
                prefixes.update(form[:i] for i in range(1, len(form)))
        self._prefixes = frozenset(prefixes)
        self._longest = max((len(p) for p in prefixes), default=0)

    def text(self, text: str) -> str:
        """Every issued placeholder in ``text`` replaced by its value."""
        if not self.values:
            return text
        return self._pattern.sub(lambda m: self._value(m, self.values), text)

    def json_text(self, text: str) -> str:
        """The same inside a JSON text: values JSON-escaped."""
        if not self.values:
            return text
        return self._pattern.sub(lambda m: self._value(m, self._escaped), text)

    @staticmethod
    def _value(m: re.Match[str], values: Mapping[str, str]) -> str:
        value = values.get(m.group(2).upper())
        return m.group(0) if value is None else value

    def held(self, text: str) -> int:
        """The length of the longest suffix of ``text`` that could still become a placeholder."""
        for k in range(min(self._longest, len(text)), 0, -1):
            if text[-k:].upper() in self._prefixes:
                return k
        return 0

    def ready(self, text: str, json_text: bool, start: int = 0, final: bool = False) -> tuple[str, int]:
        """The restored text of ``text[start:]`` up to what must wait (nothing when ``final``),
        and where the wait starts. Placeholders are matched in the whole ``text``: what precedes
        ``start`` and what follows the cut decide where one begins and ends."""
        cut = len(text) if final else len(text) - self.held(text[start:])
        values = self._escaped if json_text else self.values
        out: list[str] = []
        pos = start
        for m in self._pattern.finditer(text, start):
            if m.end() > cut:
                cut = min(cut, m.start())
                break
            value = values.get(m.group(2).upper())
            if value is not None:
                out.append(text[pos:m.start()])
                out.append(value)
                pos = m.end()
        out.append(text[pos:cut])
        return "".join(out), cut

    def walk(self, value: Any, key: str | None = None) -> Any:
        """A whole answer (parsed JSON) with its text restored, in place where it can be."""
        if isinstance(value, str):
            if key in STRUCTURAL_KEYS:
                return value
            return self.json_text(value) if key in JSON_TEXT_KEYS else self.text(value)
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (str, dict, list)):
                    value[k] = self.walk(v, k)
            return value
        if isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, (str, dict, list)):
                    value[i] = self.walk(v, key)
            return value
        return value

    def stream(self, json_text: bool = False) -> TextStream:
        return TextStream(self, json_text)


class TextStream:
    """One streamed text (a choice's content, a tool call's arguments, a content block)."""

    __slots__ = ("_before", "_json", "_pending", "_restorer")

    def __init__(self, restorer: Restorer, json_text: bool) -> None:
        self._restorer = restorer
        self._json = json_text
        self._pending = ""
        self._before = ""  # the last character passed on: a placeholder never starts inside a word

    def feed(self, delta: str) -> str:
        """The text to pass on now (possibly empty)."""
        return self._take(self._pending + delta, final=False)

    def flush(self) -> str:
        """The end of the text: what was held back, restored where it is whole."""
        return self._take(self._pending, final=True) if self._pending else ""

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def _take(self, text: str, final: bool) -> str:
        start = len(self._before)
        joined = self._before + text
        out, cut = self._restorer.ready(joined, self._json, start, final)
        if cut > start:
            self._before = joined[cut - 1]
        self._pending = joined[cut:]
        return out
