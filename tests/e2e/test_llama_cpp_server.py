"""The `type: openai` adapter in front of a real llama.cpp server: `python -m llama_cpp.server` (from
llama-cpp-python's [server] extra) serving the tiny GGUF on loopback, reached through the gateway
with the official openai SDK, whole and streamed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.e2e.harness import KEY, RunningGateway, SessionClassifier, run_gateway, write_config
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import free_port, running_process

HARMLESS = [{"role": "user", "content": "Explain what a list comprehension is."}]
POLICY = """\
version: 1
default: local-llama
routes: []
"""


@pytest.fixture
def llama_server(tiny_gguf: Path, tmp_path: Path) -> Iterator[str]:
    if not os.environ.get("CI"):
        pytest.importorskip("llama_cpp.server.app")
    port = free_port()
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(tiny_gguf), "--host", "127.0.0.1",
            "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--model_alias", "llama-3.1-8b",
            "--verbose", "False"]
    url = f"http://127.0.0.1:{port}"
    with running_process(argv, ready_url=url + "/v1/models", timeout=60, log=tmp_path / "llama-server.log"):
        yield url


@pytest.fixture
def via_server(tmp_path: Path, llama_server: str, cloud_fake: FakeOpenAI,
               classifier: SessionClassifier) -> Iterator[RunningGateway]:
    path = write_config(tmp_path, local_url=llama_server, cloud_url=cloud_fake.base_url, policy=POLICY)
    # the real server is slower to answer than the fakes the shared config was written for
    text = path.read_text().replace("first_byte: 2, total: 10, idle: 1", "first_byte: 30, total: 60, idle: 30")
    path.write_text(text)
    with run_gateway(path, classifier) as gw:
        yield gw


def test_openai_adapter_against_llama_cpp_server(via_server: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    client = openai.OpenAI(base_url=via_server.url + "/v1", api_key=KEY, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="local-llama", messages=HARMLESS, max_tokens=6)
    completion = raw.parse()
    assert raw.headers["x-gateway-backend"] == "local"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 6

    stream = client.chat.completions.create(model="local-llama", messages=HARMLESS, max_tokens=6, stream=True)
    chunks = list(stream)
    assert len(chunks) >= 3
    assert chunks[-1].choices[0].finish_reason == "length"
    assert cloud_fake.requests == []
