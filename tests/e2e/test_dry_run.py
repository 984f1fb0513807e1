"""Dry run equals real run (invariant 8): ``POST /v1/gateway/explain?endpoint=...`` returns the
decision that the same body and headers get on the real endpoint, over the bodies of the leak
test (planted values, obfuscations, controls) on every endpoint. And explain counts nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Servers
from tests.e2e.harness import KEY
from tests.e2e.leakcases import CASES, Case

pytestmark = pytest.mark.e2e

def bodies() -> Iterator[tuple[str, Case, str]]:
    for case in CASES:
        yield f"{case.name}: planted", case, case.value
        yield f"{case.name}: control", case, case.control


@pytest.mark.parametrize(("name", "case", "value"), list(bodies()), ids=[b[0] for b in bodies()])
def test_explain_equals_the_real_request(servers: Servers, name: str, case: Case, value: str) -> None:
    gw = servers[0]
    body, headers = case.render(value)
    auth = {"authorization": f"Bearer {KEY}", **headers}
    explained: dict[str, Any] = httpx.post(f"{gw.url}/v1/gateway/explain?endpoint={case.endpoint}",
                                           json=body, headers=auth, timeout=30).json()
    real = httpx.post(gw.url + case.path, json=body, headers=auth, timeout=30)
    entities = ",".join(f"{t}:{n}" for t, n in sorted(explained["entities"].items()))
    if explained["action"] == "block":
        assert real.status_code == 403 and real.json()["error"]["code"] == "policy_blocked"
        assert real.json()["error"]["message"] == explained["message"]
    assert real.headers["x-gateway-rule"] == explained["route"]
    assert real.headers["x-gateway-entities"] == entities
    assert real.headers["x-gateway-content"] == ",".join(explained["content"])
    if real.status_code == 200:
        assert real.headers["x-gateway-zone"] == explained["zone"]
        assert real.headers["x-gateway-backend"] == explained["backend"]


def test_explain_takes_anthropic_system_into_account(
        servers: Servers) -> None:
    gw = servers[0]
    body = {"model": "claude", "max_tokens": 10, "system": "Reply to jane.doe@example.com",
            "messages": [{"role": "user", "content": "Draft it"}]}
    explained = httpx.post(f"{gw.url}/v1/gateway/explain?endpoint=messages", json=body,
                           headers={"authorization": f"Bearer {KEY}"}).json()
    assert explained["entities"] == {"EMAIL_ADDRESS": 1} and explained["zone"] == "local"


def test_explain_rejects_an_unknown_endpoint_and_counts_nothing(
        servers: Servers) -> None:
    gw = servers[0]
    auth = {"authorization": f"Bearer {KEY}"}
    r = httpx.post(f"{gw.url}/v1/gateway/explain?endpoint=nope", json={}, headers=auth)
    assert r.status_code == 400 and r.json()["error"]["param"] == "endpoint"

    def counters() -> str:
        text = httpx.get(gw.url + "/metrics").text
        return "\n".join(line for line in text.splitlines()
                         if line.startswith(("gateway_entities_total", "gateway_guard_denials_total",
                                             "gateway_requests_total", "gateway_classify_seconds_count")))

    before = counters()
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Mail jane.doe@example.com"}]}
    for _ in range(3):
        assert httpx.post(f"{gw.url}/v1/gateway/explain", json=body, headers=auth).status_code == 200
    assert counters() == before
