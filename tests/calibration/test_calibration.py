"""Objective determinism, common random numbers, the budget, and a tiny real calibration."""

from __future__ import annotations

import csv
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from gramabm.calibration.moments import CALIBRATION_SCENARIOS, TARGETS, split_periods
from gramabm.calibration.objective import (
    DEFAULT_PARAMETERS,
    BudgetExhausted,
    CalibrationSetup,
    MomentObjective,
    ParameterSpec,
    calibration_setups,
    round_significant,
)
from gramabm.calibration.optimise import calibrate
from gramabm.cli.calibrate import calibrate as calibrate_command
from gramabm.config import build_config, load_config
from gramabm.errors import ConfigError


@pytest.fixture(scope="module")
def early():
    from gramabm.data.loaders import load_builtin

    return split_periods(load_builtin())[0]


def calm_setup(early, policy: str = "default", seeds: tuple[int, ...] = (0, 1)) -> CalibrationSetup:
    """The calm scenario only, short and small: the calm targets, cheap to evaluate."""
    return CalibrationSetup(
        build_config({"holders": {"n": 120}}),
        {"calm": CALIBRATION_SCENARIOS["calm"].scaled(0.3)},
        tuple(t for t in TARGETS if t.scenario == "calm"),
        seeds,
        early,
        policy,
    )


def test_parameter_spec_maps_the_unit_interval() -> None:
    spec = ParameterSpec("arbitrageurs.capital_usd", 1e5, 1e7, log=True)
    assert spec.from_unit(0.0) == 1e5
    assert spec.from_unit(1.0) == 1e7
    assert spec.from_unit(0.5) == pytest.approx(1e6)
    assert spec.from_unit(2.0) == 1e7  # clipped
    assert spec.to_unit(spec.from_unit(0.3)) == pytest.approx(0.3, abs=1e-3)
    assert round_significant(0.0416666) == 0.04167
    with pytest.raises(ConfigError, match="lo > 0"):
        ParameterSpec("holders.herding", 0.0, 1.0, log=True)


def test_objective_is_deterministic_across_instances(early) -> None:
    setup = calm_setup(early)
    first = MomentObjective(setup, DEFAULT_PARAMETERS)
    second = MomentObjective(setup, DEFAULT_PARAMETERS)
    a = first.evaluate(first.start_point())
    b = second.evaluate(second.start_point())
    assert [m.values for m in a.moments] == [m.values for m in b.moments]
    assert a.loss == b.loss
    assert math.isfinite(a.loss)
    assert first.evaluate(first.start_point()) is a  # a repeat is answered from memory
    assert len(first.history) == 1


def test_common_random_numbers_and_budget(early) -> None:
    setup = calm_setup(early, policy="rule_based", seeds=(3,))
    objective = MomentObjective(setup, DEFAULT_PARAMETERS, budget=2)
    start = objective.start_point()
    other = {**start, "holders.activity": 0.12, "market_makers.half_spread_bp": 20.0}
    runs_a, _ = objective.run(start)
    runs_b, _ = objective.run(other)
    ts_a, ts_b = runs_a["calm"][0][0], runs_b["calm"][0][0]
    # Same seed, same gold path; different behaviour, different market.
    np.testing.assert_array_equal(ts_a["gold_value_usd"], ts_b["gold_value_usd"])
    assert not np.array_equal(ts_a["spread_bp"], ts_b["spread_bp"], equal_nan=True)
    objective.evaluate(start)
    objective.evaluate(other)
    with pytest.raises(BudgetExhausted):
        objective.evaluate({**start, "holders.herding": 2.0})
    assert len(objective.history) == 2


def test_calibrate_respects_the_budget_and_improves_or_keeps_the_start(early) -> None:
    setup = calm_setup(early, policy="rule_based", seeds=(0,))
    seen = []
    result = calibrate(
        setup,
        DEFAULT_PARAMETERS[:3],
        budget=5,
        method="differential-evolution",
        progress=lambda latest, best: seen.append((latest.index, best.loss)),
    )
    assert len(result.history) == 5
    assert [i for i, _ in seen] == [0, 1, 2, 3, 4]
    assert result.best.loss == min(e.loss for e in result.history)
    assert result.best.loss <= result.start.loss
    assert result.start.params["holders.activity"] == round_significant(1 / 24)
    with pytest.raises(ConfigError, match="at least 2"):
        calibrate(setup, budget=1)
    with pytest.raises(ConfigError, match="unknown method"):
        calibrate(setup, budget=3, method="grid")


def test_setups_split_the_periods() -> None:
    cal, oos = calibration_setups(holders=50, seeds=2, steps_scale=0.5)
    assert cal.prices.index[-1] < oos.prices.index[0]
    assert cal.seeds == oos.seeds == (0, 1)
    assert oos.scenarios["severe"].scenario == "replay_sep_2011"
    assert cal.scenarios["calm"].steps == 168
    with pytest.raises(ConfigError, match="seeds must be >= 1"):
        calibration_setups(seeds=0)


def test_tiny_calibration_through_the_cli_reports_every_target(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("calibrate")(calibrate_command)
    app.command("noop")(lambda: None)  # two commands, so `calibrate` is a subcommand
    out = tmp_path / "cal"
    args = ["calibrate", "--budget", "4", "--seeds", "1", "--holders", "150"]
    args += ["--steps-scale", "0.3", "--out", str(out), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["evaluations"] == 4
    assert summary["targets"] == len(TARGETS)
    # Not on a terminal: one progress line an evaluation, on stderr (stdout ends with the JSON).
    assert [
        line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("eval")
    ] == [f"evaluation {i}/4" for i in range(1, 5)]

    report = (out / "report.md").read_text(encoding="utf-8")
    for period in ("## Fit: calibration period", "## Out-of-sample check"):
        assert period in report
    for target in TARGETS:
        # In each period's table: the target, its target value and a within/OUTSIDE mark.
        rows = [line for line in report.splitlines() if line.startswith(f"| {target.name} | ")]
        table_rows = [r for r in rows if r.rstrip().endswith(("within |", "**OUTSIDE** |"))]
        assert len(table_rows) == 2, target.name
        assert all(target.target_text() in r for r in table_rows)
        sentences = [line for line in report.splitlines() if line.startswith(f"- {target.name}:")]
        assert len(sentences) == 2
        assert all(("within the target" in s) != ("OUTSIDE" in s) for s in sentences)

    with (out / "moments.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["period"] for r in rows].count("calibration") == len(TARGETS)
    assert [r["period"] for r in rows].count("out_of_sample") == len(TARGETS)
    for name in ("moments.png", "objective.png", "history.csv", "parameters.csv"):
        assert (out / name).stat().st_size > 0
    assert (out / "moments.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    preset = tomllib.loads((out / "calibrated.toml").read_text(encoding="utf-8"))
    assert preset["holders"]["n"] == 150
    cfg = load_config(out / "calibrated.toml")
    assert cfg.holders.activity == summary["params"]["holders.activity"]
    assert cfg.market_makers.withdraw_vol == summary["params"]["market_makers.withdraw_vol"]
