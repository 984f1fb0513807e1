# ruff: noqa: E501  (wire-format fixtures read best one object per line)
"""The gateway's own translated answers, streams and errors meet the official wire specifications
(tests/spec_check.py over shared/spec): what a client of /v1/chat/completions or /v1/messages
gets when the other provider served the request."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import (
    AuthenticationFailed,
    BadRequest,
    GatewayError,
    ModelNotFound,
    NoBackendAvailable,
    PayloadTooLarge,
    PolicyBlocked,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
)
from gateway.wire import (
    AnthropicToOpenAIStream,
    OpenAIToAnthropicStream,
    to_anthropic_response,
    to_openai_response,
)
from gateway.wire.sse import DONE, format_json_event
from tests.fakes.anthropic_server import FakeAnthropic, stream_events
from tests.fakes.openai_server import FakeOpenAI, chat_chunks
from tests.spec_check import Specs, shared_specs

HELLO = [{"role": "user", "content": "Hello"}]
ANTHROPIC_BODIES = [
    pytest.param({"messages": HELLO, "max_tokens": 100}, id="text"),
    pytest.param({"messages": HELLO, "max_tokens": 100, "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}]}, id="tool use"),
    pytest.param({"messages": HELLO, "max_tokens": 2}, id="max_tokens"),
]
OPENAI_BODIES = [
    pytest.param({"messages": HELLO}, id="text"),
    pytest.param({"messages": HELLO, "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]}, id="tool call"),
    pytest.param({"messages": HELLO, "max_tokens": 2}, id="length"),
]
ERRORS: list[GatewayError] = [BadRequest("bad", param="messages"), AuthenticationFailed("no"), PolicyBlocked("blocked"),
                              ModelNotFound("unknown model", param="model"), PayloadTooLarge("big"), RateLimited("slow down"),
                              UpstreamError("upstream"), NoBackendAvailable("none"), UpstreamTimeout("late")]


@pytest.fixture(scope="module")
def specs() -> Specs:
    return shared_specs()


def anthropic_message(body: dict[str, Any]) -> dict[str, Any]:
    return FakeAnthropic()._message({"model": "claude-x", **body}, 1)


def openai_completion(body: dict[str, Any]) -> dict[str, Any]:
    return FakeOpenAI()._completion({"model": "gpt-4o", **body}, "gpt-4o", 1)


@pytest.mark.parametrize("body", ANTHROPIC_BODIES)
def test_anthropic_answers_as_openai_chat(specs: Specs, body: dict[str, Any]) -> None:
    message = anthropic_message(body)
    assert specs.anthropic_message(message) == []  # the input is valid to begin with
    assert specs.openai_chat_completion(to_openai_response(message, model="claude")) == []
    for include_usage in (False, True):
        tr = AnthropicToOpenAIStream(model="claude", include_usage=include_usage)
        chunks = [c for ev in stream_events(message) for c in tr.feed(ev["type"], ev)]
        tr.finish()
        raw = b"".join(format_json_event(c) for c in chunks) + DONE
        assert specs.openai_stream(raw, kind="chat", include_usage=include_usage) == []


def test_thinking_answer_as_openai_chat(specs: Specs) -> None:
    message = {**anthropic_message({"messages": HELLO, "max_tokens": 100}),
               "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "Hi"}]}
    assert specs.anthropic_message(message) == []
    assert specs.openai_chat_completion(to_openai_response(message)) == []


@pytest.mark.parametrize("body", OPENAI_BODIES)
def test_openai_answers_as_anthropic_messages(specs: Specs, body: dict[str, Any]) -> None:
    completion = openai_completion(body)
    assert specs.openai_chat_completion(completion) == []
    assert specs.anthropic_message(to_anthropic_response(completion, model="gpt-4o")) == []
    tr = OpenAIToAnthropicStream(model="gpt-4o", input_tokens=5)
    events = [e for c in chat_chunks(completion) for e in tr.feed(c)] + tr.finish()
    raw = b"".join(format_json_event(data, event=name) for name, data in events)
    assert specs.anthropic_stream(raw) == []


def test_broken_streams_end_with_valid_error_events(specs: Specs) -> None:
    chunks = chat_chunks(openai_completion({"messages": HELLO}))
    openai_raw = b"".join(format_json_event(c) for c in chunks[:3]) + format_json_event(UpstreamError("cut").to_openai())
    assert specs.openai_stream(openai_raw, include_usage=True) == []
    tr = OpenAIToAnthropicStream(model="gpt-4o")
    events = [e for c in chunks[:3] for e in tr.feed(c)] + tr.error_event(UpstreamError("cut"))
    assert specs.anthropic_stream(b"".join(format_json_event(d, event=n) for n, d in events)) == []


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_gateway_errors_in_both_shapes(specs: Specs, error: GatewayError) -> None:
    assert specs.openai_error(error.to_openai(), error.status, {"retry-after": "1"}) == []
    assert specs.anthropic_error(error.to_anthropic()) == []
