"""Read the provisioned Grafana dashboard: its panels and their PromQL, with Grafana's built-in
interval variables replaced by concrete durations so Prometheus can evaluate them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DASHBOARD = DOCKER / "grafana" / "dashboards" / "gateway.json"
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "10m", "$__interval": "15s"}


@dataclass(frozen=True)
class Query:
    panel: str
    ref: str
    expr: str

    @property
    def promql(self) -> str:
        out = self.expr
        for name, value in GRAFANA_VARIABLES.items():
            out = out.replace(name, value)
        return out


def load(path: Path = DASHBOARD) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel that shows data (rows are containers; their nested panels count too)."""
    out: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        if panel.get("type") == "row":
            out.extend(panel.get("panels", []))
        else:
            out.append(panel)
    return out


def queries(dashboard: dict[str, Any]) -> list[Query]:
    return [Query(p["title"], t["refId"], t["expr"]) for p in panels(dashboard) for t in p.get("targets", [])]
