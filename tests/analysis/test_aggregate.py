"""Aggregates per design point across seeds, with confidence intervals."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gramabm.analysis.sweeps.aggregate import (
    aggregate,
    aggregate_wide,
    bootstrap_interval,
    design_columns,
    failure_summary,
    metric_columns,
    t_interval,
    wilson_interval,
)
from gramabm.errors import ConfigError


def synthetic_results(
    *,
    fees: tuple[float, ...] = (0.0, 25.0, 100.0),
    severities: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3),
    seeds: int = 5,
    noise: float = 2.0,
    seed: int = 0,
) -> pd.DataFrame:
    """A sweep result table in the experiments contract's format, with known answers.

    ``m_worst_discount_bp = -400 * severity - 0.5 * fee + noise`` (both matter, severity most);
    ``m_hours_outside_100bp = 30 * [severity > 0.15]`` (a threshold on severity only);
    ``m_mean_abs_deviation_bp = 5 + 0.1 * fee + noise`` (fee only);
    ``m_min_reserve_ratio_actual = 1`` (constant); ``m_mm_withdrew = severity >= 0.3``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i, (fee, sev) in enumerate(itertools.product(fees, severities)):
        for r in range(seeds):
            rows.append(
                {
                    "run_id": f"{i:04d}{r:02d}",
                    "experiment": "synthetic",
                    "scenario": "drop",
                    "replication": r,
                    "seed": 1000 + r,
                    "design_index": i,
                    "p_primary__redeem_fee_bp": fee,
                    "p_scenario_params__severity": sev,
                    "m_worst_discount_bp": -400 * sev - 0.5 * fee + noise * rng.standard_normal(),
                    "m_hours_outside_100bp": 30.0 * (sev > 0.15),
                    "m_mean_abs_deviation_bp": 5 + 0.1 * fee + noise * rng.standard_normal(),
                    "m_min_reserve_ratio_actual": 1.0,
                    "m_mm_withdrew": bool(sev >= 0.3),
                    "m_half_life_flag": "ok",
                    "status": "ok",
                    "error": "",
                    "elapsed_s": 0.1,
                }
            )
    return pd.DataFrame(rows)


def test_t_interval_matches_the_textbook_formula() -> None:
    x = np.array([1.0, 2.0, 4.0, 7.0])
    lo, hi = t_interval(x, 0.95)
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert lo == pytest.approx(x.mean() - half)
    assert hi == pytest.approx(x.mean() + half)
    assert np.isnan(t_interval(np.array([3.0]))[0])


def test_bootstrap_interval_is_seeded_and_covers_the_mean() -> None:
    x = np.random.default_rng(1).normal(10.0, 2.0, 200)
    a = bootstrap_interval(x, 0.95, n_boot=500, rng=3)
    b = bootstrap_interval(x, 0.95, n_boot=500, rng=3)
    assert a == b
    assert a[0] < x.mean() < a[1]
    # For a large normal sample the percentile interval is close to the t interval.
    t_lo, t_hi = t_interval(x)
    assert a[0] == pytest.approx(t_lo, abs=0.15)
    assert a[1] == pytest.approx(t_hi, abs=0.15)


def test_t_interval_covers_the_true_mean_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    samples = rng.normal(5.0, 3.0, size=(2000, 5))
    hits = sum(lo <= 5.0 <= hi for lo, hi in (t_interval(s) for s in samples))
    assert 0.93 <= hits / 2000 <= 0.97


def test_wilson_interval() -> None:
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert 0.2 < hi < 0.35
    lo, hi = wilson_interval(5, 10)
    assert lo < 0.5 < hi
    with pytest.raises(ConfigError, match="successes"):
        wilson_interval(11, 10)


def test_aggregate_groups_by_design_point_and_recovers_the_means() -> None:
    results = synthetic_results()
    summary = aggregate(results, ["worst_discount_bp", "m_hours_outside_100bp"])
    assert list(summary.columns) == [
        "scenario",
        "p_primary__redeem_fee_bp",
        "p_scenario_params__severity",
        "metric",
        "n",
        "mean",
        "std",
        "ci_low",
        "ci_high",
    ]
    assert len(summary) == 3 * 4 * 2
    assert (summary["n"] == 5).all()
    wd = summary[summary["metric"] == "worst_discount_bp"]
    truth = -400 * wd["p_scenario_params__severity"] - 0.5 * wd["p_primary__redeem_fee_bp"]
    # Noise sd 2 over 5 seeds: the interval should hold the truth nearly everywhere.
    inside = (wd["ci_low"] <= truth) & (truth <= wd["ci_high"])
    assert inside.mean() >= 0.8
    assert np.allclose(wd["mean"], truth, atol=4.0)
    hrs = summary[summary["metric"] == "hours_outside_100bp"]
    # A constant metric within a design point: zero spread, a degenerate interval.
    assert (hrs["std"] == 0).all()
    assert (hrs["ci_low"] == hrs["ci_high"]).all()


def test_aggregate_skips_failed_runs_and_missing_values() -> None:
    results = synthetic_results(seeds=3)
    results.loc[0, "status"] = "failed"
    results.loc[0, "m_worst_discount_bp"] = np.nan
    results["m_worst_discount_bp"] = results["m_worst_discount_bp"].astype(object)
    results.loc[1, "m_worst_discount_bp"] = None
    summary = aggregate(results, ["worst_discount_bp"])
    first = summary.iloc[0]
    assert first["n"] == 1
    assert np.isnan(first["ci_low"])


def test_boolean_metric_mean_is_a_share_and_text_metrics_are_ignored() -> None:
    results = synthetic_results(seeds=2)
    assert "m_half_life_flag" not in metric_columns(results)
    assert "m_mm_withdrew" in metric_columns(results)
    summary = aggregate(results, by=["p_scenario_params__severity"])
    share = summary[summary["metric"] == "mm_withdrew"].set_index("p_scenario_params__severity")
    assert share.loc[0.3, "mean"] == 1.0
    assert share.loc[0.05, "mean"] == 0.0


def test_bootstrap_aggregate_is_deterministic_and_independent_of_metric_choice() -> None:
    results = synthetic_results(seeds=6)
    a = aggregate(results, ["worst_discount_bp", "mean_abs_deviation_bp"], method="bootstrap")
    b = aggregate(results, ["worst_discount_bp", "mean_abs_deviation_bp"], method="bootstrap")
    pd.testing.assert_frame_equal(a, b)
    assert (a["ci_low"] <= a["mean"]).all()
    assert (a["mean"] <= a["ci_high"]).all()


def test_aggregate_wide_has_one_row_per_design_point() -> None:
    results = synthetic_results(seeds=2)
    wide = aggregate_wide(aggregate(results, ["worst_discount_bp", "hours_outside_100bp"]))
    assert len(wide) == 12
    assert "worst_discount_bp_mean" in wide.columns
    assert "hours_outside_100bp_ci_high" in wide.columns
    assert design_columns(results) == [
        "scenario",
        "p_primary__redeem_fee_bp",
        "p_scenario_params__severity",
    ]


def test_aggregate_errors_name_the_problem() -> None:
    results = synthetic_results(seeds=2)
    with pytest.raises(ConfigError, match="no_such_metric"):
        aggregate(results, ["no_such_metric"])
    with pytest.raises(ConfigError, match="confidence level"):
        aggregate(results, level=1.5)
    with pytest.raises(ConfigError, match="no successful runs"):
        aggregate(results.assign(status="failed"))


def test_failure_summary_counts_failures_with_the_last_traceback_line() -> None:
    results = synthetic_results(seeds=2)
    results.loc[3, ["status", "error"]] = ["failed", "Traceback...\n  File x\nValueError: boom\n"]
    out = failure_summary(results)
    assert len(out) == 1
    assert out.loc[0, "failed"] == 1
    assert out.loc[0, "runs"] == 2
    assert out.loc[0, "first_error"] == "ValueError: boom"


def test_two_seeds_give_no_interval_and_say_why() -> None:
    from gramabm.analysis.sweeps.aggregate import describe, interval_note

    stat = describe(np.array([0.0, 0.294]), bounds=(0.0, math.inf))
    assert stat["n"] == 2
    assert math.isnan(stat["ci_low"])
    assert math.isnan(stat["ci_high"])
    assert "too few" in interval_note(2)
    assert interval_note(3) == ""


def test_intervals_stay_inside_the_metric_range() -> None:
    from gramabm.analysis.sweeps.aggregate import METRIC_RANGES, describe

    hours = describe(np.array([0.0, 0.0, 1300.0]), bounds=METRIC_RANGES["time_to_recover_hours"])
    assert hours["ci_low"] == 0.0  # a t interval would reach about -1,600 h
    assert hours["ci_high"] > hours["mean"]
    share = describe(np.array([0.0, 0.0, 1.0, 0.0]), bounds=METRIC_RANGES["mm_withdrew"])
    assert 0.0 <= share["ci_low"] < share["mean"] < share["ci_high"] <= 1.0
    boot = describe(np.array([0.0, 0.0, 0.9, 0.1]), method="bootstrap", bounds=(0.0, 1.0))
    assert 0.0 <= boot["ci_low"] <= boot["ci_high"] <= 0.9


def test_aggregate_uses_the_ranges() -> None:
    from gramabm.analysis.sweeps.aggregate import aggregate

    table = pd.DataFrame(
        {
            "scenario": ["s"] * 3,
            "p_x": [1.0] * 3,
            "status": ["ok"] * 3,
            "m_share_initial_supply_redeemed": [0.0, 0.0, 0.44],
        }
    )
    row = aggregate(table).iloc[0]
    assert row["ci_low"] == 0.0
