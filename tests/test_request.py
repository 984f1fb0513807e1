from __future__ import annotations

from typing import Any

from gateway.request import SYSTEM_INDEX, text_parts


def texts(endpoint: Any, body: dict[str, Any]) -> tuple[list[tuple[int, int, str, str]], bool]:
    parts, opaque = text_parts(endpoint, body)
    return [(p.message, p.part, p.role, p.text) for p in parts], opaque


def test_chat_strings_parts_tool_calls_and_results() -> None:
    # part = index in content, then the refusal, then each tool call (placeholders keep it aligned)
    body = {"messages": [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": [{"type": "text", "text": "hi"},
                                     {"type": "image_url", "image_url": {"url": "data:..."}},
                                     {"type": "text", "text": "there"}]},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]},
        {"role": "tool", "tool_call_id": "1", "content": "result"},
        {"role": "assistant", "content": None, "function_call": {"name": "g", "arguments": "{}"}},
    ]}
    got, opaque = texts("chat", body)
    assert not opaque
    assert got == [(0, 0, "system", "be nice"), (1, 0, "user", "hi"), (1, 2, "user", "there"),
                   (2, 1, "assistant", "{\"a\": 1}"), (3, 0, "tool", "result"), (4, 1, "assistant", "{}")]


def test_chat_refusal_field_and_part() -> None:
    got, _ = texts("chat", {"messages": [
        {"role": "assistant", "content": [{"type": "refusal", "refusal": "no, Bob"}]},
        {"role": "assistant", "content": None, "refusal": "no"},
    ]})
    assert [g[3] for g in got] == ["no, Bob", "no"]


def test_chat_unknown_part_shapes_are_opaque() -> None:
    assert texts("chat", {"messages": [{"role": "user", "content": [{"type": "mystery", "data": "x"}]}]})[1]
    assert texts("chat", {"messages": [{"role": "user", "content": [42]}]})[1]
    assert texts("chat", {"messages": [{"role": "user", "content": {"text": "x"}}]})[1]


def test_chat_skips_non_mappings_and_empty_text() -> None:
    got, opaque = texts("chat", {"messages": ["junk", {"role": "user", "content": ""}]})
    assert got == [] and not opaque


def test_completions_prompts_and_suffix() -> None:
    got, opaque = texts("completions", {"prompt": ["a", "", "c"], "suffix": "s"})
    assert not opaque
    assert got == [(0, 0, "prompt", "a"), (2, 0, "prompt", "c"), (3, 0, "suffix", "s")]
    got, _ = texts("completions", {"prompt": "p", "suffix": "s"})
    assert got == [(0, 0, "prompt", "p"), (1, 0, "suffix", "s")]


def test_completions_suffix_index_never_collides() -> None:
    got, _ = texts("completions", {"prompt": ["", "b"], "suffix": "s"})
    indexes = [g[0] for g in got]
    assert len(indexes) == len(set(indexes))


def test_token_prompts_are_opaque() -> None:
    assert texts("completions", {"prompt": [1, 2, 3]})[1]
    assert texts("embeddings", {"input": [[1, 2], [3]]})[1]
    assert texts("embeddings", {"input": 5})[1]
    got, opaque = texts("embeddings", {"input": ["x", "y"]})
    assert got == [(0, 0, "input", "x"), (1, 0, "input", "y")] and not opaque


def test_anthropic_system_blocks_tools_thinking_documents() -> None:
    body = {
        "system": [{"type": "text", "text": "sys"}],
        "messages": [
            {"role": "user", "content": "plain"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm"},
                {"type": "tool_use", "id": "t", "name": "f", "input": {"q": "Иван"}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": "res"}]},
                {"type": "tool_result", "tool_use_id": "u", "content": "res2"},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}},
            ]},
        ],
    }
    got, opaque = texts("messages", body)
    assert not opaque
    assert got == [(SYSTEM_INDEX, 0, "system", "sys"), (0, 0, "user", "plain"), (1, 0, "assistant", "hmm"),
                   (1, 1, "assistant", '{"q":"Иван"}'), (2, 0, "user", "res"), (2, 1, "user", "res2"),
                   (2, 2, "user", "doc")]


def test_anthropic_string_system_and_pdf_is_opaque() -> None:
    got, opaque = texts("messages", {"system": "s", "messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBER"}}]}]})
    assert got == [(SYSTEM_INDEX, 0, "system", "s")]
    assert opaque
