"""Shared pieces of the OpenAI <-> Anthropic translation: wire aliases, stop-reason maps, usage.

Everything in ``gateway.wire`` is pure: dicts in, dicts out, no I/O, no clock or
random source unless the caller leaves an id or timestamp to be generated.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from gateway.errors import BadRequest, UpstreamError

JSON = dict[str, Any]

# Anthropic requires max_tokens; OpenAI does not. Used when the client gave none (4096 is the
# value Anthropic's own examples use, and within every current Claude model's output limit).
DEFAULT_MAX_TOKENS = 4096

# Anthropic stop_reason -> OpenAI finish_reason.
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

# OpenAI finish_reason -> Anthropic stop_reason.
STOP_REASONS: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def first_choice(completion: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """A chat completion's first choice and its message (empty when missing); an answer without
    choices is the upstream's fault."""
    choices = completion.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise UpstreamError("upstream response has no choices", code="upstream_bad_response")
    message = choices[0].get("message")
    return choices[0], message if isinstance(message, Mapping) else {}


def finish_reason(stop_reason: object) -> str:
    return FINISH_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"


def stop_reason(finish: object) -> str:
    return STOP_REASONS.get(finish, "end_turn") if isinstance(finish, str) else "end_turn"


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def now() -> int:
    return int(time.time())


def as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def openai_usage(usage: Mapping[str, Any]) -> JSON:
    """Anthropic usage (cumulative counts) -> OpenAI ``usage``.

    Anthropic's ``input_tokens`` excludes cache reads and writes; OpenAI's ``prompt_tokens``
    includes cached tokens, so they are added back and reported in ``cached_tokens``.
    """
    cached = as_int(usage.get("cache_read_input_tokens"))
    prompt = as_int(usage.get("input_tokens")) + cached + as_int(usage.get("cache_creation_input_tokens"))
    completion = as_int(usage.get("output_tokens"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def anthropic_usage(usage: Mapping[str, Any] | None) -> JSON:
    """OpenAI ``usage`` -> Anthropic usage (``input_tokens`` without the cached part)."""
    usage = usage or {}
    details = usage.get("prompt_tokens_details")
    cached = as_int(details.get("cached_tokens")) if isinstance(details, Mapping) else 0
    out: JSON = {
        "input_tokens": max(as_int(usage.get("prompt_tokens")) - cached, 0),
        "output_tokens": as_int(usage.get("completion_tokens")),
    }
    if cached:
        out["cache_read_input_tokens"] = cached
    return out


def parse_arguments(arguments: object, *, strict: bool) -> JSON:
    """A tool call's JSON ``arguments`` string -> the ``input`` object Anthropic wants.

    ``strict`` (client input): invalid JSON is a 400. Otherwise (model output), an argument
    string that is not a JSON object is kept whole under ``"_raw"`` rather than dropped.
    """
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, Mapping):
        return dict(arguments)
    if not isinstance(arguments, str):
        raise BadRequest("tool call arguments must be a JSON string", param="messages")
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        if strict:
            raise BadRequest("tool call arguments are not valid JSON", param="messages") from None
        return {"_raw": arguments}
    if isinstance(value, dict):
        return value
    if strict:
        raise BadRequest("tool call arguments must be a JSON object", param="messages")
    return {"_raw": arguments}


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()
