"""Bad input over real HTTP: a clear error in the documented shape, nothing forwarded, no trace."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.harness import KEY, RunningGateway
from tests.fakes.openai_server import FakeOpenAI

AUTH = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
GOOD = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}'


def post(gw: RunningGateway, body: bytes, headers: dict[str, str] | None = None,
         path: str = "/v1/chat/completions") -> httpx.Response:
    return httpx.post(gw.url + path, content=body, headers=AUTH if headers is None else headers, timeout=10)


def assert_error(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "code", "param"}
    assert "Traceback" not in r.text and 'File "' not in r.text
    if code is not None:
        assert body["error"]["code"] == code
    assert r.headers["x-gateway-request-id"]
    return body["error"]


@pytest.mark.parametrize("body", [
    b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hel',  # truncated
    b"not json at all", b"", b"[]", b'"a string"', b"\xff\xfe\x00garbage",
    b'{"model": 12, "messages": []}', b'{"model": "gpt-4o", "messages": {"role": "user"}}',
    b'{"model": "gpt-4o", "messages": [{"role": "user"}], "stream": "true"}',
])
def test_malformed_requests_are_400_and_never_forwarded(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                         local_fake: FakeOpenAI, body: bytes) -> None:
    assert_error(post(gateway, body), 400)
    assert cloud_fake.requests == [] and local_fake.requests == []


def test_huge_body_is_413(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    big = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "' + b"a" * 70000 + b'"}]}'
    assert_error(post(gateway, big), 413, "request_too_large")

    def chunks():  # no content-length: the limit holds while streaming the body in
        for _ in range(100):
            yield b"a" * 1000

    r = httpx.post(gateway.url + "/v1/chat/completions", content=chunks(), headers=AUTH, timeout=10)
    assert_error(r, 413, "request_too_large")
    assert cloud_fake.requests == []


def test_keys(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    assert_error(post(gateway, GOOD, {"content-type": "application/json"}), 401, "invalid_api_key")
    assert_error(post(gateway, GOOD, {"authorization": "Bearer nope"}), 401, "invalid_api_key")
    assert_error(post(gateway, GOOD, {"authorization": "Basic " + KEY}), 401)
    assert post(gateway, GOOD, {"x-api-key": KEY}).status_code == 200
    assert len(cloud_fake.requests) == 1


def test_unknown_model_and_unknown_path(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    err = assert_error(post(gateway, GOOD.replace(b"gpt-4o", b"gpt-9")), 404, "model_not_found")
    assert err["param"] == "model"
    r = httpx.get(gateway.url + "/v1/nothing-here", headers=AUTH)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.get(gateway.url + "/v1/chat/completions", headers=AUTH)
    assert r.status_code == 405 and "error" in r.json()
    assert cloud_fake.requests == []


def test_request_id_is_kept_or_made(gateway: RunningGateway) -> None:
    for generated in ("req_8f3a9c2e71b64d05a9e1", "3f2b8c1e-9a7d-4e5f-8b6a-1c2d3e4f5a6b"):
        r = post(gateway, GOOD, {**AUTH, "x-request-id": generated})
        assert r.headers["x-gateway-request-id"] == generated
    audit = gateway.audit_path.read_text()
    for free_text in ("bad id\twith spaces", "anna.petrova", "4111111111111111", "client-id-123",
                      "jane.doe@example.com", "x" * 300):
        r = post(gateway, GOOD, {**AUTH, "x-request-id": free_text})
        assert r.headers["x-gateway-request-id"] != free_text
    audit = gateway.audit_path.read_text()
    assert "anna" not in audit and "4111111111111111" not in audit and "jane.doe" not in audit


def test_deeply_nested_json_is_a_bad_request(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    for depth in (65, 300, 1000):
        deep = "[" * depth + "]" * depth
        body = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "x": ' + deep.encode() + b"}"
        err = assert_error(post(gateway, body), 400, "invalid_request")
        assert "nested" in err["message"]
    assert cloud_fake.requests == []


@pytest.mark.parametrize("mode,status,code", [
    ("server_error", 502, None), ("garbage", 502, "upstream_error"), ("hang", 504, "upstream_timeout"),
    ("error_response", 400, None),
])
def test_upstream_failures_map_to_documented_errors(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                    local_fake: FakeOpenAI, mode: str, status: int,
                                                    code: str | None) -> None:
    for fake in (cloud_fake, local_fake):
        fake.mode = mode  # type: ignore[assignment]
        fake.hang_seconds = 5
    err = assert_error(post(gateway, GOOD), status, code)
    assert "hello" not in err["message"]


def test_upstream_refused(tmp_path, local_fake: FakeOpenAI, classifier) -> None:  # type: ignore[no-untyped-def]
    from tests.e2e.harness import DEFAULT_POLICY, run_gateway, write_config
    from tests.fakes.server import unused_url

    path = write_config(tmp_path, local_url=unused_url(), cloud_url=unused_url(), policy=DEFAULT_POLICY)
    with run_gateway(path, classifier) as gw:
        assert_error(post(gw, GOOD), 502, "upstream_error")


def test_stream_cut_midway_ends_with_an_error_event(gateway: RunningGateway, cloud_fake: FakeOpenAI) -> None:
    body = GOOD[:-1] + b', "stream": true}'
    for mode in ("cut_stream", "truncated_stream", "stall_stream", "error_event"):
        cloud_fake.mode = mode  # type: ignore[assignment]
        cloud_fake.hang_seconds = 5
        with httpx.stream("POST", gateway.url + "/v1/chat/completions", content=body, headers=AUTH,
                          timeout=10) as r:
            assert r.status_code == 200
            events = [line for line in r.iter_lines() if line.startswith("data:")]
        assert events, mode
        assert events[-1].startswith('data: {"error"'), (mode, events[-1])
        assert "[DONE]" not in events[-1]


def test_circuit_breaker_state_in_readyz_and_metrics(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                    local_fake: FakeOpenAI) -> None:
    cloud_fake.mode = "server_error"
    for _ in range(3):  # two attempts each on cloud (retry), then the local fallback serves
        assert post(gateway, GOOD).status_code == 200
    ready = httpx.get(gateway.url + "/readyz").json()
    assert ready["status"] == "ready"
    assert ready["backends"]["cloud"]["circuit"] == "open" and ready["backends"]["local"]["circuit"] == "closed"
    assert ready["backends"]["cloud"]["state"] == "ready"  # configured and reachable; its circuit is open
    before = len(cloud_fake.requests)
    assert post(gateway, GOOD).headers["x-gateway-backend"] == "local"
    assert len(cloud_fake.requests) == before  # an open breaker is skipped at once
    assert 'gateway_backend_circuit_state{backend="cloud"} 2.0' in httpx.get(gateway.url + "/metrics").text
