"""Stream readers: end marker, usage, the public model name, and stripping the usage-only chunk,
at any chunking."""

from __future__ import annotations

import itertools

import orjson
from hypothesis import given
from hypothesis import strategies as st

from gateway.api.ingress.readers import AnthropicReader, OpenAIReader, ResponsesReader, rename_model


def chunk(content: str, model: str = "gpt-4o") -> bytes:
    return b"data: " + orjson.dumps({"id": "c", "model": model,
                                     "choices": [{"index": 0, "delta": {"content": content}}]}) + b"\n\n"


USAGE = b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}}\n\n'
STREAM = chunk("Hel") + chunk("lo") + chunk("!") + USAGE + b"data: [DONE]\n\n"


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_passthrough_keeps_bytes_and_reads_usage(cuts: list[int]) -> None:
    s = OpenAIReader()
    out = b"".join(s.feed(piece) for piece in split(STREAM, cuts))
    assert out == STREAM
    assert s.done and s.usage is not None and (s.usage.prompt, s.usage.completion) == (11, 3)


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_strip_removes_only_the_usage_chunk(cuts: list[int]) -> None:
    s = OpenAIReader(strip_usage=True)
    out = b"".join(s.feed(piece) for piece in split(STREAM, cuts))
    assert out == chunk("Hel") + chunk("lo") + chunk("!") + b"data: [DONE]\n\n"
    assert s.usage is not None and s.usage.completion == 3


def test_not_done_without_end_marker_and_error_event_counts_as_end() -> None:
    s = OpenAIReader()
    s.feed(chunk("a"))
    assert not s.done
    s.feed(b'data: {"error": {"message": "x"}}\n\n')
    assert s.done


def test_anthropic_usage_and_end() -> None:
    s = AnthropicReader()
    s.feed(b'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":9,'
           b'"output_tokens":1}}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta"}\n\n')
    assert not s.done
    s.feed(b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":7}}\n\n'
           b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert s.done and s.usage is not None and (s.usage.prompt, s.usage.completion) == (9, 7)


def test_the_end_is_read_from_fields_not_from_text() -> None:
    s = OpenAIReader()
    s.feed(chunk("the literal data: [DONE] inside a text"))
    s.feed(chunk('and "message_stop" too'))
    assert not s.done
    a = AnthropicReader()
    a.feed(b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"message_stop"}}\n\n')
    assert not a.done
    a.feed(b'data: {"type":"message_stop"}\n\n')  # an unnamed event: its type decides
    assert a.done


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_model_is_renamed_at_any_chunking(cuts: list[int]) -> None:
    stream = chunk("Hel", "gpt-4o-2024-08-06") + chunk('say "model":"x"', "gpt-4o-2024-08-06") + b"data: [DONE]\n\n"
    s = OpenAIReader("gpt-4o")
    out = b"".join(s.feed(piece) for piece in split(stream, cuts)) + s.flush()
    assert out == chunk("Hel", "gpt-4o") + chunk('say "model":"x"', "gpt-4o") + b"data: [DONE]\n\n"


def test_rename_model_only_touches_keys() -> None:
    body = orjson.dumps({"model": "up", "choices": [{"message": {"content": '{"model": "up"}'}}]})
    assert orjson.loads(rename_model(body, "public")) == {
        "model": "public", "choices": [{"message": {"content": '{"model": "up"}'}}]}


def test_responses_end_usage_and_sequence() -> None:
    r = ResponsesReader("gpt-4o")
    r.feed(b'event: response.created\ndata: {"type":"response.created","sequence_number":0,'
           b'"response":{"model":"gpt-4o-x","usage":null}}\n\n')
    assert not r.done and r.sequence == 0
    out = r.feed(b'event: response.completed\ndata: {"type":"response.completed","sequence_number":5,'
                 b'"response":{"model":"gpt-4o-x","usage":{"input_tokens":12,"output_tokens":4,'
                 b'"input_tokens_details":{"cached_tokens":2}}}}\n\n')
    assert r.done and r.sequence == 5 and b'"model":"gpt-4o"' in out
    assert r.usage is not None and (r.usage.prompt, r.usage.completion, r.usage.cached) == (12, 4, 2)
