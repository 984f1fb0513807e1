"""Limits and budgets over real HTTP, the official SDKs as clients, in one gateway (counts in
process): OpenAI's x-ratelimit-* headers on every answer to a limited key, 429 with retry-after
once the limit is reached (the refused request reaches no backend), Anthropic's error shape on
/v1/messages, a team budget spent at the prices of gateway_cost_usd_total and then refused with
insufficient_quota, and keys given as SHA-256 added and removed by editing the config (no restart)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from tests.e2e.harness import DEFAULT_POLICY, KEY, RunningGateway, SessionClassifier, run_gateway, write_config
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.observability.promtext import samples, total

HASHED = "gw-hashed-key-for-the-money-team"
NEW = "gw-key-added-by-an-edit"
AUTH = f"""\
auth:
  keys:
    - {{id: tester, secret_env: GW_KEY, team: qa, limits: {{rpm: 3, tpm: 100000}}}}
    - {{id: hashed, secret_sha256: "{hashlib.sha256(HASHED.encode()).hexdigest()}", team: money}}
  teams:
    money: {{budget: {{usd: 0.0002, period: day}}}}
"""
CLEAN = [{"role": "user", "content": "Explain what a Python list comprehension is."}]


@pytest.fixture
def limited(tmp_path: Path, local_fake: FakeOpenAI, cloud_fake: FakeOpenAI, anthropic_fake: FakeAnthropic,
            classifier: SessionClassifier) -> Iterator[RunningGateway]:
    path = write_config(tmp_path, local_url=local_fake.base_url, cloud_url=cloud_fake.base_url,
                        anthropic_url=anthropic_fake.base_url, policy=DEFAULT_POLICY, auth=AUTH)
    with run_gateway(path, classifier) as gw:
        yield gw


def client(gw: RunningGateway, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=key, max_retries=0, timeout=30)


def test_rpm_headers_then_429_that_reaches_no_backend(limited: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    c = client(limited)
    for left in (2, 1, 0):
        raw = c.chat.completions.with_raw_response.create(model="gpt-4o", messages=CLEAN)  # type: ignore[arg-type]
        assert raw.headers["x-ratelimit-limit-requests"] == "3"
        assert raw.headers["x-ratelimit-remaining-requests"] == str(left)
        assert raw.headers["x-ratelimit-limit-tokens"] == "100000"
        assert int(raw.headers["x-ratelimit-remaining-tokens"]) < 100000
        assert raw.headers["x-ratelimit-reset-requests"].endswith("s")
        assert "retry-after" not in raw.headers
    with pytest.raises(openai.RateLimitError) as refused:
        c.chat.completions.create(model="gpt-4o", messages=CLEAN)  # type: ignore[arg-type]
    response = refused.value.response
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert 19 <= int(response.headers["retry-after"]) <= 20  # one request every 20 s
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert len(cloud_fake.requests) == 3
    with httpx.Client(base_url=limited.url, timeout=10) as h:
        r = h.post("/v1/messages", headers={"x-api-key": KEY},
                   json={"model": "gpt-4o", "max_tokens": 10, "messages": CLEAN})
        assert r.status_code == 429 and r.headers["x-ratelimit-limit-requests"] == "3"
        error = r.json()
        assert error == {"type": "error", "error": {"type": "rate_limit_error", "message": error["error"]["message"]}}
        assert KEY not in r.text
        explain = h.post("/v1/gateway/explain", headers={"authorization": f"Bearer {KEY}"},
                         json={"model": "auto", "messages": CLEAN})
        assert explain.status_code == 200  # a dry run counts against no limit
    got = samples(httpx.get(limited.url + "/metrics").text)
    assert total(got, "gateway_rate_limited_total", key="tester", kind="requests") == 2
    assert total(got, "gateway_requests_total", status="429") == 2


def test_team_budget_spent_at_metric_prices_then_insufficient_quota(limited: RunningGateway) -> None:
    c = client(limited, HASHED)
    served = 0
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(20):
            raw = c.chat.completions.with_raw_response.create(model="gpt-4o", messages=CLEAN)  # type: ignore[arg-type]
            assert "x-ratelimit-limit-requests" not in raw.headers  # only a budget applies
            served += 1
            time.sleep(0.05)  # the spend is charged just after the answer
    assert 1 <= served <= 3
    body = refused.value.response.json()["error"]
    assert (body["type"], body["code"]) == ("insufficient_quota", "insufficient_quota")
    assert int(refused.value.response.headers["retry-after"]) <= 86400
    with pytest.raises(anthropic.RateLimitError):
        anthropic.Anthropic(base_url=limited.url, api_key=HASHED, max_retries=0).messages.create(
            model="claude", max_tokens=10, messages=CLEAN)  # type: ignore[arg-type]
    got = samples(httpx.get(limited.url + "/metrics").text)
    cost = total(got, "gateway_cost_usd_total", team="money")
    assert cost >= 0.0002
    assert total(got, "gateway_spend_usd", team="money") == pytest.approx(cost, rel=1e-9)
    assert total(got, "gateway_budget_usd", team="money") == 0.0002
    assert total(got, "gateway_rate_limited_total", key="hashed", kind="budget") == 2


def test_keys_reload_with_the_config_and_the_last_good_stays(limited: RunningGateway, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    original = config.read_text()
    new_key = f'    - {{id: added, secret_sha256: "{hashlib.sha256(NEW.encode()).hexdigest()}", limits: {{rpm: 50}}}}\n'
    with pytest.raises(openai.AuthenticationError):
        client(limited, NEW).chat.completions.create(model="gpt-4o", messages=CLEAN)  # type: ignore[arg-type]
    config.write_text(original.replace("  teams:\n", new_key + "  teams:\n"))
    raw = wait_for(lambda: ok(limited, NEW))
    assert isinstance(raw, httpx.Response) and raw.headers["x-ratelimit-limit-requests"] == "50"
    config.write_text(original.replace("  teams:\n", new_key + "  teams: [not a mapping]\n"))  # refused
    assert wait_for(lambda: reloads(limited, "error") >= 1)
    assert ok(limited, NEW) is not None  # the last good set stays
    config.write_text(original)  # the key removed
    assert wait_for(lambda: ok(limited, NEW) is None)


def ok(gw: RunningGateway, key: str) -> httpx.Response | None:
    r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "gpt-4o", "messages": CLEAN},
                   headers={"authorization": f"Bearer {key}"}, timeout=10)
    return r if r.status_code == 200 else None


def reloads(gw: RunningGateway, result: str) -> float:
    return total(samples(httpx.get(gw.url + "/metrics").text), "gateway_config_reloads_total", result=result)


def wait_for(predicate: Callable[[], object], seconds: float = 10) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")
