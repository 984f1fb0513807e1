"""Anthropic Messages response -> OpenAI ``chat.completion``.

Text blocks are concatenated into ``message.content``; ``tool_use`` blocks become
``tool_calls`` (``input`` serialized to the ``arguments`` JSON string); ``thinking`` blocks go to
the non-standard ``message.reasoning_content`` (the vLLM / DeepSeek convention) and
``redacted_thinking`` and server-tool blocks are dropped. ``stop_reason`` maps to
``finish_reason``; usage counts cache reads and writes into ``prompt_tokens``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import JSON, dumps, finish_reason, now, openai_usage


def to_openai_response(message: Mapping[str, Any], *, model: str | None = None,
                       created: int | None = None) -> JSON:
    """``model`` is the name to report (the client's public name); default: the upstream one."""
    texts: list[str] = []
    thinking: list[str] = []
    calls: list[JSON] = []
    for block in message.get("content") or []:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            thinking.append(block["thinking"])
        elif kind == "tool_use":
            calls.append({"id": str(block.get("id", "")), "type": "function",
                          "function": {"name": str(block.get("name", "")),
                                       "arguments": dumps(block.get("input") or {})}})
    msg: JSON = {"role": "assistant", "content": "".join(texts) if texts or not calls else None,
                 "refusal": None}
    if calls:
        msg["tool_calls"] = calls
    if thinking:
        msg["reasoning_content"] = "".join(thinking)
    usage = message.get("usage")
    return {
        "id": str(message.get("id") or ""),
        "object": "chat.completion",
        "created": now() if created is None else created,
        "model": model or str(message.get("model") or ""),
        "choices": [{"index": 0, "message": msg, "logprobs": None,
                     "finish_reason": finish_reason(message.get("stop_reason"))}],
        "usage": openai_usage(usage if isinstance(usage, Mapping) else {}),
    }
