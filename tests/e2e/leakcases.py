"""Request bodies with a distinctive value planted in every field a client can send, and in the
obfuscated forms a careless user or an attacker would write, on every endpoint: the cases of the
leak test (test_leaks.py) and of the dry-run test (test_dry_run.py)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from gateway.types import ENDPOINT_TABLE

EMAIL = "leak.canary.7731@example.com"
HARMLESS = "the weekly status"
SYSTEM = "You are a helpful assistant."


@dataclass
class Case:
    name: str
    path: str
    body: Any  # a function of the planted value, or a body with "{V}" where the value goes
    value: str = EMAIL
    expect: str = "EMAIL_ADDRESS"
    headers: dict[str, str] = field(default_factory=dict)
    control: str = HARMLESS
    status: int = 200  # 403: the policy blocks it (secrets); 400: no local model can take it
    control_zone: str = "cloud"  # where the harmless control goes

    @property
    def endpoint(self) -> str:
        return next(e.name for e in ENDPOINT_TABLE.values() if e.path == self.path)

    def render(self, value: str) -> tuple[dict[str, Any], dict[str, str]]:
        def fill(x: Any) -> Any:
            if isinstance(x, str):
                return x.replace("{V}", value)
            if isinstance(x, list):
                return [fill(i) for i in x]
            if isinstance(x, dict):
                return {fill(k): fill(v) for k, v in x.items()}
            return x
        return fill(self.body), fill(self.headers)


def user(content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "system", "content": SYSTEM},
                                            {"role": "user", "content": content}], **extra}


def tool(**function: Any) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": "lookup", **function}}]


def claude(*blocks: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "claude", "max_tokens": 64, "messages": [{"role": "user", "content": list(blocks)}], **extra}


CHAT = "/v1/chat/completions"
MESSAGES = "/v1/messages"
B64 = base64.b64encode(EMAIL.encode()).decode()

CASES = [
    # chat: every field
    Case("chat content", CHAT, user("Send it to {V} today")),
    Case("chat message name", CHAT, {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Summarise the meeting", "name": "{V}"}]}),
    Case("chat tool description", CHAT, user("Look it up", tools=tool(description="Owner: {V}", parameters={}))),
    Case("chat tool parameter schema", CHAT, user("Look it up", tools=tool(parameters={
        "type": "object", "properties": {"who": {"type": "string", "description": "e.g. {V}"}}}))),
    Case("chat tool enum", CHAT, user("Look it up", tools=tool(parameters={
        "type": "object", "properties": {"who": {"type": "string", "enum": ["a", "{V}"]}}}))),
    Case("chat tool default", CHAT, user("Look it up", tools=tool(parameters={
        "type": "object", "properties": {"who": {"type": "string", "default": "{V}"}}}))),
    Case("chat tool-call arguments object", CHAT, {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Look it up"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                              "function": {"name": "lookup", "arguments": {"who": "{V}"}}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "done"}]}),
    Case("chat tool-call arguments string", CHAT, {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Look it up"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                              "function": {"name": "lookup", "arguments": '{"who": "{V}"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "done"}]}),
    Case("chat response_format schema", CHAT, user("Extract it", response_format={
        "type": "json_schema", "json_schema": {"name": "x", "schema": {
            "type": "object", "properties": {"to": {"type": "string", "description": "like {V}"}}}}})),
    Case("chat user", CHAT, user("Hello there", user="{V}")),
    Case("chat metadata", CHAT, user("Hello there", metadata={"owner": "{V}"})),
    Case("chat prediction", CHAT, user("Fix the typo", prediction={"type": "content", "content": "Dear {V},"})),
    Case("chat stop", CHAT, user("Hello there", stop=["{V}"])),
    Case("chat text part whose text is a list", CHAT, user([{"type": "text", "text": ["Mail", "{V}"]}])),
    Case("chat extra key inside a message", CHAT, {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Hello there", "note": "{V}"}]}),
    Case("chat unknown top-level field", CHAT, user("Hello there", x_trace={"who": ["{V}"]})),
    Case("chat image url query", CHAT, user([{"type": "text", "text": "What is this?"}, {
        "type": "image_url", "image_url": {"url": "https://img.example.net/a.png?owner={V}"}}])),
    Case("chat header openai-organization", CHAT, user("Hello there"), headers={"openai-organization": "{V}"}),
    Case("chat header openai-project", CHAT, user("Hello there"), headers={"openai-project": "{V}"}),
    # obfuscated forms
    Case("card with dots", CHAT, user("Charge card {V} now"), "4111.1111.1111.1111", "CREDIT_CARD"),
    Case("card with no-break spaces", CHAT, user("Charge card {V} now"), "4111\u00a01111\u00a01111\u00a01111",
         "CREDIT_CARD"),
    Case("card with slashes", CHAT, user("Charge card {V} now"), "4111/1111/1111/1111", "CREDIT_CARD"),
    Case("card with spaced dashes", CHAT, user("Charge card {V} now"), "4111 - 1111 - 1111 - 1111",
         "CREDIT_CARD"),
    Case("card in fullwidth digits", CHAT, user("Charge card {V} now"), "４１１１ １１１１ １１１１ １１１１",
         "CREDIT_CARD"),
    Case("card with zero-width spaces", CHAT, user("Charge card {V} now"),
         "4111\u200b1111\u200b1111\u200b1111", "CREDIT_CARD"),
    Case("e-mail with zero-width spaces", CHAT, user("Write to {V}"), "leak.\u200bcanary.7731@exam\u200bple.com"),
    Case("e-mail with soft hyphens", CHAT, user("Write to {V}"), "leak.canary\u00ad.7731@example\u00ad.com"),
    Case("e-mail with fullwidth at", CHAT, user("Write to {V}"), "leak.canary.7731＠example.com"),
    Case("IBAN with zero-width spaces", CHAT, user("Pay to {V} please"),
         "DE89\u200b3704\u200b0044\u200b0532\u200b0130\u200b00", "IBAN_CODE"),
    Case("API key with zero-width spaces", CHAT, user("Why does this fail: OPENAI_API_KEY={V}"),
         "sk-proj-\u200bAbc123Def456Ghi789\u200bJkl012Mno345Pqr678", "SECRET", status=403),
    Case("SNILS with spaces", CHAT, user("СНИЛС {V}, оформите справку"), "112 233 445 95", "RU_SNILS"),
    Case("INN grouped", CHAT, user("ИНН {V} для договора"), "5001 0073 2259", "RU_INN"),
    Case("bare SSN", CHAT, user("My SSN is {V}, update the form"), "536228726", "US_SSN"),
    Case("e-mail percent-encoded", CHAT, user("Open https://crm.example.net/find?email={V}"),
         "leak.canary.7731%40example.com"),
    Case("e-mail as HTML entity", CHAT, user("Write to {V}"), "leak.canary.7731&#64;example.com"),
    Case("e-mail in base64", CHAT, user("Decode {V} and write to it"), B64),
    Case("e-mail split over two messages", CHAT, {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Write to leak.canary.7731@exa"}, {"role": "user", "content": "{V}"}]},
         "mple.com please", control="the weekly status"),
    Case("card split over two parts", CHAT, user([{"type": "text", "text": "Charge 4111 1111"},
                                                  {"type": "text", "text": "{V}"}]),
         "1111 1111 today", "CREDIT_CARD"),
    # other OpenAI endpoints
    Case("completions prompt", "/v1/completions", {"model": "gpt-4o", "prompt": "Write to {V}"}),
    Case("completions suffix", "/v1/completions", {"model": "gpt-4o", "prompt": "Hello", "suffix": "{V}"}),
    Case("completions user", "/v1/completions", {"model": "gpt-4o", "prompt": "Hello", "user": "{V}"}),
    # a named cloud embedding model is refused (vectors of two models do not mix); auto stays local
    Case("embeddings input", "/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a note", "mail {V}"]},
         status=403),
    Case("embeddings user", "/v1/embeddings", {"model": "text-embedding-3-small", "input": "a note", "user": "{V}"},
         status=403),
    Case("embeddings auto", "/v1/embeddings", {"model": "auto", "input": ["a note", "mail {V}"]},
         control_zone="local"),
    # the Responses API
    Case("responses input string", "/v1/responses", {"model": "gpt-4o", "input": "Write to {V}"}),
    Case("responses instructions", "/v1/responses", {"model": "gpt-4o", "input": "Hello",
                                                     "instructions": "Owner: {V}"}),
    Case("responses input_text part", "/v1/responses", {"model": "gpt-4o", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "Mail {V}"}]}]}),
    Case("responses function tool description", "/v1/responses", {"model": "gpt-4o", "input": "Hello", "tools": [
        {"type": "function", "name": "lookup", "description": "Owner {V}", "parameters": {"type": "object"}}]}),
    Case("responses function_call arguments", "/v1/responses", {"model": "gpt-4o", "input": [
        {"role": "user", "content": "Look it up"},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": '{"who": "{V}"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "done"}]}),
    Case("responses function_call_output", "/v1/responses", {"model": "gpt-4o", "input": [
        {"role": "user", "content": "Look it up"},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "Owner: {V}"}]}),
    Case("responses metadata", "/v1/responses", {"model": "gpt-4o", "input": "Hello", "metadata": {"o": "{V}"}}),
    # Anthropic messages
    Case("messages text", MESSAGES, claude({"type": "text", "text": "Write to {V}"})),
    Case("messages system", MESSAGES, claude({"type": "text", "text": "Hello"}, system="Owner: {V}")),
    Case("messages metadata user_id", MESSAGES, claude({"type": "text", "text": "Hello"},
                                                       metadata={"user_id": "{V}"})),
    Case("messages tool description", MESSAGES, claude({"type": "text", "text": "Hello"}, tools=[
        {"name": "lookup", "description": "Owner {V}", "input_schema": {"type": "object"}}])),
    Case("messages tool input schema", MESSAGES, claude({"type": "text", "text": "Hello"}, tools=[
        {"name": "lookup", "input_schema": {"type": "object", "properties": {
            "who": {"type": "string", "description": "like {V}"}}}}])),
    Case("messages stop_sequences", MESSAGES, claude({"type": "text", "text": "Hello"}, stop_sequences=["{V}"])),
    Case("messages search_result block", MESSAGES, claude(
        {"type": "search_result", "source": "https://kb.example.net/a", "title": "Contacts",
         "content": [{"type": "text", "text": "Owner: {V}"}]},
        {"type": "text", "text": "Who owns it?"})),
    Case("messages citations", MESSAGES, {"model": "claude", "max_tokens": 64, "messages": [
        {"role": "user", "content": "Who?"},
        {"role": "assistant", "content": [{"type": "text", "text": "See the note.", "citations": [
            {"type": "char_location", "cited_text": "Owner: {V}", "document_index": 0,
             "start_char_index": 0, "end_char_index": 5}]}]},
        {"role": "user", "content": "Thanks"}]}),
    Case("messages document title", MESSAGES, claude(
        {"type": "document", "title": "Notes for {V}", "source": {"type": "text", "media_type": "text/plain",
                                                                 "data": "The weekly status."}},
        {"type": "text", "text": "Summarise"})),
    Case("messages document context", MESSAGES, claude(
        {"type": "document", "context": "From {V}", "source": {"type": "text", "media_type": "text/plain",
                                                              "data": "The weekly status."}},
        {"type": "text", "text": "Summarise"})),
    # an unknown block is read (and marks the request unreadable); no local model can take it
    Case("messages unknown block with text", MESSAGES, claude({"type": "novel_block", "text": "Owner {V}"},
                                                              {"type": "text", "text": "Hello"}), status=400),
    Case("messages tool_use input", MESSAGES, {"model": "claude", "max_tokens": 64, "messages": [
        {"role": "user", "content": "Look it up"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_1", "name": "lookup",
                                           "input": {"who": "{V}"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "done"}]}]}),
    Case("messages header anthropic-beta", MESSAGES, claude({"type": "text", "text": "Hello"}),
         headers={"anthropic-beta": "{V}"}),
]


