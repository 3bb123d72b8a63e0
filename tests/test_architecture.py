"""Imports only point down a floor (ARCHITECTURE.md); the market layer knows nothing of Mesa."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gramabm"

# Floor of each top-level module or sub-package; a module may import its own floor or below.
FLOORS: dict[str, int] = {
    "units": 0,
    "run_columns": 0,
    "errors": 0,
    "data": 1,
    "market": 1,
    "analysis": 1,
    "policies": 2,
    "scenarios": 2,
    "agents": 3,
    "recorder": 4,
    "config": 1,  # pure, validated parameter definitions: every floor may read them
    "model": 4,
    "simulation": 5,
    "sweeps": 5,
    "calibration": 5,
    "validate": 5,
    "cli": 6,
    "api": 6,
}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "gramabm" and len(parts) > 1 else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    rel = path.relative_to(PACKAGE)
    own = rel.parts[0].removesuffix(".py")
    if own == "__init__":
        return
    assert own in FLOORS, f"{rel}: give its package a floor in this test"
    for module in _imports(path):
        target = _part(module)
        if target is None or target == own:
            continue
        assert FLOORS[target] <= FLOORS[own], f"{rel} (floor {FLOORS[own]}) imports {module}"


def test_market_layer_knows_nothing_of_mesa() -> None:
    for path in (PACKAGE / "market").rglob("*.py"):
        for module in _imports(path):
            assert module.split(".")[0] != "mesa", f"{path.name} imports {module}"
