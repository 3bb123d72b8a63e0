"""Reverse stress tests: criteria, shocked configurations, bisection, and one real small search."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gramabm.config import build_config
from gramabm.errors import ConfigError
from gramabm.simulation import simulate
from gramabm.sweeps import reverse as rev
from gramabm.sweeps.reverse import (
    NAMED_CRITERIA,
    Criterion,
    judge,
    parse_criterion,
    reverse_seeds,
    reverse_stress,
    shocked_config,
    write_reverse_outputs,
)


def test_parse_criterion_names_and_expressions() -> None:
    assert parse_criterion("discount_100bp") == NAMED_CRITERIA["discount_100bp"]
    crit = parse_criterion(" hours_outside_100bp >= 24 ")
    assert (crit.metric, crit.op, crit.threshold) == ("hours_outside_100bp", ">=", 24.0)
    assert crit.expression == "hours_outside_100bp >= 24"
    with pytest.raises(ConfigError, match="unknown metric 'nope'"):
        parse_criterion("nope<3")
    with pytest.raises(ConfigError, match="give a name"):
        parse_criterion("worst_discount_bp is bad")
    with pytest.raises(ConfigError, match="operator"):
        Criterion("worst_discount_bp", "==", 1.0)


def test_missing_values_count_as_broken_and_rules_combine_seeds() -> None:
    crit = Criterion("worst_discount_bp", "<", -100.0)
    assert crit.breaks(-150.0)
    assert not crit.breaks(-50.0)
    assert crit.breaks(None)
    assert crit.breaks(float("nan"))
    values = [-150.0, -50.0, -60.0]
    assert not judge(values, crit, "majority")
    assert judge(values, crit, "any")
    assert not judge(values, crit, "mean")  # mean -86.7
    assert judge([-150.0, -160.0, -60.0], crit, "majority")
    assert judge([-250.0, -10.0, -60.0], crit, "mean")  # mean -106.7
    with pytest.raises(ConfigError, match="rule"):
        judge(values, crit, "vote")  # type: ignore[arg-type]


def test_shocked_config_gold_drop_and_custodian_loss() -> None:
    base = build_config(holders=50)  # the baseline scenario: not shaped
    drop = shocked_config(base, "gold_drop", 0.2)
    assert drop.scenario == "drop"
    assert drop.scenario_params == {"severity": 0.2}
    vshape = build_config(
        {"scenario": "v_shape", "scenario_params": {"severity": 0.1, "recovery_steps": 12}}
    )
    kept = shocked_config(vshape, "gold_drop", 0.3)
    assert kept.scenario == "v_shape"
    assert kept.scenario_params == {"severity": 0.3, "recovery_steps": 12}
    loss = shocked_config(vshape, "custodian_loss", 0.25, custodian=1)
    assert loss.scenario_params["severity"] == 0.1
    assert loss.scenario_params["events"] == [
        [0, "custodian_loss", {"custodian": 1, "share": 0.25}]
    ]
    calm_loss = shocked_config(base, "custodian_loss", 0.5, base_severity=0.05)
    assert calm_loss.scenario == "drop"
    assert calm_loss.scenario_params["severity"] == 0.05
    # A zero loss is the lower end of every custodian-loss search: the run without the event.
    none_lost = shocked_config(base, "custodian_loss", 0.0, base_severity=0.05)
    assert none_lost.scenario_params["events"] == []
    simulate(none_lost.with_updates({"steps": 2}), 0)  # runs: no zero-share event
    with pytest.raises(ConfigError, match=r"\[0, 1\)"):
        shocked_config(base, "gold_drop", 1.0)
    with pytest.raises(ConfigError, match="shock must be"):
        shocked_config(base, "meteor", 0.1)  # type: ignore[arg-type]


def fake_evaluate(task: dict[str, Any]) -> dict[str, Any]:
    """A known response: worst discount = -1000 * severity + a small seed effect."""
    wobble = (task["seed"] % 7 - 3) * 1.0
    value = -1000.0 * task["severity"] + wobble
    return {"severity": task["severity"], "seed": task["seed"], "value": value}


def test_bisection_brackets_a_known_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rev, "evaluate_task", fake_evaluate)
    cfg = build_config(holders=10)
    calls: list[tuple[int, float, bool]] = []
    res = reverse_stress(
        cfg,
        "worst_discount_bp<-100",
        low=0.0,
        high=0.4,
        tol=0.001,
        seeds=[0, 3, 6],  # wobbles -3, 0, +3: the majority (median) flips at exactly 0.1
        progress=lambda *a: calls.append(a),
    )
    assert res.status == "found"
    lo, hi = res.bracket
    assert lo <= 0.1 < hi  # strict criterion: exactly -100 at 0.1 still holds
    assert hi - lo <= 0.001
    assert res.threshold == hi
    assert len(res.summary) == len(calls) == 2 + int(np.ceil(np.log2(0.4 / 0.001)))
    # Every judgement below the bracket held and every one at or above it broke.
    assert not res.summary.loc[res.summary["severity"] <= lo, "breaks"].any()
    assert res.summary.loc[res.summary["severity"] >= hi, "breaks"].all()
    assert len(res.evaluations) == 3 * len(res.summary)
    assert "lies between" in res.sentence()


def test_bisection_end_cases_and_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rev, "evaluate_task", fake_evaluate)
    cfg = build_config(holders=10)
    never = reverse_stress(cfg, "worst_discount_bp<-1000", high=0.5, seeds=3)
    assert never.status == "never_breaks"
    assert never.threshold is None
    assert never.bracket == (0.5, None)
    assert "No gold fall up to 0.5" in never.sentence()
    always = reverse_stress(cfg, "worst_discount_bp<10", low=0.05, seeds=3)
    assert always.status == "always_breaks"
    assert always.threshold == 0.05
    assert len(always.summary) == 1
    capped = reverse_stress(cfg, "worst_discount_bp<-100", tol=1e-9, max_evaluations=5, seeds=3)
    assert len(capped.summary) == 5
    with pytest.raises(ConfigError, match="below high"):
        reverse_stress(cfg, "discount_100bp", low=0.3, high=0.2)
    with pytest.raises(ConfigError, match=r"\[0, 1\)"):
        reverse_stress(cfg, "discount_100bp", high=1.2)


def test_seeds_are_derived_deterministically() -> None:
    assert reverse_seeds(5, 3) == reverse_seeds(5, 3)
    assert reverse_seeds(5, 3) != reverse_seeds(6, 3)
    assert all(0 <= s < 2**63 for s in reverse_seeds(5, 4))


def test_real_reverse_stress_brackets_the_criterion_flip(tmp_path: Path) -> None:
    """A small real model: the found bracket holds at its lower end and breaks at its upper end."""
    # Five days, 200 holders: the worst discount deepens from about -20 bp (no fall) to about
    # -65 bp (a 20% fall), so -40 bp is crossed inside the range.
    cfg = build_config({"steps": 120}, holders=200)
    crit = "worst_discount_bp<-40"
    res = reverse_stress(cfg, crit, low=0.0, high=0.2, tol=0.04, seeds=3, root_seed=1)
    assert res.status == "found"
    lo, hi = res.bracket
    assert 0.0 <= lo < hi <= 0.2
    assert hi - lo <= 0.04
    criterion = parse_criterion(crit)
    # Re-run both ends of the bracket independently with the same seeds: the flip is inside.
    for severity, should_break in ((lo, False), (hi, True)):
        shocked = shocked_config(cfg, "gold_drop", severity)
        values = [simulate(shocked, s).metrics.to_dict()[criterion.metric] for s in res.seeds]
        assert judge(values, criterion, "majority") is should_break
    paths = write_reverse_outputs(res, tmp_path / "rev")
    saved = json.loads(paths["result"].read_text())
    assert saved["status"] == "found"
    assert saved["bracket"] == [lo, hi]
    assert paths["figure"].read_bytes().startswith(b"\x89PNG")
    assert len(paths["evaluations"].read_text().splitlines()) == 1 + len(res.evaluations)


def test_user_prices_reach_every_evaluation_and_are_recorded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gramabm.data.loaders import load_csv
    from gramabm.sweeps.runner import data_record
    from tests.sweeps.gold_csv import write_gold_csv

    prices = load_csv(write_gold_csv(tmp_path / "gold.csv"))
    seen: list[Any] = []

    def fake_with_prices(task: dict[str, Any], shipped: Any = None) -> dict[str, Any]:
        seen.append(None if shipped is None else shipped.attrs["source"])
        return fake_evaluate(task)

    monkeypatch.setattr(rev, "evaluate_task", fake_with_prices)
    cfg = build_config(holders=10)
    res = reverse_stress(cfg, "worst_discount_bp<-100", high=0.4, tol=0.05, seeds=3, prices=prices)
    assert len(seen) == len(res.evaluations)
    assert set(seen) == {str(tmp_path / "gold.csv")}
    assert res.data == data_record(prices, builtin=False)
    saved = json.loads(write_reverse_outputs(res, tmp_path / "out")["result"].read_text())
    assert saved["data"]["digest"] == res.data["digest"]

    seen.clear()
    builtin = reverse_stress(cfg, "worst_discount_bp<-100", high=0.4, tol=0.05, seeds=3)
    assert set(seen) == {None}  # the built-in history is not shipped: workers load their own
    assert builtin.data["source"] == "builtin:aer_goldsilver"
    assert builtin.data["builtin"] is True


def test_evaluate_task_runs_on_the_prices_it_is_given(tmp_path: Path) -> None:
    from gramabm.data.loaders import load_csv
    from tests.sweeps.gold_csv import write_gold_csv

    prices = load_csv(write_gold_csv(tmp_path / "gold.csv"))
    cfg = shocked_config(build_config({"steps": 48}, holders=100), "gold_drop", 0.1)
    task = {"config": cfg.model_dump(mode="json"), "seed": 3, "severity": 0.1}
    task["metric"] = "volume_usd_total"
    mine = rev.evaluate_task(task, prices)
    assert mine == rev.evaluate_task(task, prices)  # one seed, one result
    assert mine["value"] != rev.evaluate_task(task)["value"]  # other gold level, other volume
