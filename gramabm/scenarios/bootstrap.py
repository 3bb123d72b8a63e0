"""Stationary block bootstrap of historical daily returns (Politis & Romano 1994).

A path is made of blocks of consecutive historical returns. Each block starts at a uniformly
random day and its length is geometric with mean ``mean_block``, so volatility clusters and other
short-range dependence survive inside blocks while the resampled series stays stationary (fixed
block lengths would not be). The history is read circularly: a block running past the last day
continues from the first.

Vectorised: for every path and day one uniform number decides whether a new block starts there,
block starts are carried forward with a running maximum, and the index of each resampled day is
its block's start plus its offset in the block, modulo the history's length.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError, DataValidationError


def stationary_bootstrap(
    returns: np.ndarray | pd.Series,
    n_days: int,
    n_paths: int,
    rng: np.random.Generator,
    *,
    mean_block: float = 20.0,
) -> np.ndarray:
    """Resample historical returns in random blocks of geometric length.

    Args:
        returns: Historical daily log returns (finite, at least two).
        n_days: Days per path (> 0).
        n_paths: Number of paths (> 0).
        rng: Source of randomness.
        mean_block: Mean block length in days (>= 1; 1 resamples days independently).

    Returns:
        Array of shape ``(n_paths, n_days)`` of resampled returns.

    Raises:
        ConfigError: If a count is not positive or ``mean_block < 1``.
        DataValidationError: If the returns are too few or not finite.
    """
    indices = stationary_bootstrap_indices(
        _history_length(returns), n_days, n_paths, rng, mean_block=mean_block
    )
    return np.asarray(returns, dtype=np.float64)[indices]


def stationary_bootstrap_indices(
    n_history: int,
    n_days: int,
    n_paths: int,
    rng: np.random.Generator,
    *,
    mean_block: float = 20.0,
) -> np.ndarray:
    """Indices into a history of ``n_history`` days that a stationary bootstrap resamples.

    Useful to resample several aligned series (e.g. returns and dates) with the same blocks.

    Args:
        n_history: Days of history (>= 1).
        n_days: Days per path (> 0).
        n_paths: Number of paths (> 0).
        rng: Source of randomness.
        mean_block: Mean block length in days (>= 1).

    Returns:
        Integer array of shape ``(n_paths, n_days)`` with values in ``[0, n_history)``.

    Raises:
        ConfigError: If a count is not positive or ``mean_block < 1``.
    """
    for name, value in (("n_history", n_history), ("n_days", n_days), ("n_paths", n_paths)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    if not (np.isfinite(mean_block) and mean_block >= 1.0):
        raise ConfigError(f"mean_block must be a finite number of days >= 1, got {mean_block!r}")
    # A block ends after each day with probability 1 / mean_block (geometric lengths).
    new_block = rng.random((n_paths, n_days)) < 1.0 / mean_block
    new_block[:, 0] = True
    starts = rng.integers(0, n_history, size=(n_paths, n_days))
    day = np.broadcast_to(np.arange(n_days), (n_paths, n_days))
    # Position of the current block's first day, carried forward along each path.
    block_first_day = np.maximum.accumulate(np.where(new_block, day, 0), axis=1)
    block_start = np.take_along_axis(starts, block_first_day, axis=1)
    return (block_start + (day - block_first_day)) % n_history


def _history_length(returns: np.ndarray | pd.Series) -> int:
    x = np.asarray(returns, dtype=np.float64)
    if x.ndim != 1 or len(x) < 2:
        raise DataValidationError(
            "returns", f"a bootstrap needs a 1-D history of at least 2 returns, got shape {x.shape}"
        )
    if not np.all(np.isfinite(x)):
        bad = int(np.flatnonzero(~np.isfinite(x))[0])
        raise DataValidationError("returns", f"return {bad} is {x[bad]}, not finite", row=bad + 1)
    return len(x)
