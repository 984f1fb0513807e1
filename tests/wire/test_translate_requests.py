# ruff: noqa: E501  (wire-format fixtures read best one object per line)
"""OpenAI <-> Anthropic request translation, both directions."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import BadRequest
from gateway.wire import DEFAULT_MAX_TOKENS, to_anthropic_request, to_openai_request

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def chat(**kw: Any) -> dict[str, Any]:
    return {"model": "claude", "messages": [{"role": "user", "content": "hi"}], **kw}


def test_minimal_defaults() -> None:
    out = to_anthropic_request(chat(), "claude-sonnet-4-5")
    assert out == {"model": "claude-sonnet-4-5", "max_tokens": DEFAULT_MAX_TOKENS,
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}


def test_system_and_developer_hoisted_and_turns_merged() -> None:
    out = to_anthropic_request({"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
        {"role": "user", "content": "first"},
        {"role": "user", "content": [{"type": "text", "text": "second"}]},
        {"role": "assistant", "content": "answer"},
        {"role": "system", "content": "Late system."},
        {"role": "user", "content": "third"},
    ]}, "m")
    assert out["system"] == "Be brief.\n\nUse metric units.\n\nLate system."
    assert [m["role"] for m in out["messages"]] == ["user", "assistant", "user"]
    assert out["messages"][0]["content"] == [{"type": "text", "text": "first"},
                                             {"type": "text", "text": "second"}]


def test_sampling_fields() -> None:
    out = to_anthropic_request(chat(max_tokens=10, max_completion_tokens=20, stop="END", temperature=1.7,
                                    top_p=0.9, user="u-1", stream=True, stream_options={"include_usage": True},
                                    seed=1, frequency_penalty=0.5, response_format={"type": "text"}), "m")
    assert out["max_tokens"] == 20
    assert out["stop_sequences"] == ["END"]
    assert out["temperature"] == 1.0
    assert out["top_p"] == 0.9
    assert out["metadata"] == {"user_id": "u-1"}
    assert out["stream"] is True
    for dropped in ("seed", "frequency_penalty", "response_format", "stream_options", "user", "stop"):
        assert dropped not in out
    assert to_anthropic_request(chat(max_tokens=7, stop=["a", "b"]), "m")["stop_sequences"] == ["a", "b"]
    assert to_anthropic_request(chat(max_tokens=7), "m")["max_tokens"] == 7
    assert to_anthropic_request(chat(), "m", default_max_tokens=99)["max_tokens"] == 99


def test_images_and_pdf() -> None:
    out = to_anthropic_request({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}},
        {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}},
    ]}]}, "m")
    blocks = out["messages"][0]["content"]
    assert blocks[1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                     "data": "iVBORw0KGgo="}}
    assert blocks[2] == {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
    assert blocks[3]["type"] == "document" and blocks[3]["source"]["media_type"] == "application/pdf"


def test_tool_round_trip_conversation() -> None:
    out = to_anthropic_request(chat(messages=[
        {"role": "user", "content": "Weather in Paris and Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "5C"}]},
        {"role": "user", "content": "Thanks, summarise."},
    ], tools=TOOLS, tool_choice="auto", parallel_tool_calls=False), "m")
    assert out["tools"] == [{"name": "get_weather", "description": "Weather for a city",
                             "input_schema": TOOLS[0]["function"]["parameters"]}]
    assert out["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    _, assistant, user2 = out["messages"]
    assert assistant["content"] == [
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}}]
    assert user2["content"] == [
        {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
        {"type": "tool_result", "tool_use_id": "call_2", "content": "5C"},
        {"type": "text", "text": "Thanks, summarise."}]


@pytest.mark.parametrize(("choice", "expected"), [
    ("auto", {"type": "auto"}), ("none", {"type": "none"}), ("required", {"type": "any"}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
])
def test_tool_choice(choice: object, expected: dict[str, Any]) -> None:
    assert to_anthropic_request(chat(tools=TOOLS, tool_choice=choice), "m")["tool_choice"] == expected


@pytest.mark.parametrize("body", [
    {"messages": []},
    chat(n=2),
    {"messages": [{"role": "function", "name": "f", "content": "x"}]},
    {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/bmp;base64,AA"}}]}]},
    {"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}]},
    {"messages": [{"role": "tool", "content": "x"}]},
    chat(tools=[{"type": "custom", "custom": {"name": "x"}}]),
    chat(max_tokens=0),
])
def test_refused(body: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        to_anthropic_request(body, "m")


def test_error_messages_do_not_echo_content() -> None:
    secret = "data:image/secret-4111111111111111;base64,AA"
    with pytest.raises(BadRequest) as info:
        to_anthropic_request({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": secret}}]}]}, "m")
    assert "4111" not in info.value.message


# ---- Anthropic -> OpenAI ----

def test_anthropic_to_openai_request() -> None:
    body = {
        "model": "claude", "max_tokens": 100, "system": [{"type": "text", "text": "Sys."}],
        "stop_sequences": ["X"], "temperature": 0.2, "top_p": 0.8, "top_k": 5,
        "metadata": {"user_id": "u"}, "stream": True,
        "tools": [{"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "look"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "s"},
                {"type": "text", "text": "calling"},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "5C"}]},
                {"type": "text", "text": "and?"}]},
        ],
    }
    out = to_openai_request(body, "gpt-4o")
    assert out["model"] == "gpt-4o" and out["max_tokens"] == 100 and out["stop"] == ["X"]
    assert out["user"] == "u" and "top_k" not in out
    assert out["stream"] is True and out["stream_options"] == {"include_usage": True}
    assert out["tool_choice"] == "required" and out["parallel_tool_calls"] is False
    assert out["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "parameters": {"type": "object"}, "description": "d"}}]
    system, user, assistant, tool, user2 = out["messages"]
    assert system == {"role": "system", "content": "Sys."}
    assert user["content"][1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}}
    assert assistant == {"role": "assistant", "content": "calling", "tool_calls": [
        {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}]}
    assert tool == {"role": "tool", "tool_call_id": "toolu_1", "content": "5C"}
    assert user2 == {"role": "user", "content": "and?"}


def test_round_trip_openai_anthropic_openai() -> None:
    original = chat(messages=[
        {"role": "system", "content": "S"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
    ], tools=TOOLS, tool_choice={"type": "function", "function": {"name": "get_weather"}}, max_tokens=50,
        stop=["Z"], temperature=0.5)
    back = to_openai_request(to_anthropic_request(original, "claude-x"), "gpt")
    assert back["messages"] == original["messages"]
    assert back["tools"] == TOOLS
    assert back["tool_choice"] == original["tool_choice"]
    assert (back["max_tokens"], back["stop"], back["temperature"]) == (50, ["Z"], 0.5)


@pytest.mark.parametrize("body", [
    {"messages": [{"role": "system", "content": "x"}]},
    {"messages": [{"role": "user", "content": [{"type": "server_tool_use"}]}]},
    {"messages": [], "tools": [{"type": "web_search_20250305", "name": "web_search"}]},
    {"messages": [{"role": "user", "content": 5}]},
])
def test_anthropic_refused(body: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        to_openai_request(body, "m")


def _keys(td: Any) -> set[str]:
    return set(td.__required_keys__) | set(td.__optional_keys__)


def test_translated_requests_validate_against_sdk_param_types() -> None:
    from anthropic.types.message_create_params import MessageCreateParamsStreaming as AStream
    from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming as OStream
    from pydantic import TypeAdapter

    a = to_anthropic_request(chat(tools=TOOLS, tool_choice="required", user="u", stop="s", stream=True,
                                  messages=[{"role": "user", "content": [
                                      {"type": "text", "text": "x"},
                                      {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]},
                                      {"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
                                       "function": {"name": "get_weather", "arguments": "{}"}}]},
                                      {"role": "tool", "tool_call_id": "c", "content": "ok"}]), "m")
    assert set(a) <= _keys(AStream)
    TypeAdapter(AStream).validate_python(a)
    o = to_openai_request({"messages": [{"role": "user", "content": "x"}], "max_tokens": 5,
                           "metadata": {"user_id": "u"}, "stream": True, "system": "s",
                           "tools": [{"name": "t", "input_schema": {"type": "object"}}],
                           "tool_choice": {"type": "tool", "name": "t"}}, "m")
    assert set(o) <= _keys(OStream)
    TypeAdapter(OStream).validate_python(o)
