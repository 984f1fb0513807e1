"""Redacting a body: every place a value can be, numbering by first appearance over the
conversation (the same across turns, without state), no collisions, the body left untouched,
and values that cannot be replaced refused."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.outbound import outbound
from gateway.redact import Restorer, Unredactable, ValueKeys, redact
from gateway.signals import Entity

KEYS = ValueKeys()

NAMES = ["Anna Petrova", "John Smith", "Анна Петрова", "Maria Gonzalez", "Li Wei", "Jean-Luc Picard"]
EMAILS = ["anna.petrova@example.com", "jsmith@corp.example", "m.gonzalez@example.org"]
PHONES = ["+1 415 555 0132", "+7 916 123-45-67", "+44 20 7946 0958"]
POOL = [("PERSON", v) for v in NAMES] + [("EMAIL_ADDRESS", v) for v in EMAILS] + [("PHONE_NUMBER", v) for v in PHONES]
FILLER = ["please", "write", "to", "about", "the", "refund", "and", "call", "tomorrow", "thanks,", "—", "ok"]


def planted(endpoint: str, body: dict[str, Any], values: list[tuple[str, str]]) -> list[Entity]:
    """The entities a perfect detector would report: every occurrence of every planted value."""
    found: list[Entity] = []
    for part in outbound(endpoint, body).parts:
        if part.junction >= 0:
            continue
        for kind, value in values:
            start = part.text.find(value)
            while start >= 0:
                found.append(Entity(kind, 0.9, part.message, part.part, start, start + len(value)))
                start = part.text.find(value, start + 1)
    return found


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def run(body: dict[str, Any], values: list[tuple[str, str]], endpoint: str = "chat",
        types: tuple[str, ...] = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER")) -> Any:
    return redact(body, outbound(endpoint, body), planted(endpoint, body, values), types, 0.5, KEYS)


def test_every_place_in_a_chat_request() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You help Anna Petrova."},
            {"role": "user", "content": [{"type": "text", "text": "Write to anna.petrova@example.com"}]},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
                "name": "send", "arguments": '{"to": "anna.petrova@example.com", "name": "Anna Petrova"}'}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "sent to Anna Petrova"},
        ],
        "metadata": {"Anna Petrova": "owner"},
        "user": "John Smith",
    }
    original = copy.deepcopy(body)
    done = run(body, [("PERSON", "Anna Petrova"), ("PERSON", "John Smith"),
                      ("EMAIL_ADDRESS", "anna.petrova@example.com")])
    assert body == original  # the client's body is not touched
    text = orjson.dumps(done.body).decode()
    assert "Anna" not in text and "anna.petrova" not in text and "John" not in text
    messages = done.body["messages"]
    assert messages[0]["content"] == "You help [PERSON_1]."
    assert messages[1]["content"][0]["text"] == "Write to [EMAIL_ADDRESS_2]"
    args = orjson.loads(messages[2]["tool_calls"][0]["function"]["arguments"])
    assert args == {"to": "[EMAIL_ADDRESS_2]", "name": "[PERSON_1]"}
    assert messages[3]["content"] == "sent to [PERSON_1]"
    assert done.body["metadata"] == {"[PERSON_1]": "owner"}
    assert done.body["user"] == "[PERSON_3]"  # other fields come after the conversation
    assert dict(done.counts) == {"PERSON": 5, "EMAIL_ADDRESS": 2}
    assert dict(done.values) == {"PERSON_1": "Anna Petrova", "EMAIL_ADDRESS_2": "anna.petrova@example.com",
                                 "PERSON_3": "John Smith"}


def test_anthropic_system_blocks_and_tool_use() -> None:
    body = {"model": "claude", "max_tokens": 10, "system": [{"type": "text", "text": "Client: Maria Gonzalez"}],
            "messages": [
                {"role": "user", "content": "Call +1 415 555 0132"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "dial",
                                                   "input": {"number": "+1 415 555 0132"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                              "content": [{"type": "text", "text": "Maria Gonzalez answered"}]}]}]}
    done = run(body, [("PERSON", "Maria Gonzalez"), ("PHONE_NUMBER", "+1 415 555 0132")], endpoint="messages")
    assert done.body["system"][0]["text"] == "Client: [PERSON_1]"
    assert done.body["messages"][0]["content"] == "Call [PHONE_NUMBER_2]"
    assert done.body["messages"][1]["content"][0]["input"] == {"number": "[PHONE_NUMBER_2]"}
    assert done.body["messages"][2]["content"][0]["content"][0]["text"] == "[PERSON_1] answered"


def test_responses_input_string_and_instructions() -> None:
    body = {"model": "gpt-4o", "instructions": "Reply to jsmith@corp.example", "input": "Hello from John Smith"}
    done = run(body, [("PERSON", "John Smith"), ("EMAIL_ADDRESS", "jsmith@corp.example")], endpoint="responses")
    assert done.body["input"] == "Hello from [PERSON_1]"
    assert done.body["instructions"] == "Reply to [EMAIL_ADDRESS_2]"


def test_numbering_is_the_same_on_the_next_turn() -> None:
    turn1 = {"model": "m", "messages": [
        {"role": "user", "content": "Rewrite the note from Anna Petrova to John Smith"}]}
    first = run(turn1, [("PERSON", "Anna Petrova"), ("PERSON", "John Smith")])
    answer = Restorer(first.values).text("Dear [PERSON_2], [PERSON_1] asks for a refund.")
    turn2 = {"model": "m", "messages": [*turn1["messages"], {"role": "assistant", "content": answer},
                                        {"role": "user", "content": "Also cc maria gonzalez and Anna Petrova"}]}
    second = run(turn2, [("PERSON", "Anna Petrova"), ("PERSON", "John Smith"), ("PERSON", "maria gonzalez")])
    assert second.body["messages"][0] == first.body["messages"][0]
    assert second.body["messages"][1]["content"] == "Dear [PERSON_2], [PERSON_1] asks for a refund."
    assert second.body["messages"][2]["content"] == "Also cc [PERSON_3] and [PERSON_1]"


def test_forms_of_one_value_share_a_placeholder() -> None:
    body = {"model": "m", "messages": [
        {"role": "user",
         "content": "Письмо от Анны Петровой: Анна Петрова просит вернуть деньги. ANNA PETROVA, anna petrova"},
        {"role": "user", "content": "Call +1 415 555 0132 or +1 (415) 555-0132"}]}
    done = run(body, [("PERSON", "Анны Петровой"), ("PERSON", "Анна Петрова"), ("PERSON", "ANNA PETROVA"),
                      ("PERSON", "anna petrova"), ("PHONE_NUMBER", "+1 415 555 0132"),
                      ("PHONE_NUMBER", "+1 (415) 555-0132")])
    assert done.body["messages"][0]["content"] == ("Письмо от [PERSON_1]: [PERSON_1] просит вернуть деньги. "
                                                  "[PERSON_2], [PERSON_2]")
    assert done.body["messages"][1]["content"] == "Call [PHONE_NUMBER_3] or [PHONE_NUMBER_3]"
    assert done.values["PERSON_1"] == "Анны Петровой"  # the form that came first


def test_different_people_never_share_a_placeholder() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "Иван Петров и Анна Петрова, Петров и Петрова"}]}
    done = run(body, [("PERSON", "Иван Петров"), ("PERSON", "Анна Петрова"), ("PERSON", "Петров"),
                      ("PERSON", "Петрова")])
    assert done.body["messages"][0]["content"] == "[PERSON_1] и [PERSON_2], [PERSON_3] и [PERSON_4]"


def test_placeholder_text_already_in_the_request_is_not_reused() -> None:
    body = {"model": "m", "messages": [
        {"role": "user", "content": "Explain [PERSON_1] in your logs. I am John Smith."}]}
    done = run(body, [("PERSON", "John Smith")])
    assert done.body["messages"][0]["content"] == "Explain [PERSON_1] in your logs. I am [PERSON_2]."
    assert Restorer(done.values).text("[PERSON_1] and [PERSON_2]") == "[PERSON_1] and John Smith"


@pytest.mark.parametrize(("body", "why"), [
    ({"model": "m", "messages": [{"role": "user", "content": "Write to anna.petrova@exa"},
                                 {"role": "user", "content": "mple.com"}]}, "split across two parts"),
    ({"model": "m", "messages": [{"role": "user", "content": [{"type": "file", "file": {
        "filename": "a.txt", "file_data": "data:text/plain;base64,V3JpdGUgdG8gYW5uYS5wZXRyb3ZhQGV4YW1wbGUuY29t"}}]}]},
     "cannot be replaced"),
])
def test_a_value_without_one_place_is_refused(body: dict[str, Any], why: str) -> None:
    out = outbound("chat", body)
    entities = [Entity("EMAIL_ADDRESS", 0.9, p.message, p.part, p.text.find("anna"), p.text.find(".com") + 4,
                       p.junction >= 0) for p in out.parts if "anna" in p.text and ".com" in p.text]
    assert entities
    with pytest.raises(Unredactable, match=why) as refused:
        redact(body, out, entities, ["EMAIL_ADDRESS"], 0.5, KEYS)
    assert "anna" not in str(refused.value)


def test_only_the_route_types_at_the_floor_are_redacted() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "John Smith, card 4111 1111 1111 1111"}]}
    out = outbound("chat", body)
    entities = [Entity("PERSON", 0.4, 0, 0, 0, 10), Entity("CREDIT_CARD", 1.0, 0, 0, 17, 36)]
    assert redact(body, out, entities, ["PERSON"], 0.5, KEYS).body == body
    assert redact(body, out, entities, ["PERSON"], 0.3, KEYS).body["messages"][0]["content"] == \
        "[PERSON_1], card 4111 1111 1111 1111"


# --- properties ---------------------------------------------------------------------------------

Conversation = tuple[dict[str, Any], list[tuple[str, str]]]


@st.composite
def conversations(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    chosen = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=6, unique=True))
    n = draw(st.integers(1, 5))
    messages = []
    for i in range(n):
        words = draw(st.lists(st.one_of(st.sampled_from(FILLER), st.sampled_from(chosen).map(lambda kv: kv[1])),
                              min_size=1, max_size=12))
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": " ".join(words)})
    if draw(st.booleans()):
        _kind, value = draw(st.sampled_from(chosen))
        messages.append({"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function",
                         "function": {"name": "f", "arguments": orjson.dumps({"who": value, "n": 1}).decode()}}]})
    return {"model": "m", "messages": messages}, chosen


@settings(max_examples=150, deadline=None)
@given(conversations())
def test_redact_then_restore_gives_back_the_original(case: tuple[dict[str, Any], list[tuple[str, str]]]) -> None:
    body, values = case
    done = run(body, values)
    redacted_text = " ".join(strings(done.body))
    for _, value in values:
        assert value not in redacted_text
    names = list(done.values)
    assert len(set(names)) == len(names) == len(set(done.values.values()))  # one placeholder per value
    restorer = Restorer(done.values)
    for before, after in zip(body["messages"], done.body["messages"], strict=True):
        if isinstance(before.get("content"), str):
            assert restorer.text(after["content"]) == before["content"]
        for call_before, call_after in zip(before.get("tool_calls") or [], after.get("tool_calls") or [], strict=True):
            restored = restorer.json_text(call_after["function"]["arguments"])
            assert orjson.loads(restored) == orjson.loads(call_before["function"]["arguments"])


@settings(max_examples=100, deadline=None)
@given(conversations(), conversations())
def test_the_same_value_keeps_its_placeholder_across_turns(first: Conversation, more: Conversation) -> None:
    body, values = first
    later = {"model": "m", "messages": [*body["messages"], *more[0]["messages"]]}
    all_values = list(dict.fromkeys([*values, *more[1]]))
    one, two = run(body, values), run(later, all_values)
    assert two.body["messages"][:len(body["messages"])] == one.body["messages"]
    for name, value in one.values.items():
        assert two.values[name] == value
