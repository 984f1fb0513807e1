"""The audit log: one JSON line per request with the fields of issue 6; no prompt or completion
text, no PII value, never the gateway key: not in the audit log, not in the logs."""

from __future__ import annotations

import logging

import orjson
import pytest

from tests.e2e.harness import ENV, KEY, RunningGateway
from tests.fakes.openai_server import FakeOpenAI
from tests.observability.traffic import CLEAN, PII, PII_VALUES, SECRET_VALUE, client, drive

FIELDS = {"time", "request_id", "key_id", "team", "endpoint", "requested_model", "route", "action", "backend",
          "zone", "guards", "entities", "status", "latency_ms", "overhead_ms", "tokens", "cost_usd"}


def audit_records(gw: RunningGateway) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in gw.audit_path.read_bytes().splitlines() if line.strip()]


def test_one_json_line_per_request_with_every_field(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                    local_fake: FakeOpenAI) -> None:
    sent = drive(gateway.url, cloud_fake, local_fake)
    records = audit_records(gateway)
    assert len(records) == sent.requests
    assert len({r["request_id"] for r in records}) == len(records)
    for record in records:
        missing = FIELDS - set(record)
        assert not missing, f"audit record without {missing}"
        assert isinstance(record["latency_ms"], float) and isinstance(record["overhead_ms"], float)
        assert 0 <= record["overhead_ms"] <= record["latency_ms"]  # type: ignore[operator]
    assert sorted(r["status"] for r in records) == sorted(sent.statuses)  # type: ignore[type-var]
    served = [r for r in records if r["status"] == 200]
    for record in served:
        assert record["key_id"] == "tester" and record["team"] == "qa"
        tokens = record["tokens"]
        assert isinstance(tokens, dict) and tokens["prompt"] > 0 and tokens["estimated"] is False
    blocked = [r for r in records if r["status"] == 403]
    assert len(blocked) == 1 and blocked[0]["action"] == "block"
    assert blocked[0]["route"] == "block-secrets-everywhere" and blocked[0]["entities"] == {"SECRET": 1}
    local = [r for r in served if r["zone"] == "local" and r["entities"]]
    assert local and all(r["guards"] == ["regulated-data-stays-local"] for r in local)
    assert all(r["cost_usd"] == 0 for r in served if r["zone"] == "local")
    assert all(isinstance(r["cost_usd"], float) and r["cost_usd"] > 0 for r in served if r["zone"] == "cloud")


def test_no_content_no_pii_no_key_in_audit_or_logs(gateway: RunningGateway, cloud_fake: FakeOpenAI,
                                                    local_fake: FakeOpenAI, caplog: pytest.LogCaptureFixture,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG, logger="gateway")
    caplog.set_level(logging.INFO)
    cloud_fake.reply = "Reply mentioning Johanna Whitfield at johanna.whitfield@example.org"
    local_fake.reply = cloud_fake.reply
    drive(gateway.url, cloud_fake, local_fake)
    # and upstream errors on every backend: the error paths log too
    local_fake.mode = cloud_fake.mode = "server_error"
    local_fake.fail_times = cloud_fake.fail_times = None
    for messages in (CLEAN, PII):
        with pytest.raises(Exception):  # noqa: B017  (any SDK error: only the logs matter here)
            client(gateway.url).chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
    out, err = capfd.readouterr()
    gateway_logs = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("openai"))
    haystacks = {"audit log": gateway.audit_path.read_text(), "captured logs": gateway_logs,
                 "stdout": out, "stderr": err}
    words = [*PII_VALUES, SECRET_VALUE, KEY, *(v for k, v in ENV.items() if k != "GW_KEY"),
             "list comprehension", "Hello from the fake model", "Reply mentioning"]
    for where, text in haystacks.items():
        found = [w for w in words if w in text]
        assert found == [], f"{where} contains {found}"
    assert len(audit_records(gateway)) >= 10
