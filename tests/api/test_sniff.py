"""The stream watcher: end marker, usage, and stripping the usage-only chunk at any chunking."""

from __future__ import annotations

import itertools

import orjson
from hypothesis import given
from hypothesis import strategies as st

from gateway.api.sniff import AnthropicSniffer, OpenAISniffer


def chunk(content: str) -> bytes:
    return b"data: " + orjson.dumps({"id": "c", "choices": [{"index": 0, "delta": {"content": content}}]}) + b"\n\n"


USAGE = b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}}\n\n'
STREAM = chunk("Hel") + chunk("lo") + chunk("!") + USAGE + b"data: [DONE]\n\n"


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_passthrough_keeps_bytes_and_reads_usage(cuts: list[int]) -> None:
    s = OpenAISniffer()
    out = b"".join(s.feed(piece) for piece in split(STREAM, cuts))
    assert out == STREAM
    assert s.done and s.usage is not None and (s.usage.prompt, s.usage.completion) == (11, 3)


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_strip_removes_only_the_usage_chunk(cuts: list[int]) -> None:
    s = OpenAISniffer(strip_usage=True)
    out = b"".join(s.feed(piece) for piece in split(STREAM, cuts))
    assert out == chunk("Hel") + chunk("lo") + chunk("!") + b"data: [DONE]\n\n"
    assert s.usage is not None and s.usage.completion == 3


def test_not_done_without_end_marker_and_error_event_counts_as_end() -> None:
    s = OpenAISniffer()
    s.feed(chunk("a"))
    assert not s.done
    s.feed(b'data: {"error": {"message": "x"}}\n\n')
    assert s.done


def test_anthropic_usage_and_end() -> None:
    s = AnthropicSniffer()
    s.feed(b'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":9,'
           b'"output_tokens":1}}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta"}\n\n')
    assert not s.done
    s.feed(b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":7}}\n\n'
           b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert s.done and s.usage is not None and (s.usage.prompt, s.usage.completion) == (9, 7)
