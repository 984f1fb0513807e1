"""``POST /v1/responses`` end to end with the official openai SDK (``responses.create`` and
``responses.stream``), through every backend type: an OpenAI backend that has the Responses API
(forwarded as it is), an OpenAI-compatible one without it and an Anthropic one (translated), and
the embedded llama.cpp model (tests/e2e/test_embedded_llama.py). The SDK's own models parse every
answer; the answer names the public model; what each fake received is checked."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.e2e.harness import ENV, KEY, RunningGateway, SessionClassifier, run_gateway
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import serve

pytestmark = pytest.mark.e2e

REPLY = "Hello from the fake model. How can I help?"
TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather in a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
POLICY = """\
version: 1
default: local-llama
groups: {personal: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER]}
guards:
  - {id: pii-local, when: {entities: {any: [personal]}}, deny_zones: [cloud]}
routes:
  - {id: client-choice, when: {model: {in: [gpt-4o, gpt-chat, claude]}}, to: requested}
"""
# public model -> (backend, the path its fake must have received)
PATHS = {"gpt-4o": ("native", "/v1/responses"), "gpt-chat": ("chat", "/v1/chat/completions"),
         "claude": ("anthropic", "/v1/messages"), "local-llama": ("local", "/v1/chat/completions")}


@pytest.fixture(scope="module")
def setup(classifier: SessionClassifier, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[RunningGateway, dict[str, FakeOpenAI | FakeAnthropic]]]:
    fakes: dict[str, FakeOpenAI | FakeAnthropic] = {
        "native": FakeOpenAI(api_key="test-openai-key"), "chat": FakeOpenAI(api_key="test-openai-key"),
        "anthropic": FakeAnthropic(api_key="test-anthropic-key"),
        "local": FakeOpenAI(api_key="test-local-key", models=["llama-3.1-8b"])}
    with contextlib.ExitStack() as stack:
        for fake in fakes.values():
            fake.base_url = stack.enter_context(serve(fake.app))
        tmp = tmp_path_factory.mktemp("responses")
        (tmp / "policy.yaml").write_text(POLICY)
        config = tmp / "config.yaml"
        config.write_text(f"""\
auth: {{keys: [{{id: tester, secret_env: GW_KEY}}]}}
backends:
  native: {{type: openai, zone: cloud, base_url: "{fakes['native'].base_url}/v1", api_key_env: CLOUD_KEY,
           responses: true}}
  chat: {{type: openai, zone: cloud, base_url: "{fakes['chat'].base_url}/v1", api_key_env: CLOUD_KEY}}
  anthropic: {{type: anthropic, zone: cloud, base_url: "{fakes['anthropic'].base_url}", api_key_env: ANTHROPIC_KEY}}
  local: {{type: openai, zone: local, base_url: "{fakes['local'].base_url}/v1", api_key_env: LOCAL_KEY}}
models:
  gpt-4o: {{backend: native, model: gpt-4o-2024-08-06, price: {{input: 2.5, output: 10}}}}
  gpt-chat: {{backend: chat, model: gpt-4o-mini}}
  claude: {{backend: anthropic, model: claude-sonnet-4-5, price: {{input: 3, output: 15}}}}
  local-llama: {{backend: local, model: llama-3.1-8b}}
classifier: {{timeout: 10}}
policy: policy.yaml
audit: {{path: "{tmp / 'audit.jsonl'}"}}
""")
        with run_gateway(config, classifier, ENV) as gw:
            yield gw, fakes


def client(gw: RunningGateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=KEY, max_retries=0)


def received(fakes: dict[str, Any], model: str) -> Any:
    backend, path = PATHS[model]
    fake = fakes[backend]
    assert fake.requests and fake.requests[-1].path == path, (model, [r.path for r in fake.requests])
    return fake.requests[-1]


@pytest.mark.parametrize("model", list(PATHS))
def test_create(setup: tuple[RunningGateway, dict[str, Any]], model: str) -> None:
    gw, fakes = setup
    raw = client(gw).responses.with_raw_response.create(model=model, input="Hello there",
                                                        instructions="Be brief.", max_output_tokens=50)
    response = raw.parse()
    assert response.output_text == REPLY
    assert response.model == model  # the public name, on every path
    assert response.status == "completed" and response.usage is not None and response.usage.output_tokens > 0
    assert raw.headers["x-gateway-backend"] == PATHS[model][0]
    sent = received(fakes, model).body
    if model == "gpt-4o":
        assert sent["input"] == "Hello there" and sent["model"] == "gpt-4o-2024-08-06"
    elif model == "claude":
        assert sent["system"] == "Be brief." and sent["max_tokens"] == 50
    else:
        assert sent["messages"][0] == {"role": "system", "content": "Be brief."}


@pytest.mark.parametrize("model", list(PATHS))
def test_stream(setup: tuple[RunningGateway, dict[str, Any]], model: str) -> None:
    gw, fakes = setup
    deltas: list[str] = []
    kinds: list[str] = []
    with client(gw).responses.stream(model=model, input="Hello there") as stream:
        for event in stream:
            kinds.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert "".join(deltas) == REPLY == final.output_text
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert final.model == model and final.usage is not None
    assert received(fakes, model).body.get("stream") is True


@pytest.mark.parametrize("model", list(PATHS))
def test_function_tools_round_trip(setup: tuple[RunningGateway, dict[str, Any]], model: str) -> None:
    gw, _ = setup
    c = client(gw)
    first = c.responses.create(model=model, input="What is the weather in Paris?", tools=TOOLS)  # type: ignore[arg-type]
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and "Paris" in call.arguments
    second = c.responses.create(model=model, tools=TOOLS, input=[  # type: ignore[arg-type]
        {"role": "user", "content": "What is the weather in Paris?"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "Sunny, 21 C"}])
    assert second.output_text == REPLY
    with c.responses.stream(model=model, input="Weather in Paris?", tools=TOOLS) as stream:  # type: ignore[arg-type]
        kinds = [e.type for e in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.delta" in kinds
    calls = [i for i in final.output if i.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather"


def test_personal_data_stays_local_and_is_judged(setup: tuple[RunningGateway, dict[str, Any]]) -> None:
    gw, fakes = setup
    for fake in fakes.values():
        fake.requests.clear()
    raw = client(gw).responses.with_raw_response.create(
        model="gpt-4o", instructions="Reply to jane.doe@example.com", input=[
            {"role": "user", "content": [{"type": "input_text", "text": "Draft the answer"}]}])
    assert raw.headers["x-gateway-zone"] == "local" and "EMAIL_ADDRESS" in raw.headers["x-gateway-entities"]
    assert raw.parse().model == "local-llama"
    assert not fakes["native"].requests and not fakes["chat"].requests and not fakes["anthropic"].requests
    explained = httpx.post(gw.url + "/v1/gateway/explain?endpoint=responses",
                           headers={"authorization": f"Bearer {KEY}"},
                           json={"model": "gpt-4o", "input": "Call Jane Doe on +1 415 555 0132"}).json()
    assert explained["zone"] == "local" and explained["route"] == "default"


def test_stateless_and_bad_input(setup: tuple[RunningGateway, dict[str, Any]]) -> None:
    gw, _ = setup
    c = client(gw)
    with pytest.raises(openai.BadRequestError) as info:
        c.responses.create(model="gpt-chat", input="hi", previous_response_id="resp_123")
    assert info.value.body["param"] == "previous_response_id"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError):
        c.responses.create(model="gpt-chat", input=[])
    with pytest.raises(openai.BadRequestError) as info:  # a built-in tool cannot be expressed as chat
        c.responses.create(model="gpt-chat", input="hi", tools=[{"type": "web_search"}])  # type: ignore[list-item]
    assert "tools" in (info.value.body["param"] or "")  # type: ignore[index]
    r = c.responses.create(model="gpt-4o", input="hi", tools=[{"type": "web_search"}])  # type: ignore[list-item]
    assert r.output_text == REPLY  # the native backend takes it as it is
