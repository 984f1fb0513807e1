"""The official openai and anthropic SDKs against the gateway serving the embedded tiny GGUF
(``type: llama_cpp``) over real HTTP: whole and streamed answers, a full queue (fallback to the
cloud for harmless requests, 429 for personal data that must stay local), a client that leaves
mid-stream, and an event loop that keeps answering while the model generates."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from gateway.backends.llama_cpp import LlamaCppBackend
from gateway.backends.resilience import ResilientBackend
from tests.e2e.harness import KEY, RunningGateway, SessionClassifier, run_gateway
from tests.fakes.openai_server import FakeOpenAI

HARMLESS = [{"role": "user", "content": "Explain what a list comprehension is."}]
PERSONAL = [{"role": "user", "content": "Email anna.berg@example.com the quarterly report."}]

POLICY = """\
version: 1
default: local-llama
groups:
  personal: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER]
guards:
  - id: regulated-data-stays-local
    when: {entities: {any: [personal], min_score: 0.5}}
    deny_zones: [cloud]
routes:
  - id: local-first
    when: {model: {eq: local-llama}}
    to: requested
    fallback: [gpt-4o]
"""


def write_embedded_config(tmp: Path, gguf: Path, cloud_url: str) -> Path:
    (tmp / "models").mkdir()
    (tmp / "models" / "tiny.gguf").symlink_to(gguf)  # relative model_path: resolved against the config
    (tmp / "policy.yaml").write_text(POLICY)
    path = tmp / "config.yaml"
    path.write_text(f"""\
auth:
  keys:
    - {{id: tester, secret_env: GW_KEY, team: qa}}
backends:
  embedded: {{type: llama_cpp, zone: local, model_path: models/tiny.gguf, n_ctx: 4096, n_threads: 1,
             queue_size: 0, retries: {{attempts: 1}}}}
  cloud: {{type: openai, zone: cloud, base_url: "{cloud_url}/v1", api_key_env: CLOUD_KEY,
          timeout: {{connect: 1, first_byte: 2, total: 10, idle: 1}}}}
models:
  local-llama: {{backend: embedded, model: tiny-llama}}
  gpt-4o: {{backend: cloud, model: gpt-4o, price: {{input: 2.5, output: 10}}}}
cost: {{reference_model: gpt-4o}}
classifier: {{timeout: 10}}
policy: policy.yaml
audit: {{path: "{tmp / 'audit.jsonl'}"}}
""")
    return path


@pytest.fixture
def embedded(tmp_path: Path, tiny_gguf: Path, cloud_fake: FakeOpenAI,
             classifier: SessionClassifier) -> Iterator[RunningGateway]:
    with run_gateway(write_embedded_config(tmp_path, tiny_gguf, cloud_fake.base_url), classifier) as gw:
        yield gw


def llama_of(gw: RunningGateway) -> LlamaCppBackend:
    backend = gw.gw.backends["embedded"]
    assert isinstance(backend, ResilientBackend) and isinstance(backend.inner, LlamaCppBackend)
    return backend.inner


def oai(gw: RunningGateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=KEY, max_retries=0)


def test_openai_sdk_chat_whole_and_streamed(embedded: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    raw = oai(embedded).chat.completions.with_raw_response.create(model="local-llama", messages=HARMLESS,
                                                                  max_tokens=8)
    completion = raw.parse()
    assert raw.headers["x-gateway-backend"] == "embedded" and raw.headers["x-gateway-zone"] == "local"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 8
    assert completion.usage.prompt_tokens > 0

    stream = oai(embedded).chat.completions.create(model="local-llama", messages=HARMLESS, max_tokens=10,
                                                   stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert len(chunks) >= 11  # role, 10 tokens (some may merge into one character), finish, usage
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 10
    assert chunks[-2].choices[0].finish_reason == "length"
    assert cloud_fake.requests == []


def test_openai_sdk_legacy_completions(embedded: RunningGateway) -> None:
    completion = oai(embedded).completions.create(model="local-llama", prompt="the gateway", max_tokens=5)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 5


def test_anthropic_sdk_messages_whole_and_streamed(embedded: RunningGateway) -> None:
    client = anthropic.Anthropic(base_url=embedded.url, api_key=KEY, max_retries=0)
    message = client.messages.create(model="local-llama", max_tokens=8, system="Be brief.", messages=HARMLESS)
    assert message.type == "message" and message.role == "assistant"
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 8 and message.usage.input_tokens > 0
    assert message.content[0].type == "text"

    with client.messages.stream(model="local-llama", max_tokens=8, messages=HARMLESS) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 8
    assert "".join(pieces) == "".join(b.text for b in final.content if b.type == "text")


def test_full_queue_falls_back_to_cloud_but_personal_data_stays_local(
        embedded: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    llama = llama_of(embedded)
    with httpx.Client(base_url=embedded.url, headers={"authorization": f"Bearer {KEY}"}, timeout=30) as http:
        body = {"model": "local-llama", "messages": HARMLESS, "max_tokens": 3500, "stream": True}
        with http.stream("POST", "/v1/chat/completions", json=body) as busy:
            assert busy.status_code == 200
            lines = busy.iter_lines()  # keep it: a dropped line iterator closes the connection
            next(lines)
            harmless = oai(embedded).chat.completions.with_raw_response.create(
                model="local-llama", messages=HARMLESS, max_tokens=5)
            assert harmless.headers["x-gateway-backend"] == "cloud"  # the route's fallback
            assert len(cloud_fake.requests) == 1
            with pytest.raises(openai.RateLimitError):
                oai(embedded).chat.completions.create(model="local-llama", messages=PERSONAL, max_tokens=5)
            assert len(cloud_fake.requests) == 1  # personal data never reached the cloud
        # the client left: the slot frees within a token
        wait_for(lambda: llama.worker.admitted == 0)
        again = oai(embedded).chat.completions.with_raw_response.create(
            model="local-llama", messages=PERSONAL, max_tokens=5)
        assert again.headers["x-gateway-backend"] == "embedded"


def test_client_disconnect_mid_stream_frees_the_slot(embedded: RunningGateway) -> None:
    llama = llama_of(embedded)
    stream = oai(embedded).chat.completions.create(model="local-llama", messages=HARMLESS, max_tokens=3500,
                                                   stream=True)
    for _, _chunk in zip(range(3), stream, strict=False):
        pass
    assert llama.worker.admitted == 1
    stream.close()
    wait_for(lambda: llama.worker.admitted == 0)
    completion = oai(embedded).chat.completions.create(model="local-llama", messages=PERSONAL, max_tokens=4)
    assert completion.choices[0].finish_reason == "length"


def test_client_disconnect_during_a_whole_answer_frees_the_slot(embedded: RunningGateway) -> None:
    """Not streamed: the gateway notices the client leaving and cancels the generation."""
    llama = llama_of(embedded)
    body = {"model": "local-llama", "messages": HARMLESS, "max_tokens": 3500}
    with pytest.raises(httpx.ReadTimeout):  # the client gives up long before 3500 tokens
        httpx.post(embedded.url + "/v1/chat/completions", json=body,
                   headers={"authorization": f"Bearer {KEY}"}, timeout=httpx.Timeout(5, read=0.5))
    wait_for(lambda: llama.worker.admitted == 0, timeout=2.0)  # 3500 tokens would take ~7 s
    completion = oai(embedded).chat.completions.create(model="local-llama", messages=PERSONAL, max_tokens=4)
    assert completion.choices[0].finish_reason == "length"


def test_healthz_answers_while_the_model_generates(embedded: RunningGateway) -> None:
    llama = llama_of(embedded)
    result: dict[str, object] = {}

    def long_request() -> None:
        result["reply"] = oai(embedded).chat.completions.create(model="local-llama", messages=HARMLESS,
                                                                max_tokens=1200)

    thread = threading.Thread(target=long_request)
    thread.start()
    wait_for(lambda: llama.worker.admitted == 1)
    latencies = []
    with httpx.Client(base_url=embedded.url, timeout=5) as http:
        while llama.worker.admitted == 1 and len(latencies) < 50:
            t = time.perf_counter()
            assert http.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - t)
    thread.join(timeout=60)
    assert "reply" in result and len(latencies) >= 3
    assert max(latencies) < 0.5


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
