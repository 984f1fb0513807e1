"""What an upstream will receive, as text to scan (DESIGN.md, invariant 7: what leaves was judged).

One walk over the whole request body yields every string the upstream will receive, at any
depth, known fields and unknown ones alike, and object keys that are not part of the wire
format (metadata keys, schema property names, ...); plus the values of the headers the gateway
forwards. Nothing is skipped by omission: a string is left out only when an explicit allow-list
says its field is structural *and* the value has the shape of a structural token (``"role":
"user"``, ``"type": "image_url"``); the top-level ``model`` is replaced before anything leaves.

What cannot be read as text becomes a ``content`` kind instead of being skipped: ``image``,
``audio``, ``file`` (base64 payloads and data URLs, media fetched by URL), ``token_ids``
(prompts given as token ids) and ``unreadable`` (part or block types the gateway does not know:
the upstream may read something there that the gateway cannot). The same rules hold on every
ingress.

Strings are grouped into :class:`TextPart` s, one per message (Anthropic's top-level ``system``
is one, every other top-level field together is one, the forwarded headers are one), joined by
new lines, with :class:`Segment` s mapping each piece back to its place in the body. Between
consecutive strings of the conversation a *junction* part holds the end of one and the start of
the next, directly concatenated, so a value split across two parts or messages is read whole.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.types import ContentKind

Path = tuple[str | int, ...]
KEY = "<key>"  # last component of the path of an object key (the key itself is the text)

SYSTEM_INDEX = -1  # Anthropic's top-level system prompt
BODY_INDEX = -2  # every other top-level field: tools, response_format, metadata, unknown fields
HEADER_INDEX = -3  # the headers the gateway forwards

JUNCTION_CHARS = 64  # characters taken from each side of a seam between two strings
# Headers a client may send that the gateway forwards to an upstream (never auth): to an
# OpenAI-compatible one, and to Anthropic on a native /v1/messages call. All are scanned.
OPENAI_FORWARDED = ("openai-organization", "openai-project", "openai-beta")
ANTHROPIC_FORWARDED = ("anthropic-beta",)
FORWARDED_HEADERS = OPENAI_FORWARDED + ANTHROPIC_FORWARDED
# Integers this large are written out and scanned: a card or account number sent as a JSON number.
BIG_INT = 10**6


@dataclass(frozen=True, slots=True)
class Segment:
    """``text[start:end]`` of a part is the string at ``path`` in the body (an object key when
    the path ends in :data:`KEY`; a header value when the path is ``("header", name)``)."""

    start: int
    end: int
    path: Path


@dataclass(frozen=True, slots=True)
class TextPart:
    """One text to scan. ``message`` is the index in ``messages`` (or in the prompt / input list),
    or one of :data:`SYSTEM_INDEX`, :data:`BODY_INDEX`, :data:`HEADER_INDEX`. ``junction`` is
    -1 for a part, or the offset of the seam in a junction text (only findings across it count)."""

    message: int
    part: int
    role: str
    text: str
    segments: tuple[Segment, ...] = ()
    junction: int = -1


@dataclass(frozen=True, slots=True)
class Outbound:
    """Everything a request would send upstream, as text to scan, and what cannot be read."""

    parts: tuple[TextPart, ...]
    content: frozenset[str]


# --- the wire formats' own vocabulary -----------------------------------------------------------

# Object keys that belong to the OpenAI (chat, completions, embeddings, responses) and Anthropic
# Messages request formats, or to JSON Schema. Any other key is the client's data (metadata keys,
# schema property names, fields the gateway does not know) and is scanned as text.
WIRE_KEYS = frozenset({
    # OpenAI chat / completions / embeddings / responses
    "model", "messages", "role", "content", "name", "type", "text", "image_url", "url", "detail",
    "input_audio", "data", "format", "file", "file_id", "file_data", "filename", "refusal",
    "tool_calls", "id", "function", "arguments", "tool_call_id", "function_call", "functions",
    "tools", "tool_choice", "parallel_tool_calls", "description", "parameters", "strict",
    "response_format", "json_schema", "schema", "stream", "stream_options", "include_usage",
    "temperature", "top_p", "n", "max_tokens", "max_completion_tokens", "stop", "presence_penalty",
    "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user", "seed", "service_tier",
    "metadata", "store", "modalities", "audio", "voice", "prediction", "reasoning_effort",
    "web_search_options", "prompt", "suffix", "echo", "best_of", "input", "dimensions",
    "encoding_format", "instructions", "previous_response_id", "reasoning", "effort", "summary",
    "truncation", "include", "max_output_tools", "max_output_tokens", "call_id", "output", "status",
    "annotations", "verbosity", "prompt_cache_key", "safety_identifier", "background",
    "max_tool_calls", "conversation", "image_generation", "file_search", "user_location",
    "search_context_size", "approximate", "city", "country", "region", "timezone",
    # Anthropic Messages
    "system", "stop_sequences", "top_k", "thinking", "budget_tokens", "signature", "source",
    "media_type", "cache_control", "ttl", "tool_use_id", "is_error", "citations", "enabled",
    "context", "title", "input_schema", "disable_parallel_tool_use", "container", "mcp_servers",
    "authorization_token", "tool_configuration", "allowed_tools", "search_result", "server_name",
    "cited_text", "document_index", "document_title", "start_char_index", "end_char_index",
    "start_page_number", "end_page_number", "start_block_index", "end_block_index",
    "search_result_index", "max_uses", "allowed_domains", "blocked_domains", "betas",
    "context_management",
    # JSON Schema (tool parameters, response formats)
    "$schema", "$id", "$ref", "$defs", "definitions", "properties", "required", "items",
    "additionalProperties", "enum", "const", "default", "examples", "anyOf", "oneOf", "allOf",
    "not", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "pattern", "minItems", "maxItems", "uniqueItems", "nullable", "prefixItems", "patternProperties",
    "propertyNames", "minProperties", "maxProperties", "multipleOf", "contentEncoding",
    "contentMediaType", "deprecated", "readOnly", "writeOnly", "if", "then", "else",
})

# Fields whose values are enumerations of the wire format. Their value is skipped only when it
# has the shape of such a token (lower case, no spaces, no long number); anything else is read.
ENUM_FIELDS = frozenset({
    "role", "type", "object", "detail", "format", "media_type", "encoding_format", "tool_choice",
    "reasoning_effort", "effort", "service_tier", "modalities", "voice", "truncation", "status",
    "verbosity", "ttl", "mode", "include", "search_context_size", "$schema",
})
# Numeric parameters of the wire formats (top-level) and of nested objects and JSON Schema: an
# integer there is not data. Elsewhere a big integer is read (a card number sent as a number).
TOP_NUMERIC = frozenset({
    "max_tokens", "max_completion_tokens", "max_output_tokens", "seed", "n", "top_k", "top_logprobs",
    "logprobs", "best_of", "dimensions", "max_tool_calls",
})
NESTED_NUMERIC = frozenset({
    "budget_tokens", "max_uses", "index", "document_index", "start_char_index", "end_char_index",
    "start_page_number", "end_page_number", "start_block_index", "end_block_index",
    "search_result_index", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
    "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "multipleOf",
})
_TOKEN = re.compile(r"[a-z][a-z0-9_.:/+\-]{0,63}")
_LONG_NUMBER = re.compile(r"\d{9}")
_DATA_URL = re.compile(r"data:([\w.+\-]+/[\w.+\-]+)?(?:;[\w\-]+=[^;,]*)*;base64,", re.ASCII)


# The values of ENUM_FIELDS seen on nearly every request: known structural without a regex.
_COMMON_TOKENS = frozenset({"user", "assistant", "system", "developer", "tool", "function", "text", "image_url",
                            "input_text", "output_text", "message", "tool_use", "tool_result", "auto", "low",
                            "high", "medium", "json_schema", "json_object", "object", "string", "base64"})


def _data_url(value: str) -> re.Match[str] | None:
    """The ``data:...;base64,`` prefix of a data URL (the cheap test first: most strings are not)."""
    return _DATA_URL.match(value) if value.startswith("data:") else None


def _structural(key: str | int, value: str) -> bool:
    if key not in ENUM_FIELDS:
        return False
    return value in _COMMON_TOKENS or (_TOKEN.fullmatch(value) is not None and not _LONG_NUMBER.search(value))


def media_kind(media_type: str | None) -> ContentKind:
    """The content kind of a binary payload of this media type."""
    major = (media_type or "").split("/", 1)[0].lower()
    return "image" if major == "image" else "audio" if major == "audio" else "file"


def is_text_media(media_type: str | None) -> bool:
    """Text payloads (``text/plain`` documents): these are decoded and read, not skipped."""
    return (media_type or "").lower().startswith("text/")


# Part and block types whose strings the gateway reads and whose media it knows.
OPENAI_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
ANTHROPIC_BLOCK_TYPES = frozenset({
    "text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking",
    "search_result", "server_tool_use", "web_search_tool_result", "web_fetch_tool_result",
    "code_execution_tool_result", "mcp_tool_use", "mcp_tool_result", "container_upload",
})
RESPONSES_ITEM_TYPES = frozenset({
    "message", "input_text", "output_text", "input_image", "input_file", "input_audio",
    "function_call", "function_call_output", "reasoning", "refusal", "summary_text",
})
# Opaque values the upstream issued itself and verifies (encrypted thinking): not text.
OPAQUE_FIELDS = {("thinking", "signature"), ("redacted_thinking", "data"), ("reasoning", "encrypted_content")}


class _Walker:
    """Collects the strings of one body, in order, and the content kinds it cannot read."""

    def __init__(self, known_types: frozenset[str]) -> None:
        self.known_types = known_types
        self.leaves: list[tuple[Path, str]] = []
        self.content: set[str] = set()

    def value(self, value: Any, path: Path) -> None:
        if isinstance(value, str):
            if value:
                self.text(value, path)
        elif type(value) is dict or isinstance(value, Mapping):
            self.mapping(value, path)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.value(item, (*path, i))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= BIG_INT:
            self.leaves.append((path, str(value)))

    def text(self, value: str, path: Path) -> None:
        m = _data_url(value)
        if m is not None:
            self.payload(value[m.end():], m.group(1), path)
        else:
            self.leaves.append((path, value))

    def payload(self, data: str, media_type: str | None, path: Path) -> None:
        """A base64 payload: read it when it is text, else record its content kind."""
        if is_text_media(media_type):
            decoded = _b64_text(data)
            if decoded is not None:
                self.leaves.append((path, decoded))
                return
            self.content.add("unreadable")
        else:
            self.content.add(media_kind(media_type))

    def mapping(self, obj: Mapping[Any, Any], path: Path) -> None:
        kind = obj.get("type")
        kind = kind if isinstance(kind, str) else None
        if kind is not None and self.known_types and _is_part(path) and kind not in self.known_types:
            self.content.add("unreadable")  # its strings are read below all the same
        base64 = kind == "base64" and isinstance(obj.get("data"), str)
        for key, value in obj.items():
            if not isinstance(key, str):
                continue
            if key not in WIRE_KEYS:
                self.leaves.append(((*path, key, KEY), key))
            if isinstance(value, str):
                if key == "model" and not path:
                    continue  # replaced by the upstream model name before anything leaves
                if _structural(key, value):
                    continue
                if kind is not None and (kind, key) in OPAQUE_FIELDS:
                    continue
                if base64 and key == "data":
                    media = obj.get("media_type")
                    self.payload(value, media if isinstance(media, str) else None, (*path, key))
                    continue
                if key == "file_data" and not _data_url(value):
                    self.payload(value, _file_media(obj), (*path, key))
                    continue
                if key == "data" and path[-1:] == ("input_audio",):
                    self.payload(value, "audio/*", (*path, key))
                    continue
                if value:
                    self.text(value, (*path, key))
                continue
            if isinstance(value, int) and (key in NESTED_NUMERIC or (not path and key in TOP_NUMERIC)):
                continue  # a numeric parameter of the wire format (max_tokens, seed, ...)
            self.value(value, (*path, key))
        if kind is not None:
            self._media(obj, kind)

    def _media(self, obj: Mapping[Any, Any], kind: str) -> None:
        """Media the upstream fetches or reads itself (a URL, a file id): its URL or id was read
        as text above; what it points to cannot be read here."""
        if kind in ("image_url", "image", "input_image"):
            self.content.add("image")
        elif kind in ("input_audio", "audio"):
            self.content.add("audio")
        elif kind in ("file", "input_file"):
            self.content.add("file")
        elif kind == "document":
            source = obj.get("source")
            stype = source.get("type") if isinstance(source, Mapping) else None
            if stype in ("url", "file"):
                self.content.add("file")


def _file_media(obj: Mapping[Any, Any]) -> str | None:
    name = obj.get("filename")
    return "text/plain" if isinstance(name, str) and name.lower().endswith((".txt", ".md", ".csv")) else None


def _is_part(path: Path) -> bool:
    """A content part or block: an item of a ``content`` list, of Anthropic's ``system`` or of a
    Responses ``input``."""
    if len(path) < 2 or not isinstance(path[-1], int):
        return False
    return path[-2] == "content" or (len(path) == 2 and path[0] in ("input", "system"))


def _b64_text(data: str) -> str | None:
    import base64
    import binascii

    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- per endpoint: which strings belong to which message ---------------------------------------

# Per endpoint: the part or block types it knows, and the field that holds its messages.
KNOWN_TYPES = {"chat": OPENAI_PART_TYPES, "messages": ANTHROPIC_BLOCK_TYPES,
               "responses": RESPONSES_ITEM_TYPES | OPENAI_PART_TYPES}
LIST_FIELDS = {"chat": "messages", "messages": "messages", "completions": "prompt", "embeddings": "input",
               "responses": "input"}


def outbound(endpoint: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Outbound:
    """Everything of ``body`` (and of the forwarded ``headers``) that an upstream would receive."""
    w = _Walker(KNOWN_TYPES.get(endpoint, frozenset()))
    groups: list[tuple[int, str, int]] = []  # (message, role, leaves end) in walk order
    list_field = LIST_FIELDS.get(endpoint)
    for key, value in body.items():
        if not isinstance(key, str) or key == list_field or (key == "system" and endpoint == "messages"):
            continue
        w.value({key: value}, ())
    groups.append((BODY_INDEX, "body", len(w.leaves)))
    if endpoint == "messages":
        w.value(body.get("system"), ("system",))
        groups.append((SYSTEM_INDEX, "system", len(w.leaves)))
    items = body.get(list_field) if list_field else None
    if endpoint in ("completions", "embeddings") and items is not None:
        _prompts(w, list_field or "", items, groups)
    elif isinstance(items, list):
        for i, item in enumerate(items):
            w.value(item, (list_field or "", i))
            role = item.get("role") if isinstance(item, Mapping) else None
            groups.append((i, role if isinstance(role, str) else "", len(w.leaves)))
    elif items is not None and list_field is not None:
        w.value(items, (list_field,))  # e.g. a Responses input given as one string
        groups.append((0, "user", len(w.leaves)))
    header = _headers(headers or {})
    parts = [*([header] if header else []), *_parts(w.leaves, groups), *_junctions(w.leaves, groups)]
    return Outbound(tuple(parts), frozenset(w.content))


def _prompts(w: _Walker, field: str, items: Any, groups: list[tuple[int, str, int]]) -> None:
    """Completions ``prompt`` / embeddings ``input``: a string, a list of strings, or token ids."""
    role = "prompt" if field == "prompt" else "input"
    if isinstance(items, list) and items and all(isinstance(x, int) for x in items):
        w.content.add("token_ids")
        return
    values = items if isinstance(items, list) else [items]
    for i, item in enumerate(values):
        if isinstance(item, list) and all(isinstance(x, int) for x in item):
            w.content.add("token_ids")
        elif isinstance(item, str) or isinstance(item, (list, Mapping)):
            w.value(item, (field, i) if isinstance(items, list) else (field,))
        elif item is not None:
            w.content.add("unreadable")
        groups.append((i, role, len(w.leaves)))


def _parts(leaves: list[tuple[Path, str]], groups: list[tuple[int, str, int]]) -> list[TextPart]:
    parts: list[TextPart] = []
    start = 0
    for message, role, end in groups:
        if end > start:
            texts: list[str] = []
            segments: list[Segment] = []
            offset = 0
            for path, text in leaves[start:end]:
                segments.append(Segment(offset, offset + len(text), path))
                texts.append(text)
                offset += len(text) + 1
            parts.append(TextPart(message, 0, role, "\n".join(texts), tuple(segments)))
        start = end
    return parts


def _junctions(leaves: list[tuple[Path, str]], groups: list[tuple[int, str, int]]) -> list[TextPart]:
    """A seam text for every two consecutive strings of the conversation (system and messages)."""
    owner: list[tuple[int, str]] = []
    start = 0
    for message, role, end in groups:
        owner.extend([(message, role)] * (end - start))
        start = end
    seq = [(i, path, text) for i, (path, text) in enumerate(leaves)
           if (owner[i][0] >= 0 or owner[i][0] == SYSTEM_INDEX) and _prose(path)]
    out: list[TextPart] = []
    for (i, path_a, a), (_, path_b, b) in itertools.pairwise(seq):
        left, right = a[-JUNCTION_CHARS:], b[:JUNCTION_CHARS]
        message, role = owner[i]
        seam = len(left)
        segments = (Segment(0, seam, path_a), Segment(seam, seam + len(right), path_b))
        out.append(TextPart(message, 0, role, left + right, segments, junction=seam))
        if left[-1:].isdigit() and right[:1].isdigit():
            # digits on both sides: the split may be inside a group ("4111 11" | "11 1111") or
            # between two groups ("4111 1111" | "1111 1111"): read it both ways
            spaced = (Segment(0, seam, path_a), Segment(seam + 1, seam + 1 + len(right), path_b))
            out.append(TextPart(message, 0, role, left + " " + right, spaced, junction=seam))
    return out


# Fields that hold running text, where a value may be split from one string into the next.
PROSE_FIELDS = frozenset({"content", "text", "refusal", "arguments", "thinking", "data", "output",
                          "prompt", "input", "system", "context", "title"})


def _prose(path: Path) -> bool:
    last = path[-1] if path else None
    return isinstance(last, int) or last in PROSE_FIELDS


def _headers(headers: Mapping[str, str]) -> TextPart | None:
    texts: list[str] = []
    segments: list[Segment] = []
    offset = 0
    for name in FORWARDED_HEADERS:
        value = headers.get(name)
        if value:
            segments.append(Segment(offset, offset + len(value), ("header", name)))
            texts.append(value)
            offset += len(value) + 1
    return TextPart(HEADER_INDEX, 0, "header", "\n".join(texts), tuple(segments)) if texts else None


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Is ``value`` nested deeper than ``limit`` arrays and objects? (Iterative: no recursion.)"""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
