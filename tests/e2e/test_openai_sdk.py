"""The official openai SDK (sync and async) against the gateway over real HTTP on loopback."""

from __future__ import annotations

import json

import openai
import pytest

from tests.e2e.harness import KEY, RunningGateway
from tests.fakes.openai_server import FakeOpenAI

HARMLESS = [{"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "Explain what a Python list comprehension is."}]


def client(gw: RunningGateway, **kw: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=KEY, max_retries=0, **kw)  # type: ignore[arg-type]


def test_plain_chat_goes_to_requested_cloud_model(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                   local_fake: FakeOpenAI) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(model="gpt-4o", messages=HARMLESS)
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the fake model. How can I help?"
    assert raw.headers["x-gateway-rule"] == "client-choice"
    assert raw.headers["x-gateway-backend"] == "cloud"
    assert raw.headers["x-gateway-zone"] == "cloud"
    assert raw.headers["x-gateway-entities"] == ""
    assert len(raw.headers["x-gateway-request-id"]) >= 16
    assert len(cloud_fake.requests) == 1 and local_fake.requests == []
    sent = cloud_fake.last
    assert sent.body["model"] == "gpt-4o" and sent.body["messages"] == HARMLESS
    assert sent.headers["authorization"] == "Bearer test-openai-key"  # the gateway's key, not the client's


def test_unknown_fields_pass_through_unchanged(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                               "parameters": {"type": "object",
                                                              "properties": {"city": {"type": "string"}}}}}]
    completion = client(gateway).chat.completions.create(
        model="gpt-4o", messages=HARMLESS, tools=tools, tool_choice="auto", seed=42, n=1, logprobs=True,
        top_logprobs=2, temperature=0.3, extra_body={"vendor_extra": {"top_k": 5}})
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}
    body = cloud_fake.last.body
    for key, value in {"tools": tools, "tool_choice": "auto", "seed": 42, "n": 1, "logprobs": True,
                       "top_logprobs": 2, "temperature": 0.3, "vendor_extra": {"top_k": 5}}.items():
        assert body[key] == value


def test_json_mode(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    cloud_fake.reply = '{"answer": 42}'
    completion = client(gateway).chat.completions.create(
        model="gpt-4o", messages=HARMLESS, response_format={"type": "json_object"})
    assert json.loads(completion.choices[0].message.content or "") == {"answer": 42}
    assert cloud_fake.last.body["response_format"] == {"type": "json_object"}


def test_streaming_relays_every_chunk_and_usage(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    cloud_fake.chunk_delay = 0.02
    stream = client(gateway).chat.completions.create(model="gpt-4o", messages=HARMLESS, stream=True,
                                                     stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the fake model. How can I help?"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert cloud_fake.last.body["stream_options"] == {"include_usage": True}


async def test_async_client_chat_and_stream(gateway: RunningGateway) -> None:
    async with openai.AsyncOpenAI(base_url=gateway.url + "/v1", api_key=KEY, max_retries=0) as aclient:
        completion = await aclient.chat.completions.create(model="auto", messages=HARMLESS)
        assert completion.choices[0].message.content
        stream = await aclient.chat.completions.create(model="gpt-4o", messages=HARMLESS, stream=True)
        pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        assert "".join(pieces) == "Hello from the fake model. How can I help?"


def test_completions_and_embeddings(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    c = client(gateway)
    completion = c.completions.create(model="gpt-4o", prompt="Say hello")
    assert completion.choices[0].text
    emb = c.embeddings.create(model="text-embedding-3-small", input=["first text", "second text"])
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 8
    assert cloud_fake.last.path == "/v1/embeddings"


def test_models_list(gateway: RunningGateway) -> None:
    ids = [m.id for m in client(gateway).models.list()]
    assert ids == ["auto", "local-llama", "gpt-4o", "local-embed", "text-embedding-3-small"]
    assert client(gateway).models.retrieve("gpt-4o").id == "gpt-4o"
    with pytest.raises(openai.NotFoundError):
        client(gateway).models.retrieve("gpt-9")
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gateway.url + "/v1", api_key="wrong", max_retries=0).models.list()


def test_error_mapping_to_sdk_exceptions(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        client(gateway).chat.completions.create(model="no-such-model", messages=HARMLESS)
    assert nf.value.code == "model_not_found"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gateway.url + "/v1", api_key="wrong", max_retries=0).chat.completions.create(
            model="gpt-4o", messages=HARMLESS)
    with pytest.raises(openai.BadRequestError):
        client(gateway).chat.completions.create(model="gpt-4o", messages=[])


def test_fallback_then_upstream_errors_map_to_sdk_exceptions(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                             local_fake: FakeOpenAI) -> None:
    cloud_fake.mode = "rate_limit"
    raw = client(gateway).chat.completions.with_raw_response.create(model="gpt-4o", messages=HARMLESS)
    assert raw.headers["x-gateway-backend"] == "local"  # the route's fallback served it
    # one retry on the same backend (default retries.attempts: 2, honouring retry-after), then the fallback
    assert len(cloud_fake.requests) == 2 and len(local_fake.requests) == 1
    local_fake.mode = "rate_limit"
    with pytest.raises(openai.RateLimitError) as limited:
        client(gateway).chat.completions.create(model="gpt-4o", messages=HARMLESS)
    assert limited.value.response.headers.get("retry-after") == "1"
    cloud_fake.mode = local_fake.mode = "server_error"
    with pytest.raises(openai.InternalServerError) as failed:
        client(gateway).chat.completions.create(model="gpt-4o", messages=HARMLESS)
    assert failed.value.status_code == 502
