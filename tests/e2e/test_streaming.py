"""Streaming behaviour over real HTTP: chunks relayed as they arrive, usage asked for upstream
and hidden from a client that did not ask, a client that goes away cancels the upstream."""

from __future__ import annotations

import itertools
import time

import httpx
import orjson

from tests.e2e.harness import KEY, RunningGateway
from tests.fakes.openai_server import FakeOpenAI

AUTH = {"authorization": f"Bearer {KEY}"}
BODY = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Tell me a story."}]}


def events(lines: list[str]) -> list[dict]:
    return [orjson.loads(line[5:]) for line in lines if line.startswith("data:") and "[DONE]" not in line]


def test_usage_is_asked_upstream_and_hidden_from_a_client_that_did_not_ask(
        gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    with httpx.stream("POST", gateway.url + "/v1/chat/completions", json=BODY, headers=AUTH, timeout=10) as r:
        lines = list(r.iter_lines())
    assert cloud_fake.last.body["stream_options"] == {"include_usage": True}
    chunks = events(lines)
    assert chunks and all(c["choices"] for c in chunks)  # no usage-only chunk
    assert lines[-1] == "data: [DONE]" or lines[-2] == "data: [DONE]"
    metrics = httpx.get(gateway.url + "/metrics").text
    assert 'gateway_tokens_total{backend="cloud",kind="completion",model="gpt-4o"' in metrics


def test_chunks_are_relayed_as_they_arrive(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    cloud_fake.chunk_delay = 0.15
    arrivals: list[float] = []
    start = time.monotonic()
    with httpx.stream("POST", gateway.url + "/v1/chat/completions", json=BODY, headers=AUTH, timeout=10) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                arrivals.append(time.monotonic() - start)
    # the fake spaces its events 150 ms apart; a buffering proxy would deliver them in one burst
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(arrivals) >= 5
    assert sum(1 for g in gaps if g > 0.1) >= len(gaps) - 2


def test_client_disconnect_cancels_the_upstream_stream(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    cloud_fake.chunk_delay = 0.2
    with httpx.stream("POST", gateway.url + "/v1/chat/completions", json=BODY, headers=AUTH, timeout=10) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                break  # the client goes away after the first chunk
    deadline = time.monotonic() + 5
    while cloud_fake.streams_abandoned == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cloud_fake.streams_abandoned == 1 and cloud_fake.streams_finished == 0
    records = [orjson.loads(line) for line in gateway.audit_path.read_bytes().splitlines()]
    assert [r["status"] for r in records] == [499]  # counted as closed by the client, not as served
