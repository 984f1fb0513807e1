"""The Helm chart (docker/helm/llm-gateway), rendered by Helm's own template engine: Helm v4's Go
SDK as a library (PyPI's helm-python-sdk; no registry here packages the helm binary itself), and
linted by it. The rendered config passes ``gateway check``; the gateway runs as a Deployment of N
replicas with config and policy from a ConfigMap mounted as a directory (so edits reload in place),
keys from Secrets, Redis in the release or external, probes on /readyz and /healthz, and a
ServiceMonitor on the Service's port. Without the SDK (outside CI) the values alone are checked
against the config schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config import Config, load_config
from gateway.policy.load import load_policy
from tests.observability.dashboard import DOCKER, ROOT

CHART = DOCKER / "helm" / "llm-gateway"
SECRETS = {"GATEWAY_KEY": "k-1", "OPENAI_API_KEY": "sk-x", "ANTHROPIC_API_KEY": "sk-ant-x"}
BASE: dict[str, Any] = {"secrets": {"values": SECRETS}}

Manifests = dict[tuple[str, str], dict[str, Any]]


def helm() -> Any:
    try:
        import helm_python
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("helm-python-sdk is missing: it is a test dependency (pip install -e '.[test]')")
        pytest.skip("helm-python-sdk is not installed (pip install helm-python-sdk)")
    return helm_python


def render(values: dict[str, Any]) -> Manifests:
    h = helm()
    with h.Chart.load(str(CHART)) as chart:
        files = chart.render(values, name="gw", namespace="ai")
    out: Manifests = {}
    for name, text in files.items():
        if name.endswith(".yaml"):
            for doc in yaml.safe_load_all(text):
                if doc:
                    out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def merged(*layers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def container(manifests: Manifests) -> dict[str, Any]:
    c: dict[str, Any] = manifests[("Deployment", "gw-llm-gateway")]["spec"]["template"]["spec"]["containers"][0]
    return c


def env(manifests: Manifests) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(manifests)["env"]}


def write_rendered_config(manifests: Manifests, directory: Path) -> Path:
    data = manifests[("ConfigMap", "gw-llm-gateway")]["data"]
    for name, text in data.items():
        (directory / name).write_text(text)
    return directory / "config.yaml"


def test_the_chart_lints_clean() -> None:
    result = helm().lint(str(CHART), BASE, strict=True)
    assert result["errors"] == [] and result["messages"] == []


def test_default_render(tmp_path: Path) -> None:
    m = render(BASE)
    kinds = sorted(kind for kind, _ in m)
    assert kinds == ["ConfigMap", "Deployment", "Deployment", "NetworkPolicy", "PodDisruptionBudget", "Secret",
                     "Service", "Service"]
    deployment = m[("Deployment", "gw-llm-gateway")]
    assert deployment["spec"]["replicas"] == 2
    c = container(m)
    args = c["args"]
    assert args[:3] == ["serve", "--config", "/etc/gateway/conf/config.yaml"]
    port = {p["name"]: p["containerPort"] for p in c["ports"]}["http"]
    assert args[args.index("--port") + 1] == str(port)
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    mount = next(v for v in c["volumeMounts"] if v["name"] == "config")
    assert mount["mountPath"] == "/etc/gateway/conf" and "subPath" not in mount  # updates reach the pod
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "config")
    assert volume["configMap"]["name"] == "gw-llm-gateway"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert not any(k.startswith("checksum/config") for k in annotations)  # a config edit reloads, no restart
    assert [e["secretRef"]["name"] for e in c["envFrom"]] == ["gw-llm-gateway-env"]
    assert m[("Secret", "gw-llm-gateway-env")]["stringData"] == SECRETS
    redis_service = m[("Service", "gw-llm-gateway-redis")]
    assert env(m)["GATEWAY_REDIS_URL"] == "redis://gw-llm-gateway-redis:6379/0"
    assert redis_service["spec"]["ports"][0]["port"] == 6379
    redis = m[("Deployment", "gw-llm-gateway-redis")]["spec"]["template"]
    assert redis_service["spec"]["selector"].items() <= redis["metadata"]["labels"].items()
    allowed = m[("NetworkPolicy", "gw-llm-gateway-redis")]["spec"]["ingress"][0]["from"][0]["podSelector"]
    assert allowed["matchLabels"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    service = m[("Service", "gw-llm-gateway")]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert ("ServiceMonitor", "gw-llm-gateway") not in m  # opt-in: it needs the operator's CRDs


def test_the_rendered_config_passes_gateway_check(tmp_path: Path) -> None:
    m = render(BASE)
    path = write_rendered_config(m, tmp_path)
    check = subprocess.run([sys.executable, "-m", "gateway", "check", "--config", str(path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    config = load_config(path)
    assert config.state.redis_url_env == "GATEWAY_REDIS_URL" and config.state.on_error == "local"
    assert (tmp_path / "policy.yaml").read_text() == (ROOT / "policies" / "default.yaml").read_text()
    named = {k.secret_env for k in config.auth.keys if k.secret_env} | {
        b.api_key_env for b in config.backends.values() if b.api_key_env}
    assert named <= set(m[("Secret", "gw-llm-gateway-env")]["stringData"])
    assert config.auth.teams["default"].budget is not None


def test_external_redis_secrets_you_manage_and_a_service_monitor(tmp_path: Path) -> None:
    values = merged(BASE, {"replicaCount": 4, "secrets": {"create": False}, "existingSecrets": ["gw-keys"],
                           "state": {"onError": "block"},
                           "redis": {"enabled": False, "external": {"existingSecret": "redis-auth", "cluster": True}},
                           "serviceMonitor": {"enabled": True, "labels": {"release": "prom"}}})
    m = render(values)
    assert ("Deployment", "gw-llm-gateway-redis") not in m and ("Secret", "gw-llm-gateway-env") not in m
    assert m[("Deployment", "gw-llm-gateway")]["spec"]["replicas"] == 4
    assert env(m)["GATEWAY_REDIS_URL"] == {"secretKeyRef": {"name": "redis-auth", "key": "url"}}
    assert [e["secretRef"]["name"] for e in container(m)["envFrom"]] == ["gw-keys"]
    config = load_config(write_rendered_config(m, tmp_path))
    assert (config.state.on_error, config.state.cluster) == ("block", True)
    monitor = m[("ServiceMonitor", "gw-llm-gateway")]
    service = m[("Service", "gw-llm-gateway")]
    assert monitor["metadata"]["labels"]["release"] == "prom"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    url = render(merged(BASE, {"redis": {"enabled": False, "external": {"url": "rediss://r:6380/1"}}}))
    assert env(url)["GATEWAY_REDIS_URL"] == "rediss://r:6380/1"


def test_several_replicas_need_redis(tmp_path: Path) -> None:
    h = helm()
    with pytest.raises(h.HelmError, match="replicaCount > 1 needs Redis"):
        render(merged(BASE, {"redis": {"enabled": False}}))
    single = render(merged(BASE, {"replicaCount": 1, "redis": {"enabled": False}}))
    assert ("PodDisruptionBudget", "gw-llm-gateway") not in single
    config = load_config(write_rendered_config(single, tmp_path))
    assert config.state.redis_url_env is None  # counted in the one pod


def test_values_match_the_config_schema(tmp_path: Path) -> None:
    """Without Helm too: the values' config, with the policy and state the chart adds, is a valid
    config, and the chart's policy is the repository's default."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    data = {**values["config"], "policy": "policy.yaml",
            "state": {"redis_url_env": "GATEWAY_REDIS_URL", "on_error": values["state"]["onError"],
                      "timeout": values["state"]["timeout"]}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "policy.yaml").write_text((CHART / "files" / "policy.yaml").read_text())
    config = load_config(tmp_path / "config.yaml")
    assert isinstance(config, Config) and load_policy(tmp_path / "policy.yaml", config) is not None
    assert (CHART / "files" / "policy.yaml").read_text() == (ROOT / "policies" / "default.yaml").read_text()
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == CHART.name
    for template in ("deployment", "service", "configmap", "secret", "servicemonitor", "redis", "pdb"):
        assert (CHART / "templates" / f"{template}.yaml").is_file()
