"""Deviation half-life: how fast the peg deviation decays, from an AR(1) fit.

The stablecoin literature (Lyons & Viswanath-Natraj, *What keeps stablecoins stable?*; Mohanty &
Krishnamachari 2026) measures peg resilience by fitting an AR(1) to the deviation series,

    d[t+1] = c + phi * d[t] + e[t],

by ordinary least squares, and converting the persistence ``phi`` to a half-life: the time for a
deviation from the series' long-run level ``c / (1 - phi)`` to halve,

    half-life = ln(0.5) / ln(phi)   steps,   times ``step_hours`` for hours.

Edge cases are reported with a flag rather than a made-up number:

* ``phi >= 1``: no mean reversion; the half-life is infinite and reported as None
  (flag :data:`FLAG_NO_MEAN_REVERSION`).
* ``phi <= 0``: the deviation is gone (or flips sign) within one step; the formula has no real
  value, so the half-life is reported as 0.0, the formula's limit as ``phi`` falls to 0
  (flag :data:`FLAG_BELOW_ONE_STEP`, also set for any ``0 < phi < 0.5``, whose half-life is under
  one step and so below what the step length resolves).
* too few finite pairs, or a constant series: nothing can be fitted; ``phi`` and the half-life are
  None (flags :data:`FLAG_INSUFFICIENT_DATA`, :data:`FLAG_NO_VARIATION`).

Missing values (steps without a quote) are handled by dropping every pair ``(d[t], d[t+1])`` in
which either value is NaN, so a gap never links two distant observations.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gramabm.errors import ConfigError

FLAG_OK = "ok"
"""The fit gave ``0.5 <= phi < 1``: a half-life of at least one step."""

FLAG_BELOW_ONE_STEP = "below_one_step"
"""``phi < 0.5``: the half-life is under one step (0.0 reported when ``phi <= 0``)."""

FLAG_NO_MEAN_REVERSION = "no_mean_reversion"
"""``phi >= 1``: the deviation does not revert; the half-life is infinite (None)."""

FLAG_INSUFFICIENT_DATA = "insufficient_data"
"""Fewer finite consecutive pairs than ``min_obs``: nothing fitted."""

FLAG_NO_VARIATION = "no_variation"
"""The regressor is constant (e.g. a deviation of exactly zero throughout): nothing fitted."""


@dataclass(frozen=True)
class HalfLife:
    """An AR(1) half-life estimate of a deviation series.

    Attributes:
        phi: AR(1) coefficient (dimensionless), or None if nothing could be fitted.
        phi_se: OLS standard error of ``phi`` (homoskedastic), or None.
        intercept: Fitted constant ``c``, in the series' unit (bp for deviations), or None.
        half_life_steps: Half-life in model steps; None if infinite or not fitted.
        half_life_hours: ``half_life_steps * step_hours``; None if infinite or not fitted.
        n_obs: Number of ``(d[t], d[t+1])`` pairs used in the fit.
        flag: One of the ``FLAG_*`` constants of this module.
        step_hours: Hours per step used for the conversion.
    """

    phi: float | None
    phi_se: float | None
    intercept: float | None
    half_life_steps: float | None
    half_life_hours: float | None
    n_obs: int
    flag: str
    step_hours: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (plain floats, ints, strings and None)."""
        return asdict(self)


def ar1_half_life(
    series: ArrayLike,
    *,
    step_hours: float = 1.0,
    start: int | None = None,
    stop: int | None = None,
    min_obs: int = 10,
) -> HalfLife:
    """Fit ``d[t+1] = c + phi d[t] + e`` by OLS and convert ``phi`` to a half-life.

    Args:
        series: The deviation series, one value per step (any unit; bp for peg deviations). NaN
            marks a step without a value.
        step_hours: Hours per step (> 0).
        start: First position (0-based, inclusive) of the fitting window; None = the beginning.
            A stress test passes the shock's position so the fit measures the recovery.
        stop: End position (exclusive) of the window; None = the end.
        min_obs: Least number of finite consecutive pairs needed to fit (>= 3, as the standard
            error has ``n - 2`` degrees of freedom).

    Returns:
        The estimate; see :class:`HalfLife` and the module docstring for the flags.

    Raises:
        ConfigError: If ``step_hours <= 0``, ``min_obs < 3`` or the series is not one-dimensional.
    """
    if not step_hours > 0:
        raise ConfigError(f"step_hours must be > 0, got {step_hours!r}")
    if min_obs < 3:
        raise ConfigError(f"min_obs must be at least 3 (the fit has n - 2 dof), got {min_obs}")
    values = np.asarray(series, dtype=np.float64)
    if values.ndim != 1:
        raise ConfigError(f"the deviation series must be one-dimensional, got shape {values.shape}")
    window = values[slice(start, stop)]
    x, y = window[:-1], window[1:]
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    step_hours = float(step_hours)
    if n < min_obs:
        return HalfLife(None, None, None, None, None, n, FLAG_INSUFFICIENT_DATA, step_hours)

    x_mean, y_mean = x.mean(), y.mean()
    sxx = float(np.sum((x - x_mean) ** 2))
    # Relative test, so a constant series with float noise in its mean still counts as constant.
    if sxx <= 1e-24 * max(1.0, float(np.sum(x * x))):
        return HalfLife(None, None, None, None, None, n, FLAG_NO_VARIATION, step_hours)
    phi = float(np.sum((x - x_mean) * (y - y_mean)) / sxx)
    intercept = float(y_mean - phi * x_mean)
    residuals = y - intercept - phi * x
    sigma2 = float(np.sum(residuals * residuals)) / (n - 2)
    phi_se = math.sqrt(sigma2 / sxx)

    if phi >= 1.0:
        return HalfLife(phi, phi_se, intercept, None, None, n, FLAG_NO_MEAN_REVERSION, step_hours)
    steps = 0.0 if phi <= 0.0 else math.log(0.5) / math.log(phi)
    flag = FLAG_OK if steps >= 1.0 else FLAG_BELOW_ONE_STEP
    return HalfLife(phi, phi_se, intercept, steps, steps * step_hours, n, flag, step_hours)
