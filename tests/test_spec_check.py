# ruff: noqa: E501  (wire-format fixtures read best one object per line)
"""The wire-spec validators (tests/spec_check.py): what they accept and flag, and the fake
upstreams held to the official specifications."""

from __future__ import annotations

import base64
import copy
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import running
from tests.spec_check import Specs, convert_nullable, parse_sse, shared_specs


@pytest.fixture(scope="module")
def specs() -> Specs:
    return shared_specs()


def sse(*objs: Any, done: bool = True) -> bytes:
    out = b"".join(b"data: " + (o if isinstance(o, bytes) else orjson.dumps(o)) + b"\n\n" for o in objs)
    return out + (b"data: [DONE]\n\n" if done else b"")


def named(*events: dict[str, Any]) -> bytes:
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events)


# ---------- OpenAI: the nullable conversion (the README's --selftest) ----------

CHUNK = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o",
         "choices": [{"index": 0, "delta": {"content": "Hi"}, "logprobs": None, "finish_reason": None}]}


def test_finish_reason_null_passes_only_after_the_nullable_conversion(specs: Specs) -> None:
    literal = Specs.load(nullable_converted=False)
    assert specs.openai("CreateChatCompletionStreamResponse", CHUNK) == []
    problems = literal.openai("CreateChatCompletionStreamResponse", CHUNK)
    assert any("finish_reason" in p for p in problems) and any("logprobs" in p for p in problems)
    with_usage = {**CHUNK, "usage": None}
    assert specs.openai("CreateChatCompletionStreamResponse", with_usage) == []
    assert any("$.usage" in p for p in literal.openai("CreateChatCompletionStreamResponse", with_usage))
    bad = copy.deepcopy(CHUNK)
    bad["choices"][0]["finish_reason"] = "done"
    assert any("finish_reason" in p for p in specs.openai("CreateChatCompletionStreamResponse", bad))


def test_convert_nullable_shapes() -> None:
    assert convert_nullable({"type": "string", "enum": ["a"], "nullable": True}) == {"type": ["string", "null"], "enum": ["a", None]}
    assert convert_nullable({"$ref": "#/x", "nullable": True, "description": "d"}) == {"description": "d", "anyOf": [{"$ref": "#/x"}, {"type": "null"}]}
    assert convert_nullable({"allOf": [{"$ref": "#/x"}], "nullable": True}) == {"anyOf": [{"allOf": [{"$ref": "#/x"}]}, {"type": "null"}]}
    assert convert_nullable({"type": "string", "nullable": False}) == {"type": "string"}
    def keys(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for k, v in node.items():
                yield k
                yield from keys(v)
        elif isinstance(node, list):
            for v in node:
                yield from keys(v)
    assert "nullable" not in set(keys(shared_specs().openai_doc))
    assert "nullable" in set(keys(Specs.load(nullable_converted=False).openai_doc))


# ---------- OpenAI bodies ----------

def completion(**message: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi", "refusal": None, **message},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


def test_chat_completion(specs: Specs) -> None:
    assert specs.openai_chat_completion(completion()) == []
    calls = [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert specs.openai_chat_completion(completion(content=None, tool_calls=calls)) == []
    no_refusal = completion()
    del no_refusal["choices"][0]["message"]["refusal"]
    assert specs.openai_chat_completion(no_refusal) == ["CreateChatCompletionResponse $.choices[0].message: 'refusal' is a required property"]
    no_logprobs = completion()
    del no_logprobs["choices"][0]["logprobs"]
    assert any("logprobs" in p for p in specs.openai_chat_completion(no_logprobs))
    assert any("object" in p for p in specs.openai_chat_completion({**completion(), "object": "chat.completion.chunk"}))
    assert any("created" in p for p in specs.openai_chat_completion({**completion(), "created": "now"}))
    bad_call = completion(tool_calls=[{"id": "c", "type": "function", "function": {"name": "f"}}])
    assert specs.openai_chat_completion(bad_call) != []


def test_completion_models_model(specs: Specs) -> None:
    text = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "text": "hi", "logprobs": None, "finish_reason": "stop"}]}
    assert specs.openai_completion(text) == []
    assert specs.openai_completion({**text, "choices": [{**text["choices"][0], "finish_reason": None}]}) != []
    model = {"id": "gpt-4o", "object": "model", "created": 1700000000, "owned_by": "openai"}
    assert specs.openai_model(model) == [] and specs.openai_models({"object": "list", "data": [model]}) == []
    assert specs.openai_model({k: v for k, v in model.items() if k != "owned_by"}) == ["Model $: 'owned_by' is a required property"]
    assert specs.openai_models({"object": "list", "data": [{**model, "object": "models"}]}) != []


def embeddings(value: Any) -> dict[str, Any]:
    return {"object": "list", "model": "text-embedding-3-small",
            "data": [{"object": "embedding", "index": 0, "embedding": value}],
            "usage": {"prompt_tokens": 1, "total_tokens": 1}}


def test_embeddings_float_and_base64(specs: Specs) -> None:
    vector = [0.25, -1.5, 3.0]
    packed = base64.b64encode(struct.pack("<3f", *vector)).decode()
    assert specs.openai_embeddings(embeddings(vector)) == []
    assert specs.openai_embeddings(embeddings(vector), "float") == []
    assert specs.openai_embeddings(embeddings(packed)) == [] and specs.openai_embeddings(embeddings(packed), "base64") == []
    assert specs.openai_embeddings(embeddings(packed), "float") == ["CreateEmbeddingResponse $.data[0].embedding: a base64 string, but float was requested"]
    assert specs.openai_embeddings(embeddings(vector), "base64") == ["CreateEmbeddingResponse $.data[0].embedding: a list of floats, but base64 was requested"]
    assert specs.openai_embeddings(embeddings("not base64!")) == ["CreateEmbeddingResponse $.data[0].embedding: not valid base64"]
    assert "not a whole number of float32" in specs.openai_embeddings(embeddings(base64.b64encode(b"abcde").decode()))[0]
    assert specs.openai_embeddings(embeddings(["x"])) != []
    assert specs.openai_embeddings({**embeddings(vector), "usage": {"prompt_tokens": 1}}) != []


def test_errors_and_retry_after(specs: Specs) -> None:
    body = {"error": {"message": "Rate limit reached", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
    assert specs.openai_error(body) == []
    assert specs.openai_error(body, 429, {"Retry-After": "2"}) == [] and specs.openai_error(body, 429, {}) == []
    for bad in ("0", "1.5", "soon", "-1", "Wed, 21 Oct 2015 07:28:00 GMT"):
        assert specs.openai_error(body, 429, {"retry-after": bad}) == [f"429 Retry-After '{bad}': must be an integer >= 1 (TooManyRequests)"]
    assert specs.openai_error(body, 503, {"retry-after": "0"}) == []  # the rule is the 429 component's
    missing = {"error": {"message": "x", "type": "server_error"}}
    assert sorted(specs.openai_error(missing)) == ["ErrorResponse $.error: 'code' is a required property",
                                                  "ErrorResponse $.error: 'param' is a required property"]
    assert specs.openai_error({"message": "x"}) == ["ErrorResponse $: 'error' is a required property"]


# ---------- OpenAI streams ----------

def chunk(delta: dict[str, Any], finish: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **kw}


USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
PLAIN = [chunk({"role": "assistant", "content": ""}), chunk({"content": "Hi"}), chunk({}, "stop")]
WITH_USAGE = [*(dict(c, usage=None) for c in PLAIN),
              {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4o", "choices": [], "usage": USAGE}]


def test_chat_stream_valid(specs: Specs) -> None:
    assert specs.openai_stream(sse(*PLAIN)) == []
    assert specs.openai_stream(sse(*WITH_USAGE), include_usage=True) == []
    assert specs.openai_stream(sse(*PLAIN).replace(b"\n", b"\r\n")) == []
    assert specs.openai_stream(b": keep-alive\n\n" + sse(*PLAIN)) == []


@pytest.mark.parametrize(("raw", "include_usage", "expected"), [
    pytest.param(sse(*PLAIN, done=False), False, ["the stream does not end with data: [DONE]"], id="no [DONE]"),
    pytest.param(sse(*PLAIN) + sse(PLAIN[1], done=False), False, ["event 4 (line 9): comes after the end of the stream"], id="data after [DONE]"),
    pytest.param(b"event: chunk\n" + sse(*PLAIN), False, ["event 0 (line 1): has an event: field ('chunk'); OpenAI streams are data-only"], id="event field"),
    pytest.param(sse(*PLAIN)[:-1], False, ["line 7: the last event is not followed by a blank line (a conforming SSE parser drops it)"], id="unterminated last event"),
    pytest.param(sse(PLAIN[0], {**PLAIN[1], "id": "chatcmpl-2"}, PLAIN[2]), False, ["chunks carry 2 different id values; the spec says each chunk has the same"], id="two ids"),
    pytest.param(sse(PLAIN[0], {**PLAIN[1], "created": 1}, PLAIN[2]), False, ["chunks carry 2 different created values; the spec says each chunk has the same"], id="two created"),
    pytest.param(sse(*PLAIN[:2]), False, ["choice 0 never got a finish_reason"], id="no finish_reason"),
    pytest.param(sse(PLAIN[0], PLAIN[2], PLAIN[1]), False, ["event 2: choice 0 continues after its finish_reason (event 1)"], id="delta after finish"),
    pytest.param(sse(b"{not json", *PLAIN), False, ["event 0 (line 1): data is not JSON: '{not json'"], id="not JSON"),
    pytest.param(sse(*WITH_USAGE), False, ["event 3: usage without include_usage", "event 3: empty choices without include_usage"], id="usage chunk without include_usage"),
    pytest.param(sse(*PLAIN), True, ["event 0: no usage field (include_usage: every chunk carries usage)",
                                     "event 1: no usage field (include_usage: every chunk carries usage)",
                                     "event 2: no usage field (include_usage: every chunk carries usage)",
                                     "event 2: the last chunk must have choices: [] and the usage (include_usage)"], id="include_usage without usage"),
    pytest.param(sse(dict(WITH_USAGE[0], usage=USAGE), *WITH_USAGE[1:]), True, ["event 0: usage is not null before the last chunk"], id="early usage"),
    pytest.param(sse(WITH_USAGE[3], *WITH_USAGE[:3]), True, ["event 0: usage is not null before the last chunk",
                                                               "event 0: empty choices before the last chunk",
                                                               "event 3: the last chunk must have choices: [] and the usage (include_usage)"], id="usage chunk first"),
])
def test_chat_stream_problems(specs: Specs, raw: bytes, include_usage: bool, expected: list[str]) -> None:
    assert specs.openai_stream(raw, include_usage=include_usage) == expected


def test_chat_stream_schema_and_error_events(specs: Specs) -> None:
    bad = chunk({"role": "robot"})
    problems = specs.openai_stream(sse(bad, *PLAIN[1:]))
    assert problems == ["event 0 (line 1): CreateChatCompletionStreamResponse $.choices[0].delta.role: 'robot' is not one of ['developer', 'system', 'user', 'assistant', 'tool']"]
    error = {"error": {"message": "The server had an error", "type": "server_error", "param": None, "code": None}}
    assert specs.openai_stream(sse(*PLAIN[:2], error, done=False)) == []  # an error may end a stream
    assert specs.openai_stream(sse(*WITH_USAGE[:2], error, done=False), include_usage=True) == []
    assert specs.openai_stream(sse(PLAIN[0], {"error": {"message": "x"}}, done=False)) != []
    assert specs.openai_stream(sse(PLAIN[0], error, PLAIN[1], done=False)) == ["event 2 (line 5): comes after the end of the stream"]


def test_completions_stream(specs: Specs) -> None:
    def text_chunk(text: str, finish: str | None = None, **kw: Any) -> dict[str, Any]:
        return {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}], **kw}
    plain = [text_chunk("Hi"), text_chunk(" there"), text_chunk("", "stop")]
    assert specs.openai_stream(sse(*plain), kind="completions") == []
    usage = [*(dict(c, usage=None) for c in plain),
             {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m", "choices": [], "usage": USAGE}]
    assert specs.openai_stream(sse(*usage), kind="completions", include_usage=True) == []
    assert specs.openai_stream(sse(*plain), kind="chat") != []
    assert specs.openai_stream(sse(text_chunk("x", "done")), kind="completions") != []


def test_parse_sse_framing() -> None:
    events, problems = parse_sse(b"\xef\xbb\xbfdata: a\ndata: b\n\n: comment\nevent: x\ndata: c\nid: 1\n\n")
    assert [(e.event, e.data, e.line) for e in events] == [(None, "a\nb", 1), ("x", "c", 5)] and problems == []
    assert parse_sse(b"data: \xff\n\n")[1] == ["stream is not UTF-8 (invalid start byte at byte 6)"]
    assert parse_sse(b"weird: 1\ndata: x\n\n")[1] == ["line 1: unknown SSE field 'weird'"]
    assert parse_sse(b"data: x\n\n: trailing comment")[1] == ["the stream does not end with a line break"]


# ---------- Anthropic ----------

MESSAGE = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
           "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn", "stop_sequence": None,
           "usage": {"input_tokens": 5, "output_tokens": 1}}


def test_anthropic_message_and_error(specs: Specs) -> None:
    assert specs.anthropic_message(MESSAGE) == []
    tool = {**MESSAGE, "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}], "stop_reason": "tool_use"}
    assert specs.anthropic_message(tool) == []
    assert specs.anthropic_message({**MESSAGE, "stop_reason": None}) != []  # a whole message has a stop_reason
    assert specs.anthropic_message({**MESSAGE, "content": [{"type": "text"}]}) == ["MessageResponse $.content[0]: 'text' is a required property"]
    assert specs.anthropic_message({**MESSAGE, "content": [{"type": "hologram"}]}) != []
    assert specs.anthropic_message({k: v for k, v in MESSAGE.items() if k != "usage"}) == ["MessageResponse $: 'usage' is a required property"]
    assert specs.anthropic_error({"type": "error", "error": {"type": "request_too_large", "message": "too big"}}) == []
    assert specs.anthropic_error({"type": "error", "error": {"type": "overloaded_error", "message": "x"}, "request_id": "req_1"}) == []
    assert specs.anthropic_error({"type": "error", "error": {"type": "teapot", "message": "x"}}) != []
    assert specs.anthropic_error({"error": {"type": "api_error", "message": "x"}}) != []
    assert specs.anthropic_count_tokens({"input_tokens": 12}) == [] and specs.anthropic_count_tokens({}) != []


START = {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None, "usage": {"input_tokens": 11, "output_tokens": 1}}}
TEXT_BLOCK = [{"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
              {"type": "ping"},  # the recorded streams ping inside the first block
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
              {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}},
              {"type": "content_block_stop", "index": 0}]
TOOL_BLOCK = [{"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}},
              {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}},
              {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"locati"}},
              {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "on\": \"Paris\"}"}},
              {"type": "content_block_stop", "index": 1}]


def end(reason: str | None = "end_turn") -> list[dict[str, Any]]:
    return [{"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None}, "usage": {"output_tokens": 6}},
            {"type": "message_stop"}]


def test_anthropic_stream_valid(specs: Specs) -> None:
    assert specs.anthropic_stream(named(START, *TEXT_BLOCK, *end())) == []
    assert specs.anthropic_stream(named(START, *TEXT_BLOCK, *TOOL_BLOCK, *end("tool_use"))) == []
    assert specs.anthropic_stream(named(START, {"type": "ping"}, *end())) == []  # no content blocks
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert specs.anthropic_stream(named(START, *TEXT_BLOCK[:3], overloaded)) == []  # an error may end a stream
    whole_input = {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}}}
    assert specs.anthropic_stream(named(START, whole_input, {"type": "content_block_stop", "index": 0}, *end("tool_use"))) == []


def test_anthropic_stream_missing_block_stop_is_flagged(specs: Specs) -> None:
    # the SDK's incomplete_partial_json_response.txt: a tool block cut by max_tokens, never stopped
    problems = specs.anthropic_stream(named(START, *TEXT_BLOCK, *TOOL_BLOCK[:3], *end("max_tokens")))
    assert problems == ["event 9 (line 28): message_delta while block 1 is still open (no content_block_stop)",
                        "event 10 (line 31): message_stop while block 1 is still open"]


@pytest.mark.parametrize(("events", "expected"), [
    pytest.param([START, *TEXT_BLOCK], ["the stream ended without message_stop (or an error event)"], id="no message_stop"),
    pytest.param([START, *TEXT_BLOCK, *end(), {"type": "ping"}], ["event 8 (line 25): 'ping' after message_stop"], id="after message_stop"),
    pytest.param([TEXT_BLOCK[0], START, *TEXT_BLOCK[1:], *end()], ["event 0 (line 1): 'content_block_start' before message_start", "event 1 (line 4): a second message_start"], id="block before message_start"),
    pytest.param([START, *TEXT_BLOCK, *end(None)], ["event 7 (line 22): the last message_delta has stop_reason null"], id="stop_reason null"),
    pytest.param([START, *TEXT_BLOCK, {"type": "message_stop"}], ["event 6 (line 19): message_stop without a message_delta"], id="no message_delta"),
    pytest.param([START, *TOOL_BLOCK, *end()], ["event 1 (line 4): block index 1, expected 0"], id="index skipped"),
    pytest.param([START, TEXT_BLOCK[0], TOOL_BLOCK[0], *end()], ["event 2 (line 7): block 1 starts while block 0 is open",
                                                                 "event 3 (line 10): message_delta while block 1 is still open (no content_block_stop)",
                                                                 "event 4 (line 13): message_stop while block 1 is still open"], id="overlapping blocks"),
    pytest.param([START, TEXT_BLOCK[0], TOOL_BLOCK[1], TEXT_BLOCK[4], *end()], ["event 2 (line 7): delta for block 1, but the open block is 0",
                                                                                "event 2 (line 7): 'input_json_delta' in a text block"], id="wrong delta"),
    pytest.param([START, *TEXT_BLOCK, *TOOL_BLOCK[:2], TOOL_BLOCK[2], TOOL_BLOCK[4], *end()],
                 ["event 9 (line 28): the input_json_delta pieces do not join into JSON: '{\"locati'"], id="tool input not JSON"),
    pytest.param([START, TOOL_BLOCK[0] | {"index": 0}, {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "[1]"}},
                  {"type": "content_block_stop", "index": 0}, *end()], ["event 3 (line 10): the tool input is not a JSON object"], id="tool input not an object"),
    pytest.param([{**START, "message": {**START["message"], "content": [{"type": "text", "text": "x"}]}}, *end()],
                 ["event 0 (line 1): MessageStreamEvent $.message.content: [{'type': 'text', 'text': 'x'}] is expected to be empty"], id="message_start with content"),
])
def test_anthropic_stream_problems(specs: Specs, events: list[dict[str, Any]], expected: list[str]) -> None:
    assert specs.anthropic_stream(named(*events)) == expected


def test_anthropic_stream_names(specs: Specs) -> None:
    unnamed = sse(START, *TEXT_BLOCK, *end(), done=False)
    assert specs.anthropic_stream(unnamed)[0] == "event 0 (line 1): no event: name (the SDKs' readers drop unnamed events)"
    renamed = named(START, *end()).replace(b"event: message_stop", b"event: stop", 1)
    assert specs.anthropic_stream(renamed) == ["event 2 (line 7): event name 'stop' but data type 'message_stop'"]
    assert specs.anthropic_stream(named(START, *end()) + b"data: [DONE]\n\n")[0] == "event 3 (line 10): data is not JSON: '[DONE]'"


# ---------- the fake upstreams speak the official formats ----------

@pytest.fixture(scope="module")
def openai_fake() -> Iterator[FakeOpenAI]:
    yield from running(FakeOpenAI())


@pytest.fixture(scope="module")
def anthropic_fake() -> Iterator[FakeAnthropic]:
    yield from running(FakeAnthropic())


@pytest.fixture(autouse=True)
def _reset_modes(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("openai_fake", "anthropic_fake"):
        if name in request.fixturenames:
            fake = request.getfixturevalue(name)
            fake.mode, fake.fail_times = "ok", None


WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
HELLO = [{"role": "user", "content": "Hello"}]


def post_openai(fake: FakeOpenAI, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(fake.base_url + "/v1/" + path, json=body, headers={"authorization": f"Bearer {fake.api_key}"}, timeout=10)


@pytest.mark.parametrize("body", [
    pytest.param({"messages": HELLO}, id="text"),
    pytest.param({"messages": HELLO, "tools": [WEATHER]}, id="tool call"),
    pytest.param({"messages": HELLO, "max_tokens": 2}, id="length"),
])
def test_fake_openai_chat(specs: Specs, openai_fake: FakeOpenAI, body: dict[str, Any]) -> None:
    body = {"model": "gpt-4o", **body}
    r = post_openai(openai_fake, "chat/completions", body)
    assert r.status_code == 200 and specs.openai_chat_completion(r.json()) == []
    for include_usage in (False, True):
        streamed = {**body, "stream": True, **({"stream_options": {"include_usage": True}} if include_usage else {})}
        r = post_openai(openai_fake, "chat/completions", streamed)
        assert r.headers["content-type"].startswith("text/event-stream")
        assert specs.openai_stream(r.content, kind="chat", include_usage=include_usage) == []


def test_fake_openai_completions_embeddings_models(specs: Specs, openai_fake: FakeOpenAI) -> None:
    r = post_openai(openai_fake, "completions", {"model": "gpt-4o", "prompt": "Say hi"})
    assert specs.openai_completion(r.json()) == []
    for include_usage in (False, True):
        body = {"model": "gpt-4o", "prompt": "Say hi", "stream": True, **({"stream_options": {"include_usage": True}} if include_usage else {})}
        r = post_openai(openai_fake, "completions", body)
        assert specs.openai_stream(r.content, kind="completions", include_usage=include_usage) == []
    for fmt in ("float", "base64"):
        r = post_openai(openai_fake, "embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": fmt})
        assert specs.openai_embeddings(r.json(), fmt) == []  # type: ignore[arg-type]
    models = httpx.get(openai_fake.base_url + "/v1/models", headers={"authorization": f"Bearer {openai_fake.api_key}"}).json()
    assert specs.openai_models(models) == [] and all(specs.openai_model(m) == [] for m in models["data"])


@pytest.mark.parametrize(("mode", "status"), [("rate_limit", 429), ("server_error", 500), ("overloaded", 503), ("error_response", 400)])
def test_fake_openai_errors(specs: Specs, openai_fake: FakeOpenAI, mode: Any, status: int) -> None:
    openai_fake.mode = mode
    r = post_openai(openai_fake, "chat/completions", {"model": "gpt-4o", "messages": HELLO})
    assert r.status_code == status and specs.openai_error(r.json(), status, r.headers) == []
    if status == 429:
        assert r.headers["retry-after"] == "1"


def test_fake_openai_auth_error_and_stream_error(specs: Specs, openai_fake: FakeOpenAI) -> None:
    r = httpx.post(openai_fake.base_url + "/v1/chat/completions", json={"model": "gpt-4o", "messages": HELLO})
    assert r.status_code == 401 and specs.openai_error(r.json()) == []
    openai_fake.mode = "error_event"
    r = post_openai(openai_fake, "chat/completions", {"model": "gpt-4o", "messages": HELLO, "stream": True})
    assert specs.openai_stream(r.content) == []
    openai_fake.mode = "truncated_stream"  # a cut stream is what the validator must catch
    r = post_openai(openai_fake, "chat/completions", {"model": "gpt-4o", "messages": HELLO, "stream": True})
    assert "the stream does not end with data: [DONE]" in specs.openai_stream(r.content)


def post_anthropic(fake: FakeAnthropic, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(fake.base_url + "/v1/messages", json={"model": "claude-x", "max_tokens": 100, "messages": HELLO, **body},
                      headers={"x-api-key": fake.api_key, "anthropic-version": "2023-06-01"}, timeout=10)


@pytest.mark.parametrize("body", [
    pytest.param({}, id="text"),
    pytest.param({"tools": [{"name": "get_weather", "input_schema": {"type": "object"}}]}, id="tool use"),
    pytest.param({"max_tokens": 2}, id="max_tokens"),
])
def test_fake_anthropic_messages(specs: Specs, anthropic_fake: FakeAnthropic, body: dict[str, Any]) -> None:
    r = post_anthropic(anthropic_fake, body)
    assert r.status_code == 200 and specs.anthropic_message(r.json()) == []
    r = post_anthropic(anthropic_fake, {**body, "stream": True})
    assert specs.anthropic_stream(r.content) == []


@pytest.mark.parametrize(("mode", "status"), [("rate_limit", 429), ("server_error", 500), ("overloaded", 529), ("error_response", 400)])
def test_fake_anthropic_errors(specs: Specs, anthropic_fake: FakeAnthropic, mode: Any, status: int) -> None:
    anthropic_fake.mode = mode
    r = post_anthropic(anthropic_fake, {})
    assert r.status_code == status and specs.anthropic_error(r.json()) == []


def test_fake_anthropic_auth_and_stream_failures(specs: Specs, anthropic_fake: FakeAnthropic) -> None:
    r = httpx.post(anthropic_fake.base_url + "/v1/messages", json={"model": "m", "max_tokens": 5, "messages": HELLO})
    assert r.status_code == 401 and specs.anthropic_error(r.json()) == []
    r = post_anthropic(anthropic_fake, {"messages": [*HELLO, *HELLO]})
    assert r.status_code == 400 and specs.anthropic_error(r.json()) == []
    anthropic_fake.mode = "error_event"
    assert specs.anthropic_stream(post_anthropic(anthropic_fake, {"stream": True}).content) == []
    anthropic_fake.mode = "truncated_stream"
    problems = specs.anthropic_stream(post_anthropic(anthropic_fake, {"stream": True}).content)
    assert problems == ["the stream ended without message_stop (or an error event)"]
