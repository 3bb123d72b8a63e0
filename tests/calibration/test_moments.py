"""Calibration statistics on synthetic series with known answers, and the target scoring."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gramabm.calibration.moments import (
    CALIBRATION_SCENARIOS,
    MISSING_Z,
    OUT_OF_SAMPLE_SCENARIOS,
    STATISTICS,
    TARGETS,
    Target,
    daily_vol_ratio,
    format_number,
    half_life_hours,
    measure,
    median_abs_deviation_bp,
    median_spread_bp,
    mm_withdrew,
    simulated_moments,
    split_periods,
    turnover_per_day,
    weighted_loss,
    worst_premium_bp,
)
from gramabm.errors import ConfigError


def frame(n: int, **columns: object) -> pd.DataFrame:
    """A run timeseries of ``n`` steps with neutral defaults for every column a statistic reads."""
    base = {
        "spread_bp": np.full(n, 10.0),
        "deviation_bp": np.zeros(n),
        "mm_active": np.full(n, 3),
        "token_mid": np.full(n, 50.0),
        "gold_value_usd": np.full(n, 50.0),
        "volume_tokens": np.zeros(n),
        "supply_tokens": np.full(n, 1_000.0),
    }
    base.update(columns)
    return pd.DataFrame(base, index=pd.RangeIndex(n, name="step"))


META = {"shock_step": None, "step_hours": 1.0}


def test_median_spread_ignores_unquoted_steps() -> None:
    spread = np.array([10.0, np.nan, 20.0, 30.0, np.nan])
    assert median_spread_bp(frame(5, spread_bp=spread), META) == 20.0
    assert math.isnan(median_spread_bp(frame(2, spread_bp=np.full(2, np.nan)), META))


def test_median_abs_deviation() -> None:
    dev = np.array([-30.0, 30.0, -30.0, 50.0, np.nan, 10.0])
    assert median_abs_deviation_bp(frame(6, deviation_bp=dev), META) == 30.0


def test_half_life_of_a_geometric_decay_from_the_shock() -> None:
    phi, shock, hours = 0.9, 20, 0.5
    dev = np.r_[np.sin(np.arange(shock)) * 5.0, 100.0 * phi ** np.arange(60)]
    meta = {"shock_step": shock, "step_hours": hours}
    expected = math.log(0.5) / math.log(phi) * hours
    assert half_life_hours(frame(dev.size, deviation_bp=dev), meta) == pytest.approx(expected)


def test_half_life_without_mean_reversion_is_the_window() -> None:
    dev = 5.0 * 1.05 ** np.arange(40)  # explosive: phi > 1
    meta = {"shock_step": 10, "step_hours": 2.0}
    assert half_life_hours(frame(40, deviation_bp=dev), meta) == (40 - 10) * 2.0


def test_half_life_under_half_a_step_is_floored() -> None:
    dev = 50.0 * (-0.5) ** np.arange(30)  # flips sign every step: phi < 0
    assert half_life_hours(frame(30, deviation_bp=dev), META) == 0.5


def test_half_life_not_measurable_is_nan() -> None:
    assert math.isnan(half_life_hours(frame(30), META))  # a constant deviation


def test_worst_premium_and_withdrawal() -> None:
    dev = np.array([-80.0, 12.5, np.nan, 7.0])
    assert worst_premium_bp(frame(4, deviation_bp=dev), META) == 12.5
    assert mm_withdrew(frame(4, mm_active=np.array([3, 3, 2, 3])), META) == 1.0
    assert mm_withdrew(frame(4, mm_active=np.array([3, 3, 3, 3])), META) == 0.0


def test_daily_vol_ratio_known_answers() -> None:
    rng = np.random.default_rng(3)
    gold = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.002, 24 * 12)))
    at_par = frame(gold.size, gold_value_usd=gold, token_mid=gold * 1.004)  # constant premium
    assert daily_vol_ratio(at_par, META) == pytest.approx(1.0)
    doubled = frame(gold.size, gold_value_usd=gold, token_mid=gold**2 / 50.0)  # log moves x2
    assert daily_vol_ratio(doubled, META) == pytest.approx(2.0)
    half_hour = {"shock_step": None, "step_hours": 0.5}  # one day = 48 steps
    sampled = np.repeat(gold[::24], 48)
    token = np.repeat(gold[::24] ** 3 / 2500.0, 48)
    ts = frame(sampled.size, gold_value_usd=sampled, token_mid=token)
    assert daily_vol_ratio(ts, half_hour) == pytest.approx(3.0)
    assert math.isnan(daily_vol_ratio(frame(48), META))  # too few days


def test_turnover_per_day() -> None:
    ts = frame(48, volume_tokens=np.full(48, 10.0), supply_tokens=np.full(48, 1_000.0))
    assert turnover_per_day(ts, META) == pytest.approx(10 * 48 / 1_000 / 2)


def test_statistics_registry_covers_the_targets() -> None:
    assert {t.statistic for t in TARGETS} <= set(STATISTICS)
    assert {t.scenario for t in TARGETS} <= set(CALIBRATION_SCENARIOS)
    assert set(CALIBRATION_SCENARIOS) == set(OUT_OF_SAMPLE_SCENARIOS)
    assert len({t.name for t in TARGETS}) == len(TARGETS)


# --------------------------------------------------------------------------- scoring


def test_range_target_linear() -> None:
    t = Target("x", "calm", "median_spread_bp", "range", lo=30.0, hi=70.0, unit="bp")
    assert t.centre == 50.0
    assert t.tolerance == 20.0
    assert t.z(50.0) == 0.0
    assert t.z(90.0) == 2.0
    assert t.within(30.0)
    assert t.within(70.0)
    assert not t.within(29.9)
    assert "OUTSIDE" in t.verdict(20.0)
    assert "10 bp below its bound of 30 bp" in t.verdict(20.0)
    assert "above" in t.verdict(75.0)
    assert "within" in t.verdict(45.0)


def test_range_target_log_scale() -> None:
    t = Target("hl", "shock", "half_life_hours", "range", lo=3.0, hi=31.0, log=True, unit="h")
    centre = math.sqrt(3.0 * 31.0)
    assert t.z(centre) == pytest.approx(0.0, abs=1e-12)
    assert t.z(31.0) == pytest.approx(1.0)
    assert t.z(3.0) == pytest.approx(-1.0)
    assert t.aggregate([2.0, 8.0]) == pytest.approx(4.0)  # geometric mean
    assert t.z(0.0) == pytest.approx(t.z(0.03))  # floored at 1% of lo


def test_one_sided_targets() -> None:
    least = Target("p", "safe_haven", "worst_premium_bp", "at_least", lo=100.0, width=50.0)
    assert least.z(150.0) == 0.0
    assert least.z(0.0) == 2.0
    assert least.within(100.0)
    assert not least.within(99.0)
    most = Target("w", "calm", "mm_withdrew", "at_most", hi=0.0, width=0.5)
    assert most.z(0.0) == 0.0
    assert most.z(1.0) == 2.0
    assert not most.within(1 / 3)


def test_unmeasured_moment_counts_as_outside() -> None:
    t = TARGETS[0]
    assert t.aggregate([math.nan, math.nan]) != t.aggregate([math.nan, math.nan])  # NaN
    assert t.z(math.nan) == MISSING_Z
    assert not t.within(math.nan)
    assert "could not be measured" in t.verdict(math.nan)


def test_measure_and_weighted_loss() -> None:
    wide = Target("a", "calm", "median_spread_bp", "range", lo=0.0, hi=20.0, weight=1.0)
    heavy = Target("b", "calm", "worst_premium_bp", "at_least", lo=100.0, width=50.0, weight=3.0)
    runs = [
        (frame(4, spread_bp=np.full(4, 20.0), deviation_bp=np.full(4, 50.0)), META),
        (frame(4, spread_bp=np.full(4, 30.0), deviation_bp=np.full(4, 50.0)), META),
    ]
    moments = simulated_moments({"calm": runs}, (wide, heavy))
    assert moments[0].values == (20.0, 30.0)
    assert moments[0].simulated == 25.0
    assert moments[0].z == pytest.approx(1.5)
    assert not moments[0].within
    assert moments[1].z == pytest.approx(1.0)
    assert weighted_loss(moments) == pytest.approx((1.5**2 + 3 * 1.0) / 4)
    assert measure(wide, runs[:1]).within


def test_missing_scenario_and_bad_targets_are_refused() -> None:
    with pytest.raises(ConfigError, match="no runs of scenario 'calm'"):
        simulated_moments({}, TARGETS[:1])
    with pytest.raises(ConfigError, match="needs a finite hi"):
        Target("x", "calm", "median_spread_bp", "range", lo=1.0)
    with pytest.raises(ConfigError, match="unknown statistic"):
        Target("x", "calm", "nope", "range", lo=1.0, hi=2.0)
    with pytest.raises(ConfigError, match="positive bounds"):
        Target("x", "calm", "median_spread_bp", "range", lo=0.0, hi=2.0, log=True)


def test_split_periods_keeps_attrs() -> None:
    idx = pd.bdate_range("2003-01-01", "2006-12-31")
    prices = pd.Series(np.linspace(300, 600, idx.size), index=idx)
    prices.attrs["source"] = "synthetic"
    early, late = split_periods(prices)
    assert early.index[-1] <= pd.Timestamp("2004-12-31") < late.index[0]
    assert early.attrs["source"] == "synthetic (calibration period)"
    assert late.attrs["source"] == "synthetic (later period)"
    with pytest.raises(ConfigError, match="must cover both"):
        split_periods(prices.loc[:"2004-06-30"])


def test_format_number() -> None:
    assert format_number(17_060_000.0) == "17,060,000"
    assert format_number(0.08593) == "0.0859"
    assert format_number(38.46) == "38.5"
    assert format_number(math.nan) == "n/a"
