"""The one internal request type, and the extraction of every text part a request carries.

Handlers parse the wire body once into a :class:`GatewayRequest`; the detector reads its
:func:`text_parts`; the policy reads its endpoint, model, key, team and headers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Endpoint = Literal["chat", "completions", "embeddings", "messages"]

# Message index used for text that is not inside ``messages`` (Anthropic top-level system).
SYSTEM_INDEX = -1


@dataclass(frozen=True)
class TextPart:
    """One piece of text to scan. ``message`` is the index in ``messages`` (or in the prompt /
    input list), ``part`` the index of the piece inside that message."""

    message: int
    part: int
    role: str
    text: str


@dataclass
class GatewayRequest:
    endpoint: Endpoint
    body: dict[str, Any]
    model: str
    stream: bool
    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    key_id: str | None = None
    team: str | None = None


def text_parts(endpoint: Endpoint, body: Mapping[str, Any]) -> tuple[list[TextPart], bool]:
    """Every text part of a request body, and whether some input could not be read as text
    (token-id prompts, unknown part shapes): the caller must then fail closed."""
    out: list[TextPart] = []
    opaque = False

    def add(message: int, role: str, texts: Iterator[str | None]) -> None:
        for i, t in enumerate(texts):
            if t:
                out.append(TextPart(message, i, role, t))

    if endpoint == "chat":
        for mi, msg in enumerate(_list(body.get("messages"))):
            if not isinstance(msg, Mapping):
                continue
            role = str(msg.get("role", ""))
            parts, o = _openai_content(msg.get("content"))
            opaque |= o
            calls = [_tool_call_text(c) for c in _list(msg.get("tool_calls"))]
            fc = msg.get("function_call")
            if isinstance(fc, Mapping):
                calls.append(_str(fc.get("arguments")))
            add(mi, role, iter([*parts, _str(msg.get("refusal")), *calls]))
    elif endpoint == "messages":
        system = body.get("system")
        if isinstance(system, str):
            add(SYSTEM_INDEX, "system", iter([system]))
        else:
            parts, o = _anthropic_blocks(system)
            opaque |= o
            add(SYSTEM_INDEX, "system", iter(parts))
        for mi, msg in enumerate(_list(body.get("messages"))):
            if not isinstance(msg, Mapping):
                continue
            content = msg.get("content")
            if isinstance(content, str):
                parts = [content]
            else:
                parts, o = _anthropic_blocks(content)
                opaque |= o
            add(mi, str(msg.get("role", "")), iter(parts))
    elif endpoint in ("completions", "embeddings"):
        value = body.get("prompt" if endpoint == "completions" else "input")
        role = "prompt" if endpoint == "completions" else "input"
        suffix = body.get("suffix") if endpoint == "completions" else None
        if isinstance(value, str):
            add(0, role, iter([value]))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    add(i, role, iter([item]))
                elif item is not None:
                    opaque = True  # token ids: not readable without the model's tokenizer
        elif value is not None:
            opaque = True
        if isinstance(suffix, str):
            # after every prompt index, even those of empty prompts (they add no part)
            add(len(value) if isinstance(value, list) else 1, "suffix", iter([suffix]))
    return out, opaque


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _tool_call_text(call: object) -> str | None:
    if isinstance(call, Mapping):
        fn = call.get("function")
        if isinstance(fn, Mapping):
            return _str(fn.get("arguments"))
    return None


def _openai_content(content: object) -> tuple[list[str | None], bool]:
    if content is None:
        return [], False
    if isinstance(content, str):
        return [content], False
    if not isinstance(content, list):
        return [], True
    texts: list[str | None] = []
    opaque = False
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Mapping):
            kind = part.get("type")
            if kind == "text":
                texts.append(_str(part.get("text")))
            elif kind in ("image_url", "input_audio", "file", "image"):
                # binary payloads: not text (policies can route on them by other signals); a
                # placeholder keeps ``part`` equal to the index in ``content``
                texts.append(None)
            elif "text" in part:
                texts.append(_str(part.get("text")))
            elif kind == "refusal":
                texts.append(_str(part.get("refusal")))
            else:
                opaque = True  # an unknown part shape: it may carry text we cannot see
        else:
            opaque = True
    return texts, opaque


def _anthropic_blocks(blocks: object) -> tuple[list[str | None], bool]:
    if blocks is None:
        return [], False
    if not isinstance(blocks, list):
        return [], True
    texts: list[str | None] = []
    opaque = False
    for block in blocks:
        if not isinstance(block, Mapping):
            texts.append(None)
            continue
        kind = block.get("type")
        if kind == "text":
            texts.append(_str(block.get("text")))
        elif kind == "tool_use":
            texts.append(orjson.dumps(block.get("input")).decode() if block.get("input") is not None else None)
        elif kind == "tool_result":
            content = block.get("content")
            if isinstance(content, str):
                texts.append(content)
            else:
                inner, o = _anthropic_blocks(content)
                texts.extend(inner)
                opaque |= o
        elif kind in ("thinking",):
            texts.append(_str(block.get("thinking")))
        elif kind == "document":
            source = block.get("source")
            if isinstance(source, Mapping) and source.get("type") == "text":
                texts.append(_str(source.get("data")))
            elif isinstance(source, Mapping) and source.get("type") == "content":
                inner, o = _anthropic_blocks(source.get("content"))
                texts.extend(inner)
                opaque |= o
            else:
                opaque = True  # a PDF or base64 document we cannot read here
                texts.append(None)
        else:
            texts.append(None)  # images, redacted thinking, ...: keeps ``part`` = block index
    return texts, opaque
