"""Drive a representative mix of traffic through a running gateway and remember what was sent:
clean requests to the cloud, personal data kept local, a blocked secret, a stream, a fallback
after a failing upstream, completions and embeddings, and requests that fail before routing."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import openai

from tests.e2e.harness import KEY
from tests.fakes.openai_server import FakeOpenAI

# Every value a detector must see and the gateway must never write anywhere.
PII_VALUES = ("Johanna Whitfield", "johanna.whitfield@example.org", "4111 1111 1111 1111",
              "DE89370400440532013000", "+1 415 555 0132")
SECRET_VALUE = "sk-proj-9fQ2xLm7Zt4Rw8Yp3Kd6Hs1Vb5Nc0Ga2Ej7Ui4Oo"
CLEAN = [{"role": "user", "content": "Explain what a Python list comprehension is."}]
PII = [{"role": "user", "content": (
    f"Write a short reminder to {PII_VALUES[0]} ({PII_VALUES[1]}, phone {PII_VALUES[4]}) that the "
    f"card {PII_VALUES[2]} and the account {PII_VALUES[3]} will be charged on Monday.")}]
SECRET = [{"role": "user", "content": f"Why does my deploy fail? OPENAI_API_KEY={SECRET_VALUE}"}]


@dataclass
class Usage:
    model: str
    zone: str
    prompt: int
    completion: int


@dataclass
class Sent:
    """What :func:`drive` sent and what the gateway answered."""

    requests: int = 0
    usages: list[Usage] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def add(self, model: str, zone: str, prompt: int, completion: int) -> None:
        self.usages.append(Usage(model, zone, prompt, completion))


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0, timeout=30)


def drive(url: str, cloud_fake: FakeOpenAI, local_fake: FakeOpenAI) -> Sent:
    sent = Sent()
    c = client(url)
    for _ in range(2):  # clean, to the requested cloud model
        raw = c.chat.completions.with_raw_response.create(model="gpt-4o", messages=CLEAN)  # type: ignore[arg-type]
        _record(sent, raw.headers, raw.parse().usage)
    for model in ("auto", "gpt-4o"):  # personal data: guarded, served locally
        raw = c.chat.completions.with_raw_response.create(model=model, messages=PII)  # type: ignore[arg-type]
        assert raw.headers["x-gateway-zone"] == "local"
        _record(sent, raw.headers, raw.parse().usage)
    try:  # a secret: blocked everywhere
        c.chat.completions.create(model="auto", messages=SECRET)  # type: ignore[arg-type]
        raise AssertionError("the secret was not blocked")
    except openai.PermissionDeniedError:
        sent.requests += 1
        sent.statuses.append(403)
    for model, messages, served, zone in (("gpt-4o", CLEAN, "gpt-4o", "cloud"), ("auto", PII, "local-llama", "local")):
        stream = c.chat.completions.create(model=model, messages=messages, stream=True,  # type: ignore[arg-type]
                                           stream_options={"include_usage": True})
        usage = None
        for chunk in stream:
            usage = chunk.usage or usage
        assert usage is not None
        sent.requests += 1
        sent.statuses.append(200)
        sent.add(served, zone, usage.prompt_tokens, usage.completion_tokens)
    cloud_fake.mode, cloud_fake.fail_times = "server_error", 2  # a fallback: cloud fails, retried once, fails again
    raw = c.chat.completions.with_raw_response.create(model="gpt-4o", messages=CLEAN)  # type: ignore[arg-type]
    assert raw.headers["x-gateway-backend"] == "local"
    _record(sent, raw.headers, raw.parse().usage)
    completion = c.completions.with_raw_response.create(model="gpt-4o", prompt="Say hello")
    _record(sent, completion.headers, completion.parse().usage)
    emb = c.embeddings.with_raw_response.create(model="text-embedding-3-small", input=["first text", "second text"])
    parsed = emb.parse()
    sent.requests += 1
    sent.statuses.append(200)
    sent.add("text-embedding-3-small", "cloud", parsed.usage.prompt_tokens, 0)
    with httpx.Client(base_url=url, timeout=30) as h:  # failures before routing
        bad_key = h.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": CLEAN},
                         headers={"authorization": "Bearer not-the-key"})
        unknown = h.post("/v1/chat/completions", json={"model": "no-such-model", "messages": CLEAN},
                         headers={"authorization": f"Bearer {KEY}"})
    assert (bad_key.status_code, unknown.status_code) == (401, 404)
    sent.requests += 2
    sent.statuses += [401, 404]
    return sent


def _record(sent: Sent, headers: httpx.Headers, usage: openai.types.CompletionUsage | None) -> None:
    assert usage is not None
    sent.requests += 1
    sent.statuses.append(200)
    zone = headers["x-gateway-zone"]
    model = "gpt-4o" if zone == "cloud" else "local-llama"
    sent.add(model, zone, usage.prompt_tokens, usage.completion_tokens)
