import pytest

from gateway.api.body import parse_json, validate
from gateway.errors import BadRequest


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
        validate("chat", body)
    assert info.value.param == param


def test_valid_bodies() -> None:
    assert validate("chat", {"model": "m", "messages": [{"role": "user"}], "stream": True}) == ("m", True)
    assert validate("completions", {"model": "m", "prompt": ["a"]}) == ("m", False)
    assert validate("embeddings", {"model": "m", "input": "a", "stream": None}) == ("m", False)
    with pytest.raises(BadRequest):
        validate("embeddings", {"model": "m", "input": "a", "stream": True})
    with pytest.raises(BadRequest):
        validate("messages", {"model": "m", "messages": [{"role": "user", "content": "x"}]})
