"""OpenAI Chat Completions request -> Anthropic Messages request.

- ``system`` and ``developer`` messages (wherever they appear) become the top-level ``system``.
- Each other message becomes content blocks; consecutive turns of one role are merged, since
  Anthropic wants user and assistant turns to alternate. ``tool`` messages become
  ``tool_result`` blocks in a user turn; assistant ``tool_calls`` become ``tool_use`` blocks.
- Images: ``data:`` URLs become base64 sources, other URLs ``url`` sources. PDF ``file`` parts
  with ``file_data`` become ``document`` blocks.
- Sampling: ``max_completion_tokens``/``max_tokens`` (default :data:`DEFAULT_MAX_TOKENS`),
  ``stop`` -> ``stop_sequences``, ``temperature`` (clamped to Anthropic's 0..1), ``top_p``,
  ``user`` -> ``metadata.user_id``, ``tools``, ``tool_choice``, ``parallel_tool_calls``.

Fields with no Anthropic equivalent (``frequency_penalty``, ``presence_penalty``, ``seed``,
``logprobs``, ``response_format``, ``logit_bias``, ...) are dropped: Anthropic rejects unknown
fields. ``n`` > 1 and legacy ``function`` messages are refused with a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.errors import BadRequest

from .common import DEFAULT_MAX_TOKENS, JSON, parse_arguments

_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


def to_anthropic_request(
    body: Mapping[str, Any], model: str, *, default_max_tokens: int = DEFAULT_MAX_TOKENS
) -> JSON:
    """Translate an OpenAI chat request body; ``model`` is the upstream Anthropic model name."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list", param="messages")
    n = body.get("n")
    if n is not None and n != 1:
        raise BadRequest("n > 1 is not supported by this model", param="n")

    system: list[str] = []
    turns: list[JSON] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, Mapping):
            raise BadRequest(f"messages[{i}] must be an object", param="messages")
        role = msg.get("role")
        if role in ("system", "developer"):
            system.extend(t for t in _texts(msg.get("content"), i) if t)
            continue
        if role == "user":
            _append(turns, "user", _user_blocks(msg.get("content"), i))
        elif role == "assistant":
            _append(turns, "assistant", _assistant_blocks(msg, i))
        elif role == "tool":
            _append(turns, "user", [_tool_result(msg, i)])
        else:
            raise BadRequest(f"messages[{i}]: unsupported role", param="messages")

    out: JSON = {"model": model, "messages": turns, "max_tokens": _max_tokens(body, default_max_tokens)}
    if system:
        out["system"] = "\n\n".join(system)
    stop = body.get("stop")
    if isinstance(stop, str):
        out["stop_sequences"] = [stop]
    elif isinstance(stop, list) and stop:
        out["stop_sequences"] = [s for s in stop if isinstance(s, str)]
    temperature = body.get("temperature")
    if isinstance(temperature, int | float) and not isinstance(temperature, bool):
        out["temperature"] = min(max(float(temperature), 0.0), 1.0)
    top_p = body.get("top_p")
    if isinstance(top_p, int | float) and not isinstance(top_p, bool):
        out["top_p"] = top_p
    user = body.get("user")
    if isinstance(user, str) and user:
        out["metadata"] = {"user_id": user}
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        out["tools"] = [_tool(t, i) for i, t in enumerate(tools)]
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if choice is not None and (tools or choice["type"] == "none"):
        out["tool_choice"] = choice
    if body.get("stream") is True:
        out["stream"] = True
    return out


def _max_tokens(body: Mapping[str, Any], default: int) -> int:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise BadRequest(f"{key} must be at least 1", param=key)
            return value
    return default


def _append(turns: list[JSON], role: str, blocks: list[JSON]) -> None:
    if not blocks:
        return  # an empty turn is an error at Anthropic; it carries nothing anyway
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _texts(content: object, i: int) -> list[str]:
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, Mapping) and part.get("type") in ("text", "refusal"):
                value = part.get("text", part.get("refusal"))
                if isinstance(value, str):
                    out.append(value)
                    continue
            raise BadRequest(f"messages[{i}]: only text parts are allowed here", param="messages")
        return out
    raise BadRequest(f"messages[{i}].content has an invalid type", param="messages")


def _text_blocks(texts: list[str]) -> list[JSON]:
    return [{"type": "text", "text": t} for t in texts if t]


def _user_blocks(content: object, i: int) -> list[JSON]:
    if not isinstance(content, list):
        return _text_blocks(_texts(content, i))
    blocks: list[JSON] = []
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            blocks.extend(_text_blocks([part["text"]]))
        elif kind == "image_url":
            blocks.append(_image(part.get("image_url"), i))
        elif kind == "file":
            blocks.append(_document(part.get("file"), i))
        else:
            raise BadRequest(f"messages[{i}]: unsupported content part type", param="messages")
    return blocks


def _image(spec: object, i: int) -> JSON:
    url = spec.get("url") if isinstance(spec, Mapping) else spec
    if not isinstance(url, str) or not url:
        raise BadRequest(f"messages[{i}]: image_url needs a url", param="messages")
    if url.startswith("data:"):
        media, data = _data_url(url, i)
        if media not in _IMAGE_TYPES:
            raise BadRequest(f"messages[{i}]: unsupported image media type", param="messages")
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _document(spec: object, i: int) -> JSON:
    data_url = spec.get("file_data") if isinstance(spec, Mapping) else None
    if isinstance(data_url, str) and data_url.startswith("data:"):
        media, data = _data_url(data_url, i)
        if media == "application/pdf":
            return {"type": "document", "source": {"type": "base64", "media_type": media, "data": data}}
    raise BadRequest(f"messages[{i}]: only inline PDF files are supported", param="messages")


def _data_url(url: str, i: int) -> tuple[str, str]:
    header, sep, data = url.partition(",")
    if not sep or not header.endswith(";base64"):
        raise BadRequest(f"messages[{i}]: data URLs must be base64", param="messages")
    return header[5:-7].lower(), data


def _assistant_blocks(msg: Mapping[str, Any], i: int) -> list[JSON]:
    blocks = _text_blocks(_texts(msg.get("content"), i))
    calls = msg.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        fn = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str) or not call.get("id"):
            raise BadRequest(f"messages[{i}]: malformed tool call", param="messages")
        blocks.append({"type": "tool_use", "id": str(call["id"]), "name": fn["name"],
                       "input": parse_arguments(fn.get("arguments"), strict=True)})
    return blocks


def _tool_result(msg: Mapping[str, Any], i: int) -> JSON:
    call_id = msg.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise BadRequest(f"messages[{i}]: tool message needs tool_call_id", param="messages")
    texts = [t for t in _texts(msg.get("content"), i) if t]
    result: JSON = {"type": "tool_result", "tool_use_id": call_id}
    if texts:
        result["content"] = texts[0] if len(texts) == 1 else _text_blocks(texts)
    return result


def _tool(tool: object, i: int) -> JSON:
    fn = tool.get("function") if isinstance(tool, Mapping) and tool.get("type") == "function" else None
    if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
        raise BadRequest(f"tools[{i}]: only function tools are supported", param="tools")
    schema = fn.get("parameters")
    out: JSON = {"name": fn["name"],
                 "input_schema": dict(schema) if isinstance(schema, Mapping)
                 else {"type": "object", "properties": {}}}
    if isinstance(fn.get("description"), str):
        out["description"] = fn["description"]
    return out


def _tool_choice(choice: object, parallel: object) -> JSON | None:
    out: JSON
    if choice is None:
        if parallel is not False:
            return None
        out = {"type": "auto"}
    elif choice in ("auto", "none"):
        out = {"type": choice}
    elif choice == "required":
        out = {"type": "any"}
    elif isinstance(choice, Mapping) and isinstance(choice.get("function"), Mapping):
        name = choice["function"].get("name")
        if not isinstance(name, str):
            raise BadRequest("tool_choice.function.name is required", param="tool_choice")
        out = {"type": "tool", "name": name}
    else:
        raise BadRequest("unsupported tool_choice", param="tool_choice")
    if parallel is False and out["type"] != "none":
        out["disable_parallel_tool_use"] = True
    return out
