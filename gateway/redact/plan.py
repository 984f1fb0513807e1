"""Pseudonymise a request body: every value of the redacted types becomes a typed, numbered
placeholder (DESIGN.md, "Redaction").

The values are those the detector found in the walk of everything the request would send
(:mod:`gateway.outbound`), so redaction covers every place a value can be: all messages, system
prompts, tool arguments and results, Anthropic blocks, Responses input, metadata, object keys.

Numbering is a pure function of the conversation: values are numbered in order of first
appearance (system prompt, then the messages in order, then the other fields), one counter for
all types (``[PERSON_1]``, ``[EMAIL_ADDRESS_2]``), the same value (see
:mod:`gateway.redact.values`) always the same placeholder. The next turn resends the history
with the values restored, so it numbers them the same without any stored state. A number whose
placeholder already occurs in the request's own text is skipped, so the gateway never restores
text it did not issue.

A value that has no single place in the body (split across two strings, inside a base64
payload, a number, a forwarded header) cannot be replaced: :class:`Unredactable`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.outbound import BODY_INDEX, HEADER_INDEX, KEY, SYSTEM_INDEX, Outbound, Path, Segment, TextPart
from gateway.redact.values import ValueKeys
from gateway.signals import Entity


class Unredactable(Exception):
    """A value of a redacted type that cannot be replaced where it is (the message says why,
    naming the type, never the value)."""


@dataclass(frozen=True, slots=True)
class Edit:
    start: int
    end: int
    placeholder: str


@dataclass(frozen=True, slots=True)
class Redacted:
    body: dict[str, Any]
    values: Mapping[str, str]  # placeholder name ("PERSON_1") -> the value as it first appeared
    counts: Mapping[str, int]  # entity type -> values replaced


def redact(body: Mapping[str, Any], out: Outbound, entities: Iterable[Entity], types: Iterable[str],
           floor: float, keys: ValueKeys) -> Redacted:
    """``body`` with every value of ``types`` scoring at least ``floor`` replaced."""
    wanted = frozenset(types)
    found = [e for e in entities if e.type in wanted and e.score >= floor]
    for e in found:
        if e.seam:
            raise Unredactable(f"a {e.type} value is split across two parts of the request")
    parts = {p.message: p for p in out.parts if p.junction < 0}
    located: list[tuple[tuple[int, int], Entity, TextPart, Segment]] = []
    for e in _without_overlaps(found):
        part = parts.get(e.message)
        if part is None:
            raise Unredactable(f"a {e.type} value has no place in the request")
        segment = _segment(part, e.start, e.end)
        if segment is None or _unwritable(segment.path):
            raise Unredactable(f"a {e.type} value sits where it cannot be replaced")
        located.append(((_order(e.message), e.start), e, part, segment))
    located.sort(key=lambda item: item[0])
    taken = _numbers_in_use(out, wanted)
    numbers: dict[tuple[str, str], str] = {}
    values: dict[str, str] = {}
    counts: dict[str, int] = {}
    edits: dict[Path, tuple[str, list[Edit]]] = {}
    n = 0
    for _, e, part, segment in located:
        value = part.text[e.start:e.end]
        key = keys.key(e.type, value)
        name = numbers.get(key)
        if name is None:
            n += 1
            while n in taken:
                n += 1
            name = numbers[key] = f"{e.type}_{n}"
            values[name] = value
        counts[e.type] = counts.get(e.type, 0) + 1
        text = part.text[segment.start:segment.end]
        edits.setdefault(segment.path, (text, []))[1].append(
            Edit(e.start - segment.start, e.end - segment.start, f"[{name}]"))
    return Redacted(_apply(body, edits), values, counts)


def _order(message: int) -> int:
    """Conversation order: the system prompt, the messages, the other fields, the headers."""
    if message == SYSTEM_INDEX:
        return -1
    if message == BODY_INDEX:
        return 1 << 30
    if message == HEADER_INDEX:
        return 1 << 31
    return message


def _without_overlaps(found: list[Entity]) -> list[Entity]:
    """One span per place: of overlapping spans, the longest (then the first) stays."""
    ranked = sorted(found, key=lambda e: (e.message, -(e.end - e.start), e.start))
    kept: dict[int, list[tuple[int, int]]] = {}
    out: list[Entity] = []
    for e in ranked:
        spans = kept.setdefault(e.message, [])
        if any(s < e.end and e.start < t for s, t in spans):
            continue
        spans.append((e.start, e.end))
        out.append(e)
    return out


def _segment(part: TextPart, start: int, end: int) -> Segment | None:
    """The one string of the part that holds ``[start, end)`` whole, or None."""
    i = bisect.bisect_right([s.start for s in part.segments], start) - 1
    if i < 0:
        return None
    segment = part.segments[i]
    return segment if end <= segment.end else None


def _unwritable(path: Path) -> bool:
    return bool(path) and path[0] == "header"


def _numbers_in_use(out: Outbound, types: frozenset[str]) -> set[int]:
    """Numbers of text that already looks like a placeholder of these types."""
    if not types:
        return set()
    pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(t) for t in sorted(types)) + r")_(\d+)",
                         re.IGNORECASE)
    return {int(m.group(1)) for p in out.parts if p.junction < 0 for m in pattern.finditer(p.text)}


# --- writing the body -------------------------------------------------------------------------

def _apply(body: Mapping[str, Any], edits: Mapping[Path, tuple[str, list[Edit]]]) -> dict[str, Any]:
    """A copy of ``body`` with the edits made; only the containers on an edited path are copied.
    Each edited string must be the text the detector read (not a decoded payload or a number)."""
    root: dict[str, Any] = dict(body)
    copies: dict[Path, Any] = {(): root}
    renames: list[tuple[Path, str, str]] = []
    for path, (text, spans) in edits.items():
        if path[-1] == KEY:
            key = path[-2]
            assert isinstance(key, str) and key == text
            renames.append((path[:-2], key, _splice(key, spans)))
            continue
        parent = _writable(root, path[:-1], copies)
        old = parent[path[-1]]
        if old != text:
            raise Unredactable("a value sits where it cannot be replaced (an encoded payload or a number)")
        parent[path[-1]] = _splice(old, spans)
    # keys last, the deepest first: a value edit above reached its string by the old key names
    for where, old_key, new_key in sorted(renames, key=lambda r: -len(r[0])):
        obj = _writable(root, where, copies)
        items = list(obj.items())
        obj.clear()
        obj.update((new_key if k == old_key else k, v) for k, v in items)
    return root


def _writable(root: dict[str, Any], path: Path, copies: dict[Path, Any]) -> Any:
    """The container at ``path``, copied (once) along with every container above it."""
    node: Any = root
    for depth in range(1, len(path) + 1):
        prefix = path[:depth]
        copied = copies.get(prefix)
        if copied is None:
            child = node[path[depth - 1]]
            copied = dict(child) if isinstance(child, dict) else list(child)
            node[path[depth - 1]] = copied
            copies[prefix] = copied
        node = copied
    return node


def _splice(text: str, spans: list[Edit]) -> str:
    out: list[str] = []
    pos = 0
    for edit in sorted(spans, key=lambda s: s.start):
        out.append(text[pos:edit.start])
        out.append(edit.placeholder)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)
