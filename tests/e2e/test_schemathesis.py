"""Schemathesis over the gateway's own OpenAPI schema, upstreams faked: the gateway itself never
answers 5xx (the fakes do not fail here) and never leaks a trace.

Schemathesis' pytest plugin does not support this pytest yet, so the operations' hypothesis
strategies are driven directly."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.e2e.harness import KEY, RunningGateway


def test_gateway_never_fails_itself(gateway: RunningGateway) -> None:
    schema = schemathesis.openapi.from_url(gateway.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/chat/completions", "/v1/embeddings", "/v1/gateway/explain"}
    seen: list[int] = []
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=gateway.url, headers={"authorization": f"Bearer {KEY}"}, timeout=15)
            seen.append(response.status_code)
            assert response.status_code < 500, (case.path, response.status_code, response.text[:300])
            assert "Traceback" not in response.text
            if response.status_code >= 400:
                assert "error" in response.json()

        check()
    assert len(seen) >= 50 and any(s == 200 for s in seen) and any(400 <= s < 500 for s in seen)
