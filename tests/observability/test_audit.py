"""The audit log: one JSON line per request with the fields of issue 6; no prompt or completion
text, no PII value, never the gateway key: not in the audit log, not in the logs."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.e2e.harness import DEFAULT_POLICY, ENV, KEY, RunningGateway, write_config
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import free_port, running_process
from tests.observability.traffic import CLEAN, PII, PII_VALUES, SECRET_VALUE, client, drive

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.mark.e2e
def test_sighup_reopens_the_audit_file_for_logrotate(tmp_path: Path, local_fake: FakeOpenAI,
                                                       cloud_fake: FakeOpenAI) -> None:
    """logrotate moves the file and sends SIGHUP: records go to the new file, none is lost; at
    exit the file is closed (every record is on disk)."""
    config = write_config(tmp_path, local_url=local_fake.base_url, cloud_url=cloud_fake.base_url,
                          policy=DEFAULT_POLICY, classifier=", workers: 0")
    audit = tmp_path / "audit.jsonl"
    port = free_port()
    argv = [sys.executable, "-m", "gateway", "serve", "--config", str(config), "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"

    def ask() -> None:
        r = httpx.post(url + "/v1/chat/completions", json={"model": "gpt-4o", "messages": CLEAN}, timeout=30,
                       headers={"authorization": f"Bearer {KEY}"})
        assert r.status_code == 200

    with running_process(argv, ready_url=url + "/readyz", timeout=120, log=tmp_path / "gw.log", cwd=ROOT,
                         env={**os.environ, **ENV}) as proc:
        ask()
        rotated = tmp_path / "audit.jsonl.1"
        audit.rename(rotated)
        os.kill(proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not audit.exists():
            assert time.monotonic() < deadline, "the audit file was not reopened"
            time.sleep(0.05)
        ask()
        ask()
    assert len(rotated.read_bytes().splitlines()) == 1
    assert len(audit.read_bytes().splitlines()) == 2
