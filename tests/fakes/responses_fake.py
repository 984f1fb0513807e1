"""The OpenAI Responses API as the fake OpenAI server answers it (``POST /v1/responses``): a whole
``response`` object or the typed event stream, written here by hand from the API reference (not
with the gateway's own translator, which the tests judge)."""

from __future__ import annotations

import time
from typing import Any

import orjson

from .common import fragments, pieces, words


def _usage(body: dict[str, Any], output: int) -> dict[str, Any]:
    prompt = max(len(orjson.dumps(body.get("input") or "")) // 4, 1)
    return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + output}


def _tool(body: dict[str, Any]) -> str | None:
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"]
    items = body.get("input")
    last = items[-1] if isinstance(items, list) and items else None
    if not tools or body.get("tool_choice") == "none" or (
            isinstance(last, dict) and last.get("type") == "function_call_output"):
        return None
    return str(tools[0]["name"])


def response(body: dict[str, Any], model: str, n: int, reply: str, tool_input: dict[str, Any],
             status: str = "completed") -> dict[str, Any]:
    tool = _tool(body)
    if tool:
        output: list[dict[str, Any]] = [{
            "type": "function_call", "id": f"fc_fake{n}", "call_id": f"call_fake{n}", "name": tool,
            "arguments": orjson.dumps(tool_input).decode(), "status": "completed"}]
        out_tokens = 5
    else:
        output = [{"type": "message", "id": f"msg_fake{n}", "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "text": reply, "annotations": [], "logprobs": []}]}]
        out_tokens = len(words(reply))
    return {
        "id": f"resp_fake{n}", "object": "response", "created_at": int(time.time()), "status": status,
        "background": False, "error": None, "incomplete_details": None,
        "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
        "model": model, "output": output, "parallel_tool_calls": True, "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None}, "store": False, "temperature": 1.0,
        "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": body.get("tools") or [],
        "top_p": 1.0, "truncation": "disabled", "usage": _usage(body, out_tokens), "metadata": {},
    }


def events(final: dict[str, Any], piece: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """The event stream of ``final``, as the API sends it."""
    out: list[tuple[str, dict[str, Any]]] = []

    def add(kind: str, **data: Any) -> None:
        out.append((kind, {"type": kind, "sequence_number": len(out), **data}))

    started = {**final, "status": "in_progress", "output": [], "usage": None}
    add("response.created", response=started)
    add("response.in_progress", response=started)
    for i, item in enumerate(final["output"]):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            add("response.output_item.added", output_index=i,
                item={**item, "status": "in_progress", "content": []})
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            add("response.content_part.added", item_id=item["id"], output_index=i, content_index=0, part=part)
            for w in pieces(text, piece):
                add("response.output_text.delta", item_id=item["id"], output_index=i, content_index=0, delta=w,
                    logprobs=[])
            add("response.output_text.done", item_id=item["id"], output_index=i, content_index=0, text=text,
                logprobs=[])
            add("response.content_part.done", item_id=item["id"], output_index=i, content_index=0,
                part={**part, "text": text})
        else:
            add("response.output_item.added", output_index=i,
                item={**item, "status": "in_progress", "arguments": ""})
            for f in fragments(item["arguments"], piece or 5):
                add("response.function_call_arguments.delta", item_id=item["id"], output_index=i, delta=f)
            add("response.function_call_arguments.done", item_id=item["id"], output_index=i,
                arguments=item["arguments"], name=item["name"])
        add("response.output_item.done", output_index=i, item=item)
    add("response.completed", response=final)
    return out


def sse(kind: str, data: dict[str, Any]) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"
