"""`gramabm calibrate --observed`: data targets from validate's facts, windows, the space file,
the verdicts and the preset, on a tiny synthetic token (few holders, budget 2, short windows)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.token import FACTS, TokenFacts, candles_from_run
from gramabm.calibration.moments import OBSERVED, Target
from gramabm.calibration.observed import data_target, observed_fit, sample_windows
from gramabm.calibration.space import CALM_MARKET_SPACE, load_space
from gramabm.cli.options import observed_series
from gramabm.config import build_config, load_config
from gramabm.errors import ConfigError
from gramabm.validate import validate
from gramabm.validate.tolerances import TOLERANCES, Tolerance
from tests.cli.test_cli_validate import run_main


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Gold fixes and an hourly token that follows them with noise and a bid-ask bounce."""
    tmp = tmp_path_factory.mktemp("observed")
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2023-11-01", "2024-03-29")
    gold = pd.Series(2000 * np.exp(np.cumsum(rng.normal(0, 0.008, len(days)))), index=days)
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "price": gold.round(2).to_numpy()}).to_csv(
        tmp / "gold.csv", index=False
    )
    hours = pd.date_range("2024-01-01", "2024-03-29 23:00", freq="h")
    level = gold.reindex(hours.normalize(), method="ffill").to_numpy()
    bounce = np.where(rng.random(len(hours)) < 0.5, 1.0, -1.0) * 5e-4
    close = level * np.exp(rng.normal(0, 2e-3, len(hours)) + bounce)
    pd.DataFrame(
        {
            "time": hours.strftime("%Y-%m-%d %H:%M:%S"),
            "open": close,
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "vol": rng.uniform(1, 5, len(hours)),
        }
    ).to_csv(tmp / "token.csv", index=False)
    return tmp / "token.csv", tmp / "gold.csv"


def _series(data: tuple[Path, Path]):
    token, gold = data
    return observed_series(token, gold, columns={"time": "time", "volume": "vol"})


# --------------------------------------------------------------------------- data targets


def test_targets_are_validates_facts_on_the_observed_series(data) -> None:
    candles, fixes = _series(data)
    fit = observed_fit(candles, fixes, seeds=(0,), start="2024-01-08", end="2024-01-19")
    cfg = build_config({"holders": {"n": 60, "policy": "rule_based"}})
    checked = validate(candles, fixes, cfg, seeds=[0], start="2024-01-08", end="2024-01-19")
    observed = checked.table["observed"]
    # The simulated candles span each step's trades, not only its open and close.
    ts = checked.runs[0].timeseries
    traded = ts["token_high"].notna()
    assert (ts.loc[traded, "token_high"] > ts.loc[traded, "token_low"]).any()
    with_trades = candles_from_run(ts)
    open_close = candles_from_run(ts.drop(columns=["token_high", "token_low"]))
    assert (with_trades["high"] - with_trades["low"]).sum() > (
        open_close["high"] - open_close["low"]
    ).sum()
    for key, value in fit.facts.values.items():
        assert value == checked.observed.values[key] or (
            math.isnan(value) and math.isnan(checked.observed.values[key])
        ), key
    assert [t.name for t in fit.targets] + [s.split(":")[0] for s in fit.skipped] == [
        t.fact for t in TOLERANCES
    ]
    by_rule = {t.fact: t for t in TOLERANCES}
    for target in fit.targets:
        assert target.scenario == OBSERVED
        assert target.origin == "data"
        if by_rule[target.name].rule in ("relative", "points"):
            # The target's centre is the observed fact, its half-width validate's tolerance.
            assert (target.lo + target.hi) / 2 == pytest.approx(observed[target.name])
            assert target.within(observed[target.name])
    # No supply column: the supply rule is measured on the simulation alone, at its bound.
    supply = next(t for t in fit.targets if t.name == "supply_change_worst_year")
    assert (supply.kind, supply.hi, supply.magnitude) == ("at_most", 0.15, True)
    # Scored on the seeds' sizes, as validate judges it: -23% and +27% are not a +2% year.
    assert supply.aggregate([-0.23, 0.27]) == pytest.approx(0.25)
    assert not supply.within(supply.aggregate([-0.23, 0.27]))
    assert supply.within(supply.aggregate([-0.05, 0.1]))


def _facts(**values: float) -> TokenFacts:
    full = {f.key: math.nan for f in FACTS} | values
    empty = pd.Series(dtype=float)
    return TokenFacts(full, empty, empty, pd.DataFrame(), "obs.csv", ("2021-01-01", "2021-12-31"))


def test_each_rule_becomes_a_target_scaled_by_its_tolerance() -> None:
    facts = _facts(dev_mean_abs_bp=76.0, dev_share_beyond=0.30, hourly_autocorr_lag1=-0.32)
    relative = data_target(Tolerance("dev_mean_abs_bp", "relative", 0.25), facts)
    assert isinstance(relative, Target)
    assert (relative.lo, relative.hi) == pytest.approx((57.0, 95.0))
    assert relative.z(95.0) == pytest.approx(1.0)
    assert relative.z(76.0) == pytest.approx(0.0)
    assert "obs.csv, 2021-01-01 to 2021-12-31" in relative.source
    points = data_target(Tolerance("dev_share_beyond", "points", 0.05), facts)
    assert isinstance(points, Target)
    assert points.z(0.40) == pytest.approx(2.0)
    bounce = data_target(Tolerance("hourly_autocorr_lag1", "negative_within", 0.1), facts)
    assert isinstance(bounce, Target)
    assert (bounce.lo, bounce.hi) == pytest.approx((-0.42, -0.22))
    two_sided = data_target(Tolerance("book_two_sided_calm_share", "at_least", 0.99), facts)
    assert isinstance(two_sided, Target)
    assert two_sided.z(0.98) == pytest.approx(1.0)
    assert two_sided.z(1.0) == 0.0
    panic = data_target(Tolerance("holders_panicked_max_share", "at_most", 0.05), facts)
    assert isinstance(panic, Target)
    assert panic.z(0.10) == pytest.approx(1.0)
    # What the data cannot give, or no value can meet, is left out with the reason.
    missing = data_target(Tolerance("dev_p99_abs_bp", "relative", 0.25), facts)
    assert isinstance(missing, str)
    assert "cannot give" in missing
    positive = _facts(hourly_autocorr_lag1=0.2)
    impossible = data_target(Tolerance("hourly_autocorr_lag1", "negative_within", 0.1), positive)
    assert isinstance(impossible, str)
    assert "< 0" in impossible


# --------------------------------------------------------------------------- windows


def test_window_sampling_is_reproducible_per_seed() -> None:
    first, last = pd.Timestamp("2021-01-01"), pd.Timestamp("2023-12-31")
    drawn = sample_windows(first, last, 6, 30, seed=4)
    assert drawn == sample_windows(first, last, 6, 30, seed=4)
    assert drawn != sample_windows(first, last, 6, 30, seed=5)
    assert len(drawn) == 6
    for before, after in itertools.pairwise(drawn):
        assert before.end < after.start
    for w in drawn:
        assert first <= w.start
        assert w.end <= last
        assert (w.end - w.start).days == 29
        assert w.start.day_of_week < 5
    with pytest.raises(ConfigError, match="do not fit"):
        sample_windows(first, last, 40, 30, seed=0)


# --------------------------------------------------------------------------- the space file


def test_the_shipped_space_names_real_settings() -> None:
    specs = load_space(CALM_MARKET_SPACE, build_config())
    assert len(specs) >= 5
    assert {"market_makers.level_size_g", "holders.usual_basis_half_life_h"} <= {
        s.key for s in specs
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('key = "market_makers.half_spred_bp"\nlo = 1\nhi = 2', "'market_makers.half_spred_bp'"),
        ('key = "market_makers.levels"\nlo = 1\nhi = 9', "not a real-valued setting"),
        ('key = "market_makers.half_spread_bp"\nlo = 1\nhi = 9000', "bound 9000"),
        ('key = "market_makers.half_spread_bp"\nlo = 1\nhi = 9\nstep = 2', "unknown field"),
        ('key = "market_makers.half_spread_bp"\nlo = 0\nhi = 9\nlog = true', "lo > 0"),
    ],
)
def test_a_bad_space_entry_is_refused(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "space.toml"
    path.write_text(f"[[parameter]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_space(path, build_config())


def test_a_typo_in_the_space_exits_2_naming_it(data, tmp_path: Path, monkeypatch, capsys) -> None:
    token, gold = data
    space = tmp_path / "space.toml"
    space.write_text('[[parameter]]\nkey = "holders.activty"\nlo = 0.01\nhi = 0.1\n')
    code, _, err = run_main(
        monkeypatch, capsys,
        "calibrate", "--observed", str(token), "--gold", str(gold), "--time-column", "time",
        "--space", str(space), "--budget", "2", "--seeds", "1", "--holders", "50",
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 2
    assert "holders.activty" in err
    assert not (tmp_path / "o").exists()  # refused before anything ran


def test_observed_options_without_observed_are_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    code, _, err = run_main(
        monkeypatch, capsys, "calibrate", "--windows", "2", "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert "--windows" in err
    assert "--observed" in err


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def calibrated(data, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from typer.testing import CliRunner

    from gramabm.cli import app

    token, gold = data
    out = tmp_path_factory.mktemp("cal") / "out"
    space = out.parent / "space.toml"
    space.write_text(
        '[[parameter]]\nkey = "market_makers.half_spread_bp"\nlo = 2.0\nhi = 30.0\nlog = true\n'
        '[[parameter]]\nkey = "gold_session.weekend_info_share"\nlo = 0.0\nhi = 1.0\n'
    )
    args = ["calibrate", "--observed", str(token), "--gold", str(gold), "--time-column", "time"]
    args += ["--volume-column", "vol", "--start", "2024-01-08", "--end", "2024-01-26"]
    args += ["--check-start", "2024-02-05", "--check-end", "2024-02-09"]
    args += ["--windows", "2", "--window-days", "5", "--no-literature", "--space", str(space)]
    args += ["--config", "calibrated", "--preset", "paxg", "--policy", "rule_based"]
    args += ["--budget", "2", "--seeds", "1", "--holders", "60", "--check-seeds", "2"]
    args += ["--check-holders", "80", "--out", str(out), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout.strip().splitlines()[-1])


def test_the_report_labels_data_targets_and_both_verdicts(calibrated) -> None:
    out, summary = calibrated
    assert summary["evaluations"] == 2
    assert summary["literature_targets"] == []
    assert summary["data_targets"][0] == "dev_mean_abs_bp"
    assert len(summary["windows"]) == 2
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Targets: data and literature" in report
    assert "2 windows of 5 days drawn from seed 0" in report
    assert "## In sample: the fit period, 2024-01-08 to 2024-01-26" in report
    assert "## Out of sample: not used in the fit, 2024-02-05 to 2024-02-09" in report
    assert "## Loss path" in report
    for verdict in ("validate_in_sample", "validate_out_of_sample"):
        doc = json.loads((out / verdict / "validation.json").read_text())
        assert doc["seeds"] == [0, 1]
        assert summary["verdicts"][verdict]["period"] == doc["period"]
    oos = json.loads((out / "validate_out_of_sample" / "validation.json").read_text())
    assert oos["scenario"] == "replay:2024-02-05:2024-02-09"
    rows = [r for r in report.splitlines() if r.startswith("| dev_mean_abs_bp | data | ")]
    assert len(rows) == 1
    assert rows[0].rstrip().endswith(("within |", "**OUTSIDE** |"))


def test_the_preset_holds_the_simulated_values(calibrated) -> None:
    out, summary = calibrated
    preset = load_config(out / "calibrated.toml")
    assert preset.market_makers.half_spread_bp == summary["params"]["market_makers.half_spread_bp"]
    assert (
        preset.gold_session.weekend_info_share
        == (summary["params"]["gold_session.weekend_info_share"])
    )
    # The preset rebuilds the configuration the verdicts ran: base file, preset, fit, population.
    in_sample = json.loads((out / "validate_in_sample" / "validation.json").read_text())
    ran = in_sample["config"]
    written = preset.model_dump(mode="json")
    # The preset names the venue it was fitted to; in sample that venue is the one observed.
    assert (
        preset.liquidity_traders.venue_volume_usd
        == in_sample["observed"]["facts"]["volume_usd_median_daily"]
    )
    assert preset.liquidity_traders.venue_volume_usd > 0
    assert in_sample["venue"]["scale"] == 1.0
    for key in ("scenario", "scenario_params", "steps"):
        ran.pop(key), written.pop(key)
    assert written == ran
    assert preset.primary.preset == "paxg"
    assert preset.holders.n == 80
    assert preset.value_traders.n == load_config("calibrated").value_traders.n


def test_data_and_literature_targets_share_one_loss(data) -> None:
    from gramabm.calibration.moments import STRESS_TARGETS, weighted_loss
    from gramabm.calibration.objective import MomentObjective, calibration_setups

    candles, fixes = _series(data)
    setup, _ = calibration_setups(
        holders=60, seeds=1, steps_scale=0.3, policy="rule_based", targets=STRESS_TARGETS[:1]
    )
    assert set(setup.scenarios) == {STRESS_TARGETS[0].scenario}
    fit = observed_fit(
        candles, fixes, seeds=setup.seeds, start="2024-01-08", end="2024-01-26", windows=1,
        window_days=5,
    )  # fmt: skip
    specs = load_space(CALM_MARKET_SPACE, setup.base)
    objective = MomentObjective(setup, specs, observed=fit)
    first = objective.evaluate(objective.start_point())
    assert [m.target.origin for m in first.moments] == ["literature"] + ["data"] * len(fit.targets)
    assert first.loss == pytest.approx(weighted_loss(first.moments))
    # Common random numbers: a fresh objective gives the same numbers.
    again = MomentObjective(setup, specs, observed=fit).evaluate(objective.start_point())
    assert [m.values for m in again.moments] == [m.values for m in first.moments]


def test_each_window_replays_a_venue_sized_to_its_own_traded_value(data) -> None:
    candles, fixes = _series(data)
    candles = candles.copy()
    # Four times the volume from February on: February windows trade a venue twice as liquid.
    busy = candles.index >= "2024-02-01"
    candles.loc[busy, "volume_tokens"] = 4.0
    candles.loc[~busy, "volume_tokens"] = 1.0
    fit = observed_fit(
        candles, fixes, seeds=(0,), start="2024-01-08", end="2024-03-22", windows=3, window_days=10
    )
    assert fit.venue_volume_usd > 0
    for window, plan in zip(fit.windows, fit.plans(), strict=True):
        days = candles.loc[plan.compare_from : plan.last + pd.Timedelta(hours=23)]
        daily = (days["volume_tokens"] * days["close"]).groupby(days.index.normalize()).sum()
        expected = (daily.median() / fit.venue_volume_usd) ** 0.5
        assert fit.window_scale(plan) == pytest.approx(expected), window
    scales = sorted(fit.window_scale(p) for p in fit.plans())
    assert scales[-1] / scales[0] == pytest.approx(2.0, rel=0.1)
    assert "venue x" in fit.sample_text
    # Without windows the fit period is its own venue.
    whole = observed_fit(candles, fixes, seeds=(0,), start="2024-01-08", end="2024-03-22")
    assert whole.window_scale(whole.plan) == 1.0
