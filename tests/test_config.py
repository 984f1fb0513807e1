from pathlib import Path

import pytest

from gateway.config import load_config, resolve_secrets
from gateway.errors import ConfigError
from gateway.limits import Tenancy

GOOD = """\
server: {host: 127.0.0.1, port: 8080}
auth:
  keys:
    - {id: analytics, secret_env: GW_KEY_A, team: analytics}
backends:
  local: {type: openai, zone: local, base_url: "http://127.0.0.1:9/v1"}
  cloud: {type: openai, zone: cloud, base_url: "http://127.0.0.1:9/v1", api_key_env: CLOUD_KEY}
models:
  small: {backend: local, model: llama}
  big: {backend: cloud, model: gpt-4o, price: {input: 2.5, output: 10}}
cost: {reference_model: big}
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(text)
    return p


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return [str(p) for p in info.value.problems]


def test_good_config_loads(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.zone_of_model("big") == "cloud"
    assert cfg.resolve_path("policies/x.yaml") == tmp_path / "policies/x.yaml"


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    text = GOOD.replace("  local: {type: openai,", "  local: {typo: 1, type: openai,")
    found = problems(tmp_path, text)
    assert found == [f"{tmp_path / 'config.yaml'}:6: backends.local.typo: unknown key"]


def test_wrong_type_and_bad_zone(tmp_path: Path) -> None:
    text = GOOD.replace("port: 8080", "port: eighty").replace("zone: local", "zone: moon")
    found = problems(tmp_path, text)
    assert any(":1: server.port:" in p for p in found)
    assert any(":6: backends.local.zone:" in p for p in found)


def test_model_with_unknown_backend(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("backend: local, model: llama", "backend: nowhere, model: llama"))
    assert len(found) == 1 and ":9: models.small.backend: unknown backend 'nowhere'" in found[0]


def test_missing_base_url_and_invalid_yaml(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace(', base_url: "http://127.0.0.1:9/v1"}', "}", 1))
    assert any("backends.local" in p and "needs base_url" in p for p in found)
    found = problems(tmp_path, "server: [unclosed\n")
    assert "invalid YAML" in found[0]


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD + "cost: {}\n")
    assert found[0].endswith(":12: cost: duplicate key")


def test_secrets_come_from_environment_and_never_print(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    secrets, warnings = resolve_secrets(cfg, {"GW_KEY_A": "s3cr3t-value", "CLOUD_KEY": "sk-upstream"})
    assert secrets.backend_keys == {"cloud": "sk-upstream"}  # client keys: only their hash, in Tenancy
    assert warnings == []
    assert "s3cr3t" not in repr(secrets) and "sk-upstream" not in str(secrets)
    _, warnings = resolve_secrets(cfg, {})
    assert len(warnings) == 1 and all("not set" in w for w in warnings)
    tenancy, key_warnings = Tenancy.build(cfg, {})
    assert tenancy.keys == () and len(key_warnings) == 1 and "not set" in key_warnings[0]
