"""A fake Anthropic Messages API speaking the real wire format (an ASGI app, run it with
``tests.fakes.server.serve``).

    fake = FakeAnthropic(api_key="k")          # knobs: see FakeBehaviour and Mode in common.py
    with serve(fake.app) as url:
        anthropic.Anthropic(api_key="k", base_url=url).messages.create(...)
    fake.requests[-1].headers["anthropic-version"], fake.requests[-1].body["messages"]

POST /v1/messages answers a text reply, or (when the request offers tools, ``tool_choice`` is not
``none`` and the last user turn is not a ``tool_result``) a short text plus a ``tool_use`` of the
named or first tool with ``tool_input``. Streaming sends message_start, ping, each content block
(text in word deltas, tool input in 5-character ``input_json_delta`` fragments), message_delta
and message_stop, ``chunk_delay`` apart. ``max_tokens`` smaller than the reply cuts it (in words)
with ``stop_reason: max_tokens``. Requests without ``x-api-key`` (or ``Authorization: Bearer``)
equal to ``api_key`` get 401, without ``anthropic-version`` 400; malformed bodies (no model,
max_tokens or messages, turns that do not alternate starting with user, empty content) get
Anthropic's 400.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .common import GARBAGE, FakeBehaviour, fragments, json_response, pieces, stream_response, words


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def sse(event: dict[str, Any]) -> bytes:
    name = str(event["type"]).encode()
    return b"event: " + name + b"\ndata: " + orjson.dumps(event) + b"\n\n"


@dataclass
class FakeAnthropic(FakeBehaviour):
    api_key: str = "test-anthropic-key"
    strict_alternation: bool = True
    _ids: Any = field(default_factory=count, repr=False)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"])])

    async def _messages(self, request: Request) -> Response:
        rec = await self.record(request)
        n = next(self._ids)
        headers = {"request-id": f"req_fake_{n}"}
        # x-api-key is the documented header; anthropic SDK >= 2.x sends "Authorization: Bearer <key>".
        bearer = rec.headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key not in (rec.headers.get("x-api-key"), bearer):
            return json_response(error_body("authentication_error", "invalid x-api-key"), 401, headers)
        if not rec.headers.get("anthropic-version"):
            return json_response(
                error_body("invalid_request_error", "anthropic-version: header is required"), 400, headers
            )
        problem = self._validate(rec.body)
        if problem:
            return json_response(error_body("invalid_request_error", problem), 400, headers)
        body: dict[str, Any] = rec.body
        mode = self.take_mode()
        if mode == "hang":
            await asyncio.sleep(self.hang_seconds)
        elif mode == "rate_limit":
            return json_response(
                error_body("rate_limit_error", "Number of requests has exceeded your rate limit"),
                429,
                {**headers, "retry-after": self.retry_after},
            )
        elif mode == "server_error":
            return json_response(error_body("api_error", "Internal server error"), 500, headers)
        elif mode == "overloaded":
            return json_response(error_body("overloaded_error", "Overloaded"), 529, headers)
        elif mode == "error_response":
            kinds = {
                400: "invalid_request_error",
                401: "authentication_error",
                403: "permission_error",
                404: "not_found_error",
                413: "request_too_large",
                429: "rate_limit_error",
            }
            return json_response(
                error_body(kinds.get(self.error_status, "api_error"), "fake error"),
                self.error_status,
                headers,
            )
        elif mode == "garbage":
            return Response(
                GARBAGE,
                media_type="text/event-stream" if body.get("stream") else "application/json",
                headers=headers,
            )
        message = self._message(body, n)
        if not body.get("stream"):
            return json_response(message, 200, headers)
        return stream_response(
            [sse(e) for e in stream_events(message, self.stream_piece)],
            mode,
            self,
            sse(error_body("overloaded_error", "Overloaded")),
            headers,
        )

    def _validate(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "request body must be a JSON object"
        if not isinstance(body.get("model"), str):
            return "model: field required"
        if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
            return "max_tokens: field required"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "messages: at least one message is required"
        for i, msg in enumerate(messages):
            if not isinstance(msg, dict) or msg.get("role") not in ("user", "assistant"):
                return f"messages.{i}.role: must be user or assistant"
            content = msg.get("content")
            if not content or (
                isinstance(content, list)
                and any(b.get("type") == "text" and not b.get("text") for b in content)
            ):
                return f"messages.{i}: content must be non-empty"
            expected = "user" if i % 2 == 0 else "assistant"
            if self.strict_alternation and msg["role"] != expected:
                return (
                    f"messages.{i}.role: roles must alternate between user and assistant, starting with user"
                )
        return None

    def _message(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        stop = "end_turn"
        tool = _tool_to_call(body)
        text = f"I'll call {tool}." if tool else self.reply_text(body)
        pieces = words(text)
        if len(pieces) > body["max_tokens"]:
            pieces, stop, tool = pieces[: body["max_tokens"]], "max_tokens", None
        content.append({"type": "text", "text": "".join(pieces)})
        if tool:
            content.append(
                {"type": "tool_use", "id": f"toolu_fake_{n}", "name": tool, "input": self.tool_input}
            )
            stop = "tool_use"
        return {
            "id": f"msg_fake_{n}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": max(len(orjson.dumps(body["messages"])) // 4, 1),
                "output_tokens": len(pieces) + (5 if tool else 0),
            },
        }


def _tool_to_call(body: dict[str, Any]) -> str | None:
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    if not tools or choice.get("type") == "none":
        return None
    last = body["messages"][-1].get("content")
    if isinstance(last, list) and any(b.get("type") == "tool_result" for b in last):
        return None
    name = choice.get("name") if choice.get("type") == "tool" else tools[0].get("name")
    return str(name)


def stream_events(message: dict[str, Any], piece: int = 0) -> list[dict[str, Any]]:
    """The SSE event sequence that streams ``message`` the way Anthropic does."""
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**message["usage"], "output_tokens": 1},
    }
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}, {"type": "ping"}]
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append(
                {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}
            )
            events.extend(
                {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": w}}
                for w in pieces(block["text"], piece)
            )
        else:
            events.append(
                {"type": "content_block_start", "index": i, "content_block": {**block, "input": {}}}
            )
            events.extend(
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "input_json_delta", "partial_json": f},
                }
                for f in fragments(orjson.dumps(block["input"]).decode(), piece or 5)
            )
        events.append({"type": "content_block_stop", "index": i})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return events
