"""Scenario discovery: PRIM boxes and decision-tree rules recover known thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.sweeps.discovery import Box, discover, param_label, prim, tree_rules
from gramabm.errors import ConfigError
from tests.analysis.test_aggregate import synthetic_results


def uniform_sweep(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Random design on [0, 0.4] x [0, 100]; a case iff severity > 0.2 and fee > 50."""
    rng = np.random.default_rng(seed)
    sev = rng.uniform(0, 0.4, n)
    fee = rng.uniform(0, 100, n)
    return pd.DataFrame(
        {
            "scenario": "drop",
            "p_scenario_params__severity": sev,
            "p_primary__redeem_fee_bp": fee,
            "p_holders__herding": rng.uniform(0, 2, n),  # irrelevant
            "m_hours_outside_100bp": np.where((sev > 0.2) & (fee > 50), 40.0, 0.0),
            "status": "ok",
        }
    )


def test_prim_recovers_a_one_parameter_threshold_on_a_grid() -> None:
    results = synthetic_results(seeds=3)
    res = discover(results, "hours_outside_100bp", 24, direction="above")
    assert res.criterion == "hours_outside_100bp > 24"
    box = res.boxes[0]
    assert box.limits == {"p_scenario_params__severity": (0.2, np.inf)}
    assert box.categories == {}
    assert box.coverage == 1.0
    assert box.density == 1.0
    assert res.rules.loc[0, "rule"] == "scenario_params.severity >= 0.2"
    assert res.base_rate == pytest.approx(0.5)
    # The trajectory starts from the whole sweep and only gets denser on the way to the box.
    traj = res.trajectory
    assert traj.loc[0, "mass"] == 1.0
    assert traj.loc[0, "density"] == pytest.approx(0.5)
    assert traj["density"].iloc[-1] == 1.0


def test_prim_recovers_a_two_parameter_box_and_ignores_the_noise_parameter() -> None:
    res = discover(uniform_sweep(), "hours_outside_100bp", 24, direction="above")
    box = res.boxes[0]
    assert set(box.limits) == {"p_scenario_params__severity", "p_primary__redeem_fee_bp"}
    lo_sev, hi_sev = box.limits["p_scenario_params__severity"]
    lo_fee, hi_fee = box.limits["p_primary__redeem_fee_bp"]
    assert lo_sev == pytest.approx(0.2, abs=0.02)
    assert lo_fee == pytest.approx(50, abs=5)
    assert hi_sev == np.inf
    assert hi_fee == np.inf
    assert box.density > 0.95
    assert box.coverage > 0.9
    assert "herding" not in res.rules.loc[0, "rule"]


def test_tree_rules_find_the_same_region() -> None:
    res = discover(
        uniform_sweep(), "hours_outside_100bp", 24, direction="above", method="tree", max_depth=2
    )
    top = res.boxes[0]
    assert top.density == 1.0
    assert top.coverage == 1.0
    assert top.limits["p_scenario_params__severity"][0] == pytest.approx(0.2, abs=0.01)
    assert top.limits["p_primary__redeem_fee_bp"][0] == pytest.approx(50, abs=1)
    assert res.trajectory.empty


def test_categorical_parameters_become_value_sets() -> None:
    rng = np.random.default_rng(2)
    preset = rng.choice(["paxg", "xaut", "gram_wrapper"], 300)
    sev = rng.uniform(0, 0.3, 300)
    x = pd.DataFrame({"p_primary__preset": preset, "p_scenario_params__severity": sev})
    y = preset == "gram_wrapper"
    boxes, _ = prim(x, y)
    assert boxes[0].categories == {"p_primary__preset": frozenset({"gram_wrapper"})}
    assert boxes[0].limits == {}
    assert boxes[0].rule() == "primary.preset in {gram_wrapper}"
    tree = tree_rules(x, y)
    assert tree[0].categories == {"p_primary__preset": frozenset({"gram_wrapper"})}
    assert tree[0].contains(x).sum() == y.sum()


def test_covering_finds_two_separate_regions() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.uniform(0, 1, 3000), rng.uniform(0, 1, 3000)
    x = pd.DataFrame({"p_a": a, "p_b": b})
    y = (a < 0.2) | (b > 0.85)
    boxes, _ = prim(x, y, max_boxes=3, min_coverage=0.3)
    assert len(boxes) >= 2
    rules = {b_.rule().split(" ")[0] for b_ in boxes[:2]}
    assert rules == {"a", "b"}
    covered = np.zeros(len(x), dtype=bool)
    for box in boxes[:2]:
        covered |= box.contains(x)
    assert y[covered].mean() > 0.95
    assert covered[y].mean() > 0.9


def test_box_contains_and_rule_text() -> None:
    box = Box(
        limits={"p_x": (1.0, 2.0), "p_y": (-np.inf, 5.0)},
        categories={"scenario": frozenset({"drop"})},
    )
    frame = pd.DataFrame(
        {"p_x": [1.0, 1.5, 3.0], "p_y": [0.0, 9.0, 0.0], "scenario": ["drop", "drop", "drop"]}
    )
    assert list(box.contains(frame)) == [True, False, False]
    assert box.rule() == "1 <= x <= 2 and y <= 5 and scenario in {drop}"
    assert param_label("p_primary__mint_fee_bp") == "primary.mint_fee_bp"


def test_discovery_errors() -> None:
    results = synthetic_results(seeds=2)
    with pytest.raises(ConfigError, match="no run is a case"):
        discover(results, "worst_discount_bp", -10_000)
    with pytest.raises(ConfigError, match="direction"):
        discover(results, "worst_discount_bp", -100, direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="alpha"):
        discover(results, "worst_discount_bp", -100, alpha=0.7)
    with pytest.raises(ConfigError, match="method"):
        discover(results, "worst_discount_bp", -100, method="magic")  # type: ignore[arg-type]


def test_rules_name_the_levers_they_restrict_by_role() -> None:
    fee, severity = "p_primary__redeem_fee_bp", "p_scenario_params__severity"
    res = discover(uniform_sweep(), "hours_outside_100bp", 24, direction="above")
    assert {fee, severity} <= set(res.boxes[0].limits)
    # The fee is a lever; severity and herding are uncertainties, never named as levers.
    assert res.rules.loc[0, "levers"] == "primary.redeem_fee_bp"
    declared = discover(
        uniform_sweep(), "hours_outside_100bp", 24, direction="above", roles={fee: "uncertainty"}
    )
    assert declared.rules.loc[0, "levers"] == ""
