"""Stylised facts: vectorised statistics, dated worst moves and drawdowns, GARCH, the summary."""

from __future__ import annotations

import json
import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from gramabm.analysis.history import stylised
from gramabm.analysis.history.stylised import (
    Drawdown,
    GarchFitWarning,
    TailFitWarning,
    annualised_volatility,
    autocorrelation,
    drawdown_depth,
    excess_kurtosis,
    fit_gjr_garch,
    garch_persistence,
    historical_es,
    historical_var,
    max_drawdown,
    skewness,
    stylised_facts,
    worst_log_return,
    worst_return,
)
from gramabm.errors import ConfigError, DataValidationError
from tests.analysis import shared_prices


def series(values, start="2020-01-01", freq="B") -> pd.Series:
    """A small price series in the kit's convention."""
    index = pd.date_range(start, periods=len(values), freq=freq, name="date")
    s = pd.Series(np.asarray(values, dtype=float), index=index, name="price")
    s.attrs["source"] = "synthetic"
    return s


def random_walk(rng: np.random.Generator, n: int, vol: float = 0.01) -> pd.Series:
    return series(100.0 * np.exp(np.cumsum(np.r_[0.0, vol * rng.standard_normal(n - 1)])))


def simulate_gjr_garch_t(
    rng: np.random.Generator, n: int, omega=0.02, alpha=0.05, gamma=0.06, beta=0.9, nu=6.0
) -> np.ndarray:
    """Returns (fractions) of a GJR-GARCH(1,1) with unit-variance Student-t shocks, in percent units."""
    z = rng.standard_t(nu, size=n + 500) / math.sqrt(nu / (nu - 2.0))
    sigma2 = omega / (1.0 - alpha - beta - gamma / 2.0)
    e = np.empty(n + 500)
    for t in range(n + 500):
        e[t] = math.sqrt(sigma2) * z[t]
        sigma2 = omega + (alpha + gamma * (e[t] < 0.0)) * e[t] ** 2 + beta * sigma2
    return e[500:] / 100.0  # burn-in dropped; percent -> fraction


# ----------------------------------------------------------------------------- README oracles


@pytest.fixture(scope="module")
def gold() -> pd.Series:
    return shared_prices("gold_usd_daily.csv")


@pytest.fixture(scope="module")
def gold_facts(gold):
    return stylised_facts(gold)


@pytest.fixture(scope="module")
def gold_2000_facts(gold):
    return stylised_facts(gold.loc["2000-01-04":])


def test_gold_full_history_matches_readme(gold_facts):
    # Tolerances: half a unit of the README's last printed digit.
    f = gold_facts
    assert f.n_obs == 14_570
    assert str(f.start.date()) == "1968-04-01"
    assert str(f.end.date()) == "2025-11-12"
    assert f.ann_vol == pytest.approx(0.194, abs=0.0005)
    assert f.excess_kurtosis == pytest.approx(13.6, abs=0.05)
    assert f.skew == pytest.approx(0.07, abs=0.005)


def test_gold_worst_moves_are_log_returns(gold_facts):
    w1, w5 = gold_facts.worst_1d, gold_facts.worst_5d
    # The README's -16.0% is a log return: the simple return that day is -14.8%.
    assert w1.value == pytest.approx(-0.160, abs=0.0005)
    assert w1.simple == pytest.approx(-0.148, abs=0.0005)
    assert (str(w1.start.date()), str(w1.end.date())) == ("1980-01-22", "1980-01-23")
    assert w5.value == pytest.approx(-0.293, abs=0.0005)
    assert (str(w5.start.date()), str(w5.end.date())) == ("1980-01-21", "1980-01-28")


def test_gold_max_drawdown_matches_readme(gold_facts):
    dd = gold_facts.max_drawdown
    assert dd.value == pytest.approx(-0.700, abs=0.0005)
    assert dd.to_dict() | {"value": None} == {
        "value": None,
        "peak": "1980-01-21",
        "trough": "1999-07-21",
        "recovery": "2008-01-03",
    }


def test_gold_since_2000_matches_readme(gold_2000_facts):
    f = gold_2000_facts
    assert str(f.start.date()) == "2000-01-04"
    assert f.ann_vol == pytest.approx(0.170, abs=0.0005)
    assert f.excess_kurtosis == pytest.approx(6.8, abs=0.05)
    assert f.worst_1d.value == pytest.approx(-0.089, abs=0.0005)
    assert str(f.worst_1d.end.date()) == "2013-04-15"
    assert f.worst_5d.value == pytest.approx(-0.146, abs=0.0005)
    assert (str(f.worst_5d.start.date()), str(f.worst_5d.end.date())) == (
        "2008-10-17",
        "2008-10-24",
    )
    dd = f.max_drawdown
    assert dd.value == pytest.approx(-0.446, abs=0.0005)
    assert (str(dd.peak.date()), str(dd.trough.date()), str(dd.recovery.date())) == (
        "2011-09-05",
        "2015-12-03",
        "2020-07-27",
    )


def test_gold_pm_fix_cross_check():
    f = stylised_facts(shared_prices("gold_usd_daily_lbma_pm.csv"))
    assert f.ann_vol == pytest.approx(0.195, abs=0.0005)
    assert f.excess_kurtosis == pytest.approx(11.0, abs=0.05)
    assert f.worst_1d.value == pytest.approx(-0.142, abs=0.0005)
    assert str(f.worst_1d.end.date()) == "1980-01-22"
    assert f.worst_5d.value == pytest.approx(-0.309, abs=0.0005)
    assert f.max_drawdown.value == pytest.approx(-0.703, abs=0.0005)
    assert str(f.max_drawdown.trough.date()) == "1999-07-20"


def test_gold_volatility_clusters(gold_facts):
    # docs/model.md D5: GARCH persistence about 0.99; |returns| autocorrelate, returns barely do.
    assert 0.97 < gold_facts.garch_persistence < 1.01
    assert gold_facts.acf_at(1, absolute=True) > 0.2
    assert gold_facts.acf_at(20, absolute=True) > 0.1
    assert abs(gold_facts.acf_at(1)) < 0.06
    assert gold_facts.acf_returns.shape == gold_facts.acf_abs_returns.shape == (20,)


def test_gold_historical_var_es(gold, gold_facts):
    r = np.diff(np.log(gold.to_numpy()))
    losses = -r
    # About 1% of days lose more than VaR 99%, and ES is the mean of those days.
    assert np.mean(losses > gold_facts.var_99) == pytest.approx(0.01, abs=0.0005)
    assert gold_facts.es_99 == pytest.approx(losses[losses >= gold_facts.var_99].mean())
    assert gold_facts.es_99 > gold_facts.var_99 > 0.0


def test_stylised_facts_is_fast(gold):
    start = time.perf_counter()
    stylised_facts(gold)
    assert time.perf_counter() - start < 3.0


def test_garch_fit_is_fast(gold):
    r = np.diff(np.log(gold.to_numpy()))
    start = time.perf_counter()
    garch_persistence(r)
    assert time.perf_counter() - start < 1.5


def test_gold_to_dict_is_json_and_table_is_ordered(gold_facts):
    d = json.loads(json.dumps(gold_facts.to_dict(), allow_nan=False))
    assert d["worst_5d"]["start"] == "1980-01-21"
    assert len(d["acf_abs_returns"]) == 20
    assert d["tail"]["fit_1d"]["n_exceed"] > 0
    labels = [label for label, _ in gold_facts.table()]
    order = [
        "Annualised volatility",
        "Skew",
        "Excess kurtosis",
        "ACF of returns, lags 1/5/10/20",
        "ACF of |returns|, lags 1/5/10/20",
        "GARCH persistence (GJR-GARCH(1,1)-t)",
        "Worst 1-day return",
        "Worst 5-day return",
        "Maximum drawdown",
        "VaR 99%, 1-day, historical (log loss)",
        "ES 99%, 1-day, historical (log loss)",
        "VaR 99.9%, 1-day, GPD (log loss)",
        "1-in-100-year 5-day fall",
    ]
    assert [labels.index(x) for x in order] == sorted(labels.index(x) for x in order)
    table = dict(gold_facts.table())
    assert table["Annualised volatility"] == "19.4%"
    assert table["Worst 1-day return"] == "-16.0% log (-14.8% price), 1980-01-23"
    assert table["Drawdown recovery"] == "2008-01-03"
    assert all(isinstance(v, str) and v for v in table.values())


# ----------------------------------------------------------------------------- vectorised moments


def test_iid_normal_has_no_excess_kurtosis_or_autocorrelation():
    rng = np.random.default_rng(1)
    n = 100_000
    r = 0.01 * rng.standard_normal(n)
    assert annualised_volatility(r) == pytest.approx(0.01 * math.sqrt(252), rel=0.01)
    assert abs(excess_kurtosis(r)) < 0.1  # standard error sqrt(24/n) = 0.015
    assert abs(skewness(r)) < 0.05  # standard error sqrt(6/n) = 0.008
    acf = autocorrelation(r)
    assert acf.shape == (20,)
    assert np.max(np.abs(acf)) < 4.0 / math.sqrt(n)


def test_student_t_is_fat_tailed():
    r = np.random.default_rng(2).standard_t(6, size=200_000)
    assert excess_kurtosis(r) == pytest.approx(3.0, abs=0.6)  # 6 / (nu - 4) = 3 for nu = 6


def test_moments_match_scipy():
    x = np.random.default_rng(3).lognormal(size=(4, 300))
    np.testing.assert_allclose(skewness(x), stats.skew(x, axis=-1))
    np.testing.assert_allclose(excess_kurtosis(x), stats.kurtosis(x, axis=-1))
    np.testing.assert_allclose(annualised_volatility(x, 12), x.std(axis=-1, ddof=1) * math.sqrt(12))


def test_scalar_statistics_on_paths_equal_rowwise_results():
    rng = np.random.default_rng(4)
    prices = 100.0 * np.exp(np.cumsum(0.01 * rng.standard_t(4, size=(50, 260)), axis=-1))
    returns = np.diff(np.log(prices), axis=-1)
    for fn in (annualised_volatility, skewness, excess_kurtosis, historical_var, historical_es):
        batch = fn(returns)
        assert batch.shape == (50,)
        np.testing.assert_allclose(batch, [fn(row) for row in returns], rtol=1e-12)
        # Time on axis 0 gives the same answer.
        np.testing.assert_allclose(fn(returns.T, axis=0), batch, rtol=1e-12)
    for fn in (drawdown_depth, lambda p: worst_log_return(p, 5)):
        np.testing.assert_allclose(fn(prices), [fn(row) for row in prices], rtol=1e-12)
    acf = autocorrelation(returns, lags=[1, 2, 3])
    assert acf.shape == (50, 3)
    np.testing.assert_allclose(acf, [autocorrelation(row, [1, 2, 3]) for row in returns])
    np.testing.assert_allclose(autocorrelation(returns.T, [1, 2, 3], axis=0), acf)


def test_scalar_statistics_return_floats_for_1d():
    r = np.random.default_rng(5).standard_normal(100)
    for value in (annualised_volatility(r), skewness(r), excess_kurtosis(r), historical_var(r)):
        assert type(value) is float


def test_autocorrelation_matches_direct_sum_and_ar1():
    rng = np.random.default_rng(6)
    x = rng.standard_normal(40)
    d = x - x.mean()
    direct = [np.sum(d[:-k] * d[k:]) / np.sum(d * d) for k in (1, 2, 7)]
    np.testing.assert_allclose(autocorrelation(x, lags=(1, 2, 7)), direct, atol=1e-12)
    assert autocorrelation(x, lags=[0])[0] == pytest.approx(1.0)
    # AR(1) with phi = 0.6: acf(k) = 0.6**k.
    e = rng.standard_normal(50_000)
    ar = np.empty_like(e)
    ar[0] = e[0]
    for t in range(1, e.size):
        ar[t] = 0.6 * ar[t - 1] + e[t]
    np.testing.assert_allclose(autocorrelation(ar, lags=[1, 2, 3]), [0.6, 0.36, 0.216], atol=0.02)


def test_paths_are_fast():
    r = np.random.default_rng(7).standard_normal((5_000, 252))
    start = time.perf_counter()
    autocorrelation(np.abs(r))
    excess_kurtosis(r)
    annualised_volatility(r)
    historical_es(r)
    assert time.perf_counter() - start < 2.0


def test_constant_series_gives_nan_not_garbage():
    x = np.full((2, 30), 0.1)
    assert np.all(np.isnan(autocorrelation(x)))
    assert np.all(np.isnan(skewness(x)))
    assert np.all(np.isnan(excess_kurtosis(x)))
    assert np.all(annualised_volatility(x) == 0.0)


def test_bad_arguments_raise_named_errors():
    x = np.random.default_rng(8).standard_normal(30)
    with pytest.raises(ConfigError, match="lags"):
        autocorrelation(x, lags=[30])
    with pytest.raises(ConfigError, match="lags"):
        autocorrelation(x, lags=[])
    with pytest.raises(DataValidationError, match="at least 2"):
        annualised_volatility([0.1])
    with pytest.raises(ConfigError, match="confidence level"):
        historical_var(x, level=1.0)
    with pytest.raises(ConfigError, match="horizon_days"):
        worst_log_return(np.ones(5), 5)


def test_historical_var_es_on_known_losses():
    returns = -np.arange(1.0, 101.0)  # losses 1..100
    assert historical_var(returns, 0.99) == pytest.approx(99.01)
    assert historical_es(returns, 0.99) == pytest.approx(100.0)
    assert historical_es(returns, 0.95) == pytest.approx(np.mean([96, 97, 98, 99, 100]))


# ----------------------------------------------------------------------------- drawdown, moves


def test_drawdown_of_known_path():
    p = series([100, 120, 90, 60, 110, 120, 130, 50, 140])
    dd = max_drawdown(p)
    # 130 -> 50 (-61.5%) beats 120 -> 60 (-50%); recovered when 140 > 130.
    assert dd.value == pytest.approx(50 / 130 - 1)
    assert (dd.peak, dd.trough, dd.recovery) == (p.index[6], p.index[7], p.index[8])
    assert drawdown_depth(p.to_numpy()) == pytest.approx(dd.value)


def test_drawdown_unrecovered_and_repeated_peak():
    p = series([100, 120, 90, 120, 80, 100])
    dd = max_drawdown(p)
    # The peak is the last day at 120 before the trough; the price never gets back.
    assert dd == Drawdown(80 / 120 - 1, p.index[3], p.index[4], None)
    assert dd.to_dict()["recovery"] is None


def test_drawdown_of_rising_path_is_zero():
    p = series([1, 2, 3, 4])
    dd = max_drawdown(p)
    assert dd.value == 0.0
    assert dd.peak == dd.trough == dd.recovery == p.index[0]


def test_drawdown_recovery_at_exactly_the_peak_price():
    p = series([100, 50, 100, 90])
    assert max_drawdown(p).recovery == p.index[2]


@given(
    hnp.arrays(np.float64, st.integers(2, 60), elements=st.floats(0.01, 1e4)),
)
def test_drawdown_properties(values):
    p = series(values)
    dd = max_drawdown(p)
    assert -1.0 < dd.value <= 0.0
    assert dd.peak <= dd.trough
    assert dd.value == pytest.approx(p[dd.trough] / p[dd.peak] - 1.0)
    assert dd.value == pytest.approx(drawdown_depth(values))
    if dd.value == 0.0:
        assert dd.peak == dd.trough == dd.recovery == p.index[0]
    elif dd.recovery is not None:
        assert dd.recovery > dd.trough
        assert p[dd.recovery] >= p[dd.peak]
        assert (p[dd.trough : dd.recovery].iloc[:-1] < p[dd.peak]).all()
    # No pair of dates falls further than the maximum drawdown.
    brute = min(values[j] / values[: j + 1].max() - 1.0 for j in range(len(values)))
    assert dd.value == pytest.approx(brute)


def test_worst_return_of_known_path():
    p = series([100, 100, 90, 95, 80, 100, 100, 101])
    one = worst_return(p, 1)
    assert one.value == pytest.approx(math.log(80 / 95))
    assert (one.start, one.end) == (p.index[3], p.index[4])
    two = worst_return(p, 2)
    assert two.value == pytest.approx(math.log(80 / 90))
    assert (two.start, two.end) == (p.index[2], p.index[4])
    assert two.simple == pytest.approx(80 / 90 - 1)
    assert worst_log_return(p.to_numpy(), 2) == pytest.approx(two.value)
    assert two.to_dict()["start"] == str(p.index[2].date())
    with pytest.raises(ConfigError, match="horizon_days"):
        worst_return(p, 0)


# ----------------------------------------------------------------------------- GARCH


def test_garch_recovers_known_persistence():
    r = simulate_gjr_garch_t(np.random.default_rng(9), 8_000)
    fit = fit_gjr_garch(r)
    assert fit.converged
    assert fit.persistence == pytest.approx(0.98, abs=0.02)
    assert fit.beta == pytest.approx(0.9, abs=0.05)
    assert fit.nu == pytest.approx(6.0, abs=2.0)
    assert garch_persistence(r) == fit.persistence  # deterministic


def test_garch_rejects_unfittable_input():
    with pytest.raises(DataValidationError, match="at least"):
        garch_persistence(np.zeros(10))
    with pytest.raises(DataValidationError, match="constant"):
        garch_persistence(np.zeros(500))
    with pytest.raises(DataValidationError, match="non-finite"):
        garch_persistence(np.r_[np.nan, np.ones(500)])


class _Result:
    def __init__(self, flag):
        self.params = pd.Series(
            {"mu": 0, "omega": 0.1, "alpha[1]": 0.1, "gamma[1]": 0, "beta[1]": 0.8, "nu": 5}
        )
        self.loglikelihood = -1.0
        self.convergence_flag = flag


def test_garch_failures_become_nan_with_warning(monkeypatch):
    r = np.random.default_rng(10).standard_normal(500) / 100

    class Raising:
        def fit(self, **_):
            raise np.linalg.LinAlgError("singular matrix")

    monkeypatch.setattr(stylised, "arch_model", lambda *a, **k: Raising())
    with pytest.warns(GarchFitWarning, match="singular"):
        assert math.isnan(garch_persistence(r))

    class NotConverged:
        def fit(self, **_):
            return _Result(flag=4)

    monkeypatch.setattr(stylised, "arch_model", lambda *a, **k: NotConverged())
    with pytest.warns(GarchFitWarning, match="did not converge"):
        assert math.isnan(garch_persistence(r))
    with pytest.warns(GarchFitWarning):
        facts = stylised_facts(random_walk(np.random.default_rng(10), 2_000))
    assert math.isnan(facts.garch_persistence)
    assert facts.to_dict()["garch_persistence"] is None
    assert dict(facts.table())["GARCH persistence (GJR-GARCH(1,1)-t)"] == "n/a (fit failed)"


# ----------------------------------------------------------------------------- the summary


def test_stylised_facts_on_a_random_walk():
    p = random_walk(np.random.default_rng(11), 3_000, vol=0.01)
    f = stylised_facts(p)
    assert f.n_obs == 2_999
    assert f.ann_vol == pytest.approx(0.01 * math.sqrt(252), rel=0.05)
    assert abs(f.excess_kurtosis) < 0.5
    assert f.tail is not None
    assert f.tail.var > f.var_99
    assert not f.acf_returns.flags.writeable
    # Same input, same answer.
    assert json.dumps(stylised_facts(p).to_dict()) == json.dumps(f.to_dict())


def test_short_series_has_no_tail_or_garch_but_still_reports():
    p = random_walk(np.random.default_rng(12), 60)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = stylised_facts(p)
    kinds = {w.category for w in caught}
    assert {TailFitWarning, GarchFitWarning} <= kinds
    assert f.tail is None
    assert math.isnan(f.garch_persistence)
    assert dict(f.table())["Tail fit (GPD)"] == "n/a (series too short)"
    json.dumps(f.to_dict(), allow_nan=False)


def test_stylised_facts_rejects_bad_series():
    p = random_walk(np.random.default_rng(13), 100)
    with pytest.raises(DataValidationError, match="at least 30"):
        stylised_facts(p.iloc[:10])
    with pytest.raises(DataValidationError, match="increasing"):
        stylised_facts(p.iloc[::-1])
    bad = p.copy()
    bad.iloc[40] = -1.0
    with pytest.raises(DataValidationError, match="row 41"):
        stylised_facts(bad)
    with pytest.raises(DataValidationError, match="DatetimeIndex"):
        stylised_facts(p.reset_index(drop=True))
    with pytest.raises(DataValidationError, match="Series"):
        stylised_facts(p.to_numpy())
