"""Anthropic Messages request -> OpenAI Chat Completions request (``/v1/messages`` ingress served
by an OpenAI-compatible backend).

- ``system`` (string or text blocks) becomes the first ``system`` message.
- User turns: text and image blocks become content parts (base64 images as ``data:`` URLs);
  ``tool_result`` blocks become ``tool`` messages placed before the rest of the turn; a base64 PDF
  ``document`` becomes a ``file`` part, a plain-text ``document`` a text part, a ``search_result``
  its title, source and text.
- Assistant turns: text joined into ``content``; ``tool_use`` -> ``tool_calls``; thinking blocks
  are dropped (OpenAI has no way to send them back).
- ``max_tokens``, ``stop_sequences`` -> ``stop``, ``temperature``, ``top_p``,
  ``metadata.user_id`` -> ``user``, ``tools`` (``input_schema`` -> ``parameters``),
  ``tool_choice`` (auto/any/tool/none, ``disable_parallel_tool_use``), ``stream`` (with
  ``stream_options.include_usage`` so the final ``message_delta`` can report usage).

Dropped: ``top_k``, ``thinking``, ``cache_control``, ``service_tier``, citations; an image in a
tool result (OpenAI tool messages carry text only). Server tools (web search, bash, ...) are a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.errors import BadRequest

from .common import JSON, dumps


def to_openai_request(body: Mapping[str, Any], model: str) -> JSON:
    """Translate an Anthropic request body; ``model`` is the upstream model name."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise BadRequest("messages must be a list", param="messages")
    out_messages: list[JSON] = []
    system = _system_text(body.get("system"))
    if system:
        out_messages.append({"role": "system", "content": system})
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, Mapping) else None
        if role == "user":
            out_messages.extend(_user(msg.get("content"), i))
        elif role == "assistant":
            out_messages.append(_assistant(msg.get("content"), i))
        else:
            raise BadRequest(f"messages[{i}]: role must be user or assistant", param="messages")

    out: JSON = {"model": model, "messages": out_messages}
    if isinstance(body.get("max_tokens"), int):
        out["max_tokens"] = body["max_tokens"]
    stops = body.get("stop_sequences")
    if isinstance(stops, list) and stops:
        out["stop"] = list(stops)
    for key in ("temperature", "top_p"):
        if isinstance(body.get(key), int | float):
            out[key] = body[key]
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("user_id"), str):
        out["user"] = metadata["user_id"]
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        out["tools"] = [_tool(t, i) for i, t in enumerate(tools)]
    _tool_choice(body.get("tool_choice"), out)
    if body.get("stream") is True:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def _system_text(system: object) -> str:
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        texts = [b.get("text") for b in system if isinstance(b, Mapping) and b.get("type") == "text"]
        return "\n\n".join(t for t in texts if isinstance(t, str))
    return ""


def _blocks(content: object, i: int) -> list[Mapping[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list) and all(isinstance(b, Mapping) for b in content):
        return content
    raise BadRequest(f"messages[{i}].content must be a string or a list of blocks", param="messages")


def _user(content: object, i: int) -> list[JSON]:
    tool_msgs: list[JSON] = []
    parts: list[JSON] = []
    for block in _blocks(content, i):
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
        elif kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": _source_url(block.get("source"), i)}})
        elif kind == "document":
            parts.append(_document(block.get("source"), i))
        elif kind == "search_result":
            parts.append({"type": "text", "text": _search_result_text(block)})
        elif kind == "tool_result":
            tool_msgs.append({"role": "tool", "tool_call_id": str(block.get("tool_use_id", "")),
                              "content": _tool_result_text(block.get("content"))})
        else:
            raise BadRequest(f"messages[{i}]: unsupported content block type", param="messages")
    out = tool_msgs
    if parts:
        only_text = len(parts) == 1 and parts[0]["type"] == "text"
        out.append({"role": "user", "content": parts[0]["text"] if only_text else parts})
    return out


def _source_url(source: object, i: int) -> str:
    if isinstance(source, Mapping):
        if source.get("type") == "base64":
            return f"data:{source.get('media_type', '')};base64,{source.get('data', '')}"
        if source.get("type") == "url" and isinstance(source.get("url"), str):
            return str(source["url"])
    raise BadRequest(f"messages[{i}]: unsupported image source", param="messages")


def _document(source: object, i: int) -> JSON:
    if isinstance(source, Mapping):
        if source.get("type") == "text" and isinstance(source.get("data"), str):
            return {"type": "text", "text": source["data"]}
        if source.get("type") == "base64":
            return {"type": "file", "file": {"filename": "document.pdf", "file_data": _source_url(source, i)}}
    raise BadRequest(f"messages[{i}]: unsupported document source", param="messages")


def _search_result_text(block: Mapping[str, Any]) -> str:
    """A search result as the text a model without search-result blocks can read."""
    head = [str(block[k]) for k in ("title", "source") if isinstance(block.get(k), str)]
    return "\n".join([*head, _tool_result_text(block.get("content"))])


def _tool_result_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content
                         if isinstance(b, Mapping) and b.get("type") == "text")
    return ""


def _assistant(content: object, i: int) -> JSON:
    texts: list[str] = []
    calls: list[JSON] = []
    for block in _blocks(content, i):
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            calls.append({"id": str(block.get("id", "")), "type": "function",
                          "function": {"name": str(block.get("name", "")),
                                       "arguments": dumps(block.get("input") or {})}})
        elif kind not in ("thinking", "redacted_thinking"):
            raise BadRequest(f"messages[{i}]: unsupported assistant block type", param="messages")
    msg: JSON = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        msg["tool_calls"] = calls
    return msg


def _tool(tool: object, i: int) -> JSON:
    if not isinstance(tool, Mapping) or tool.get("type") not in (None, "custom") \
            or not isinstance(tool.get("name"), str):
        raise BadRequest(f"tools[{i}]: only custom (client) tools are supported", param="tools")
    fn: JSON = {"name": tool["name"], "parameters": dict(tool.get("input_schema") or {"type": "object"})}
    if isinstance(tool.get("description"), str):
        fn["description"] = tool["description"]
    return {"type": "function", "function": fn}


def _tool_choice(choice: object, out: JSON) -> None:
    if not isinstance(choice, Mapping) or "tools" not in out:
        return  # OpenAI refuses a tool_choice without tools
    kind = choice.get("type")
    if kind == "auto":
        out["tool_choice"] = "auto"
    elif kind == "any":
        out["tool_choice"] = "required"
    elif kind == "none":
        out["tool_choice"] = "none"
    elif kind == "tool" and isinstance(choice.get("name"), str):
        out["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    else:
        raise BadRequest("unsupported tool_choice", param="tool_choice")
    if choice.get("disable_parallel_tool_use") is True:
        out["parallel_tool_calls"] = False
