"""Chat Completions answer -> Responses API ``response`` object; reading a native Responses answer.

:func:`chat_to_response` builds what ``POST /v1/responses`` returns from a ``chat.completion``:

- ``output``: a ``reasoning`` item when the upstream sent ``reasoning_content`` (vLLM, DeepSeek)
  or ``reasoning``; a ``message`` item with an ``output_text`` part (and a ``refusal`` part);
  one ``function_call`` item per tool call (``call_id``, ``name``, ``arguments``). An answer
  with neither text nor tool calls still gets a message (with empty text), as the real API does.
- ``status``: ``completed``; ``incomplete`` with ``incomplete_details.reason`` ``max_output_tokens``
  (finish_reason ``length``) or ``content_filter``; the items the cut hit are ``incomplete`` too
  (the tool calls, else the last item).
- ``usage``: ``input_tokens`` (with ``input_tokens_details.cached_tokens``), ``output_tokens``
  (with ``output_tokens_details.reasoning_tokens``), ``total_tokens``.
- The request's ``instructions``, ``tools``, ``tool_choice``, ``temperature``, ``top_p``,
  ``max_output_tokens``, ``parallel_tool_calls``, ``text``, ``metadata`` and ``user`` echoed as
  the real API does (its defaults where the request gave none); ``store`` is false (stateless).

Ids are derived from the upstream completion id (``resp_<id>``, ``msg_<id>``, ``fc_<id>_<n>``), so
the whole answer and :class:`~gateway.wire.responses_stream.ChatToResponsesStream` agree on them.
:func:`responses_usage` reads usage from a native Responses answer or terminal stream event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import JSON, as_int, first_choice, new_id, now

INCOMPLETE_REASONS: dict[str, str] = {"length": "max_output_tokens", "content_filter": "content_filter"}


class ItemIds:
    """Output item ids of one response, derived from the upstream completion id."""

    def __init__(self, chat_id: object) -> None:
        base = chat_id.removeprefix("chatcmpl-") if isinstance(chat_id, str) else ""
        self.base = base or new_id("")
        self._counts: dict[str, int] = {}

    @property
    def response(self) -> str:
        return "resp_" + self.base

    def next(self, prefix: str) -> str:
        """``msg``, ``rs``, ``fc``: the first of a kind is ``msg_<base>`` for messages and
        reasoning, ``fc_<base>_0`` for calls; later ones are numbered."""
        n = self._counts.get(prefix, 0)
        self._counts[prefix] = n + 1
        if prefix == "fc" or n:
            return f"{prefix}_{self.base}_{n}"
        return f"{prefix}_{self.base}"

    def call_id(self, index: int) -> str:
        """For a tool call the upstream sent without an id."""
        return f"call_{self.base}_{index}"


def chat_to_response(completion: Mapping[str, Any], *, model: str, request: Mapping[str, Any]) -> JSON:
    """``model`` is the gateway's public model name; ``request`` the client's Responses body."""
    choice, msg = first_choice(completion)
    ids = ItemIds(completion.get("id"))
    created = completion.get("created")
    out = response_object(ids.response, created if isinstance(created, int) else now(), model=model,
                          request=request)
    items: list[JSON] = []
    reasoning = reasoning_text(msg)
    if reasoning:
        items.append(reasoning_item(ids.next("rs"), [reasoning_part(reasoning)]))
    parts: list[JSON] = []
    if isinstance(msg.get("content"), str) and msg["content"]:
        parts.append(text_part(msg["content"]))
    if isinstance(msg.get("refusal"), str) and msg["refusal"]:
        parts.append(refusal_part(msg["refusal"]))
    calls = [c for c in msg.get("tool_calls") or [] if isinstance(c, Mapping)]
    if parts or not calls:
        items.append(message_item(ids.next("msg"), parts or [text_part("")]))
    n_before_calls = len(items)
    for i, call in enumerate(calls):
        fn = call.get("function")
        fn = fn if isinstance(fn, Mapping) else {}
        call_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else ids.call_id(i)
        arguments = fn.get("arguments")
        items.append(function_call_item(ids.next("fc"), str(call_id), str(fn.get("name") or ""),
                                        arguments if isinstance(arguments, str) else ""))
    status, details = final_status(choice.get("finish_reason"))
    for item in items:
        item["status"] = "completed"
    if status == "incomplete":
        cut = items[n_before_calls:] if calls else items[-1:]
        for item in cut:
            item["status"] = "incomplete"
    usage = completion.get("usage")
    return finished(out, status, details, items, usage if isinstance(usage, Mapping) else None)


def response_object(response_id: str, created_at: int, *, model: str, request: Mapping[str, Any]) -> JSON:
    """A response in progress: the request's settings echoed, no output yet."""
    instructions = request.get("instructions")
    limit = request.get("max_output_tokens")
    parallel = request.get("parallel_tool_calls")
    text = request.get("text")
    metadata = request.get("metadata")
    user = request.get("user")
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": "in_progress",
        "background": False,
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": instructions if isinstance(instructions, str) else None,
        "max_output_tokens": limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        "max_tool_calls": None,
        "metadata": dict(metadata) if isinstance(metadata, Mapping) else {},
        "model": model,
        "output": [],
        "parallel_tool_calls": parallel if isinstance(parallel, bool) else True,
        "previous_response_id": None,
        "reasoning": None,
        "store": False,
        "temperature": _number(request.get("temperature")),
        "text": {"format": {"type": "text"}, **text} if isinstance(text, Mapping) else {"format": {"type": "text"}},
        "tool_choice": _echo_tool_choice(request.get("tool_choice")),
        "tools": _echo_tools(request.get("tools")),
        "top_p": _number(request.get("top_p")),
        "truncation": "disabled",
        "usage": None,
        "user": user if isinstance(user, str) else None,
    }


def finished(response: JSON, status: str, details: JSON | None, items: list[JSON],
             usage: Mapping[str, Any] | None) -> JSON:
    """``response`` (from :func:`response_object`) with its final status, output and usage."""
    return {**response, "status": status, "incomplete_details": details,
            "completed_at": now() if status == "completed" else None,
            "output": items, "usage": response_usage(usage)}


def final_status(finish_reason: object) -> tuple[str, JSON | None]:
    reason = INCOMPLETE_REASONS.get(finish_reason) if isinstance(finish_reason, str) else None
    return ("incomplete", {"reason": reason}) if reason else ("completed", None)


def reasoning_text(msg: Mapping[str, Any]) -> str:
    for key in ("reasoning_content", "reasoning"):
        value = msg.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def text_part(text: str) -> JSON:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def refusal_part(refusal: str) -> JSON:
    return {"type": "refusal", "refusal": refusal}


def reasoning_part(text: str) -> JSON:
    return {"type": "reasoning_text", "text": text}


def message_item(item_id: str, parts: list[JSON], status: str = "completed") -> JSON:
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": parts}


def reasoning_item(item_id: str, parts: list[JSON], status: str = "completed") -> JSON:
    return {"id": item_id, "type": "reasoning", "status": status, "summary": [], "content": parts}


def function_call_item(item_id: str, call_id: str, name: str, arguments: str, status: str = "completed") -> JSON:
    return {"id": item_id, "type": "function_call", "status": status, "call_id": call_id, "name": name,
            "arguments": arguments}


def response_usage(usage: Mapping[str, Any] | None) -> JSON | None:
    """Chat ``usage`` -> Responses ``usage`` (``None`` when the upstream reported none)."""
    if usage is None:
        return None
    prompt = as_int(usage.get("prompt_tokens"))
    completion = as_int(usage.get("completion_tokens"))
    prompt_details = usage.get("prompt_tokens_details")
    prompt_details = prompt_details if isinstance(prompt_details, Mapping) else {}
    completion_details = usage.get("completion_tokens_details")
    completion_details = completion_details if isinstance(completion_details, Mapping) else {}
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": as_int(prompt_details.get("cached_tokens")),
                                 "cache_write_tokens": as_int(prompt_details.get("cache_write_tokens"))},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": as_int(completion_details.get("reasoning_tokens"))},
        "total_tokens": as_int(usage.get("total_tokens")) or prompt + completion,
    }


def responses_usage(obj: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """``(input, output, cached)`` tokens of a Responses ``response`` object, or of a stream
    event that carries one (``response.completed``, ...); ``None`` when it has no usage."""
    inner = obj.get("response")
    if isinstance(inner, Mapping) and obj.get("object") != "response":
        obj = inner
    usage = obj.get("usage")
    if not isinstance(usage, Mapping):
        return None
    details = usage.get("input_tokens_details")
    cached = as_int(details.get("cached_tokens")) if isinstance(details, Mapping) else 0
    return as_int(usage.get("input_tokens")), as_int(usage.get("output_tokens")), cached


def _number(value: object) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _echo_tool_choice(choice: object) -> object:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, Mapping) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return {"type": "function", "name": choice["name"]}
    return "auto"


def _echo_tools(tools: object) -> list[JSON]:
    out: list[JSON] = []
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, Mapping) or tool.get("type") != "function" or not isinstance(tool.get("name"), str):
            continue
        params = tool.get("parameters")
        strict = tool.get("strict")
        description = tool.get("description")
        out.append({"type": "function", "name": tool["name"],
                    "description": description if isinstance(description, str) else None,
                    "parameters": dict(params) if isinstance(params, Mapping) else None,
                    "strict": strict if isinstance(strict, bool) else None})
    return out
