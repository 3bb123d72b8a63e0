"""Stationary block bootstrap: resampled values, block structure, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.analysis.history.stylised import annualised_volatility, autocorrelation
from gramabm.data.loaders import load_builtin
from gramabm.errors import ConfigError, DataValidationError
from gramabm.scenarios.bootstrap import stationary_bootstrap, stationary_bootstrap_indices


def test_values_come_from_the_history_in_circular_runs():
    history = np.arange(100, dtype=float) / 1000.0
    paths = stationary_bootstrap(history, 500, 20, np.random.default_rng(0), mean_block=10)
    assert paths.shape == (20, 500)
    assert np.isin(paths, history).all()
    # Inside a block the next day is the next historical day (wrapping from the last to the first).
    idx = np.rint(paths * 1000).astype(int)
    continues = np.diff(idx, axis=1) % 100 == 1
    assert (
        continues.mean() > 0.85
    )  # new blocks start with probability 1/10 (and may continue by chance)


@pytest.mark.parametrize("mean_block", [1.0, 5.0, 20.0, 50.0])
def test_block_lengths_are_geometric_with_the_requested_mean(mean_block):
    idx = stationary_bootstrap_indices(
        1_000_000, 2000, 200, np.random.default_rng(1), mean_block=mean_block
    )
    # With a very long history a chance continuation is negligible, so breaks mark new blocks.
    breaks = np.diff(idx, axis=1) != 1
    share_new = breaks.mean()
    assert share_new == pytest.approx(1.0 / mean_block, rel=0.05)


def test_bootstrap_of_gold_keeps_volatility_and_clustering():
    prices = load_builtin()
    returns = np.diff(np.log(prices.to_numpy(dtype=float)))
    paths = stationary_bootstrap(returns, 252, 2000, np.random.default_rng(2), mean_block=20)
    assert annualised_volatility(paths.ravel()) == pytest.approx(
        annualised_volatility(returns), rel=0.05
    )
    acf_paths = np.median(autocorrelation(np.abs(paths), lags=[1]))
    shuffled = stationary_bootstrap(returns, 252, 2000, np.random.default_rng(2), mean_block=1)
    acf_iid = np.median(autocorrelation(np.abs(shuffled), lags=[1]))
    # Blocks keep the clustering of volatility; resampling single days destroys it.
    assert acf_paths > 0.05
    assert acf_iid < 0.02


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"returns": np.array([0.01])}, DataValidationError),
        ({"returns": np.array([0.01, np.nan, 0.0])}, DataValidationError),
        ({"n_days": 0}, ConfigError),
        ({"n_paths": -1}, ConfigError),
        ({"mean_block": 0.5}, ConfigError),
        ({"mean_block": float("nan")}, ConfigError),
    ],
)
def test_bad_input_raises_named_errors(kwargs, error):
    args = {"returns": np.array([0.01, -0.02, 0.005]), "n_days": 5, "n_paths": 2}
    args.update(kwargs)
    mean_block = args.pop("mean_block", 20.0)
    with pytest.raises(error):
        stationary_bootstrap(
            args["returns"],
            args["n_days"],
            args["n_paths"],
            np.random.default_rng(0),
            mean_block=mean_block,
        )


@given(
    returns=st.lists(st.floats(-0.2, 0.2), min_size=2, max_size=300),
    n_days=st.integers(1, 400),
    n_paths=st.integers(1, 4),
    mean_block=st.floats(1.0, 60.0),
    seed=st.integers(0, 2**32 - 1),
    start_price=st.floats(1.0, 1e5),
)
def test_prices_are_finite_positive_and_seeded(
    returns, n_days, n_paths, mean_block, seed, start_price
):
    history = np.asarray(returns)
    a = stationary_bootstrap(
        history, n_days, n_paths, np.random.default_rng(seed), mean_block=mean_block
    )
    b = stationary_bootstrap(
        history, n_days, n_paths, np.random.default_rng(seed), mean_block=mean_block
    )
    assert a.shape == (n_paths, n_days)
    prices = start_price * np.exp(np.cumsum(a, axis=1))
    assert np.all(np.isfinite(prices))
    assert np.all(prices > 0)
    np.testing.assert_array_equal(a, b)
    # Different seeds pick different days (compared on the indices: values may repeat).
    i = stationary_bootstrap_indices(len(history), n_days + 50, 4, np.random.default_rng(seed))
    j = stationary_bootstrap_indices(len(history), n_days + 50, 4, np.random.default_rng(seed + 1))
    assert not np.array_equal(i, j)
