"""Merton jump diffusion: threshold fit, simulation, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.analysis.history.stylised import annualised_volatility, excess_kurtosis
from gramabm.data.loaders import load_builtin
from gramabm.errors import ConfigError, DataValidationError
from gramabm.scenarios.jumps import (
    JumpDiffusionParams,
    fit_jump_diffusion,
    simulate_jump_diffusion,
)


def test_fit_recovers_well_separated_jumps():
    true = JumpDiffusionParams(
        mu=3e-4, sigma=0.01, jump_intensity=0.01, jump_mean=-0.08, jump_std=0.01
    )
    returns = simulate_jump_diffusion(true, 50_000, 1, np.random.default_rng(0))[0]
    fit = fit_jump_diffusion(returns)
    assert fit.sigma == pytest.approx(0.01, rel=0.02)
    assert fit.jump_intensity == pytest.approx(0.01, rel=0.15)
    assert fit.jump_mean == pytest.approx(-0.08, abs=0.003)
    # The spread is the loosest: the few diffusion days beyond the threshold and the double-jump
    # days count as jump days, and each sits about one jump (8%) from the others.
    assert fit.jump_std == pytest.approx(0.01, abs=0.006)
    assert fit.mu == pytest.approx(3e-4, abs=1e-4)
    assert fit.n_obs == 50_000


def test_no_jumps_in_gaussian_returns():
    returns = np.random.default_rng(1).normal(0.0, 0.01, 20_000)
    fit = fit_jump_diffusion(returns)
    assert fit.n_jumps <= 5  # P(|z| > 4) = 6e-5: about one day in 20,000
    assert fit.sigma == pytest.approx(0.01, rel=0.02)


def test_fit_and_simulate_builtin_gold():
    prices = load_builtin()
    returns = np.diff(np.log(prices.to_numpy(dtype=float)))
    fit = fit_jump_diffusion(returns)
    data_vol = annualised_volatility(returns)
    assert fit.annualised_vol == pytest.approx(data_vol, rel=0.03)
    assert 0.5 < fit.to_dict()["jumps_per_year"] < 20
    assert fit.jump_std > fit.sigma
    paths = simulate_jump_diffusion(fit, 252, 4000, np.random.default_rng(2))
    assert annualised_volatility(paths.ravel()) == pytest.approx(data_vol, rel=0.10)
    assert excess_kurtosis(paths.ravel()) > 3.0
    assert excess_kurtosis(paths.ravel()) == pytest.approx(fit.excess_kurtosis, rel=0.25)
    json.dumps(fit.to_dict())


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: fit_jump_diffusion(np.zeros(10)), DataValidationError),
        (lambda: fit_jump_diffusion(np.zeros(500)), DataValidationError),
        (lambda: fit_jump_diffusion(np.r_[np.ones(200), np.inf]), DataValidationError),
        (lambda: fit_jump_diffusion(np.ones(200), threshold=1.0), ConfigError),
        (lambda: JumpDiffusionParams(0.0, 0.0, 0.1, 0.0, 0.01), ConfigError),
        (lambda: JumpDiffusionParams(0.0, 0.01, -0.1, 0.0, 0.01), ConfigError),
        (lambda: JumpDiffusionParams(0.0, 0.01, 0.1, float("nan"), 0.01), ConfigError),
        (
            lambda: simulate_jump_diffusion(
                JumpDiffusionParams(0.0, 0.01, 0.1, 0.0, 0.01), 0, 1, np.random.default_rng(0)
            ),
            ConfigError,
        ),
    ],
)
def test_bad_input_raises_named_errors(call, error):
    with pytest.raises(error):
        call()


@given(
    mu=st.floats(-1e-3, 1e-3),
    sigma=st.floats(1e-4, 0.05),
    intensity=st.floats(0.0, 0.2),
    jump_mean=st.floats(-0.1, 0.1),
    jump_std=st.floats(0.0, 0.1),
    n_days=st.integers(1, 400),
    n_paths=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    start_price=st.floats(1.0, 1e5),
)
def test_prices_are_finite_positive_and_seeded(
    mu, sigma, intensity, jump_mean, jump_std, n_days, n_paths, seed, start_price
):
    params = JumpDiffusionParams(mu, sigma, intensity, jump_mean, jump_std)
    a = simulate_jump_diffusion(params, n_days, n_paths, np.random.default_rng(seed))
    b = simulate_jump_diffusion(params, n_days, n_paths, np.random.default_rng(seed))
    c = simulate_jump_diffusion(params, n_days, n_paths, np.random.default_rng(seed + 1))
    assert a.shape == (n_paths, n_days)
    prices = start_price * np.exp(np.cumsum(a, axis=1))
    assert np.all(np.isfinite(prices))
    assert np.all(prices > 0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
