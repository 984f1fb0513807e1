# ruff: noqa: E501  (wire-format fixtures read best one object per line)
"""OpenAI Responses API <-> Chat Completions: requests, whole answers, streams.

The referee is the official openai SDK: every request body we accept is one its
``ResponseCreateParams`` types describe, every chat body we send is a ``CompletionCreateParams``,
every answer validates as ``Response``, every event as ``ResponseStreamEvent`` and runs through
the SDK's own stream accumulator, and ``client.responses.create`` / ``.stream`` work against
the translated wire bytes.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import openai
import orjson
import pytest
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.chat.completion_create_params import (
    CompletionCreateParamsNonStreaming,
    CompletionCreateParamsStreaming,
)
from openai.types.responses import Response, ResponseStreamEvent
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)
from pydantic import TypeAdapter

from gateway.errors import BadRequest, UpstreamError
from gateway.wire.responses_reply import chat_to_response, responses_usage
from gateway.wire.responses_request import responses_to_chat
from gateway.wire.responses_stream import ChatToResponsesStream, responses_sse, responses_stream_done
from gateway.wire.sse import SSEParser
from gateway.wire.to_anthropic_request import to_anthropic_request
from tests.fakes.openai_server import FakeOpenAI, chat_chunks

# ---------- the SDK as referee ----------

EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
RESPONSES_REQUEST = TypeAdapter(ResponseCreateParamsNonStreaming)
RESPONSES_STREAM_REQUEST = TypeAdapter(ResponseCreateParamsStreaming)
CHAT_REQUEST = TypeAdapter(CompletionCreateParamsNonStreaming)
CHAT_STREAM_REQUEST = TypeAdapter(CompletionCreateParamsStreaming)


def forced(value: Any) -> Any:
    """Pydantic validates ``Iterable`` fields of TypedDicts lazily: consume them all."""
    if isinstance(value, dict):
        return {k: forced(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "ValidatorIterator":
        return [forced(v) for v in value]
    return value


def sdk_request_ok(body: dict[str, Any]) -> None:
    forced((RESPONSES_STREAM_REQUEST if body.get("stream") else RESPONSES_REQUEST).validate_python(body))


def sdk_chat_ok(chat: dict[str, Any]) -> None:
    forced((CHAT_STREAM_REQUEST if chat.get("stream") else CHAT_REQUEST).validate_python(chat))


def sdk_response(obj: dict[str, Any]) -> Response:
    orjson.dumps(obj)  # plain JSON only
    return Response.model_validate(obj)


def sdk_events(events: list[tuple[str, dict[str, Any]]]) -> ResponseStreamState[Any]:
    """Every event is a valid SDK event with its name as ``type`` and the next sequence number;
    all of them run through the SDK's accumulator (what ``client.responses.stream`` uses)."""
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=openai.omit, text_format=openai.omit)
    for n, (name, data) in enumerate(events):
        assert data["type"] == name and data["sequence_number"] == n
        event = EVENTS.validate_python(json.loads(orjson.dumps(data)))
        assert event.type == name
        state.handle_event(event)
    return state


def run_stream(chunks: list[dict[str, Any]], request: dict[str, Any], model: str = "gpt-4o",
               *, finish: bool = True) -> tuple[list[tuple[str, dict[str, Any]]], ChatToResponsesStream]:
    tr = ChatToResponsesStream(model=model, request=request)
    events: list[tuple[str, dict[str, Any]]] = []
    for chunk in chunks:
        events.extend(tr.feed(copy.deepcopy(chunk)))
    if finish:
        events.extend(tr.finish())
    return events, tr


def unparsed(item: dict[str, Any]) -> dict[str, Any]:
    """An output item of the SDK's accumulated response without what its parsing helpers add
    (``parsed`` on text parts, ``parsed_arguments`` on calls)."""
    item = {k: v for k, v in item.items() if k != "parsed_arguments"}
    parts = [{k: v for k, v in p.items() if k != "parsed"} for p in item.get("content") or []]
    return {**item, "content": parts} if "content" in item else item


def without_completed_at(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "completed_at"}


# ---------- request translation ----------

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
           "strict": True}
CHAT_WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                                 "parameters": WEATHER["parameters"], "strict": True}}
PNG = "data:image/png;base64,iVBORw0KGgo="
PDF = "data:application/pdf;base64,JVBERi0xLjQ="


def req(**kw: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "input": "hi", **kw}


def chat(messages: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    return {"model": "upstream", "messages": messages or [{"role": "user", "content": "hi"}], **kw}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


REQUEST_CASES = [
    pytest.param(req(), chat(), id="string input"),
    pytest.param(req(instructions="Be brief."), chat([{"role": "system", "content": "Be brief."}, user("hi")]), id="instructions first"),
    pytest.param(req(input=[{"type": "message", "role": "user", "content": "a"}, {"role": "user", "content": [{"type": "input_text", "text": "b"}]}]),
                 chat([user("a"), user("b")]), id="message items, typed and easy"),
    pytest.param(req(input=[{"role": "user", "content": [
        {"type": "input_text", "text": "What is on these?"},
        {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "high"},
        {"type": "input_image", "image_url": PNG, "detail": "original"},
        {"type": "input_file", "file_data": PDF, "filename": "a.pdf"},
        {"type": "input_file", "file_id": "file-123"}]}]),
        chat([{"role": "user", "content": [
            {"type": "text", "text": "What is on these?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "high"}},
            {"type": "image_url", "image_url": {"url": PNG}},
            {"type": "file", "file": {"file_data": PDF, "filename": "a.pdf"}},
            {"type": "file", "file": {"file_id": "file-123"}}]}]), id="input parts"),
    pytest.param(req(instructions="I1", input=[
        {"role": "system", "content": "S1"},
        {"role": "developer", "content": [{"type": "input_text", "text": "D1"}]},
        {"role": "developer", "content": [{"type": "input_text", "text": "D2"}, {"type": "input_text", "text": "D3"}]},
        {"role": "user", "content": "hi"}]),
        chat([{"role": "system", "content": "I1"}, {"role": "system", "content": "S1"}, {"role": "system", "content": "D1"},
              {"role": "system", "content": [{"type": "text", "text": "D2"}, {"type": "text", "text": "D3"}]}, user("hi")]),
        id="system and developer roles"),
    pytest.param(req(input=[user("q1"), {"role": "assistant", "content": "a1"}, user("q2"),
                            {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
                             "content": [{"type": "output_text", "text": "a2 ", "annotations": []}, {"type": "output_text", "text": "more", "annotations": []}]},
                            user("q3"),
                            {"type": "message", "role": "assistant", "id": "msg_2", "status": "completed", "content": [{"type": "refusal", "refusal": "I can't."}]},
                            user("q4"),
                            {"type": "message", "role": "assistant", "id": "msg_3", "status": "incomplete", "content": [{"type": "output_text", "text": "Partly", "annotations": []}, {"type": "refusal", "refusal": "no more"}]},
                            user("q5")]),
        chat([user("q1"), {"role": "assistant", "content": "a1"}, user("q2"), {"role": "assistant", "content": "a2 more"},
              user("q3"), {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}]},
              user("q4"), {"role": "assistant", "content": [{"type": "text", "text": "Partly"}, {"type": "refusal", "refusal": "no more"}]},
              user("q5")]), id="assistant history"),
    pytest.param(req(input=[
        user("Weather in Paris and Rome?"),
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "two cities"}]},
        {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed", "content": [{"type": "output_text", "text": "Checking.", "annotations": []}]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}", "status": "completed"},
        {"type": "function_call", "call_id": "call_2", "name": "get_weather", "arguments": "{\"city\":\"Rome\"}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
        {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "21"}, {"type": "input_text", "text": "C"}]},
        {"type": "function_call", "call_id": "call_3", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_3", "output": "?"},
        {"role": "assistant", "content": "Paris 18C, Rome 21C."}], tools=[WEATHER]),
        chat([user("Weather in Paris and Rome?"),
              {"role": "assistant", "content": "Checking.", "tool_calls": [
                  {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                  {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}]},
              {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
              {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "21"}, {"type": "text", "text": "C"}]},
              {"role": "assistant", "content": None, "tool_calls": [{"id": "call_3", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
              {"role": "tool", "tool_call_id": "call_3", "content": "?"},
              {"role": "assistant", "content": "Paris 18C, Rome 21C."}], tools=[CHAT_WEATHER]),
        id="function calls merged, outputs as tool messages, reasoning dropped"),
    pytest.param(req(tools=[WEATHER, {"type": "function", "name": "noop", "parameters": None, "strict": None}]),
                 chat(tools=[CHAT_WEATHER, {"type": "function", "function": {"name": "noop"}}]), id="function tools"),
    *[pytest.param(req(tools=[WEATHER], tool_choice=choice), chat(tools=[CHAT_WEATHER], tool_choice=expected), id=f"tool_choice {name}")
      for name, choice, expected in [("auto", "auto", "auto"), ("none", "none", "none"), ("required", "required", "required"),
                                     ("function", {"type": "function", "name": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}})]],
    pytest.param(req(tools=[WEATHER], parallel_tool_calls=False), chat(tools=[CHAT_WEATHER], parallel_tool_calls=False), id="parallel_tool_calls"),
    pytest.param(req(tool_choice="none", parallel_tool_calls=True), chat(), id="tool settings without tools are not sent"),
    pytest.param(req(text={"format": {"type": "json_schema", "name": "city", "description": "A city", "strict": True,
                                      "schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": False}}}),
                 chat(response_format={"type": "json_schema", "json_schema": {"name": "city", "description": "A city", "strict": True,
                                                                              "schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": False}}}),
                 id="text.format json_schema"),
    pytest.param(req(text={"format": {"type": "json_object"}}), chat(response_format={"type": "json_object"}), id="text.format json_object"),
    pytest.param(req(text={"format": {"type": "text"}, "verbosity": "low"}), chat(), id="text.format text"),
    pytest.param(req(max_output_tokens=50, temperature=0.2, top_p=0.9, user="u-1"),
                 chat(max_tokens=50, temperature=0.2, top_p=0.9, user="u-1"), id="sampling"),
    pytest.param(req(safety_identifier="s-1"), chat(user="s-1"), id="safety_identifier as user"),
    pytest.param(req(stream=True), chat(stream=True, stream_options={"include_usage": True}), id="stream with usage"),
    pytest.param(req(store=True, metadata={"k": "v"}, include=["reasoning.encrypted_content"], reasoning={"effort": "low"},
                     truncation="auto", prompt_cache_key="pk", service_tier="auto", top_logprobs=2, previous_response_id=None),
                 chat(), id="ignored fields"),
]


@pytest.mark.parametrize(("body", "expected"), REQUEST_CASES)
def test_request_translation(body: dict[str, Any], expected: dict[str, Any]) -> None:
    sdk_request_ok(body)  # the fixture is a request the official SDK types describe
    before = copy.deepcopy(body)
    out = responses_to_chat(body, "upstream")
    assert out == expected
    assert body == before  # pure: the input is not changed
    sdk_chat_ok(out)  # and what we send is a chat request the SDK types describe


SECRET = "SECRET-7f3a"  # put where a client's content goes; never in an error message

ERROR_CASES = [
    pytest.param(req(previous_response_id=f"resp_{SECRET}"), "previous_response_id", id="previous_response_id"),
    pytest.param(req(conversation={"id": f"conv_{SECRET}"}), "conversation", id="conversation"),
    pytest.param(req(prompt={"id": f"pmpt_{SECRET}"}), "prompt", id="stored prompt"),
    pytest.param(req(background=True), "background", id="background"),
    pytest.param(req(tools=[{"type": "web_search"}]), "tools[0]", id="built-in tool web_search"),
    pytest.param(req(tools=[WEATHER, {"type": "file_search", "vector_store_ids": [SECRET]}]), "tools[1]", id="built-in tool file_search"),
    pytest.param(req(tools=[{"type": SECRET}]), "tools[0]", id="unknown tool type"),
    pytest.param(req(tools=[{"type": "function", "parameters": {SECRET: 1}}]), "tools[0].name", id="function without name"),
    pytest.param(req(tools=[{"type": "function", "name": "f", "parameters": SECRET}]), "tools[0].parameters", id="parameters not a schema"),
    pytest.param(req(tools={"type": "function"}), "tools", id="tools not a list"),
    pytest.param(req(tools=[WEATHER], tool_choice={"type": "web_search_preview"}), "tool_choice", id="tool_choice built-in"),
    pytest.param(req(tools=[WEATHER], tool_choice={"type": "allowed_tools", "mode": "auto", "tools": [{"type": "function", "name": SECRET}]}), "tool_choice", id="tool_choice allowed_tools"),
    pytest.param(req(tool_choice=SECRET), "tool_choice", id="tool_choice without tools still checked"),
    pytest.param(req(input=[{"type": "computer_call_output", "call_id": SECRET, "output": {}}]), "input[0]", id="computer item"),
    pytest.param(req(input=[user("x"), {"type": "item_reference", "id": f"msg_{SECRET}"}]), "input[1]", id="item_reference"),
    pytest.param(req(input=[{"type": SECRET}]), "input[0]", id="unknown item type"),
    pytest.param(req(input=[{"role": "tool", "content": SECRET}]), "input[0]", id="unknown role"),
    pytest.param(req(input=[SECRET]), "input[0]", id="item not an object"),
    pytest.param(req(input=[{"role": "user", "content": [{"type": "input_image", "file_id": f"file-{SECRET}", "detail": "auto"}]}]), "input[0].content[0]", id="image by file_id"),
    pytest.param(req(input=[{"role": "user", "content": [{"type": "input_image", "detail": "auto"}]}]), "input[0].content[0]", id="image without url"),
    pytest.param(req(input=[{"role": "user", "content": [{"type": "input_file", "file_url": f"https://{SECRET}"}]}]), "input[0].content[0]", id="file by url"),
    pytest.param(req(input=[{"role": "user", "content": [{"type": "input_file", "filename": SECRET}]}]), "input[0].content[0]", id="file without data"),
    pytest.param(req(input=[{"role": "user", "content": [{"type": "input_file", "file_data": 7}]}]), "input[0].content[0].file_data", id="file_data not a string"),
    pytest.param(req(input=[{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": SECRET}}]}]), "input[0].content[0]", id="unknown part"),
    pytest.param(req(input=[{"role": "user", "content": [{"type": "input_text", "text": 5}]}]), "input[0].content[0].text", id="text not a string"),
    pytest.param(req(input=[{"role": "user", "content": [{"text": SECRET}]}]), "input[0].content[0]", id="part without type"),
    pytest.param(req(input=[{"role": "system", "content": [{"type": "input_image", "image_url": PNG}]}]), "input[0].content[0]", id="image in a system message"),
    pytest.param(req(input=[{"role": "assistant", "content": [{"type": "input_image", "image_url": PNG}]}]), "input[0].content[0]", id="image in assistant history"),
    pytest.param(req(input=[{"role": "user", "content": {"text": SECRET}}]), "input[0].content", id="content not a string or list"),
    pytest.param(req(input=[{"type": "function_call", "name": "f", "arguments": SECRET}]), "input[0].call_id", id="function_call without call_id"),
    pytest.param(req(input=[{"type": "function_call", "call_id": "c", "name": "f", "arguments": {"x": SECRET}}]), "input[0].arguments", id="arguments not a string"),
    pytest.param(req(input=[{"type": "function_call_output", "call_id": "c", "output": [{"type": "input_image", "image_url": PNG}]}]), "input[0].output[0]", id="image tool output"),
    pytest.param(req(input=[{"type": "function_call_output", "call_id": "c", "output": {"x": SECRET}}]), "input[0].output", id="tool output not text"),
    pytest.param(req(input=7), "input", id="input a number"),
    pytest.param(req(input=[], instructions=SECRET), "input", id="only instructions"),
    pytest.param({"model": "gpt-4o"}, "input", id="no input"),
    pytest.param(req(instructions=[SECRET]), "instructions", id="instructions not a string"),
    pytest.param(req(max_output_tokens=0), "max_output_tokens", id="max_output_tokens 0"),
    pytest.param(req(max_output_tokens=True), "max_output_tokens", id="max_output_tokens bool"),
    pytest.param(req(temperature=SECRET), "temperature", id="temperature not a number"),
    pytest.param(req(text={"format": {"type": "json_schema", "name": "x", "schema": SECRET}}), "text.format.schema", id="json_schema without a schema"),
    pytest.param(req(text={"format": {"type": "json_schema", "schema": {}}}), "text.format.name", id="json_schema without a name"),
    pytest.param(req(text={"format": {"type": SECRET}}), "text.format", id="unknown text format"),
    pytest.param(req(text=SECRET), "text", id="text not an object"),
]


@pytest.mark.parametrize(("body", "param"), ERROR_CASES)
def test_request_errors_name_the_param_never_the_content(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequest) as info:
        responses_to_chat(body, "upstream")
    err = info.value
    assert err.status == 400 and err.param == param
    assert SECRET not in err.message and SECRET not in json.dumps(err.to_openai())


def test_error_messages_say_what_is_wrong() -> None:
    with pytest.raises(BadRequest, match="keeps no state"):
        responses_to_chat(req(previous_response_id="resp_1"), "m")
    with pytest.raises(BadRequest, match="built-in tool web_search is not available"):
        responses_to_chat(req(tools=[{"type": "web_search"}]), "m")
    with pytest.raises(BadRequest, match="computer_call items cannot be sent"):
        responses_to_chat(req(input=[{"type": "computer_call", "call_id": "c"}]), "m")
    with pytest.raises(BadRequest, match="must be a JSON object"):
        responses_to_chat([], "m")  # type: ignore[arg-type]


def test_translated_request_goes_on_to_anthropic() -> None:
    body = req(instructions="Be brief.", tools=[WEATHER], tool_choice="required", max_output_tokens=100, input=[
        {"role": "user", "content": [{"type": "input_text", "text": "Weather here?"}, {"type": "input_image", "image_url": PNG}]},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "18C"}])
    out = to_anthropic_request(responses_to_chat(body, "claude-x"), "claude-x")
    assert out["system"] == "Be brief." and out["max_tokens"] == 100 and out["tool_choice"] == {"type": "any"}
    assert out["tools"][0]["name"] == "get_weather" and out["tools"][0]["input_schema"] == WEATHER["parameters"]
    assert [m["role"] for m in out["messages"]] == ["user", "assistant", "user"]
    assert out["messages"][0]["content"][1]["source"] == {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
    assert out["messages"][1]["content"] == [{"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}]
    assert out["messages"][2]["content"] == [{"type": "tool_result", "tool_use_id": "call_1", "content": "18C"}]


# ---------- whole answers ----------

def completion(message: dict[str, Any], finish: str = "stop", usage: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """A ``chat.completion``; ``usage={}`` leaves usage out (as a stream without its usage chunk)."""
    out = {"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1700000000, "model": "upstream-model",
           "system_fingerprint": "fp_x",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": None, **message},
                        "logprobs": None, "finish_reason": finish}],
           "usage": usage if usage is not None else {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}, **kw}
    if usage == {}:
        del out["usage"]
    return out


CALLS = [{"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
         {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{\"tz\":\"CET\"}"}}]


def test_text_answer_usage_and_echo() -> None:
    request = req(instructions="Be brief.", tools=[WEATHER], tool_choice={"type": "function", "name": "get_weather"},
                  temperature=0.5, top_p=0.9, max_output_tokens=64, parallel_tool_calls=False, metadata={"team": "a"},
                  text={"format": {"type": "json_object"}}, user="u-1", store=True)
    usage = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150,
             "prompt_tokens_details": {"cached_tokens": 100}, "completion_tokens_details": {"reasoning_tokens": 7}}
    out = chat_to_response(completion({"content": "Hello there."}, usage=usage), model="gpt-4o", request=request)
    r = sdk_response(out)
    assert r.output_text == "Hello there." and r.status == "completed" and r.incomplete_details is None
    assert r.id == "resp_abc123" and r.created_at == 1700000000 and r.model == "gpt-4o" and r.object == "response"
    assert r.completed_at is not None and r.error is None
    msg = r.output[0]
    assert len(r.output) == 1 and msg.type == "message" and msg.id == "msg_abc123" and msg.status == "completed"
    assert msg.role == "assistant" and msg.content[0].type == "output_text" and msg.content[0].annotations == []
    assert r.usage is not None
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens) == (120, 30, 150)
    assert r.usage.input_tokens_details.cached_tokens == 100 and r.usage.output_tokens_details.reasoning_tokens == 7
    assert responses_usage(out) == (120, 30, 100)
    assert r.instructions == "Be brief." and r.temperature == 0.5 and r.top_p == 0.9 and r.max_output_tokens == 64
    assert r.parallel_tool_calls is False and r.metadata == {"team": "a"} and r.user == "u-1"
    assert out["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert out["tools"] == [{"type": "function", "name": "get_weather", "description": "Weather for a city",
                             "parameters": WEATHER["parameters"], "strict": True}]
    assert out["text"] == {"format": {"type": "json_object"}} and out["store"] is False


def test_defaults_echoed_for_a_minimal_request() -> None:
    out = chat_to_response(completion({"content": "x"}), model="m", request=req())
    sdk_response(out)
    assert out["tool_choice"] == "auto" and out["tools"] == [] and out["parallel_tool_calls"] is True
    assert out["text"] == {"format": {"type": "text"}} and out["metadata"] == {}
    assert out["instructions"] is None and out["temperature"] is None and out["max_output_tokens"] is None


def test_tool_calls() -> None:
    out = chat_to_response(completion({"content": "Checking.", "tool_calls": CALLS}, "tool_calls"),
                           model="gpt-4o", request=req(tools=[WEATHER]))
    r = sdk_response(out)
    assert [o.type for o in r.output] == ["message", "function_call", "function_call"]
    first, second = r.output[1], r.output[2]
    assert first.type == "function_call" and second.type == "function_call"
    assert (first.call_id, first.name, first.arguments, first.id) == ("call_a", "get_weather", "{\"city\":\"Paris\"}", "fc_abc123_0")
    assert (second.call_id, second.name, second.arguments, second.id) == ("call_b", "get_time", "{\"tz\":\"CET\"}", "fc_abc123_1")
    assert r.status == "completed" and all(o.status == "completed" for o in r.output)
    only = sdk_response(chat_to_response(completion({"tool_calls": CALLS[:1]}, "tool_calls"), model="m", request=req()))
    assert [o.type for o in only.output] == ["function_call"] and only.output_text == ""


def test_tool_call_without_id_gets_one() -> None:
    call = {"type": "function", "function": {"name": "f", "arguments": "{}"}}
    out = chat_to_response(completion({"tool_calls": [call]}, "tool_calls"), model="m", request=req())
    assert out["output"][0]["call_id"] == "call_abc123_0"


@pytest.mark.parametrize(("finish", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")])
def test_incomplete(finish: str, reason: str) -> None:
    r = sdk_response(chat_to_response(completion({"content": "Once upon a"}, finish), model="m", request=req(max_output_tokens=3)))
    assert r.status == "incomplete" and r.incomplete_details is not None and r.incomplete_details.reason == reason
    assert r.output[0].status == "incomplete" and r.output_text == "Once upon a" and r.completed_at is None
    cut_call = sdk_response(chat_to_response(completion({"content": "x", "tool_calls": CALLS}, finish), model="m", request=req()))
    assert [o.status for o in cut_call.output] == ["completed", "incomplete", "incomplete"]


def test_refusal_reasoning_and_empty() -> None:
    refused = sdk_response(chat_to_response(completion({"refusal": "I can't help with that."}), model="m", request=req()))
    part = refused.output[0].content[0]  # type: ignore[union-attr]
    assert part.type == "refusal" and part.refusal == "I can't help with that." and refused.output_text == ""
    thought = chat_to_response(completion({"content": "42", "reasoning_content": "6 times 7"}), model="m", request=req())
    r = sdk_response(thought)
    assert [o.type for o in r.output] == ["reasoning", "message"] and r.output_text == "42"
    assert thought["output"][0] == {"id": "rs_abc123", "type": "reasoning", "status": "completed", "summary": [],
                                    "content": [{"type": "reasoning_text", "text": "6 times 7"}]}
    empty = sdk_response(chat_to_response(completion({"content": ""}), model="m", request=req()))
    assert [o.type for o in empty.output] == ["message"] and empty.output_text == ""


def test_usage_absent_and_bad_upstream() -> None:
    body = completion({"content": "x"})
    del body["usage"]
    out = chat_to_response(body, model="m", request=req())
    assert sdk_response(out).usage is None and responses_usage(out) is None
    with pytest.raises(UpstreamError):
        chat_to_response({"id": "x", "choices": []}, model="m", request=req())
    no_id = chat_to_response({**completion({"content": "x"}), "id": None}, model="m", request=req())
    assert no_id["id"].startswith("resp_") and len(no_id["id"]) > 10


def test_responses_usage_reads_native_answers_and_events() -> None:
    native = {"id": "resp_1", "object": "response", "usage": {"input_tokens": 9, "output_tokens": 4, "total_tokens": 13,
                                                              "input_tokens_details": {"cached_tokens": 2}}}
    assert responses_usage(native) == (9, 4, 2)
    assert responses_usage({"type": "response.completed", "sequence_number": 9, "response": native}) == (9, 4, 2)
    assert responses_usage({"type": "response.created", "response": {"usage": None}}) is None
    assert responses_usage({"usage": {"input_tokens": 1, "output_tokens": 1}}) == (1, 1, 0)


# ---------- streams ----------

def chunk(delta: dict[str, Any], finish: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-abc123", "object": "chat.completion.chunk", "created": 1700000000, "model": "upstream-model",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], "usage": None, **kw}


def usage_chunk(prompt: int = 12, completion_tokens: int = 5) -> dict[str, Any]:
    return {"id": "chatcmpl-abc123", "object": "chat.completion.chunk", "created": 1700000000, "model": "upstream-model",
            "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
                                     "total_tokens": prompt + completion_tokens}}


def assert_stream_matches_whole(whole_completion: dict[str, Any], chunks: list[dict[str, Any]], request: dict[str, Any]) -> tuple[list[tuple[str, dict[str, Any]]], ResponseStreamState[Any]]:
    events, tr = run_stream(chunks, request)
    state = sdk_events(events)
    whole = chat_to_response(whole_completion, model="gpt-4o", request=request)
    final_name, final = events[-1]
    assert final_name in ("response.completed", "response.incomplete") and responses_stream_done(final)
    assert tr.response is final["response"]
    assert without_completed_at(final["response"]) == without_completed_at(whole)
    sdk_response(final["response"])
    # each output_item.done carries the item exactly as the final response has it
    done_items = {d["output_index"]: d["item"] for n, d in events if n == "response.output_item.done"}
    assert [done_items[i] for i in sorted(done_items)] == whole["output"]
    for n, d in events[:2]:
        assert n in ("response.created", "response.in_progress") and d["response"]["status"] == "in_progress"
        assert d["response"]["output"] == [] and d["response"]["id"] == whole["id"]
    if final_name == "response.completed":
        sdk_final = state._completed_response
        assert sdk_final is not None
        assert sdk_final.output_text == sdk_response(whole).output_text and sdk_final.id == whole["id"]
        assert [unparsed(o.to_dict()) for o in sdk_final.output] == whole["output"]
    return events, state


def test_text_stream_equals_the_whole_answer() -> None:
    whole = FakeOpenAI()._completion({"messages": [user("hi")]}, "upstream-model", 7)
    request = req(instructions="Be brief.", temperature=0.3)
    events, _ = assert_stream_matches_whole(whole, chat_chunks(whole), request)
    deltas = [d["delta"] for n, d in events if n == "response.output_text.delta"]
    assert len(deltas) > 3 and "".join(deltas) == whole["choices"][0]["message"]["content"]
    names = [n for n, _ in events]
    assert names[:5] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added", "response.output_text.delta"]
    assert names[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert events[-1][1]["response"]["usage"]["input_tokens"] == whole["usage"]["prompt_tokens"]


def test_tool_call_stream_from_the_fake() -> None:
    fake = FakeOpenAI()
    body = {"messages": [user("hi")], "tools": [CHAT_WEATHER]}
    whole = fake._completion(body, "upstream-model", 3)
    events, _ = assert_stream_matches_whole(whole, chat_chunks(whole), req(tools=[WEATHER]))
    args = [d["delta"] for n, d in events if n == "response.function_call_arguments.delta"]
    assert "".join(args) == json.dumps(fake.tool_input, separators=(",", ":"))
    done = [d for n, d in events if n == "response.function_call_arguments.done"]
    assert len(done) == 1 and done[0]["arguments"] == "".join(args)


def test_interleaved_tool_calls_and_text() -> None:
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Checking "}), chunk({"content": "both."}),
        chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{\"tz\""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": ":\"CET\"}"}}, {"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
        chunk({}, "tool_calls"), usage_chunk()]
    whole = completion({"content": "Checking both.", "tool_calls": CALLS}, "tool_calls")
    events, _ = assert_stream_matches_whole(whole, chunks, req(tools=[WEATHER]))
    by_item: dict[str, str] = {}
    for n, d in events:
        if n == "response.function_call_arguments.delta":
            by_item[d["item_id"]] = by_item.get(d["item_id"], "") + d["delta"]
    assert by_item == {"fc_abc123_0": "{\"city\":\"Paris\"}", "fc_abc123_1": "{\"tz\":\"CET\"}"}
    names = [n for n, _ in events]
    # the message closes before the first call opens; calls stay open until the end
    assert names.index("response.output_item.done") < names.index("response.function_call_arguments.delta")


def test_tool_call_name_after_arguments_and_without_id() -> None:
    chunks = [chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\":"}}]}),
              chunk({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": "1}"}}]}),
              chunk({}, "tool_calls")]
    whole = completion({"tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]}, "tool_calls", usage={})
    events, _ = run_stream(chunks, req())
    sdk_events(events)
    out = events[-1][1]["response"]
    assert out["output"] == chat_to_response(whole, model="gpt-4o", request=req())["output"]
    assert out["output"][0]["call_id"] == "call_abc123_0" and out["output"][0]["arguments"] == "{\"a\":1}"


def test_reasoning_refusal_and_empty_streams() -> None:
    thought = [chunk({"role": "assistant", "content": ""}), chunk({"reasoning_content": "6 times "}),
               chunk({"reasoning_content": "7"}), chunk({"content": "42"}), chunk({}, "stop"), usage_chunk()]
    events, _ = assert_stream_matches_whole(completion({"content": "42", "reasoning_content": "6 times 7"}), thought, req())
    assert [d["delta"] for n, d in events if n == "response.reasoning_text.delta"] == ["6 times ", "7"]
    refused = [chunk({"role": "assistant", "content": None, "refusal": ""}), chunk({"refusal": "I can't "}),
               chunk({"refusal": "help."}), chunk({}, "stop"), usage_chunk()]
    events, _ = assert_stream_matches_whole(completion({"refusal": "I can't help."}), refused, req())
    assert [d["refusal"] for n, d in events if n == "response.refusal.done"] == ["I can't help."]
    empty = [chunk({"role": "assistant", "content": ""}), chunk({}, "stop"), usage_chunk()]
    events, _ = assert_stream_matches_whole(completion({"content": ""}), empty, req())
    assert [n for n, _ in events if n == "response.output_item.added"] == ["response.output_item.added"]


def test_length_stream_is_incomplete() -> None:
    chunks = [chunk({"role": "assistant", "content": ""}), chunk({"content": "Once"}), chunk({"content": " upon"}),
              chunk({}, "length"), usage_chunk(completion_tokens=2)]
    events, state = assert_stream_matches_whole(completion({"content": "Once upon"}, "length", usage={"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14}),
                                                chunks, req(max_output_tokens=2))
    name, final = events[-1]
    assert name == "response.incomplete" and final["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["response"]["output"][0]["status"] == "incomplete" and state._completed_response is None
    reasoning_cut = [chunk({"reasoning_content": "hmm"}), chunk({}, "length")]
    events, _ = assert_stream_matches_whole(completion({"content": "", "reasoning_content": "hmm"}, "length", usage={}), reasoning_cut, req())
    assert [i["status"] for i in events[-1][1]["response"]["output"]] == ["completed", "incomplete"]


def test_usage_missing_from_stream() -> None:
    events, tr = run_stream([chunk({"content": "x"}), chunk({}, "stop")], req())
    sdk_events(events)
    assert events[-1][1]["response"]["usage"] is None and tr.usage is None


def test_error_chunk_ends_the_stream() -> None:
    error = {"error": {"message": f"bad {SECRET}", "type": "server_error", "param": None, "code": None}}
    events, tr = run_stream([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}), error], req(), finish=False)
    state = sdk_events(events)
    name, data = events[-1]
    assert name == "error" and responses_stream_done(data) and tr.done
    assert data["code"] == "upstream_error" and SECRET not in data["message"]
    assert "response.output_item.done" not in [n for n, _ in events] and state._completed_response is None
    assert tr.feed(chunk({"content": "more"})) == [] and tr.finish() == [] and tr.error_event(UpstreamError("x")) == []
    first, _ = run_stream([error], req(), finish=False)  # an error first still comes after response.created
    sdk_events(first)
    assert [n for n, _ in first] == ["response.created", "response.in_progress", "error"]


def test_cut_stream_ends_with_an_error_event() -> None:
    whole = FakeOpenAI()._completion({"messages": [user("hi")], "tools": [CHAT_WEATHER]}, "m", 1)
    chunks = chat_chunks(whole)
    events, tr = run_stream(chunks[: len(chunks) // 2], req(tools=[WEATHER]), finish=False)
    events += tr.error_event(UpstreamError("upstream stream ended before the answer was complete", code="upstream_stream_truncated"))
    sdk_events(events)
    name, data = events[-1]
    assert name == "error" and data["code"] == "upstream_stream_truncated" and data["param"] is None
    assert not any(n in ("response.completed", "response.incomplete") for n, _ in events)
    assert "response.function_call_arguments.delta" in [n for n, _ in events]


def test_stream_without_chunks() -> None:
    tr = ChatToResponsesStream(model="m", request=req())
    events = tr.finish()
    sdk_events(events)
    assert events[-1][0] == "response.completed" and events[-1][1]["response"]["output"][0]["type"] == "message"


def test_sse_serialisation_and_terminal_events() -> None:
    events, _ = run_stream([chunk({"content": "hi"}), chunk({}, "stop")], req())
    raw = responses_sse(events)
    assert raw.startswith(b"event: response.created\ndata: {") and raw.endswith(b"}\n\n") and b"[DONE]" not in raw
    parsed = SSEParser().feed(raw)
    assert [(e.event, e.json()) for e in parsed] == [(n, json.loads(orjson.dumps(d))) for n, d in events]
    for kind in ("response.completed", "response.incomplete", "response.failed", "error"):
        assert responses_stream_done({"type": kind})
    for kind in ("response.created", "response.output_text.delta", "response.output_item.done", None):
        assert not responses_stream_done({"type": kind})


# ---------- the official client against translated answers ----------

class TranslatingUpstream:
    """An httpx handler that plays a gateway serving /v1/responses from a chat-only upstream: the
    request is translated, answered by the fake OpenAI's chat logic, and translated back."""

    def __init__(self) -> None:
        self.fake = FakeOpenAI()
        self.chat_requests: list[dict[str, Any]] = []
        self.n = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/responses"
        body = orjson.loads(request.content)
        try:
            chat_body = responses_to_chat(body, "upstream-model")
        except BadRequest as err:
            return httpx.Response(err.status, json=err.to_openai())
        self.chat_requests.append(chat_body)
        self.n += 1
        answer = self.fake._completion(chat_body, "upstream-model", self.n)
        if not body.get("stream"):
            return httpx.Response(200, json=chat_to_response(answer, model=body["model"], request=body))
        tr = ChatToResponsesStream(model=body["model"], request=body)
        raw = b"".join(responses_sse(tr.feed(c)) for c in chat_chunks(answer)) + responses_sse(tr.finish())
        return httpx.Response(200, content=raw, headers={"content-type": "text/event-stream"})


@pytest.fixture
def upstream() -> TranslatingUpstream:
    return TranslatingUpstream()


@pytest.fixture
def client(upstream: TranslatingUpstream) -> openai.OpenAI:
    return openai.OpenAI(api_key="k", base_url="http://gateway.test/v1", max_retries=0,
                         http_client=httpx.Client(transport=httpx.MockTransport(upstream)))


def test_sdk_create_and_function_call_round_trip(client: openai.OpenAI, upstream: TranslatingUpstream) -> None:
    r = client.responses.create(model="gpt-4o", input="Hello", instructions="Be brief.")
    assert r.output_text == upstream.fake.reply and r.status == "completed" and r.model == "gpt-4o"
    assert r.usage is not None and r.usage.input_tokens > 0 and r.usage.output_tokens > 0
    assert upstream.chat_requests[-1]["messages"][0] == {"role": "system", "content": "Be brief."}
    tools: Any = [WEATHER]
    first = client.responses.create(model="gpt-4o", input="Weather in Paris?", tools=tools)
    call = first.output[0]
    assert call.type == "function_call" and call.name == "get_weather"
    assert json.loads(call.arguments) == upstream.fake.tool_input
    # the Agents SDK way: the previous output items go back as input, then the tool's output
    history: Any = [{"role": "user", "content": "Weather in Paris?"}, *[o.to_dict() for o in first.output],
                    {"type": "function_call_output", "call_id": call.call_id, "output": "18C"}]
    second = client.responses.create(model="gpt-4o", input=history, tools=tools)
    assert second.output_text == upstream.fake.reply
    sent = upstream.chat_requests[-1]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call.call_id and sent[2] == {"role": "tool", "tool_call_id": call.call_id, "content": "18C"}


def test_sdk_incomplete_and_400(client: openai.OpenAI) -> None:
    r = client.responses.create(model="gpt-4o", input="Hello", max_output_tokens=2)
    assert r.status == "incomplete" and r.incomplete_details is not None and r.incomplete_details.reason == "max_output_tokens"
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="Hello", previous_response_id="resp_123")
    assert info.value.param == "previous_response_id" and info.value.code == "invalid_request"


def test_sdk_stream_text(client: openai.OpenAI, upstream: TranslatingUpstream) -> None:
    with client.responses.stream(model="gpt-4o", input="Hello") as stream:
        kinds = []
        deltas = []
        for event in stream:
            kinds.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
                assert upstream.fake.reply.startswith(event.snapshot)
        final = stream.get_final_response()
    assert "".join(deltas) == upstream.fake.reply == final.output_text
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed" and "response.output_text.done" in kinds
    assert final.usage is not None and final.usage.output_tokens == len(deltas)
    assert upstream.chat_requests[-1]["stream"] is True and upstream.chat_requests[-1]["stream_options"] == {"include_usage": True}


def test_sdk_stream_function_call(client: openai.OpenAI, upstream: TranslatingUpstream) -> None:
    tools: Any = [WEATHER]
    with client.responses.stream(model="gpt-4o", input="Weather?", tools=tools) as stream:
        snapshots = [e.snapshot for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    call = final.output[0]
    assert call.type == "function_call" and call.name == "get_weather" and call.status == "completed"
    assert json.loads(call.arguments) == upstream.fake.tool_input and snapshots[-1] == call.arguments
    assert len(snapshots) > 1
    raw = list(client.responses.create(model="gpt-4o", input="Weather?", tools=tools, stream=True))
    assert [e.type for e in raw][-3:] == ["response.function_call_arguments.done", "response.output_item.done", "response.completed"]
