"""The command line, run as a user would: `python -m gateway ...` in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gateway(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_check_accepts_the_example_config() -> None:
    r = gateway("check", "--config", "config.example.yaml")
    assert r.returncode == 0, r.stderr
    assert "ok:" in r.stdout


def test_check_names_file_line_and_key(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    config = (ROOT / "config.example.yaml").read_text().replace("type: llama_cpp, zone: local,",
                                                                "type: llama_cpp, zone: lokal,", 1)
    (tmp_path / "config.yaml").write_text(config)
    r = gateway("check", "--config", str(tmp_path / "config.yaml"))
    assert r.returncode == 1
    assert f"error: {tmp_path / 'config.yaml'}:16: backends.embedded.zone:" in r.stderr
    policy = tmp_path / "policies" / "default.yaml"
    (tmp_path / "config.yaml").write_text(config.replace("zone: lokal,", "zone: local,"))
    model_path = config.replace("type: llama_cpp, zone: lokal,", "type: llama_cpp, zone: local, model_path: nope.gguf,")
    (tmp_path / "missing-model.yaml").write_text(model_path)
    r = gateway("check", "--config", str(tmp_path / "missing-model.yaml"))
    assert r.returncode == 1 and f"{tmp_path / 'missing-model.yaml'}:16: backends.embedded.model_path: no such file" \
        in r.stderr
    kind = config.replace("type: llama_cpp, zone: lokal,", "type: llama_cpp, zone: local,").replace(
        "kind: embedding}", "kind: embeding}", 1)
    (tmp_path / "kind.yaml").write_text(kind)
    r = gateway("check", "--config", str(tmp_path / "kind.yaml"))
    assert r.returncode == 1
    assert "kind.yaml:27: models.local-embed.kind: Input should be 'chat' or 'embedding'" in r.stderr
    (tmp_path / "config.yaml").write_text(config.replace("zone: lokal,", "zone: local,"))
    policy.write_text(policy.read_text().replace("deny_zones:", "deny_zone:", 1))
    r = gateway("check", "--config", str(tmp_path / "config.yaml"))
    assert r.returncode == 1 and "default.yaml:" in r.stderr and "deny_zone" in r.stderr
    assert "Traceback" not in r.stderr


def test_explain_prints_the_decision(tmp_path: Path) -> None:
    request = tmp_path / "req.json"
    request.write_text(json.dumps({"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Please send the contract to olga.petrova@example.com"}]}))
    r = gateway("explain", "--config", "config.example.yaml", str(request))
    assert r.returncode == 0, r.stderr
    decision = json.loads(r.stdout)
    assert decision["zone"] == "local" and decision["entities"].get("EMAIL_ADDRESS") == 1
    assert "olga" not in r.stdout  # the explanation carries types and offsets, not the text


def test_policy_test_passes_on_shipped_policies_and_fails_with_expected_vs_actual(tmp_path: Path) -> None:
    r = gateway("policy", "test", "--config", "config.example.yaml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 0 failed" in r.stdout
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.yaml")
    broken = tmp_path / "policies" / "tests" / "default.yaml"
    text = broken.read_text()
    broken.write_text(text.replace("zone: local", "zone: cloud", 1))
    r = gateway("policy", "test", "--config", str(tmp_path / "config.yaml"))
    assert r.returncode == 1
    assert "expected" in r.stdout.lower() and "1 failed" in r.stdout


def test_check_reports_a_broken_custom_recognizer(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    broken = "[{name: codes, supported_entity: CODE, patterns: [{name: p, regex: '(', score: 0.5}]}]"
    config = (ROOT / "config.example.yaml").read_text().replace("  recognizers: []", f"  recognizers: {broken}")
    (tmp_path / "config.yaml").write_text(config)
    r = gateway("check", "--config", str(tmp_path / "config.yaml"))
    assert r.returncode == 1 and "classifier.recognizers[0]" in r.stderr and "Traceback" not in r.stderr


def test_check_warns_about_types_nothing_reports(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.yaml")
    policy = tmp_path / "policies" / "default.yaml"
    policy.write_text(policy.read_text().replace("financial: [CREDIT_CARD,", "financial: [ES_NIF, CREDIT_CARD,"))
    r = gateway("check", "--config", str(tmp_path / "config.yaml"))
    assert r.returncode == 0, r.stderr
    assert "warning:" in r.stderr and "ES_NIF" in r.stderr


def test_check_warns_about_an_audit_log_in_a_watched_directory(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    config = (ROOT / "config.example.yaml").read_text()
    assert 'audit: {path: "-"}' in config  # the example writes to stdout: no warning
    (tmp_path / "logs").mkdir()
    for audit, warned in ((tmp_path / "audit.jsonl", True), (tmp_path / "policies" / "audit.jsonl", True),
                          (tmp_path / "logs" / "audit.jsonl", False)):
        (tmp_path / "config.yaml").write_text(config.replace('audit: {path: "-"}', f'audit: {{path: "{audit}"}}'))
        r = gateway("check", "--config", str(tmp_path / "config.yaml"))
        assert r.returncode == 0, r.stderr
        assert ("audit.path" in r.stderr) == warned, (audit, r.stderr)
