import orjson
import pytest

from gateway.api.body import MAX_DEPTH, parse_json
from gateway.api.ingress import ingresses
from gateway.errors import BadRequest
from gateway.outbound import json_depth_exceeds

INGRESS = ingresses()


def test_deep_nesting_is_refused() -> None:
    deep = b"[" * 70 + b"]" * 70
    with pytest.raises(BadRequest) as info:
        parse_json(b'{"model": "m", "x": ' + deep + b"}")
    assert "nested" in info.value.message
    assert parse_json(b'{"a": ' + b"[" * 60 + b"]" * 60 + b"}")


@pytest.mark.parametrize("levels", [62, 63, 64, 65])
@pytest.mark.parametrize("bracket", [b"[", b'{"k": '])
def test_nesting_limit_is_exact(levels: int, bracket: bytes) -> None:
    """The bracket count that spares the walk never changes the answer at the limit."""
    close = b"]" if bracket == b"[" else b"}"
    raw = b'{"model": "m", "x": ' + bracket * levels + b"1" + close * levels + b"}"
    deep = json_depth_exceeds(orjson.loads(raw), MAX_DEPTH)
    assert deep == (levels + 1 > MAX_DEPTH)
    if deep:
        with pytest.raises(BadRequest):
            parse_json(raw)
    else:
        assert parse_json(raw)["model"] == "m"


def test_brackets_inside_strings_are_not_nesting() -> None:
    raw = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "[{" * 500}]})
    assert parse_json(raw)["messages"][0]["content"] == "[{" * 500


@pytest.mark.parametrize("raw", [b"", b"{", b'{"model": "x",', b"[1, 2]", b"nul", "\"\xff\"".encode("latin1")])
def test_malformed_json_is_a_bad_request(raw: bytes) -> None:
    with pytest.raises(BadRequest) as info:
        parse_json(raw)
    assert info.value.status == 400


def test_json_error_does_not_echo_content() -> None:
    with pytest.raises(BadRequest) as info:
        parse_json(b'{"messages": "john.smith@example.com secret", ')
    assert "john" not in info.value.message and "secret" not in info.value.message


@pytest.mark.parametrize("body,param", [
    ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
    ({"model": 3, "messages": [{"role": "user", "content": "hi"}]}, "model"),
    ({"model": "m"}, "messages"),
    ({"model": "m", "messages": []}, "messages"),
    ({"model": "m", "messages": "hi"}, "messages"),
    ({"model": "m", "messages": ["hi"]}, "messages[0]"),
    ({"model": "m", "messages": [{"content": "hi"}]}, "messages[0].role"),
    ({"model": "m", "messages": [{"role": "user"}], "stream": "yes"}, "stream"),
    ({"model": "m", "messages": [{"role": "user"}], "stream_options": []}, "stream_options"),
])
def test_chat_field_errors_name_the_param(body: dict, param: str) -> None:
    with pytest.raises(BadRequest) as info:
        INGRESS["chat"].validate(body)
    assert info.value.param == param


def test_valid_bodies() -> None:
    assert INGRESS["chat"].validate({"model": "m", "messages": [{"role": "user"}], "stream": True}) == ("m", True)
    assert INGRESS["completions"].validate({"model": "m", "prompt": ["a"]}) == ("m", False)
    assert INGRESS["embeddings"].validate({"model": "m", "input": "a", "stream": None}) == ("m", False)
    assert INGRESS["responses"].validate({"model": "m", "input": "hi", "stream": True}) == ("m", True)
    with pytest.raises(BadRequest):
        INGRESS["embeddings"].validate({"model": "m", "input": "a", "stream": True})
    with pytest.raises(BadRequest):
        INGRESS["messages"].validate({"model": "m", "messages": [{"role": "user", "content": "x"}]})
    with pytest.raises(BadRequest) as info:
        INGRESS["responses"].validate({"model": "m", "input": "hi", "previous_response_id": "resp_1"})
    assert info.value.param == "previous_response_id"
    with pytest.raises(BadRequest) as info:
        INGRESS["responses"].validate({"model": "m", "input": []})
    assert info.value.param == "input"
