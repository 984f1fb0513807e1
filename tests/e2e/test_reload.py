"""Hot reload over HTTP: a valid edit is live within seconds, an invalid one never is; requests
in flight during the swaps all succeed and never see a half-loaded policy."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.e2e.harness import DEFAULT_POLICY, KEY, RunningGateway
from tests.fakes.openai_server import FakeOpenAI

AUTH = {"authorization": f"Bearer {KEY}"}
BODY = {"model": "auto", "messages": [{"role": "user", "content": "What is a monad?"}]}
LOCAL_ONLY = DEFAULT_POLICY.replace("  - id: auto-to-cloud\n    when: {model: {eq: auto}}\n    to: gpt-4o\n",
                                    "  - id: auto-to-local\n    when: {model: {eq: auto}}\n    to: local-llama\n")


def zone(gw: RunningGateway) -> str:
    r = httpx.post(gw.url + "/v1/chat/completions", json=BODY, headers=AUTH, timeout=10)
    assert r.status_code == 200, r.text
    return r.headers["x-gateway-zone"]


def wait_for(predicate, seconds: float = 10) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def reloads(gw: RunningGateway, result: str) -> float:
    for line in httpx.get(gw.url + "/metrics").text.splitlines():
        if line.startswith(f'gateway_policy_reloads_total{{result="{result}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_valid_edit_goes_live_invalid_edit_is_refused(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                      local_fake: FakeOpenAI) -> None:
    policy = Path(gateway.gw.policies.path)
    assert zone(gateway) == "cloud"
    errors: list[str] = []
    stop = threading.Event()

    def traffic() -> None:  # requests in flight during every swap
        while not stop.is_set():
            try:
                z = zone(gateway)
                if z not in ("cloud", "local"):
                    errors.append(z)
            except AssertionError as exc:
                errors.append(str(exc))

    workers = [threading.Thread(target=traffic) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        version = gateway.gw.policies.current.version
        policy.write_text(LOCAL_ONLY)
        assert wait_for(lambda: gateway.gw.policies.current.version != version), "valid policy not picked up"
        assert zone(gateway) == "local"
        good = gateway.gw.policies.current.version
        errors_before = reloads(gateway, "error")
        policy.write_text(LOCAL_ONLY.replace("deny_zones:", "deny_zonez:"))
        assert wait_for(lambda: reloads(gateway, "error") > errors_before), "invalid policy not reported"
        assert gateway.gw.policies.current.version == good
        assert zone(gateway) == "local"
        info = [line for line in httpx.get(gateway.url + "/metrics").text.splitlines()
                if line.startswith("gateway_policy_info{") and line.endswith(" 1.0")]
        assert info == [f'gateway_policy_info{{version="{good}"}} 1.0']
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert errors == []
