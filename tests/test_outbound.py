"""The walk over what an upstream receives (gateway.outbound): every string, every ingress."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.outbound import (
    BODY_INDEX,
    HEADER_INDEX,
    KEY,
    SYSTEM_INDEX,
    Outbound,
    json_depth_exceeds,
    outbound,
)

PLANT = "planted-value-7731"


def texts(out: Outbound) -> str:
    return "\n".join(p.text for p in out.parts if p.junction < 0)


def value_at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def check_segments(out: Outbound, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    """Every segment of every part is exactly the string at its path."""
    for part in out.parts:
        for seg in part.segments:
            piece = part.text[seg.start:seg.end]
            if seg.path[0] == "header":
                assert piece == (headers or {})[str(seg.path[1])]
            elif seg.path[-1] == KEY:
                assert piece == seg.path[-2] and seg.path[-2] in value_at(body, seg.path[:-2])
            elif part.junction < 0:
                raw = value_at(body, seg.path)
                assert piece == (raw if isinstance(raw, str) else str(raw))


CHAT_FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("message name", {"messages": [{"role": "user", "content": "hi", "name": PLANT}]}),
    ("tool description", {"messages": [{"role": "user", "content": "hi"}], "tools": [
        {"type": "function", "function": {"name": "f", "description": PLANT, "parameters": {}}}]}),
    ("tool parameter description", {"messages": [{"role": "user", "content": "hi"}], "tools": [
        {"type": "function", "function": {"name": "f", "parameters": {
            "type": "object", "properties": {"x": {"type": "string", "description": PLANT}}}}}]}),
    ("tool enum", {"messages": [{"role": "user", "content": "hi"}], "tools": [
        {"type": "function", "function": {"name": "f", "parameters": {
            "type": "object", "properties": {"x": {"type": "string", "enum": ["a", PLANT]}}}}}]}),
    ("tool default", {"messages": [{"role": "user", "content": "hi"}], "tools": [
        {"type": "function", "function": {"name": "f", "parameters": {
            "type": "object", "properties": {"x": {"type": "string", "default": PLANT}}}}}]}),
    ("schema property name", {"messages": [{"role": "user", "content": "hi"}], "tools": [
        {"type": "function", "function": {"name": "f", "parameters": {
            "type": "object", "properties": {PLANT: {"type": "string"}}}}}]}),
    ("legacy functions", {"messages": [{"role": "user", "content": "hi"}],
                          "functions": [{"name": "f", "description": PLANT}]}),
    ("tool call arguments string", {"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": "' + PLANT + '"}'}}]}]}),
    ("tool call arguments object", {"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": PLANT}}}]}]}),
    ("tool call id", {"messages": [{"role": "tool", "tool_call_id": PLANT, "content": "ok"}]}),
    ("response_format schema", {"messages": [{"role": "user", "content": "hi"}], "response_format": {
        "type": "json_schema", "json_schema": {"name": "s", "schema": {"description": PLANT}}}}),
    ("user", {"messages": [{"role": "user", "content": "hi"}], "user": PLANT}),
    ("metadata value", {"messages": [{"role": "user", "content": "hi"}], "metadata": {"k": PLANT}}),
    ("metadata key", {"messages": [{"role": "user", "content": "hi"}], "metadata": {PLANT: "v"}}),
    ("prediction", {"messages": [{"role": "user", "content": "hi"}],
                    "prediction": {"type": "content", "content": PLANT}}),
    ("stop string", {"messages": [{"role": "user", "content": "hi"}], "stop": PLANT}),
    ("stop list", {"messages": [{"role": "user", "content": "hi"}], "stop": ["x", PLANT]}),
    ("text part whose text is a list", {"messages": [{"role": "user", "content": [
        {"type": "text", "text": ["a", PLANT]}]}]}),
    ("extra key inside a message", {"messages": [{"role": "user", "content": "hi", "note": PLANT}]}),
    ("unknown top-level field", {"messages": [{"role": "user", "content": "hi"}], "x_extra": {"deep": [PLANT]}}),
    ("unknown top-level field name", {"messages": [{"role": "user", "content": "hi"}], PLANT: 1}),
    ("image url query", {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": f"https://img.test/a.png?owner={PLANT}"}}]}]}),
    ("refusal", {"messages": [{"role": "assistant", "refusal": PLANT}]}),
    ("audio transcript id", {"messages": [{"role": "assistant", "audio": {"id": PLANT}}]}),
    ("role that is not a role", {"messages": [{"role": f"user {PLANT}", "content": "hi"}]}),
    ("a number as big as a card", {"messages": [{"role": "user", "content": "hi"}],
                                   "metadata": {"n": 7731000000000000}}),
]


def test_every_chat_field_is_read() -> None:
    for name, body in CHAT_FIELDS:
        out = outbound("chat", {"model": "gpt-4o", **body})
        needle = "7731000000000000" if "number" in name else PLANT
        assert needle in texts(out), name
        check_segments(out, {"model": "gpt-4o", **body})


def test_structural_tokens_and_the_model_are_not_text() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}]}],
            "tool_choice": "auto", "reasoning_effort": "low", "max_tokens": 10, "seed": 123456789,
            "stream_options": {"include_usage": True}}
    out = outbound("chat", body)
    assert texts(out) == "hello"
    assert out.content == frozenset()
    # a model name deeper in the body is data, not the routing field
    assert "gpt-4o" in texts(outbound("chat", {**body, "metadata": {"model": "gpt-4o"}}))


def test_media_is_a_content_kind() -> None:
    def content(*parts: dict[str, Any]) -> frozenset[str]:
        return outbound("chat", {"messages": [{"role": "user", "content": list(parts)}]}).content

    assert content({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}) == {"image"}
    assert content({"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}) == {"image"}
    assert content({"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}) == {"audio"}
    assert content({"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=",
                                             "filename": "a.pdf"}}) == {"file"}
    assert content({"type": "file", "file": {"file_id": "file-abc"}}) == {"file"}
    assert content({"type": "mystery", "payload": "x"}) == {"unreadable"}
    assert content({"type": "text", "text": "fine"}) == frozenset()


def test_base64_text_payloads_are_read() -> None:
    secret = base64.b64encode(f"note: {PLANT}".encode()).decode()
    out = outbound("chat", {"messages": [{"role": "user", "content": [
        {"type": "file", "file": {"file_data": f"data:text/plain;base64,{secret}", "filename": "n.txt"}}]}]})
    assert PLANT in texts(out)
    assert out.content == {"file"}
    out = outbound("messages", {"messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": secret}}]}]})
    assert PLANT in texts(out) and out.content == frozenset()


def test_token_ids_are_a_content_kind() -> None:
    assert outbound("completions", {"prompt": [1, 2, 3]}).content == {"token_ids"}
    assert outbound("completions", {"prompt": [[1, 2], [3]]}).content == {"token_ids"}
    assert outbound("embeddings", {"input": [[1, 2], "text"]}).content == {"token_ids"}
    assert outbound("embeddings", {"input": ["a", "b"]}).content == frozenset()


def test_completions_and_embeddings_attribution() -> None:
    out = outbound("completions", {"prompt": ["a", "", "c"], "suffix": PLANT})
    parts = [(p.message, p.text) for p in out.parts if p.junction < 0]
    assert (0, "a") in parts and (2, "c") in parts
    assert (BODY_INDEX, PLANT) in parts
    out = outbound("embeddings", {"input": "one", "user": PLANT})
    assert [(p.message, p.text) for p in out.parts if p.junction < 0] == [(BODY_INDEX, PLANT), (0, "one")]


ANTHROPIC_FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("system string", {"system": PLANT}),
    ("system block", {"system": [{"type": "text", "text": PLANT}]}),
    ("metadata user_id", {"metadata": {"user_id": PLANT}}),
    ("tool description", {"tools": [{"name": "t", "description": PLANT, "input_schema": {}}]}),
    ("tool input schema", {"tools": [{"name": "t", "input_schema": {
        "type": "object", "properties": {"a": {"description": PLANT}}}}]}),
    ("stop_sequences", {"stop_sequences": [PLANT]}),
    ("search_result block", {"messages": [{"role": "user", "content": [
        {"type": "search_result", "source": "https://x.test", "title": "t",
         "content": [{"type": "text", "text": PLANT}]}]}]}),
    ("citations", {"messages": [{"role": "assistant", "content": [
        {"type": "text", "text": "x", "citations": [{"type": "char_location", "cited_text": PLANT}]}]}]}),
    ("document title", {"messages": [{"role": "user", "content": [
        {"type": "document", "title": PLANT, "source": {"type": "text", "media_type": "text/plain", "data": "d"}}]}]}),
    ("document context", {"messages": [{"role": "user", "content": [
        {"type": "document", "context": PLANT,
         "source": {"type": "text", "media_type": "text/plain", "data": "d"}}]}]}),
    ("document text", {"messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": PLANT}}]}]}),
    ("unknown block with text", {"messages": [{"role": "user", "content": [{"type": "novel", "text": PLANT}]}]}),
    ("tool_use input", {"messages": [{"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "n", "input": {"q": PLANT}}]}]}),
    ("tool_result content", {"messages": [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": PLANT}]}]}]}),
    ("thinking", {"messages": [{"role": "assistant", "content": [
        {"type": "thinking", "thinking": PLANT, "signature": "c2lnbmF0dXJl"}]}]}),
]


def test_every_anthropic_field_is_read() -> None:
    base = {"model": "claude", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    for name, extra in ANTHROPIC_FIELDS:
        body = {**base, **extra}
        out = outbound("messages", body)
        assert PLANT in texts(out), name
        check_segments(out, body)


def test_anthropic_content_kinds_and_system_attribution() -> None:
    body = {"model": "claude", "max_tokens": 5, "system": "sys", "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}},
        {"type": "novel", "x": 1},
        {"type": "thinking", "thinking": "hmm", "signature": "opaque-signature"},
        {"type": "redacted_thinking", "data": "encrypted-blob"},
    ]}]}
    out = outbound("messages", body)
    assert out.content == {"image", "file", "unreadable"}
    assert [(p.message, p.text) for p in out.parts if p.junction < 0] == [(SYSTEM_INDEX, "sys"), (0, "x\nhmm")]


def test_forwarded_headers_are_read_and_auth_is_not() -> None:
    headers = {"openai-organization": "org-1", "openai-project": PLANT, "anthropic-beta": "b",
               "authorization": "Bearer gw-key", "x-api-key": "gw-key"}
    out = outbound("chat", {"messages": [{"role": "user", "content": "hi"}]}, headers)
    header = next(p for p in out.parts if p.message == HEADER_INDEX)
    assert header.text == f"org-1\n{PLANT}\nb"
    assert "gw-key" not in texts(out)
    check_segments(out, {"messages": [{"role": "user", "content": "hi"}]}, headers)


def test_junctions_join_neighbouring_strings() -> None:
    body = {"messages": [{"role": "user", "content": "write to anna@exa"},
                         {"role": "user", "content": [{"type": "text", "text": "mple.com or 4111 1111"},
                                                      {"type": "text", "text": "1111 1111 now"}]}]}
    junctions = [p for p in outbound("chat", body).parts if p.junction >= 0]
    assert [(p.text, p.junction) for p in junctions] == [
        ("write to anna@example.com or 4111 1111", len("write to anna@exa")),
        ("mple.com or 4111 11111111 1111 now", len("mple.com or 4111 1111")),
        ("mple.com or 4111 1111 1111 1111 now", len("mple.com or 4111 1111")),  # digits: also spaced
    ]
    assert [p.message for p in junctions] == [0, 1, 1]


def test_json_depth() -> None:
    deep: Any = "x"
    for _ in range(70):
        deep = [deep]
    assert json_depth_exceeds({"a": deep}, 64)
    assert not json_depth_exceeds({"a": [[{"b": [1]}]]}, 64)
    assert not json_depth_exceeds({}, 1)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12,
)


@st.composite
def body_with_plant(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A random body of a random endpoint, with the planted value at a random place."""
    endpoint = draw(st.sampled_from(["chat", "messages", "completions", "embeddings"]))
    body: dict[str, Any] = draw(st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4))
    list_field = {"chat": "messages", "messages": "messages", "completions": "prompt", "embeddings": "input"}
    body[list_field[endpoint]] = draw(st.lists(json_values, max_size=3))
    body["model"] = "m"
    node: Any = body
    while True:
        if isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node, key=str)))
            if key == "model" and node is body:
                break
            if isinstance(node[key], (dict, list)):
                node = node[key]
                continue
            node[key] = PLANT
            return endpoint, body
        if isinstance(node, list) and node and draw(st.booleans()):
            i = draw(st.integers(0, len(node) - 1))
            if isinstance(node[i], (dict, list)):
                node = node[i]
                continue
            node[i] = PLANT
            return endpoint, body
        break
    if isinstance(node, dict):
        node[draw(st.sampled_from(["note", "text", "x-y", "content"]))] = PLANT
    else:
        node.append(PLANT)
    return endpoint, body


@settings(max_examples=300, deadline=None)
@given(case=body_with_plant())
def test_a_value_anywhere_is_read(case: tuple[str, dict[str, Any]]) -> None:
    endpoint, body = case
    out = outbound(endpoint, body)
    assert PLANT in texts(out)
    check_segments(out, body)
