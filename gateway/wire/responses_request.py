"""OpenAI Responses API request -> Chat Completions request.

For an OpenAI-compatible server without the Responses API (vLLM, llama.cpp, Ollama) and, through
``gateway.backends.translate.to_anthropic_request``, for Anthropic.

- ``instructions`` becomes the first ``system`` message; ``input`` is a string (one user message)
  or a list of items:
  - ``message`` items (``type`` may be omitted): roles ``user``, ``system``, ``developer`` (sent
    as ``system``: most chat templates of open models know no ``developer`` role) and
    ``assistant``; content a string or parts: ``input_text`` -> ``text``, ``input_image`` with
    ``image_url`` -> ``image_url`` (``detail`` kept when chat has it: auto/low/high),
    ``input_file`` (``file_data``, ``filename``, ``file_id``) -> ``file``; in assistant history
    ``output_text`` -> text and ``refusal`` -> a ``refusal`` part.
  - ``function_call`` items -> ``tool_calls`` of an assistant message: consecutive calls, and
    calls right after an assistant message, share one message (as chat wants them).
  - ``function_call_output`` items -> ``tool`` messages (text output only).
  - ``reasoning`` items are dropped: chat has no way to send them back.
- ``tools`` (function tools: name, description, parameters, strict), ``tool_choice``
  (auto/none/required/{type: function, name}) and ``parallel_tool_calls`` (sent only with tools:
  OpenAI refuses them without), ``text.format`` (``json_schema`` and ``json_object`` ->
  ``response_format``; ``text`` is chat's default and sends nothing), ``max_output_tokens`` ->
  ``max_tokens``, ``temperature``, ``top_p``, ``user`` (or ``safety_identifier``), ``stream``
  (with ``stream_options.include_usage`` so the final event can carry usage).

Stateless: ``previous_response_id``, ``conversation``, a stored ``prompt``, ``background`` and
``item_reference`` items are a 400 naming the param. ``store`` and ``metadata`` are ignored, as are
tuning fields with no chat equivalent (``reasoning``, ``include``, ``truncation``, ``top_logprobs``,
``service_tier``, ``text.verbosity``, prompt caching). Built-in tools (web search, file search,
computer, code interpreter, MCP, ...), image or file tool outputs and any item or part type chat
cannot express are a 400 naming the param: content is never dropped silently. Error messages name
fields and schema types, never request content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.errors import BadRequest

from .common import JSON

# Item, part and tool types of the Responses API that chat completions cannot carry. Named in
# error messages (they are API vocabulary); any other unknown type is reported without its value.
_BUILTIN_TOOLS = frozenset({
    "web_search", "web_search_2025_08_26", "web_search_preview", "web_search_preview_2025_03_11",
    "file_search", "computer", "computer_use_preview", "code_interpreter", "image_generation",
    "local_shell", "shell", "mcp", "apply_patch", "custom", "namespace", "tool_search",
})
_UNSUPPORTED_ITEMS = frozenset({
    "computer_call", "computer_call_output", "web_search_call", "file_search_call",
    "code_interpreter_call", "image_generation_call", "local_shell_call", "local_shell_call_output",
    "shell_call", "shell_call_output", "apply_patch_call", "apply_patch_call_output", "mcp_call",
    "mcp_list_tools", "mcp_approval_request", "mcp_approval_response", "custom_tool_call",
    "custom_tool_call_output", "tool_search_call", "tool_search_output", "compaction",
    "compaction_trigger", "additional_tools", "program", "program_output",
})
_STATEFUL = ("previous_response_id", "conversation", "prompt")
_IMAGE_DETAIL = ("auto", "low", "high")


def responses_to_chat(body: Mapping[str, Any], model: str) -> JSON:
    """Translate a Responses request body; ``model`` is the upstream model name."""
    if not isinstance(body, Mapping):
        raise BadRequest("the request body must be a JSON object")
    for key in _STATEFUL:
        if body.get(key) is not None:
            raise BadRequest(f"{key} is not supported: this gateway keeps no state between requests; "
                             "send the whole conversation in input", param=key)
    if body.get("background") is True:
        raise BadRequest("background responses are not supported", param="background")

    messages: list[JSON] = []
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise BadRequest("instructions must be a string", param="instructions")
    if instructions:
        messages.append({"role": "system", "content": instructions})
    messages.extend(_input(body.get("input")))
    if not any(m["role"] != "system" for m in messages):
        raise BadRequest("input is required", param="input")

    out: JSON = {"model": model, "messages": messages}
    tools = _tools(body.get("tools"))
    if tools:
        out["tools"] = tools
        choice = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            out["tool_choice"] = choice
        parallel = body.get("parallel_tool_calls")
        if isinstance(parallel, bool):
            out["parallel_tool_calls"] = parallel
    elif body.get("tool_choice") is not None:
        _tool_choice(body["tool_choice"])  # still refuse what chat cannot express
    response_format = _response_format(body.get("text"))
    if response_format is not None:
        out["response_format"] = response_format
    limit = body.get("max_output_tokens")
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise BadRequest("max_output_tokens must be a positive integer", param="max_output_tokens")
        out["max_tokens"] = limit
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise BadRequest(f"{key} must be a number", param=key)
        out[key] = value
    user = body.get("user") or body.get("safety_identifier")
    if isinstance(user, str) and user:
        out["user"] = user
    if body.get("stream") is True:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def _input(value: object) -> list[JSON]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest("input must be a string or a list of items", param="input")
    out: list[JSON] = []
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, Mapping):
            raise BadRequest(f"{where} must be an object", param=where)
        kind = item.get("type")
        if kind is None and "role" in item:
            kind = "message"
        if kind == "message":
            out.append(_message(item, where))
        elif kind == "function_call":
            _function_call(out, item, where)
        elif kind == "function_call_output":
            out.append(_function_call_output(item, where))
        elif kind == "reasoning":
            continue  # the model's own reasoning: chat has no field to send it back in
        elif kind == "item_reference":
            raise BadRequest(f"{where}: item_reference needs stored items; this gateway keeps no state, "
                             "send the item itself", param=where)
        elif kind in _UNSUPPORTED_ITEMS:
            raise BadRequest(f"{where}: {kind} items cannot be sent to this model", param=where)
        else:
            raise BadRequest(f"{where}: unsupported item type", param=where)
    return out


def _message(item: Mapping[str, Any], where: str) -> JSON:
    role = item.get("role")
    content = item.get("content")
    if role == "assistant":
        return _assistant(content, where)
    if role not in ("user", "system", "developer"):
        raise BadRequest(f"{where}: role must be user, assistant, system or developer", param=where)
    chat_role = "user" if role == "user" else "system"
    if isinstance(content, str):
        return {"role": chat_role, "content": content}
    if not isinstance(content, list):
        raise BadRequest(f"{where}.content must be a string or a list of parts", param=f"{where}.content")
    parts = [_input_part(part, f"{where}.content[{j}]", text_only=chat_role == "system")
             for j, part in enumerate(content)]
    if len(parts) == 1 and parts[0]["type"] == "text":
        return {"role": chat_role, "content": parts[0]["text"]}
    return {"role": chat_role, "content": parts}


def _input_part(part: object, where: str, *, text_only: bool) -> JSON:
    kind = part.get("type") if isinstance(part, Mapping) else None
    if not isinstance(part, Mapping) or not isinstance(kind, str):
        raise BadRequest(f"{where} must be an object with a type", param=where)
    if kind == "input_text":
        return {"type": "text", "text": _string(part, "text", where)}
    if text_only:
        raise BadRequest(f"{where}: system and developer messages take text parts only", param=where)
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str) or not url:
            if part.get("file_id") is not None:
                raise BadRequest(f"{where}: an input_image given by file_id cannot be sent to this model; "
                                 "send it as image_url (a URL or a data: URL)", param=where)
            raise BadRequest(f"{where}: input_image needs image_url", param=where)
        image: JSON = {"url": url}
        if part.get("detail") in _IMAGE_DETAIL:
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        if part.get("file_url") is not None:
            raise BadRequest(f"{where}: an input_file given by file_url cannot be sent to this model; "
                             "send file_data", param=where)
        file: JSON = {}
        for key in ("file_data", "file_id", "filename"):
            value = part.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise BadRequest(f"{where}.{key} must be a string", param=f"{where}.{key}")
            file[key] = value
        if "file_data" not in file and "file_id" not in file:
            raise BadRequest(f"{where}: input_file needs file_data or file_id", param=where)
        return {"type": "file", "file": file}
    raise BadRequest(f"{where}: unsupported content part type", param=where)


def _assistant(content: object, where: str) -> JSON:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    if not isinstance(content, list):
        raise BadRequest(f"{where}.content must be a string or a list of parts", param=f"{where}.content")
    texts: list[str] = []
    refusals: list[str] = []
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind in ("output_text", "input_text") and isinstance(part, Mapping):
            texts.append(_string(part, "text", at))
        elif kind == "refusal" and isinstance(part, Mapping):
            refusals.append(_string(part, "refusal", at))
        else:
            raise BadRequest(f"{at}: assistant messages take output_text and refusal parts only", param=at)
    text = "".join(texts)
    if not refusals:
        return {"role": "assistant", "content": text}
    parts: list[JSON] = [{"type": "text", "text": text}] if text else []
    parts.append({"type": "refusal", "refusal": "".join(refusals)})
    return {"role": "assistant", "content": parts}


def _function_call(out: list[JSON], item: Mapping[str, Any], where: str) -> None:
    call = {"id": _string(item, "call_id", where), "type": "function",
            "function": {"name": _string(item, "name", where), "arguments": _string(item, "arguments", where)}}
    last = out[-1] if out else None
    if last is not None and last["role"] == "assistant":
        last.setdefault("tool_calls", []).append(call)
        if last.get("content") == "":
            last["content"] = None
    else:
        out.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _function_call_output(item: Mapping[str, Any], where: str) -> JSON:
    call_id = _string(item, "call_id", where)
    output = item.get("output")
    content: str | list[JSON]
    if isinstance(output, str):
        content = output
    elif isinstance(output, list):
        content = []
        for j, part in enumerate(output):
            at = f"{where}.output[{j}]"
            if isinstance(part, Mapping) and part.get("type") in ("input_text", "output_text"):
                content.append({"type": "text", "text": _string(part, "text", at)})
            else:
                raise BadRequest(f"{at}: tool outputs other than text cannot be sent to this model", param=at)
    else:
        raise BadRequest(f"{where}.output must be a string or a list of parts", param=f"{where}.output")
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def _tools(value: object) -> list[JSON]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest("tools must be a list", param="tools")
    out: list[JSON] = []
    for i, tool in enumerate(value):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, Mapping) else None
        if not isinstance(tool, Mapping) or kind != "function":
            if isinstance(kind, str) and kind in _BUILTIN_TOOLS:
                raise BadRequest(f"{where}: the built-in tool {kind} is not available on this model; "
                                 "only function tools are", param=where)
            raise BadRequest(f"{where}: unsupported tool type; only function tools are", param=where)
        fn: JSON = {"name": _string(tool, "name", where)}
        description = tool.get("description")
        if isinstance(description, str):
            fn["description"] = description
        parameters = tool.get("parameters")
        if isinstance(parameters, Mapping):
            fn["parameters"] = dict(parameters)
        elif parameters is not None:
            raise BadRequest(f"{where}.parameters must be a JSON schema object", param=f"{where}.parameters")
        if isinstance(tool.get("strict"), bool):
            fn["strict"] = tool["strict"]
        out.append({"type": "function", "function": fn})
    return out


def _tool_choice(choice: object) -> object:
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": _string(choice, "name", "tool_choice")}}
    raise BadRequest("tool_choice must be auto, none, required or a function", param="tool_choice")


def _response_format(text: object) -> JSON | None:
    if text is None:
        return None
    if not isinstance(text, Mapping):
        raise BadRequest("text must be an object", param="text")
    fmt = text.get("format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema" and isinstance(fmt, Mapping):
        schema = fmt.get("schema")
        if not isinstance(schema, Mapping):
            raise BadRequest("text.format.schema must be a JSON schema object", param="text.format.schema")
        spec: JSON = {"name": _string(fmt, "name", "text.format"), "schema": dict(schema)}
        if isinstance(fmt.get("strict"), bool):
            spec["strict"] = fmt["strict"]
        if isinstance(fmt.get("description"), str):
            spec["description"] = fmt["description"]
        return {"type": "json_schema", "json_schema": spec}
    raise BadRequest("text.format.type must be text, json_object or json_schema", param="text.format")


def _string(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise BadRequest(f"{where}.{key} must be a string", param=f"{where}.{key}")
    return value
