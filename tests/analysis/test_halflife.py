"""AR(1) deviation half-life on synthetic series with known persistence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.analysis.runs.halflife import (
    FLAG_BELOW_ONE_STEP,
    FLAG_INSUFFICIENT_DATA,
    FLAG_NO_MEAN_REVERSION,
    FLAG_NO_VARIATION,
    FLAG_OK,
    ar1_half_life,
)
from gramabm.errors import ConfigError


def ar1(phi: float, n: int, *, seed: int, c: float = 0.0, sigma: float = 10.0) -> np.ndarray:
    """A stationary AR(1) path d[t+1] = c + phi d[t] + e, started at its mean."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.0, sigma, n)
    out = np.empty(n)
    out[0] = c / (1 - phi) if phi != 1 else 0.0
    for t in range(1, n):
        out[t] = c + phi * out[t - 1] + shocks[t]
    return out


def test_known_phi_gives_known_half_life() -> None:
    n = 20_000
    hl = ar1_half_life(ar1(0.9, n, seed=1), step_hours=2.0)
    expected_steps = math.log(0.5) / math.log(0.9)
    assert expected_steps == pytest.approx(6.579, abs=1e-3)
    assert hl.flag == FLAG_OK
    assert hl.n_obs == n - 1
    assert hl.phi == pytest.approx(0.9, abs=0.01)
    # se(phi) of a stationary AR(1) is about sqrt((1 - phi^2) / n).
    assert hl.phi_se == pytest.approx(math.sqrt((1 - 0.81) / n), rel=0.2)
    assert hl.half_life_steps == pytest.approx(expected_steps, abs=0.7)
    assert hl.half_life_hours == pytest.approx(2.0 * hl.half_life_steps)


@pytest.mark.parametrize(("phi", "tol"), [(0.5, 0.05), (0.97, 0.01)])
def test_other_persistences(phi: float, tol: float) -> None:
    hl = ar1_half_life(ar1(phi, 10_000, seed=2))
    assert hl.phi == pytest.approx(phi, abs=tol)
    assert hl.half_life_steps == pytest.approx(math.log(0.5) / math.log(hl.phi))


def test_intercept_recovers_long_run_level() -> None:
    hl = ar1_half_life(ar1(0.8, 10_000, seed=3, c=-8.0))
    assert hl.intercept is not None
    assert hl.phi is not None
    assert hl.intercept / (1 - hl.phi) == pytest.approx(-40.0, abs=2.0)


def test_explosive_series_has_no_mean_reversion() -> None:
    hl = ar1_half_life(ar1(1.05, 200, seed=4, sigma=1.0))
    assert hl.flag == FLAG_NO_MEAN_REVERSION
    assert hl.phi is not None
    assert hl.phi >= 1.0
    assert hl.half_life_steps is None
    assert hl.half_life_hours is None


def test_alternating_series_is_below_one_step() -> None:
    hl = ar1_half_life(np.tile([30.0, -30.0], 50), step_hours=4.0)
    assert hl.phi == pytest.approx(-1.0)
    assert hl.flag == FLAG_BELOW_ONE_STEP
    assert hl.half_life_steps == 0.0
    assert hl.half_life_hours == 0.0


def test_white_noise_is_below_one_step() -> None:
    hl = ar1_half_life(np.random.default_rng(5).normal(0, 10, 5_000))
    assert hl.flag == FLAG_BELOW_ONE_STEP
    assert hl.half_life_steps is not None
    assert hl.half_life_steps < 1.0


def test_too_short_and_constant_series() -> None:
    short = ar1_half_life([1.0, 2.0, 1.5, 1.2, 1.1])
    assert (short.flag, short.n_obs, short.phi) == (FLAG_INSUFFICIENT_DATA, 4, None)
    assert ar1_half_life([1.0, 2.0, 1.5, 1.2, 1.1], min_obs=3).flag != FLAG_INSUFFICIENT_DATA
    flat = ar1_half_life(np.full(100, 25.0))
    assert flat.flag == FLAG_NO_VARIATION
    assert flat.half_life_hours is None


def test_nan_pairs_are_dropped() -> None:
    series = np.array([1.0, np.nan, 3.0, 4.0, np.nan, np.nan, 7.0, 8.0, 9.0])
    # Finite pairs: (3,4), (7,8), (8,9).
    assert ar1_half_life(series, min_obs=3).n_obs == 3
    path = ar1(0.9, 20_000, seed=6)
    path[np.random.default_rng(7).choice(path.size, 2_000, replace=False)] = np.nan
    hl = ar1_half_life(path)
    assert hl.phi == pytest.approx(0.9, abs=0.01)
    assert hl.n_obs < 19_999 - 2_000


def test_window_selects_the_regime() -> None:
    calm = ar1(0.2, 5_000, seed=8)
    sticky = ar1(0.95, 5_000, seed=9)
    series = np.concatenate([calm, sticky])
    hl = ar1_half_life(series, start=5_000)
    assert hl.n_obs == 4_999
    assert hl.phi == pytest.approx(0.95, abs=0.015)
    assert ar1_half_life(series, stop=5_000).phi == pytest.approx(0.2, abs=0.05)


@given(
    scale=st.floats(0.01, 1e4),
    shift=st.floats(-1e3, 1e3),
    seed=st.integers(0, 2**16),
)
def test_phi_is_invariant_to_units_and_level(scale: float, shift: float, seed: int) -> None:
    base = ar1(0.7, 300, seed=seed)
    a = ar1_half_life(base)
    b = ar1_half_life(base * scale + shift)
    assert a.phi is not None
    assert b.phi is not None
    assert b.phi == pytest.approx(a.phi, abs=1e-8)
    assert b.phi_se == pytest.approx(a.phi_se, rel=1e-6)


def test_to_dict_round_trips() -> None:
    hl = ar1_half_life(ar1(0.9, 500, seed=10), step_hours=0.25)
    d = hl.to_dict()
    assert d["flag"] == hl.flag
    assert d["step_hours"] == 0.25
    assert d["half_life_hours"] == hl.half_life_hours


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="step_hours"):
        ar1_half_life(np.zeros(20), step_hours=0.0)
    with pytest.raises(ConfigError, match="min_obs"):
        ar1_half_life(np.zeros(20), min_obs=2)
    with pytest.raises(ConfigError, match="one-dimensional"):
        ar1_half_life(np.zeros((5, 5)))
