"""OpenAPI request schemas for the documented endpoints.

The gateway does not validate bodies against these (unknown fields pass through unchanged); they
describe the API for clients and for schemathesis.
"""

from __future__ import annotations

from typing import Any

from gateway.types import Endpoint

_MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"type": "string", "enum": ["system", "developer", "user", "assistant", "tool"]},
        "content": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}},
                              {"type": "null"}]},
        "name": {"type": "string"},
        "tool_calls": {"type": "array", "items": {"type": "object"}},
        "tool_call_id": {"type": "string"},
    },
}

_STREAM: dict[str, Any] = {"type": "boolean"}

CHAT: dict[str, Any] = {
    "type": "object",
    "required": ["model", "messages"],
    "properties": {
        "model": {"type": "string"},
        "messages": {"type": "array", "items": _MESSAGE, "minItems": 1},
        "stream": _STREAM,
        "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
        "max_tokens": {"type": "integer"},
        "temperature": {"type": "number"},
        "tools": {"type": "array", "items": {"type": "object"}},
    },
}

COMPLETIONS: dict[str, Any] = {
    "type": "object",
    "required": ["model", "prompt"],
    "properties": {
        "model": {"type": "string"},
        "prompt": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "stream": _STREAM,
        "max_tokens": {"type": "integer"},
    },
}

EMBEDDINGS: dict[str, Any] = {
    "type": "object",
    "required": ["model", "input"],
    "properties": {
        "model": {"type": "string"},
        "input": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
}

MESSAGES: dict[str, Any] = {
    "type": "object",
    "required": ["model", "messages", "max_tokens"],
    "properties": {
        "model": {"type": "string"},
        "max_tokens": {"type": "integer", "minimum": 1},
        "system": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
        "messages": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["role", "content"],
            "properties": {"role": {"type": "string", "enum": ["user", "assistant"]},
                           "content": {"anyOf": [{"type": "string"},
                                                 {"type": "array", "items": {"type": "object"}}]}}}},
        "stream": _STREAM,
    },
}

RESPONSES: dict[str, Any] = {
    "type": "object",
    "required": ["model", "input"],
    "properties": {
        "model": {"type": "string"},
        "input": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
        "instructions": {"type": "string"},
        "tools": {"type": "array", "items": {"type": "object"}},
        "stream": _STREAM,
        "max_output_tokens": {"type": "integer", "minimum": 1},
    },
}

# The request schema of each proxied endpoint, for the OpenAPI document.
BY_ENDPOINT: dict[Endpoint, dict[str, Any]] = {
    "chat": CHAT, "completions": COMPLETIONS, "embeddings": EMBEDDINGS, "messages": MESSAGES, "responses": RESPONSES,
}

_ERROR: dict[str, Any] = {
    "description": "Error (OpenAI shape)",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["message", "type"],
                                 "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                                                "code": {"type": ["string", "null"]},
                                                "param": {"type": ["string", "null"]}}}}}}},
}


def body(schema: dict[str, Any], streams: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    if streams:
        content["text/event-stream"] = {"schema": {"type": "string"}}
    responses = {"200": {"description": "The upstream's answer", "content": content}}
    for code in ("400", "401", "403", "404", "413", "429", "502", "503", "504"):
        responses[code] = _ERROR
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": responses,
    }
