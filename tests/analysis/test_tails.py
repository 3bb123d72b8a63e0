"""Peaks over threshold: GPD fit, VaR/ES, return levels, multi-day falls and the gold tail."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from gramabm.analysis.history.tails import (
    GPDFit,
    InsufficientTailDataError,
    fall_for_return_period,
    fit_peaks_over_threshold,
    gpd_es,
    gpd_var,
    horizon_losses,
    return_level,
    tail_summary,
)
from gramabm.errors import ConfigError, DataValidationError
from tests.analysis import shared_prices


def gpd_sample(xi: float, beta: float, n: int, seed: int) -> np.ndarray:
    return stats.genpareto.rvs(xi, scale=beta, size=n, random_state=np.random.default_rng(seed))


def fit(xi=0.25, beta=0.01, threshold=0.02, n_exceed=500, n_total=10_000) -> GPDFit:
    return GPDFit(threshold, xi, beta, n_exceed, n_total, 1 - n_exceed / n_total)


# ----------------------------------------------------------------------------- fitting


@pytest.mark.parametrize(("xi", "beta"), [(0.25, 0.01), (0.0, 0.02), (-0.2, 0.05), (0.6, 0.003)])
def test_fit_recovers_known_gpd(xi, beta):
    losses = gpd_sample(xi, beta, 20_000, seed=1)
    q = 0.5
    f = fit_peaks_over_threshold(losses, threshold_quantile=q)
    # Threshold stability: excesses of a GPD over u are GPD with the same xi and scale beta + xi*u.
    assert f.xi == pytest.approx(xi, abs=0.05)
    assert f.beta == pytest.approx(beta + xi * f.threshold, rel=0.06)
    assert f.n_total == 20_000
    assert f.n_exceed == pytest.approx(10_000, abs=1)
    assert f.zeta == pytest.approx(0.5, abs=1e-4)


def test_fit_is_scale_free():
    losses = gpd_sample(0.3, 1.0, 5_000, seed=2)
    a = fit_peaks_over_threshold(losses)
    b = fit_peaks_over_threshold(losses * 1e-3)
    assert b.xi == pytest.approx(a.xi, abs=1e-4)
    assert b.beta == pytest.approx(a.beta * 1e-3, rel=1e-3)


def test_fit_on_normal_body_with_pareto_tail_finds_the_tail():
    rng = np.random.default_rng(3)
    body = 0.01 * rng.standard_normal(19_000)
    tail = 0.03 + gpd_sample(0.3, 0.01, 1_000, seed=4)
    f = fit_peaks_over_threshold(np.r_[body, tail], threshold_quantile=0.95)
    assert f.threshold == pytest.approx(0.03, abs=0.002)
    assert f.xi == pytest.approx(0.3, abs=0.12)


def test_fit_rejects_bad_input():
    with pytest.raises(InsufficientTailDataError, match="only 5 of 100"):
        fit_peaks_over_threshold(np.arange(100.0))
    with pytest.raises(InsufficientTailDataError, match="equal"):
        fit_peaks_over_threshold(np.r_[np.zeros(500), np.ones(100)], threshold_quantile=0.5)
    with pytest.raises(ConfigError, match="threshold_quantile"):
        fit_peaks_over_threshold(np.arange(100.0), threshold_quantile=1.0)
    with pytest.raises(DataValidationError, match="non-finite"):
        fit_peaks_over_threshold(np.r_[np.nan, np.arange(1000.0)])
    with pytest.raises(DataValidationError, match="1-D"):
        fit_peaks_over_threshold(np.ones((10, 10)))
    assert issubclass(InsufficientTailDataError, DataValidationError)


def test_gpd_fit_validates_its_fields():
    with pytest.raises(ConfigError, match="beta"):
        fit(beta=0.0)
    with pytest.raises(ConfigError, match="n_exceed"):
        fit(n_exceed=0)


# ----------------------------------------------------------------------------- VaR, ES


def test_var_at_the_tail_edge_is_the_threshold():
    f = fit()
    assert gpd_var(f, 1 - f.zeta) == pytest.approx(f.threshold)


def test_var_matches_closed_form_and_true_gpd_quantile():
    f = fit(xi=0.25, beta=0.01, threshold=0.02, n_exceed=500, n_total=10_000)
    p = 0.999
    expected = 0.02 + 0.01 / 0.25 * (((1 - p) / 0.05) ** -0.25 - 1)
    assert gpd_var(f, p) == pytest.approx(expected, rel=1e-12)
    # POT on exact GPD data reproduces the true quantile of the distribution.
    losses = gpd_sample(0.25, 0.01, 50_000, seed=5)
    pot = fit_peaks_over_threshold(losses, 0.9)
    assert gpd_var(pot, p) == pytest.approx(stats.genpareto.ppf(p, 0.25, scale=0.01), rel=0.05)


def test_var_is_continuous_at_xi_zero():
    p = 0.999
    at_zero = gpd_var(fit(xi=0.0), p)
    assert at_zero == pytest.approx(0.02 + 0.01 * math.log(0.05 / 0.001), rel=1e-12)
    assert gpd_var(fit(xi=1e-12), p) == pytest.approx(at_zero, rel=1e-9)
    assert gpd_var(fit(xi=-1e-12), p) == pytest.approx(at_zero, rel=1e-9)


@pytest.mark.parametrize("xi", [-0.3, 0.0, 0.2, 0.7])
def test_es_is_the_average_var_beyond_p(xi):
    f = fit(xi=xi)
    p = 0.999
    integral, _ = integrate.quad(lambda s: gpd_var(f, s), p, 1.0, limit=200)
    assert gpd_es(f, p) == pytest.approx(integral / (1 - p), rel=1e-5)
    assert gpd_es(f, p) > gpd_var(f, p)


def test_es_is_infinite_without_a_tail_mean():
    assert gpd_es(fit(xi=1.0), 0.999) == math.inf
    assert gpd_es(fit(xi=1.5), 0.999) == math.inf


def test_var_rejects_probabilities_outside_the_tail():
    f = fit()
    with pytest.raises(ConfigError, match="below the threshold"):
        gpd_var(f, 0.9)
    with pytest.raises(ConfigError, match=r"\(0, 1\)"):
        gpd_var(f, 1.0)


@given(
    xi=st.floats(-0.5, 0.9),
    p1=st.floats(0.95, 0.99999),
    p2=st.floats(0.95, 0.99999),
)
def test_var_and_es_grow_with_confidence(xi, p1, p2):
    f = fit(xi=xi)
    lo, hi = sorted((p1, p2))
    assert gpd_var(f, lo) <= gpd_var(f, hi) + 1e-15
    assert gpd_es(f, hi) >= gpd_var(f, hi) - 1e-15
    if xi < 0:  # bounded tail: never beyond the end point
        assert gpd_var(f, hi) <= f.threshold + f.beta / -xi + 1e-12


# ----------------------------------------------------------------------------- return levels


def test_return_level_is_var_at_one_exceedance_per_period():
    f = fit()
    assert return_level(f, 10, 252) == pytest.approx(gpd_var(f, 1 - 1 / 2520))
    assert return_level(f, 100, 252 / 5) == pytest.approx(gpd_var(f, 1 - 1 / 5040))
    assert return_level(f, 10) < return_level(f, 100)
    with pytest.raises(ConfigError, match="below the threshold"):
        return_level(f, 0.05, 252)  # 12.6 observations: 8% > zeta = 5%
    with pytest.raises(ConfigError, match="positive"):
        return_level(f, 0, 252)


def test_return_level_is_exceeded_about_once_per_period_in_simulation():
    # Daily iid Student-t losses over 2,000 years: the 1-in-10-year level is beaten ~200 times.
    rng = np.random.default_rng(6)
    n = 252 * 2_000
    losses = 0.01 * rng.standard_t(4, size=n)
    f = fit_peaks_over_threshold(losses[: 252 * 200], 0.95)  # fitted on 200 years
    level = return_level(f, 10, 252)
    assert np.sum(losses > level) == pytest.approx(200, rel=0.25)


def test_horizon_losses_are_non_overlapping_and_end_aligned():
    prices = np.array([100, 90, 99, 110, 100, 80, 88, 96.0])
    np.testing.assert_allclose(horizon_losses(prices, 1), -np.diff(np.log(prices)))
    # Windows of 3 rows end at the last price: rows 1->4 and 4->7; row 0 is left out.
    np.testing.assert_allclose(
        horizon_losses(prices, 3), [-math.log(100 / 90), -math.log(96 / 100)]
    )
    assert horizon_losses(prices, 7).tolist() == [pytest.approx(-math.log(96 / 100))]
    assert horizon_losses(prices, 8).size == 0
    with pytest.raises(ConfigError, match="horizon_days"):
        horizon_losses(prices, 0)


# ----------------------------------------------------------------------------- gold


@pytest.fixture(scope="module")
def gold() -> pd.Series:
    return shared_prices("gold_usd_daily.csv")


@pytest.fixture(scope="module")
def gold_tail(gold):
    return tail_summary(gold)


def test_gold_tail_is_heavy_and_consistent(gold, gold_tail):
    t = gold_tail
    losses = horizon_losses(gold, 1)
    assert 0.1 < t.fit_1d.xi < 0.4  # heavy (power-law) tail, finite variance
    assert t.fit_1d.n_total == 14_570
    assert t.fit_1d.n_exceed == np.sum(losses > t.fit_1d.threshold)
    assert t.fit_5d.n_total == 14_570 // 5
    # VaR 99.9% is beaten on about 0.1% of days (about 15 of 14,570).
    assert np.sum(losses > t.var) == pytest.approx(14.6, abs=8)
    assert t.es > t.var > np.quantile(losses, 0.99)


def test_gold_return_levels_agree_with_history(gold, gold_tail):
    years = len(gold) / 252  # 57.8 years of business days
    one_day = horizon_losses(gold, 1)
    ten = gold_tail.level(10, 1)
    # The 1-in-10-year day should have happened about 5.8 times (Poisson: 2..12 is ~98%).
    assert 2 <= np.sum(one_day > ten.loss) <= 12
    hundred = gold_tail.level(100, 1)
    # Worst day in 57.8 years (-16.0% log) sits between the 1-in-10 and 1-in-100-year levels.
    assert ten.loss < one_day.max() < hundred.loss * 1.1
    assert years > 57
    for h in (1, 5):
        assert gold_tail.level(10, h).loss < gold_tail.level(100, h).loss
    assert gold_tail.level(100, 5).loss > gold_tail.level(10, 5).loss > gold_tail.level(10, 1).loss
    assert hundred.fall == pytest.approx(-math.expm1(-hundred.loss))
    with pytest.raises(ConfigError, match="no return level"):
        gold_tail.level(50, 1)


def test_fall_for_return_period_is_a_simple_fraction(gold, gold_tail):
    fall = fall_for_return_period(gold, 100, 5)
    assert fall == pytest.approx(gold_tail.level(100, 5).fall)
    assert 0.10 < fall < 0.30  # the 1-in-100-year 5-day fall of gold
    assert fall < gold_tail.level(100, 5).loss  # a simple fall is smaller than the log loss
    assert fall_for_return_period(gold, 10, 1) == pytest.approx(gold_tail.level(10, 1).fall)
    assert fall_for_return_period(gold, 100, 20) > fall_for_return_period(gold, 10, 20)


def test_gold_tail_to_dict_is_json(gold_tail):
    d = json.loads(json.dumps(gold_tail.to_dict(), allow_nan=False))
    assert d["probability"] == 0.999
    assert [(r["years"], r["horizon_days"]) for r in d["return_levels"]] == [
        (10, 1),
        (100, 1),
        (10, 5),
        (100, 5),
    ]


def test_tail_summary_of_short_series_raises_named_error():
    index = pd.date_range("2020-01-01", periods=300, freq="B", name="date")
    rng = np.random.default_rng(7)
    prices = pd.Series(100 * np.exp(np.cumsum(0.01 * rng.standard_normal(300))), index=index)
    prices.attrs["source"] = "short.csv"
    with pytest.raises(InsufficientTailDataError, match="exceed"):
        tail_summary(prices)
    with pytest.raises(InsufficientTailDataError):
        fall_for_return_period(prices, 100, 5)
    assert 0 < fall_for_return_period(prices, 10, 1) < 1
