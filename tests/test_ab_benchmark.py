"""The in-process A/B benchmark: two trees' models run apart in one process, compared exactly."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import gramabm.model

_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "ab_model.py"


@pytest.fixture
def ab(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("ab_model", _SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "ab_model", module)
    spec.loader.exec_module(module)
    return module


def test_two_loads_of_one_tree_run_apart_and_agree(ab: ModuleType) -> None:
    first, second = ab.Version(ab.ROOT), ab.Version(ab.ROOT)
    assert first.model.GramModel is not second.model.GramModel  # two sets of modules
    assert first.model.GramModel is not gramabm.model.GramModel
    figures = ab.compare(first, second, holders=200, steps=30, preset=None, repeat=1, chunk=10)
    assert figures["identical"] is True
    assert figures["base_run_s"] > 0
    assert figures["new_run_s"] > 0
    # The test's own package is back in place for everything after.
    assert sys.modules["gramabm.model"] is gramabm.model


def test_a_changed_tree_is_told_apart(ab: ModuleType) -> None:
    # The same code with twice the liquidity flow's orders: the series must be found to differ.
    first, second = ab.Version(ab.ROOT), ab.Version(ab.ROOT)
    flow = second.modules["gramabm.agents.liquidity_traders"]
    flow._ACTIVITY = flow._ACTIVITY * 2
    figures = ab.compare(first, second, holders=200, steps=30, preset=None, repeat=1, chunk=10)
    assert figures["identical"] is False


def test_an_unknown_revision_is_refused_naming_it(ab: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no-such-revision"):
        ab.export_package("no-such-revision", tmp_path)
