"""Restoring values: lenient but only for issued placeholders, JSON-escaped inside JSON texts,
and streamed text split anywhere (every character position) restored whole while holding back
only what could still be a placeholder."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.redact import Restorer

VALUES = {"PERSON_1": "Anna Petrova", "EMAIL_ADDRESS_2": "anna.petrova@example.com",
          "PERSON_10": "Иван \"Ваня\" Петров", "PHONE_NUMBER_3": "+1 415 555 0132"}
R = Restorer(VALUES)


@pytest.mark.parametrize(("text", "expected"), [
    ("Dear [PERSON_1],", "Dear Anna Petrova,"),
    ("Dear PERSON_1,", "Dear Anna Petrova,"),
    ("Dear [person_1] and [Person_10].", "Dear Anna Petrova and Иван \"Ваня\" Петров."),
    ("[PERSON_10][PERSON_1]", "Иван \"Ваня\" Петров" + "Anna Petrova"),
    ("Write to [EMAIL_ADDRESS_2] or call PHONE_NUMBER_3.",
     "Write to anna.petrova@example.com or call +1 415 555 0132."),
    ("[PERSON_2] and [PERSON_11] were never issued", "[PERSON_2] and [PERSON_11] were never issued"),
    ("XPERSON_1 and PERSON_1X and PERSON_12 stay", "XPERSON_1 and PERSON_1X and PERSON_12 stay"),
    ("[LOCATION_1] is another type", "[LOCATION_1] is another type"),
    ("no placeholders at all", "no placeholders at all"),
])
def test_whole_text(text: str, expected: str) -> None:
    assert R.text(text) == expected


def test_json_text_is_escaped() -> None:
    args = '{"to": "[PERSON_10]", "cc": "EMAIL_ADDRESS_2"}'
    assert orjson.loads(R.json_text(args)) == {"to": "Иван \"Ваня\" Петров", "cc": "anna.petrova@example.com"}


def test_whole_answer_walk_restores_text_and_arguments_only() -> None:
    call = {"id": "call_PERSON_1", "type": "function", "function": {"name": "f", "arguments": '{"a": "[PERSON_10]"}'}}
    answer = {"id": "PERSON_1", "model": "gpt-4o", "choices": [{"index": 0, "message": {
        "role": "assistant", "content": "Hi [PERSON_10]", "tool_calls": [call]}}]}
    out = R.walk(answer)
    message = out["choices"][0]["message"]
    assert message["content"] == "Hi Иван \"Ваня\" Петров" and out["id"] == "PERSON_1"
    assert orjson.loads(message["tool_calls"][0]["function"]["arguments"]) == {"a": "Иван \"Ваня\" Петров"}


def stream(pieces: list[str], json_text: bool = False) -> tuple[str, list[str]]:
    s = R.stream(json_text)
    out = [s.feed(p) for p in pieces]
    out.append(s.flush())
    return "".join(out), out


TEXT = "Dear [PERSON_10], [PERSON_1] wrote to [EMAIL_ADDRESS_2]; PERSON_1 calls PHONE_NUMBER_3."
RESTORED = R.text(TEXT)


@pytest.mark.parametrize("cut", range(len(TEXT) + 1))
def test_a_stream_split_at_every_position(cut: int) -> None:
    joined, _ = stream([TEXT[:cut], TEXT[cut:]])
    assert joined == RESTORED


def test_a_stream_one_character_at_a_time() -> None:
    joined, out = stream(list(TEXT))
    assert joined == RESTORED
    assert out[0] == "D"  # the first token is not held


def test_only_a_possible_placeholder_is_held() -> None:
    s = R.stream()
    assert s.feed("Hello, ") == "Hello, "
    assert s.feed("[PER") == "" and s.pending
    assert s.feed("SON_1") == ""  # may still become [PERSON_10]
    assert s.feed("] how are you") == "Anna Petrova how are you"
    assert s.feed("Ticket [42]") == "Ticket [42]"  # not a prefix of any placeholder
    assert s.feed(" PERSON_1") == " "
    assert s.feed("0") == ""  # PERSON_10 (a proper prefix of "PERSON_10]")
    assert s.feed(" ok") == "Иван \"Ваня\" Петров ok"


def test_a_stream_ending_inside_a_placeholder_gives_it_back_as_text() -> None:
    assert stream(["Regards, [PERS"])[0] == "Regards, [PERS"
    assert stream(["Regards, PERSON_1"])[0] == "Regards, Anna Petrova"


@pytest.mark.parametrize("cut", range(1, 40))
def test_streamed_arguments_are_escaped(cut: int) -> None:
    args = '{"name": "[PERSON_10]", "n": 1}'
    joined, _ = stream([args[:cut], args[cut:]], json_text=True)
    assert orjson.loads(joined) == {"name": "Иван \"Ваня\" Петров", "n": 1}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["[PERSON_1]", "PERSON_10", "[email_address_2]", "[PERS", "PERSON",
                                           "[PERSON_7]", "]", "[", "_1", " ", "text", "Иван", "\n"])),
                max_size=20),
       st.lists(st.integers(0, 200), max_size=8))
def test_any_split_restores_like_the_whole_text(words: list[str], cuts: list[int]) -> None:
    text = "".join(words)
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    joined, out = stream(pieces)
    assert joined == R.text(text)
    emitted = ""
    for piece in out[:-1]:
        emitted += piece
        assert len(emitted) <= len(R.text(text))
