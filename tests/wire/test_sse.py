from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.wire.sse import DONE, SSEEvent, SSEParser, format_event, format_json_event

STREAM = (
    b"\xef\xbb\xbfevent: message_start\r\n"
    b'data: {"type":"message_start","text":"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"}\r\n'
    b"\r\n"
    b": ping keep-alive\n"
    b"\n"
    b"event: ping\r"
    b'data: {"type": "ping"}\r'
    b"\r"
    b"data: line one\n"
    b"data:line two\n"
    b"id: 7\n"
    b"retry: 1500\n"
    b"\n"
    b"event: only-name-no-data\n"
    b"\n"
    b"data\n"
    b"\n"
    b"data: [DONE]\n\n"
)

EXPECTED = [
    SSEEvent("message_start", '{"type":"message_start","text":"привет"}'),
    SSEEvent("ping", '{"type": "ping"}'),
    SSEEvent(None, "line one\nline two", "7", 1500),
    SSEEvent(None, "", "7"),
    SSEEvent(None, "[DONE]", "7"),
]


def parse_all(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    out: list[SSEEvent] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    out.extend(parser.close())
    return out


def test_whole_stream() -> None:
    assert parse_all([STREAM]) == EXPECTED


def test_every_single_split_point() -> None:
    for i in range(len(STREAM) + 1):
        assert parse_all([STREAM[:i], STREAM[i:]]) == EXPECTED, i


def test_byte_by_byte_and_comment_count() -> None:
    parser = SSEParser()
    out: list[SSEEvent] = []
    for b in STREAM:
        out.extend(parser.feed(bytes([b])))
    assert out == EXPECTED
    assert parser.comments == 1
    assert not parser.has_partial


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_chunking(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    assert parse_all(chunks) == EXPECTED


event_names = st.one_of(st.none(), st.from_regex(r"[a-z_]{1,20}", fullmatch=True))
payloads = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(event_names, payloads), max_size=6), st.data())
def test_format_then_parse_round_trip(events: list[tuple[str | None, str]], data: st.DataObject) -> None:
    wire = b"".join(format_event(d, event=e) for e, d in events)
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(wire)), max_size=8))
    points = sorted(set(cuts))
    chunks = [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)], strict=True)]
    parsed = parse_all(chunks)
    assert [(p.event, p.data) for p in parsed] == events


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    assert parse_all([b"data: a\r", b"\n\r", b"\n"]) == [SSEEvent(None, "a")]


def test_lone_cr_at_end_of_stream() -> None:
    assert parse_all([b"data: a\r\r"]) == [SSEEvent(None, "a")]


def test_unterminated_event_is_flagged_and_returned_by_close() -> None:
    parser = SSEParser()
    assert parser.feed(b"event: x\ndata: partial") == []
    assert parser.has_partial
    assert parser.close() == [SSEEvent("x", "partial")]


def test_utf8_split_inside_character() -> None:
    raw = "data: héllo ✓\n\n".encode()
    for i in range(len(raw)):
        assert parse_all([raw[:i], raw[i:]]) == [SSEEvent(None, "héllo ✓")]


def test_serializers() -> None:
    assert format_event("x", event="ping") == b"event: ping\ndata: x\n\n"
    assert format_event("a\nb") == b"data: a\ndata: b\n\n"
    assert format_json_event({"a": 1}) == b'data: {"a":1}\n\n'
    assert format_json_event({"a": 1}, event="e") == b'event: e\ndata: {"a":1}\n\n'
    assert DONE == b"data: [DONE]\n\n"
    (ev,) = parse_all([format_json_event({"k": "v\nw"}, event="e")])
    assert ev.json() == {"k": "v\nw"} and orjson.loads(ev.data) == {"k": "v\nw"}
