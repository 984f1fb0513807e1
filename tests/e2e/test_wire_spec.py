"""Every answer kind the gateway writes or translates, as a client receives it over HTTP, against
the official schemas in shared/spec (tests/spec_check.py): chat, completions and embeddings
answers and streams, models, errors of every status on both ingresses, Anthropic messages and
streams, native and translated; ``model`` is the public name of the model that served."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.conftest import Servers
from tests.e2e.harness import KEY
from tests.spec_check import Specs, shared_specs

pytestmark = pytest.mark.e2e

AUTH = {"authorization": f"Bearer {KEY}"}
HELLO = [{"role": "user", "content": "Hello there, how are you?"}]
PII = [{"role": "user", "content": "Write to jane.doe@example.com about the invoice."}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]


@pytest.fixture(scope="module")
def specs() -> Specs:
    return shared_specs()


def post(servers: Servers, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(servers[0].url + path, json=body, headers={**AUTH, **(headers or {})}, timeout=30)


# (model, messages, tools): served natively by the cloud fake, translated by Anthropic, locally
CHAT_CASES = [
    pytest.param("gpt-4o", HELLO, None, "cloud", id="native"),
    pytest.param("gpt-4o", HELLO, TOOLS, "cloud", id="native tool call"),
    pytest.param("claude", HELLO, None, "anthropic", id="from anthropic"),
    pytest.param("claude", HELLO, TOOLS, "anthropic", id="from anthropic tool call"),
    pytest.param("gpt-4o", PII, None, "local", id="local"),
]


@pytest.mark.parametrize(("model", "messages", "tools", "backend"), CHAT_CASES)
def test_chat_answers(servers: Servers, specs: Specs, model: str, messages: Any, tools: Any, backend: str) -> None:
    body: dict[str, Any] = {"model": model, "messages": messages, **({"tools": tools} if tools else {})}
    r = post(servers, "/v1/chat/completions", body)
    assert r.status_code == 200 and r.headers["x-gateway-backend"] == backend
    assert specs.openai_chat_completion(r.json()) == []
    assert r.json()["model"] == ("local-llama" if backend == "local" else model)


@pytest.mark.parametrize(("model", "messages", "tools", "backend"), CHAT_CASES)
@pytest.mark.parametrize("include_usage", [False, True])
def test_chat_streams(servers: Servers, specs: Specs, model: str, messages: Any, tools: Any, backend: str,
                      include_usage: bool) -> None:
    body: dict[str, Any] = {"model": model, "messages": messages, "stream": True,
                            **({"tools": tools} if tools else {}),
                            **({"stream_options": {"include_usage": True}} if include_usage else {})}
    r = post(servers, "/v1/chat/completions", body)
    assert r.status_code == 200 and r.headers["x-gateway-backend"] == backend
    assert specs.openai_stream(r.content, kind="chat", include_usage=include_usage) == []
    models = {orjson.loads(line[6:])["model"] for line in r.content.splitlines()
              if line.startswith(b"data: {")}
    assert models == {"local-llama" if backend == "local" else model}


def test_completions_and_embeddings(servers: Servers, specs: Specs) -> None:
    r = post(servers, "/v1/completions", {"model": "gpt-4o", "prompt": "Say hello"})
    assert specs.openai_completion(r.json()) == [] and r.json()["model"] == "gpt-4o"
    for include_usage in (False, True):
        body: dict[str, Any] = {"model": "gpt-4o", "prompt": "Say hello", "stream": True}
        if include_usage:
            body["stream_options"] = {"include_usage": True}
        r = post(servers, "/v1/completions", body)
        assert specs.openai_stream(r.content, kind="completions", include_usage=include_usage) == []
    for fmt in ("float", "base64"):
        r = post(servers, "/v1/embeddings",
                 {"model": "text-embedding-3-small", "input": ["one", "two"], "encoding_format": fmt})
        assert specs.openai_embeddings(r.json(), fmt) == []  # type: ignore[arg-type]


def test_models(servers: Servers, specs: Specs) -> None:
    r = httpx.get(servers[0].url + "/v1/models", headers=AUTH)
    assert specs.openai_models(r.json()) == []


def test_openai_errors_of_every_kind(servers: Servers, specs: Specs) -> None:
    gw, _, cloud, _ = servers
    cases: list[tuple[httpx.Response, int]] = [
        (httpx.post(gw.url + "/v1/chat/completions", content=b"{", headers=AUTH), 400),
        (httpx.post(gw.url + "/v1/chat/completions", json={"model": "gpt-4o", "messages": HELLO}), 401),
        (post(servers, "/v1/chat/completions", {"model": "gpt-4o", "messages": [
            {"role": "user", "content": "OPENAI_API_KEY=sk-proj-Abc123Def456Ghi789Jkl012Mno345Pqr678"}]}), 403),
        (post(servers, "/v1/chat/completions", {"model": "nope", "messages": HELLO}), 404),
        (httpx.post(gw.url + "/v1/chat/completions", content=b"x" * 70000, headers=AUTH), 413),
        (httpx.get(gw.url + "/v1/nothing", headers=AUTH), 404),
    ]
    cloud.mode, cloud.fail_times = "rate_limit", 4
    cases.append((post(servers, "/v1/chat/completions", {"model": "gpt-4o", "messages": HELLO}), 200))
    for r, status in cases:
        if status == 200:  # the cloud is rate limited: the route's fallback serves, or a 429 reaches the client
            assert r.status_code in (200, 429)
            if r.status_code == 200:
                continue
            status = 429
        assert r.status_code == status, r.text
        assert specs.openai_error(r.json(), status, dict(r.headers)) == [], (status, r.text)
    cloud.mode = "ok"


@pytest.mark.parametrize("model,backend", [("claude", "anthropic"), ("local-llama", "local")])
@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_answers(servers: Servers, specs: Specs, model: str, backend: str, stream: bool) -> None:
    body = {"model": model, "max_tokens": 64, "messages": HELLO, "stream": stream}
    r = post(servers, "/v1/messages", body)
    assert r.status_code == 200 and r.headers["x-gateway-backend"] == backend
    if stream:
        assert specs.anthropic_stream(r.content) == []
        assert f'"model":"{model}"'.encode() in r.content
    else:
        assert specs.anthropic_message(r.json()) == [] and r.json()["model"] == model


def test_anthropic_errors(servers: Servers, specs: Specs) -> None:
    gw = servers[0]
    for r in (httpx.post(gw.url + "/v1/messages", content=b"{", headers=AUTH),
              httpx.post(gw.url + "/v1/messages", json={"model": "claude", "max_tokens": 5, "messages": HELLO}),
              post(servers, "/v1/messages", {"model": "nope", "max_tokens": 5, "messages": HELLO}),
              post(servers, "/v1/messages", {"model": "claude", "messages": HELLO})):
        assert r.status_code >= 400
        assert specs.anthropic_error(r.json()) == [], r.text
