"""A fake OpenAI API (and Azure OpenAI) speaking the real wire format (an ASGI app, run it with
``tests.fakes.server.serve``).

    fake = FakeOpenAI(api_key="k", models=["gpt-4o"])  # knobs: FakeBehaviour / Mode in common.py
    with serve(fake.app) as url:
        openai.OpenAI(api_key="k", base_url=url + "/v1").chat.completions.create(...)
    fake.requests[-1].body

Routes: POST /v1/responses (the Responses API: a response object, or the typed event stream; a
function call of the first function tool unless the input ends with its output),
POST /v1/chat/completions (non-stream and SSE with ``data: [DONE]``, ``chunk_delay``
apart, ``stream_options.include_usage`` adds the final usage chunk with ``choices: []``; when
the request offers tools, ``tool_choice`` is not ``none`` and the last message is not a ``tool``
result, the answer is a tool call of the named or first function with ``tool_input``, streamed as
id+name then 5-character argument fragments), POST /v1/completions (stream too),
POST /v1/embeddings (deterministic vectors, ``float`` or ``base64``), GET /v1/models.
Azure: the same under /openai/deployments/{deployment}/... with ``?api-version=`` and an
``api-key`` header (``Authorization: Bearer`` elsewhere); the deployment name is the model.
In-stream error (mode ``error_event``): ``data: {"error": {...}}``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import time
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import responses_fake
from .common import GARBAGE, FakeBehaviour, RecordedRequest, fragments, json_response, pieces, stream_response, words

DONE = b"data: [DONE]\n\n"


def error_body(message: str, kind: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def sse(obj: Any) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


@dataclass
class FakeOpenAI(FakeBehaviour):
    api_key: str = "test-openai-key"
    models: list[str] = field(default_factory=lambda: ["gpt-4o", "text-embedding-3-small"])
    embedding_dim: int = 8
    _ids: Any = field(default_factory=count, repr=False)

    def __post_init__(self) -> None:
        routes = [Route("/v1/models", self._models, methods=["GET"])]
        for kind in ("chat/completions", "completions", "embeddings", "responses"):
            routes.append(Route(f"/v1/{kind}", self._endpoint, methods=["POST"]))
            routes.append(
                Route(f"/openai/deployments/{{deployment}}/{kind}", self._endpoint, methods=["POST"])
            )
        self.app = Starlette(routes=routes)

    def _auth_error(self, rec: RecordedRequest, azure: bool) -> Response | None:
        if azure:
            if rec.headers.get("api-key") != self.api_key:
                return json_response(
                    {
                        "error": {
                            "code": "401",
                            "message": "Access denied due to invalid subscription key or wrong API endpoint.",
                        }
                    },
                    401,
                )
            if not rec.query.get("api-version"):
                return json_response(
                    error_body(
                        "api-version query parameter is required",
                        "invalid_request_error",
                        "missing_api_version",
                    ),
                    400,
                )
            return None
        if rec.headers.get("authorization") != f"Bearer {self.api_key}":
            return json_response(
                error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"), 401
            )
        return None

    async def _models(self, request: Request) -> Response:
        rec = await self.record(request, probe=True)
        problem = self._auth_error(rec, azure=False)
        return problem or json_response(
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"}
                    for m in self.models
                ],
            }
        )

    async def _endpoint(self, request: Request) -> Response:
        rec = await self.record(request)
        deployment = request.path_params.get("deployment")
        problem = self._auth_error(rec, azure=deployment is not None)
        if problem:
            return problem
        body = rec.body
        if not isinstance(body, dict):
            return json_response(
                error_body("We could not parse the JSON body of your request.", "invalid_request_error"), 400
            )
        model = deployment or body.get("model")
        if not isinstance(model, str):
            return json_response(
                error_body("you must provide a model parameter", "invalid_request_error", None, "model"), 400
            )
        mode = self.take_mode()
        if mode == "hang":
            await asyncio.sleep(self.hang_seconds)
        elif mode == "rate_limit":
            return json_response(
                error_body("Rate limit reached", "requests", "rate_limit_exceeded"),
                429,
                {"retry-after": self.retry_after},
            )
        elif mode == "server_error":
            return json_response(error_body("The server had an error", "server_error"), 500)
        elif mode == "overloaded":
            return json_response(error_body("The engine is currently overloaded", "server_error"), 503)
        elif mode == "error_response":
            return json_response(
                error_body("fake error", "invalid_request_error", f"fake_{self.error_status}"),
                self.error_status,
            )
        elif mode == "garbage":
            return Response(
                GARBAGE, media_type="text/event-stream" if body.get("stream") else "application/json"
            )
        n = next(self._ids)
        path = request.url.path
        if path.endswith("/embeddings"):
            return json_response(self._embeddings(body, model))
        if path.endswith("/responses"):
            final = responses_fake.response(body, model, n, self.reply_text(body), self.tool_input)
            if not body.get("stream"):
                return json_response(final)
            error = responses_fake.sse("error", {"type": "error", "code": "server_error", "message": "failed",
                                                 "param": None, "sequence_number": 0})
            events = responses_fake.events(final, self.stream_piece)
            return stream_response([responses_fake.sse(k, e) for k, e in events], mode, self, error)
        chat = path.endswith("/chat/completions")
        if chat and not isinstance(body.get("messages"), list):
            return json_response(
                error_body("messages is required", "invalid_request_error", None, "messages"), 400
            )
        reply = self._completion(body, model, n) if chat else self._text_completion(body, model, n)
        if not body.get("stream"):
            return json_response(reply)
        chunks = chat_chunks(reply, self.stream_piece) if chat else text_chunks(reply, self.stream_piece)
        if not (body.get("stream_options") or {}).get("include_usage"):
            chunks = [{k: v for k, v in c.items() if k != "usage"} for c in chunks if c["choices"]]
        error = sse(error_body("The server had an error while processing your request.", "server_error"))
        return stream_response([*map(sse, chunks), DONE], mode, self, error)

    def _usage(self, body: dict[str, Any], completion: int) -> dict[str, Any]:
        prompt = max(len(orjson.dumps(body.get("messages") or body.get("prompt") or "")) // 4, 1)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _completion(self, body: dict[str, Any], model: str, n: int) -> dict[str, Any]:
        tool = _tool_to_call(body)
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish = "stop"
        if tool:
            message["tool_calls"] = [
                {
                    "id": f"call_fake_{n}",
                    "type": "function",
                    "function": {"name": tool, "arguments": orjson.dumps(self.tool_input).decode()},
                }
            ]
            finish, out_tokens = "tool_calls", 5
        else:
            pieces = words(self.reply_text(body))
            limit = body.get("max_completion_tokens") or body.get("max_tokens")
            if isinstance(limit, int) and len(pieces) > limit:
                pieces, finish = pieces[:limit], "length"
            message["content"], out_tokens = "".join(pieces), len(pieces)
        return {
            "id": f"chatcmpl-fake{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": self._usage(body, out_tokens),
        }

    def _text_completion(self, body: dict[str, Any], model: str, n: int) -> dict[str, Any]:
        text = self.reply_text(body)
        return {
            "id": f"cmpl-fake{n}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}],
            "usage": self._usage(body, len(words(text))),
        }

    def _embeddings(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        inputs = body.get("input")
        items = inputs if isinstance(inputs, list) else [inputs]
        data = []
        for i, item in enumerate(items):
            digest = hashlib.sha256(orjson.dumps(item)).digest()
            vector = [(b - 128) / 128 for b in digest[: self.embedding_dim]]
            value: Any = vector
            if body.get("encoding_format") == "base64":
                value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": i, "embedding": value})
        tokens = sum(max(len(str(x)) // 4, 1) for x in items)
        return {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _tool_to_call(body: dict[str, Any]) -> str | None:
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if not tools or choice == "none" or (body["messages"] and body["messages"][-1].get("role") == "tool"):
        return None
    if isinstance(choice, dict):
        return str(choice["function"]["name"])
    return str(tools[0]["function"]["name"])


def chat_chunks(completion: dict[str, Any], piece: int = 0) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` sequence that streams ``completion`` the way OpenAI does."""
    base = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    choice = completion["choices"][0]
    msg = choice["message"]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            "usage": None,
        }

    out = [chunk({"role": "assistant", "content": "", "refusal": None})]
    out.extend(chunk({"content": w}) for w in pieces(msg["content"] or "", piece))
    for i, call in enumerate(msg.get("tool_calls") or []):
        out.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": ""},
                        }
                    ]
                }
            )
        )
        out.extend(
            chunk({"tool_calls": [{"index": i, "function": {"arguments": f}}]})
            for f in fragments(call["function"]["arguments"], piece or 5)
        )
    out.append(chunk({}, choice["finish_reason"]))
    out.append({**base, "choices": [], "usage": completion["usage"]})
    return out


def text_chunks(completion: dict[str, Any], piece: int = 0) -> list[dict[str, Any]]:
    base = {k: completion[k] for k in ("id", "object", "created", "model")}

    def chunk(text: str, finish: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}],
            "usage": None,
        }

    out = [chunk(w) for w in pieces(completion["choices"][0]["text"], piece)]
    out.append(chunk("", "stop"))
    out.append({**base, "choices": [], "usage": completion["usage"]})
    return out
