"""GJR-GARCH-t fitted by simulated moments: each simulated year carries history's average year.

The stylised-fact test simulates N_PATHS one-year (252-day) paths from the moments fit to the LBMA
AM series in /work/shared/data, for three seeds, and checks the facts of the data as the
foundation issue states them, for the median path (median over paths of each path's statistic)
and for all paths pooled: annualised volatility within 10% of the data's 19.4%, excess kurtosis
above 3, autocorrelation of absolute returns above 0.1 at lag 1 and positive at lag 20. The
statistics are computed here from the paths, not taken from the fit's own record.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import special

from gramabm.analysis.history.stylised import (
    annualised_volatility,
    autocorrelation,
    excess_kurtosis,
)
from gramabm.data.loaders import load_builtin
from gramabm.errors import ConfigError, DataValidationError
from gramabm.scenarios import get_scenario
from gramabm.scenarios.garch import GarchFit, fit_garch, simulate_garch
from gramabm.scenarios.garch_moments import (
    MAX_MOMENT_PERSISTENCE,
    MIN_MOMENT_PERSISTENCE,
    MomentTargets,
    _CommonInnovations,
    fit_garch_moments,
    pooled_abs_acf,
    year_facts,
)

YEAR = 252
N_PATHS = 4000
SEEDS = (20250601, 20250602, 20250603)


@pytest.fixture(scope="module")
def lbma_mle(lbma_returns) -> GarchFit:
    return fit_garch(lbma_returns, reference_fit=False)


@pytest.fixture(scope="module")
def lbma_fit(lbma_returns, lbma_mle) -> GarchFit:
    return fit_garch_moments(lbma_returns, mle=lbma_mle)


@pytest.mark.parametrize("seed", SEEDS)
def test_one_year_paths_reproduce_the_stylised_facts(lbma_fit, lbma_returns, seed):
    data_vol = annualised_volatility(lbma_returns)
    assert data_vol == pytest.approx(0.194, abs=0.005)
    paths = simulate_garch(lbma_fit, YEAR, N_PATHS, np.random.default_rng(seed))

    # All paths pooled.
    pooled = paths.ravel()
    assert abs(annualised_volatility(pooled) / data_vol - 1.0) < 0.10
    assert excess_kurtosis(pooled) > 3.0
    assert pooled_abs_acf(paths, 1) > 0.1
    assert pooled_abs_acf(paths, 20) > 0.0

    # The median path.
    assert abs(np.median(annualised_volatility(paths)) / data_vol - 1.0) < 0.10
    assert np.median(excess_kurtosis(paths)) > 3.0
    acf = autocorrelation(np.abs(paths), lags=[1, 20])
    assert np.median(acf[:, 0]) > 0.1
    assert np.median(acf[:, 1]) > 0.0


def test_the_likelihood_fit_misses_what_the_moments_fit_meets(lbma_mle, lbma_returns):
    # Why the moments fit exists: the likelihood fit's median year is history's calm median year.
    paths = simulate_garch(lbma_mle, YEAR, N_PATHS, np.random.default_rng(SEEDS[0]))
    median_vol = np.median(annualised_volatility(paths))
    assert median_vol < 0.9 * annualised_volatility(lbma_returns)


def test_targets_are_history_s_average_year(lbma_returns):
    tg = MomentTargets.from_history(lbma_returns)
    n = len(lbma_returns) // YEAR
    years = lbma_returns[: n * YEAR].reshape(n, YEAR)
    assert tg.n_years == n == 57
    assert tg.vol == pytest.approx(annualised_volatility(lbma_returns), rel=1e-12)
    assert tg.kurtosis == pytest.approx(np.mean(excess_kurtosis(years)), rel=1e-12)
    # The average year is wilder than the median year: that is the point of the targets.
    assert tg.kurtosis > 3.0 > np.median(excess_kurtosis(years))
    acf = autocorrelation(np.abs(years), lags=[1, 20])
    assert tg.abs_acf1 == pytest.approx(np.mean(acf[:, 0]), rel=1e-12)
    assert tg.abs_acf20 == pytest.approx(np.mean(acf[:, 1]), rel=1e-12)
    assert tg.abs_acf1 > 0.1 > np.median(acf[:, 0])
    assert tg.tol_vol == pytest.approx(0.05 * tg.vol)


def test_fit_keeps_the_likelihood_asymmetry_and_records_itself(lbma_fit, lbma_mle):
    fit = lbma_fit
    assert fit.gamma < 0.0  # gold's inverse leverage, kept
    assert fit.gamma / fit.alpha == pytest.approx(lbma_mle.gamma / lbma_mle.alpha, rel=1e-9)
    assert MIN_MOMENT_PERSISTENCE < fit.persistence < MAX_MOMENT_PERSISTENCE
    assert fit.persistence == pytest.approx(fit.alpha + fit.gamma / 2 + fit.beta, rel=1e-12)
    assert fit.omega == pytest.approx(fit.long_run_var * (1.0 - fit.persistence), rel=1e-9)
    assert 2.5 < fit.nu < 10.0
    assert "simulated method of moments" in fit.method
    record = fit.moment_fit
    assert record["target_vol"] == pytest.approx(0.194, abs=0.005)
    assert record["objective"] >= 0.0
    assert record["fitted_median_vol"] > 0.9 * record["target_vol"]
    assert math.isfinite(fit.last_variance)
    assert fit.last_variance > 0.0
    json.dumps(fit.to_dict())


def _synthetic_returns(years: int, seed: int) -> np.ndarray:
    true = GarchFit.from_params(
        mu=0.0002, alpha=0.1, gamma=-0.03, beta=0.86, nu=5.0, long_run_var=1.2e-4
    )
    return simulate_garch(true, years * YEAR, 1, np.random.default_rng(seed))[0]


def test_fit_is_deterministic_and_seeded():
    x = _synthetic_returns(8, 7)
    kwargs = {"n_paths": 200, "max_evals": 40, "burn_in": 50}
    a = fit_garch_moments(x, seed=3, **kwargs)
    b = fit_garch_moments(x, seed=3, **kwargs)
    c = fit_garch_moments(x, seed=4, **kwargs)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()


def test_fit_moves_towards_given_targets():
    x = _synthetic_returns(8, 11)
    base = fit_garch(x, reference_fit=False)
    calm = MomentTargets(vol=0.12, kurtosis=1.0, abs_acf1=0.1, abs_acf20=0.02, tol_vol=0.006)
    wild = MomentTargets(vol=0.30, kurtosis=1.0, abs_acf1=0.1, abs_acf20=0.02, tol_vol=0.006)
    kwargs = {"mle": base, "n_paths": 300, "max_evals": 80, "burn_in": 100}
    low = fit_garch_moments(x, targets=calm, **kwargs)
    high = fit_garch_moments(x, targets=wild, **kwargs)
    assert low.moment_fit["fitted_median_vol"] == pytest.approx(0.12, rel=0.1)
    assert high.moment_fit["fitted_median_vol"] == pytest.approx(0.30, rel=0.1)


def test_year_facts_match_direct_statistics():
    paths = np.random.default_rng(2).standard_t(5, (300, YEAR)) * 0.01
    facts = year_facts(paths)
    assert facts.median_vol == pytest.approx(np.median(annualised_volatility(paths)))
    assert facts.pooled_vol == pytest.approx(annualised_volatility(paths.ravel()))
    assert facts.median_kurtosis == pytest.approx(np.median(excess_kurtosis(paths)))
    assert facts.pooled_abs_acf1 == pytest.approx(pooled_abs_acf(paths, 1))
    assert set(facts.to_dict()) >= {"median_vol", "pooled_abs_acf20"}


def test_pooled_abs_acf_uses_within_path_pairs_about_the_pooled_mean():
    paths = np.abs(np.random.default_rng(3).normal(size=(4, 30)))
    mean = paths.mean()
    num = sum(
        (paths[i, t] - mean) * (paths[i, t - 2] - mean) for i in range(4) for t in range(2, 30)
    )
    den = sum((v - mean) ** 2 for v in paths.ravel())
    assert pooled_abs_acf(paths, 2) == pytest.approx(num / den, rel=1e-12)


def test_common_innovations_are_exact_at_nodes_and_smooth_between():
    draws = _CommonInnovations(50, 400, seed=1)
    at5 = draws.at(5.0)  # 1/nu = 0.2: a node
    assert np.allclose(at5, special.stdtrit(5.0, draws.u) * math.sqrt(3.0 / 5.0))
    near = draws.at(5.01)
    assert 0.0 < np.max(np.abs(near - at5)) < 0.05
    assert np.std(draws.at(6.3)) == pytest.approx(1.0, abs=0.1)


def test_simulate_garch_uses_given_innovations():
    fit = GarchFit.from_params(mu=0.001, alpha=0.1, gamma=0.0, beta=0.8, nu=6.0, long_run_var=1e-4)
    flat = simulate_garch(
        fit, 10, 3, np.random.default_rng(0), burn_in=5, innovations=np.zeros((15, 3))
    )
    assert np.all(flat == 0.001)
    with pytest.raises(ConfigError, match="innovations must have shape"):
        simulate_garch(
            fit, 10, 3, np.random.default_rng(0), burn_in=5, innovations=np.zeros((10, 3))
        )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: fit_garch_moments(x, n_paths=10), ConfigError, "n_paths"),
        (lambda x: fit_garch_moments(x, burn_in=-1), ConfigError, "burn_in"),
        (lambda x: fit_garch_moments(x, max_evals=2), ConfigError, "max_evals"),
        (lambda x: fit_garch_moments(x[: 3 * YEAR]), DataValidationError, "4 years"),
        (lambda x: fit_garch_moments(np.r_[x, np.nan]), DataValidationError, "not finite"),
        (lambda x: year_facts(x), ConfigError, "n_paths"),
        (
            lambda x: MomentTargets(vol=0.2, kurtosis=3, abs_acf1=0.1, abs_acf20=0.0, tol_vol=0.0),
            ConfigError,
            "tol_vol",
        ),
        (
            lambda x: MomentTargets(
                vol=0.2, kurtosis=math.nan, abs_acf1=0.1, abs_acf20=0.0, tol_vol=0.01
            ),
            ConfigError,
            "kurtosis",
        ),
        (
            lambda x: MomentTargets(vol=-1, kurtosis=3, abs_acf1=0.1, abs_acf20=0.0, tol_vol=0.01),
            ConfigError,
            "vol",
        ),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call(_synthetic_returns(5, 0))


@pytest.fixture(scope="module")
def gold():
    return load_builtin()


class TestScenario:
    def test_garch_t_uses_the_moments_fit_by_default(self, gold):
        path = get_scenario("garch_t", gold).generate(100, seed=1)
        params = path.meta["parameters"]
        assert "simulated method of moments" in params["method"]
        assert params["moment_fit"]["target_n_years"] == 34
        assert np.all(np.isfinite(path.gold_usd_oz))
        assert np.all(path.gold_usd_oz > 0)

    def test_garch_t_can_use_the_likelihood_fit(self, gold):
        path = get_scenario("garch_t", gold, method="mle").generate(100, seed=1)
        params = path.meta["parameters"]
        assert "maximum likelihood" in params["method"]
        assert params["moment_fit"] == {}
        assert params["persistence"] <= 0.985 + 1e-9

    def test_unknown_method_is_named(self, gold):
        with pytest.raises(ConfigError, match="method must be one of moments, mle"):
            get_scenario("garch_t", gold, method="bayes")
