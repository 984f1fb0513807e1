"""The official anthropic SDK against the gateway's /v1/messages, served by OpenAI-speaking
backends (translated both ways), streaming included; errors in Anthropic's shape."""

from __future__ import annotations

import anthropic
import pytest

from tests.e2e.harness import KEY, RunningGateway
from tests.fakes.openai_server import FakeOpenAI

HARMLESS = [{"role": "user", "content": "Write a haiku about compilers."}]


def client(gw: RunningGateway, key: str = KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=key, max_retries=0)


def test_messages_translated_to_openai_backend(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    raw = client(gateway).messages.with_raw_response.create(
        model="gpt-4o", max_tokens=100, system="Be brief.", messages=HARMLESS)
    message = raw.parse()
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello from the fake model. How can I help?"
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0
    assert raw.headers["x-gateway-backend"] == "cloud"
    sent = cloud_fake.last.body
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["max_tokens"] == 100 and sent["model"] == "gpt-4o"


def test_messages_streaming(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    cloud_fake.chunk_delay = 0.01
    with client(gateway).messages.stream(model="gpt-4o", max_tokens=100, messages=HARMLESS) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from the fake model. How can I help?"
    assert final.stop_reason == "end_turn"


def test_messages_tool_use(gateway: RunningGateway) -> None:
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}}}]
    message = client(gateway).messages.create(model="gpt-4o", max_tokens=100, messages=HARMLESS, tools=tools)
    blocks = [b for b in message.content if b.type == "tool_use"]
    assert blocks and blocks[0].name == "get_weather" and blocks[0].input == {"city": "Paris", "unit": "celsius"}
    assert message.stop_reason == "tool_use"


def test_messages_errors_in_anthropic_shape(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    with pytest.raises(anthropic.AuthenticationError) as auth:
        client(gateway, key="wrong").messages.create(model="gpt-4o", max_tokens=10, messages=HARMLESS)
    assert auth.value.body["type"] == "error"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError):
        client(gateway).messages.create(model="no-such", max_tokens=10, messages=HARMLESS)
    with pytest.raises(anthropic.BadRequestError):
        client(gateway).messages.create(model="gpt-4o", max_tokens=10, messages=[])


def test_messages_with_personal_data_stay_local(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                local_fake: FakeOpenAI) -> None:
    raw = client(gateway).messages.with_raw_response.create(
        model="gpt-4o", max_tokens=50,
        messages=[{"role": "user", "content": [{"type": "text", "text": "Email anna.berg@example.com the report"}]}])
    assert raw.headers["x-gateway-zone"] == "local"
    assert cloud_fake.requests == [] and len(local_fake.requests) == 1
