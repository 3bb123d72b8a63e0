"""Imports only point down a floor (README, "Architecture"); the market layer knows nothing of Mesa.

The floors cover the package and the code outside it: the browser view (a face), the ready studies
and the benchmarks may import anything below them, never the other way round. Within a floor, two
sibling packages may depend on each other in one direction only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gramabm"

# Floor of each top-level module or sub-package; a module may import its own floor or below.
FLOORS: dict[str, int] = {
    "units": 0,
    "run_columns": 0,
    "preset_names": 0,
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

# Top-level directories outside the package, with their floor.
OUTSIDE: dict[str, int] = {"experiments": 5, "visualization": 6, "benchmarks": 7}


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


def _floor_of(module: str) -> tuple[str, int] | None:
    """The unit a module belongs to (a package part or an outside directory) and its floor."""
    top = module.split(".")[0]
    if top in OUTSIDE:
        return top, OUTSIDE[top]
    part = _part(module)
    if part is None or part not in FLOORS:
        return None
    return part, FLOORS[part]


def _outside_modules() -> list[Path]:
    return sorted(p for d in OUTSIDE for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", _outside_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_faces_and_studies_import_only_below_them(path: Path) -> None:
    own = path.relative_to(ROOT).parts[0]
    for module in _imports(path):
        target = _floor_of(module)
        if target is None or target[0] == own:
            continue
        assert target[1] <= OUTSIDE[own], f"{path.relative_to(ROOT)} imports {module}"


def test_the_package_never_imports_faces_or_studies_outside_it() -> None:
    for path in _modules():
        for module in _imports(path):
            assert module.split(".")[0] not in OUTSIDE, f"{path.relative_to(ROOT)} imports {module}"


def _unit(rel: Path, depth: int) -> str:
    parts = [p.removesuffix(".py") for p in rel.parts[:depth]]
    return ".".join(parts)


@pytest.mark.parametrize("depth", [1, 2], ids=["packages", "sub-packages"])
def test_no_two_siblings_import_each_other(depth: int) -> None:
    """Within a floor (depth 1) or a package (depth 2), dependencies go one way only."""
    edges: set[tuple[str, str]] = set()
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) < depth or (rel.name == "__init__.py" and len(rel.parts) == depth):
            continue
        own = _unit(rel, depth)
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] != "gramabm" or len(parts) <= depth:
                continue
            target = ".".join(parts[1 : depth + 1])
            if target != own and target.split(".")[:-1] == own.split(".")[:-1]:
                edges.add((own, target))
    both = sorted((a, b) for a, b in edges if (b, a) in edges and a < b)
    assert not both, f"sibling packages importing each other both ways: {both}"


def test_market_layer_knows_nothing_of_mesa() -> None:
    for path in (PACKAGE / "market").rglob("*.py"):
        for module in _imports(path):
            assert module.split(".")[0] != "mesa", f"{path.name} imports {module}"
