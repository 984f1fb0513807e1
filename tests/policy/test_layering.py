"""gateway.policy reads signals and names targets: it imports no api, backends, classify or
observability code (DESIGN.md, "Layout")."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("gateway.api", "gateway.backends", "gateway.classify", "gateway.observability")
PACKAGE = Path(__file__).resolve().parents[2] / "gateway" / "policy"


def test_policy_imports_stay_in_their_layer() -> None:
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert not offenders
