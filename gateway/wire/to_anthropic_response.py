"""OpenAI ``chat.completion`` -> Anthropic Messages response.

``content`` becomes a text block, ``tool_calls`` become ``tool_use`` blocks (``arguments``
parsed; a model's invalid JSON is kept under ``{"_raw": ...}``), ``finish_reason`` maps to
``stop_reason`` (``stop`` -> ``end_turn``: OpenAI does not say whether a stop sequence matched,
so ``stop_sequence`` is always null). ``reasoning_content`` is dropped: Anthropic thinking blocks
need a signature no OpenAI backend can produce. Only the first choice is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import JSON, anthropic_usage, first_choice, new_id, parse_arguments, stop_reason


def message_id(openai_id: object) -> str:
    if isinstance(openai_id, str) and openai_id:
        return openai_id if openai_id.startswith("msg_") else "msg_" + openai_id
    return new_id("msg_")


def to_anthropic_response(completion: Mapping[str, Any], *, model: str | None = None) -> JSON:
    """``model`` is the name to report to the client; default: the upstream one."""
    choice, msg = first_choice(completion)
    content: list[JSON] = []
    text = msg.get("content")
    if isinstance(text, str) and text:
        content.append({"type": "text", "text": text})
    calls = msg.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        fn = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(fn, Mapping):
            content.append({"type": "tool_use", "id": str(call.get("id") or new_id("toolu_")),
                            "name": str(fn.get("name", "")),
                            "input": parse_arguments(fn.get("arguments"), strict=False)})
    usage = completion.get("usage")
    return {
        "id": message_id(completion.get("id")),
        "type": "message",
        "role": "assistant",
        "model": model or str(completion.get("model") or ""),
        "content": content,
        "stop_reason": stop_reason(choice.get("finish_reason")),
        "stop_sequence": None,
        "usage": anthropic_usage(usage if isinstance(usage, Mapping) else None),
    }
