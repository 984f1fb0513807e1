"""Check JSON bodies and raw SSE streams against the official wire specifications.

The specifications live in ``shared/spec/`` beside the repository (see its README): OpenAI's
OpenAPI document (a verbatim subset) and a JSON Schema of Anthropic's Messages API derived from
its SDK types. Nobody on this project wrote them, which is the point: the fakes and the
gateway's own answers are held to them.

    specs = Specs.load()                          # or Specs.load(Path("..."))
    problems = specs.openai_chat_completion(body)  # [] when valid
    problems = specs.openai_stream(raw_bytes, kind="chat", include_usage=True)
    problems = specs.anthropic_stream(raw_bytes)

Every check returns a list of human-readable problems, empty when the input is valid.

How the documents are read (from the spec README):

- OpenAI: Draft 2020-12; ``$ref`` resolves inside the document; ``discriminator``, ``x-*`` and
  ``format`` are annotations. OpenAPI 3.0's ``nullable: true`` (left in five schemas of a 3.1
  document) becomes a type union at load time (``convert_nullable=False`` gives the literal 3.1
  reading, which rejects the ``"finish_reason": null`` every chunk but the last carries).
- Base64 embeddings: the schema only knows ``number[]``; a base64 string is decoded as
  little-endian float32 and the vector validated with the unchanged schema.
- Errors: ``ErrorResponse``; on a 429, ``Retry-After`` when sent is an integer >= 1.
- Streams (rules the spec states in words): data-only SSE (no ``event:`` field), ``data: [DONE]``
  last; one ``id`` and one ``created`` per stream; with ``include_usage`` every chunk carries
  ``usage``, null but on the last chunk, which has ``choices: []``; without it no usage and no
  empty ``choices``. Each chunk validates against ``CreateChatCompletionStreamResponse``. The
  spec has no stream schema for legacy completions: their chunks are ``CreateCompletionResponse``
  objects with ``finish_reason`` null but on the last (a derived schema, said so in problems).
  Also checked: every choice gets a non-null ``finish_reason`` and nothing after it; an in-stream
  error (``data: {"error": {...}}``, an ``ErrorResponse``) may end a stream instead of ``[DONE]``.
- Anthropic streams: each event's SSE name equals its data ``type``; each event validates against
  ``MessageStreamEvent``; the event flow (``message_start``; blocks opened in index order, deltas
  of the block's kind to the open block, each block stopped; ``message_delta``; ``message_stop``;
  ``ping`` anywhere before the end; ``error`` may end a stream); a ``tool_use`` block's
  ``input_json_delta`` pieces join into a JSON object; the last ``message_delta`` has a non-null
  ``stop_reason``.
- Both: a stream whose last event is not followed by a blank line is a problem (a conforming SSE
  parser drops that event).
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAI_FILE = "openai-openapi.subset.json"
ANTHROPIC_FILE = "anthropic-messages.schema.json"
OPENAI_URI = "urn:gateway-spec:openai-openapi"
COMPLETION_CHUNK = "x-gateway-CompletionStreamChunk"  # derived, see the module docstring
MAX_SHOWN = 160  # characters of an offending value shown in a problem

StreamKind = Literal["chat", "completions"]


def default_spec_dir() -> Path:
    """``$GATEWAY_SPEC_DIR``, else ``shared/spec`` beside the repository (where CI puts it)."""
    env = os.environ.get("GATEWAY_SPEC_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "spec"


def convert_nullable(node: Any) -> Any:
    """A copy of an OpenAPI document with 3.0's ``nullable: true`` turned into 3.1 type unions."""
    if isinstance(node, list):
        return [convert_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: convert_nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is not True:
        return out
    if "$ref" in out:
        ref = out.pop("$ref")
        return {**out, "anyOf": [{"$ref": ref}, {"type": "null"}]}
    if "type" in out:
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*kinds, "null"] if "null" not in kinds else kinds
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    annotations = {k: out.pop(k) for k in ("description", "title", "default") if k in out}
    return {**annotations, "anyOf": [out, {"type": "null"}]}


def _completion_chunk_schema(schemas: Mapping[str, Any]) -> dict[str, Any]:
    """``CreateCompletionResponse`` as a stream chunk: ``finish_reason`` null but on the last
    chunk, ``usage`` null but on the last with ``include_usage`` (as the chat chunk schema says)."""
    chunk = copy.deepcopy(schemas["CreateCompletionResponse"])
    choice = chunk["properties"]["choices"]["items"]["properties"]
    choice["finish_reason"] = {"anyOf": [choice["finish_reason"], {"type": "null"}]}
    chunk["properties"]["usage"] = {"anyOf": [chunk["properties"]["usage"], {"type": "null"}]}
    return chunk


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def _path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


@dataclass
class SSEEvent:
    event: str | None
    data: str
    line: int  # where the event started (1-based)


@dataclass
class _Flow:
    """Anthropic stream state."""

    started: bool = False
    ended: str | None = None  # "message_stop" or "error"
    next_index: int = 0
    open_index: int | None = None
    open_type: str | None = None
    tool_json: list[str] = field(default_factory=list)
    tool_start_input: Any = None
    deltas: int = 0  # message_delta events seen
    last_stop_reason: Any = None


_DELTAS_FOR_BLOCK: dict[str, tuple[str, ...]] = {
    "text": ("text_delta", "citations_delta"),
    "tool_use": ("input_json_delta",),
    "server_tool_use": ("input_json_delta",),
    "thinking": ("thinking_delta", "signature_delta"),
    "redacted_thinking": (),
}


def parse_sse(raw: bytes) -> tuple[list[SSEEvent], list[str]]:
    """Split a raw event stream into events (with their ``event:`` name) and framing problems."""
    problems: list[str] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return [], [f"stream is not UTF-8 ({err.reason} at byte {err.start})"]
    text = text.removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)
    terminated = lines[-1] == ""
    if terminated:
        lines.pop()
    events: list[SSEEvent] = []
    name: str | None = None
    data: list[str] | None = None
    start = 0
    for n, line in enumerate(lines, 1):
        if line == "":
            if data is not None:
                events.append(SSEEvent(name, "\n".join(data), start))
            name, data = None, None
            continue
        if line.startswith(":"):
            continue
        key, sep, value = line.partition(":")
        value = value[1:] if sep and value.startswith(" ") else value
        if name is None and data is None:
            start = n
        if key == "data":
            data = [*(data or []), value]
        elif key == "event":
            name = value
        elif key not in ("id", "retry"):
            problems.append(f"line {n}: unknown SSE field {_shown(key)}")
    if data is not None or name is not None:
        problems.append(f"line {start}: the last event is not followed by a blank line "
                        "(a conforming SSE parser drops it)")
        if data is not None:
            events.append(SSEEvent(name, "\n".join(data), start))
    elif not terminated and lines:
        problems.append("the stream does not end with a line break")
    return events, problems


class Specs:
    """Validators built from the two specification files."""

    def __init__(self, openai_doc: Mapping[str, Any], anthropic_doc: Mapping[str, Any], *,
                 nullable_converted: bool = True) -> None:
        doc = convert_nullable(openai_doc) if nullable_converted else copy.deepcopy(dict(openai_doc))
        doc["components"]["schemas"][COMPLETION_CHUNK] = _completion_chunk_schema(doc["components"]["schemas"])
        self.openai_doc = doc
        self.anthropic_doc = anthropic_doc
        self.anthropic_uri = str(anthropic_doc["$id"])
        self.registry: Registry[Any] = Registry().with_resources([
            (OPENAI_URI, Resource.from_contents(doc, default_specification=DRAFT202012)),
            (self.anthropic_uri, Resource.from_contents(dict(anthropic_doc), default_specification=DRAFT202012)),
        ])
        self._validators: dict[str, Draft202012Validator] = {}

    @classmethod
    def load(cls, spec_dir: Path | None = None, *, nullable_converted: bool = True) -> Specs:
        where = spec_dir or default_spec_dir()
        if not (where / OPENAI_FILE).is_file():
            raise FileNotFoundError(f"wire specifications not found in {where} (set GATEWAY_SPEC_DIR)")
        openai_doc = json.loads((where / OPENAI_FILE).read_text())
        anthropic_doc = json.loads((where / ANTHROPIC_FILE).read_text())
        return cls(openai_doc, anthropic_doc, nullable_converted=nullable_converted)

    # ---- schema plumbing ----

    def _validator(self, ref: str) -> Draft202012Validator:
        if ref not in self._validators:
            self._validators[ref] = Draft202012Validator({"$ref": ref}, registry=self.registry)
        return self._validators[ref]

    def _schema_problems(self, ref: str, obj: Any, where: str = "") -> list[str]:
        name = ref.rsplit("/", 1)[-1]
        errors = sorted(self._validator(ref).iter_errors(obj), key=lambda e: list(e.absolute_path))
        prefix = f"{where}: " if where else ""
        return [f"{prefix}{name} {_path(e.absolute_path)}: {self._message(e)}" for e in errors]

    @staticmethod
    def _message(error: Any) -> str:
        # for anyOf / if-then failures, the most specific cause says more than the summary
        best = best_match([error])
        message = str(best.message)
        if best is not error and best.absolute_path != error.absolute_path:
            message = f"{_path(best.absolute_path)}: {message}"
        return message if len(message) <= 2 * MAX_SHOWN else message[:2 * MAX_SHOWN] + "..."

    def openai(self, schema: str, obj: Any, where: str = "") -> list[str]:
        return self._schema_problems(f"{OPENAI_URI}#/components/schemas/{schema}", obj, where)

    def anthropic(self, schema: str, obj: Any, where: str = "") -> list[str]:
        return self._schema_problems(f"{self.anthropic_uri}#/$defs/{schema}", obj, where)

    # ---- OpenAI bodies ----

    def openai_chat_completion(self, obj: Any) -> list[str]:
        return self.openai("CreateChatCompletionResponse", obj)

    def openai_completion(self, obj: Any) -> list[str]:
        return self.openai("CreateCompletionResponse", obj)

    def openai_models(self, obj: Any) -> list[str]:
        return self.openai("ListModelsResponse", obj)

    def openai_model(self, obj: Any) -> list[str]:
        return self.openai("Model", obj)

    def openai_embeddings(self, obj: Any, encoding_format: Literal["float", "base64"] | None = None) -> list[str]:
        """``encoding_format`` as requested; ``None`` accepts either representation."""
        problems: list[str] = []
        body = copy.deepcopy(obj)
        for i, item in enumerate(body.get("data") or [] if isinstance(body, dict) else []):
            if not isinstance(item, dict):
                continue
            value = item.get("embedding")
            where = f"CreateEmbeddingResponse $.data[{i}].embedding"
            if isinstance(value, str):
                if encoding_format == "float":
                    problems.append(f"{where}: a base64 string, but float was requested")
                item["embedding"] = []  # validated below as decoded, or reported here
                try:
                    raw = base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    problems.append(f"{where}: not valid base64")
                    continue
                if len(raw) % 4:
                    problems.append(f"{where}: {len(raw)} bytes is not a whole number of float32 values")
                    continue
                item["embedding"] = list(struct.unpack(f"<{len(raw) // 4}f", raw))
            elif encoding_format == "base64" and isinstance(value, list):
                problems.append(f"{where}: a list of floats, but base64 was requested")
        return problems + self.openai("CreateEmbeddingResponse", body)

    def openai_error(self, obj: Any, status: int | None = None,
                     headers: Mapping[str, str] | None = None) -> list[str]:
        problems = self.openai("ErrorResponse", obj)
        if status == 429 and headers is not None:
            retry = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
            if retry is not None and not (retry.isascii() and retry.isdigit() and int(retry) >= 1):
                problems.append(f"429 Retry-After {_shown(retry)}: must be an integer >= 1 (TooManyRequests)")
        return problems

    # ---- OpenAI streams ----

    def openai_stream(self, raw: bytes, *, kind: StreamKind = "chat", include_usage: bool = False) -> list[str]:
        events, problems = parse_sse(raw)
        schema = "CreateChatCompletionStreamResponse" if kind == "chat" else COMPLETION_CHUNK
        chunks: list[tuple[int, dict[str, Any]]] = []
        done_at: int | None = None
        error_at: int | None = None
        for n, ev in enumerate(events):
            where = f"event {n} (line {ev.line})"
            if ev.event is not None:
                problems.append(f"{where}: has an event: field ({_shown(ev.event)}); OpenAI streams are data-only")
            if done_at is not None or error_at is not None:
                problems.append(f"{where}: comes after the end of the stream")
                continue
            if ev.data == "[DONE]":
                done_at = n
                continue
            try:
                data = json.loads(ev.data)
            except json.JSONDecodeError:
                problems.append(f"{where}: data is not JSON: {_shown(ev.data)}")
                continue
            if isinstance(data, dict) and "error" in data and "choices" not in data:
                error_at = n
                problems += self.openai("ErrorResponse", data, where)
                continue
            problems += self.openai(schema, data, where)
            if isinstance(data, dict):
                chunks.append((n, data))
        if done_at is None and error_at is None:
            problems.append("the stream does not end with data: [DONE]")
        problems += _same_across(chunks, ("id", "created"))
        if error_at is None:
            problems += _usage_rules(chunks, include_usage)
            problems += _finish_rules(chunks)
        return problems

    # ---- Anthropic ----

    def anthropic_message(self, obj: Any) -> list[str]:
        return self.anthropic("MessageResponse", obj)

    def anthropic_error(self, obj: Any) -> list[str]:
        return self.anthropic("ErrorResponse", obj)

    def anthropic_count_tokens(self, obj: Any) -> list[str]:
        return self.anthropic("MessageTokensCount", obj)

    def anthropic_stream(self, raw: bytes) -> list[str]:
        events, problems = parse_sse(raw)
        flow = _Flow()
        for n, ev in enumerate(events):
            where = f"event {n} (line {ev.line})"
            try:
                data = json.loads(ev.data)
            except json.JSONDecodeError:
                problems.append(f"{where}: data is not JSON: {_shown(ev.data)}")
                continue
            kind = data.get("type") if isinstance(data, dict) else None
            if ev.event is None:
                problems.append(f"{where}: no event: name (the SDKs' readers drop unnamed events)")
            elif ev.event != kind:
                problems.append(f"{where}: event name {_shown(ev.event)} but data type {_shown(kind)}")
            problems += self.anthropic("MessageStreamEvent", data, where)
            if isinstance(data, dict):
                problems += _flow_step(flow, data, where)
        if flow.ended is None:
            problems.append("the stream ended without message_stop (or an error event)")
        return problems


def _same_across(chunks: list[tuple[int, dict[str, Any]]], keys: tuple[str, ...]) -> list[str]:
    problems = []
    for key in keys:
        values = {json.dumps(c.get(key)) for _, c in chunks}
        if len(values) > 1:
            problems.append(f"chunks carry {len(values)} different {key} values; the spec says each chunk has the same")
    return problems


def _usage_rules(chunks: list[tuple[int, dict[str, Any]]], include_usage: bool) -> list[str]:
    problems = []
    last = len(chunks) - 1
    for pos, (n, chunk) in enumerate(chunks):
        usage, choices = chunk.get("usage"), chunk.get("choices")
        if include_usage:
            if "usage" not in chunk:
                problems.append(f"event {n}: no usage field (include_usage: every chunk carries usage)")
            elif pos < last and usage is not None:
                problems.append(f"event {n}: usage is not null before the last chunk")
            if pos < last and choices == []:
                problems.append(f"event {n}: empty choices before the last chunk")
        else:
            if usage is not None:
                problems.append(f"event {n}: usage without include_usage")
            if choices == []:
                problems.append(f"event {n}: empty choices without include_usage")
    if include_usage and chunks:
        n, final = chunks[-1]
        if final.get("choices") != [] or not isinstance(final.get("usage"), dict):
            problems.append(f"event {n}: the last chunk must have choices: [] and the usage (include_usage)")
    return problems


def _finish_rules(chunks: list[tuple[int, dict[str, Any]]]) -> list[str]:
    problems = []
    finished: dict[Any, int] = {}
    for n, chunk in chunks:
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index")
            if index in finished:
                problems.append(f"event {n}: choice {index} continues after its finish_reason "
                                f"(event {finished[index]})")
            elif choice.get("finish_reason") is not None:
                finished[index] = n
    seen = {c.get("index") for _, chunk in chunks for c in chunk.get("choices") or [] if isinstance(c, dict)}
    problems += [f"choice {i} never got a finish_reason" for i in sorted(seen - finished.keys(), key=str)]
    return problems


def _flow_step(flow: _Flow, data: dict[str, Any], where: str) -> list[str]:
    kind = data.get("type")
    problems: list[str] = []
    if flow.ended is not None:
        return [f"{where}: {_shown(kind)} after {flow.ended}"]
    if kind == "ping":
        return []
    if kind == "error":
        flow.ended = "error"
        return []
    if kind == "message_start":
        if flow.started:
            problems.append(f"{where}: a second message_start")
        flow.started = True
        return problems
    if not flow.started:
        problems.append(f"{where}: {_shown(kind)} before message_start")
        flow.started = True
    index = data.get("index")
    if kind == "content_block_start":
        if flow.open_index is not None:
            problems.append(f"{where}: block {index} starts while block {flow.open_index} is open")
        if index != flow.next_index:
            problems.append(f"{where}: block index {index}, expected {flow.next_index}")
        block = data.get("content_block") if isinstance(data.get("content_block"), dict) else {}
        flow.open_index = index if isinstance(index, int) else flow.next_index
        flow.next_index = flow.open_index + 1
        flow.open_type = block.get("type")
        flow.tool_json = []
        flow.tool_start_input = block.get("input")
    elif kind == "content_block_delta":
        delta = data.get("delta") if isinstance(data.get("delta"), dict) else {}
        if flow.open_index is None or index != flow.open_index:
            problems.append(f"{where}: delta for block {index}, but the open block is {flow.open_index}")
        allowed = _DELTAS_FOR_BLOCK.get(flow.open_type or "")
        if allowed is not None and delta.get("type") not in allowed:
            problems.append(f"{where}: {_shown(delta.get('type'))} in a {flow.open_type} block")
        if delta.get("type") == "input_json_delta" and isinstance(delta.get("partial_json"), str):
            flow.tool_json.append(delta["partial_json"])
    elif kind == "content_block_stop":
        if flow.open_index is None or index != flow.open_index:
            problems.append(f"{where}: stop for block {index}, but the open block is {flow.open_index}")
        if flow.open_type in ("tool_use", "server_tool_use"):
            problems += _tool_input(flow, where)
        flow.open_index, flow.open_type = None, None
    elif kind == "message_delta":
        if flow.open_index is not None:
            problems.append(f"{where}: message_delta while block {flow.open_index} is still open "
                            "(no content_block_stop)")
        flow.deltas += 1
        delta = data.get("delta") if isinstance(data.get("delta"), dict) else {}
        flow.last_stop_reason = delta.get("stop_reason")
    elif kind == "message_stop":
        flow.ended = "message_stop"
        if flow.open_index is not None:
            problems.append(f"{where}: message_stop while block {flow.open_index} is still open")
        if not flow.deltas:
            problems.append(f"{where}: message_stop without a message_delta")
        elif flow.last_stop_reason is None:
            problems.append(f"{where}: the last message_delta has stop_reason null")
    return problems


def _tool_input(flow: _Flow, where: str) -> list[str]:
    joined = "".join(flow.tool_json)
    if not joined:
        ok = isinstance(flow.tool_start_input, dict)
        return [] if ok else [f"{where}: a tool_use block without input"]
    try:
        value = json.loads(joined)
    except json.JSONDecodeError:
        return [f"{where}: the input_json_delta pieces do not join into JSON: {_shown(joined)}"]
    return [] if isinstance(value, dict) else [f"{where}: the tool input is not a JSON object"]


@functools.cache
def shared_specs() -> Specs:
    """One loaded :class:`Specs` per test session (the documents are read-only)."""
    return Specs.load()
