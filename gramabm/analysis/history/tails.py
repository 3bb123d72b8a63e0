"""The actuarial view of gold's left tail: peaks over threshold with a generalised Pareto fit.

Losses are positive fractions measured as **minus the log return** (``0.05`` is a 5% log fall,
a price fall of ``1 - exp(-0.05)``, about 4.9%); every loss, VaR, ES and return level in this module
is in that unit. The one exception is :func:`fall_for_return_period`, which converts to a *simple* fall
of the price because that is what scenario generators apply.

Method (McNeil, Frey and Embrechts, *Quantitative Risk Management*, ch. 5; Coles 2001, ch. 4):

* the threshold ``u`` is the ``threshold_quantile`` quantile of the losses; the exceedances
  ``loss - u`` of losses strictly above ``u`` are fitted by maximum likelihood to a generalised
  Pareto distribution with location fixed at 0 (``scipy.stats.genpareto``), giving the shape ``xi``
  and scale ``beta``;
* with ``zeta = n_exceed / n_total``, the tail quantile is
  ``VaR_p = u + beta / xi * (((1 - p) / zeta) ** -xi - 1)`` (``u + beta * log(zeta / (1 - p))``
  at ``xi = 0``) and the expected shortfall ``ES_p = (VaR_p + beta - xi * u) / (1 - xi)`` for
  ``xi < 1``; for ``xi >= 1`` the tail has no mean and ES is ``inf``;
* the 1-in-``N``-year loss is the level exceeded on average once in ``N * periods_per_year``
  observations, i.e. ``VaR_p`` with ``1 - p = 1 / (N * periods_per_year)``;
* multi-day losses come from non-overlapping ``h``-day log returns (so the observations are not
  mechanically dependent) with ``periods_per_year / h`` observations a year.

Exceedances are not declustered: daily losses cluster in volatile spells, which leaves the marginal
quantiles (VaR, return levels) unbiased but makes the fit's standard errors optimistic.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gramabm.errors import ConfigError, DataValidationError

MIN_EXCEEDANCES: int = 10
"""Fewest exceedances a generalised Pareto fit accepts (fewer make the shape meaningless)."""

RETURN_PERIODS_YEARS: tuple[float, ...] = (10.0, 100.0)
"""Return periods reported by :func:`tail_summary`."""

SUMMARY_HORIZONS_DAYS: tuple[int, ...] = (1, 5)
"""Horizons (in rows of the price series) reported by :func:`tail_summary`."""

TAIL_PROBABILITY: float = 0.999
"""Confidence level of the GPD VaR and ES in :func:`tail_summary`."""

_REL_TOL = 1e-9  # lets p = 1 - zeta through despite the rounding of 1 - (1 - zeta)


class InsufficientTailDataError(DataValidationError):
    """Too few losses exceed the threshold for a generalised Pareto fit."""


@dataclass(frozen=True)
class GPDFit:
    """A generalised Pareto fit to the losses above a threshold.

    Args:
        threshold: The threshold ``u`` (a loss, minus a log return).
        xi: Shape; positive means a heavy (power-law) tail, 0 exponential, negative bounded.
        beta: Scale (same unit as the losses), positive.
        n_exceed: Number of losses strictly above the threshold.
        n_total: Number of losses the threshold was taken from.
        threshold_quantile: The quantile of the losses used as the threshold.
    """

    threshold: float
    xi: float
    beta: float
    n_exceed: int
    n_total: int
    threshold_quantile: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beta) and self.beta > 0.0):
            raise ConfigError(f"GPD scale beta must be positive and finite, got {self.beta}")
        if not math.isfinite(self.xi):
            raise ConfigError(f"GPD shape xi must be finite, got {self.xi}")
        if not 0 < self.n_exceed <= self.n_total:
            raise ConfigError(
                f"need 0 < n_exceed <= n_total, got n_exceed={self.n_exceed}, n_total={self.n_total}"
            )

    @property
    def zeta(self) -> float:
        """Share of all losses that exceed the threshold (the tail's probability mass)."""
        return self.n_exceed / self.n_total

    def to_dict(self) -> dict[str, float | int]:
        """JSON-safe dictionary of the fit."""
        return {
            "threshold": self.threshold,
            "xi": self.xi,
            "beta": self.beta,
            "n_exceed": self.n_exceed,
            "n_total": self.n_total,
            "threshold_quantile": self.threshold_quantile,
        }


@dataclass(frozen=True)
class ReturnLevel:
    """The loss over ``horizon_days`` exceeded on average once in ``years`` years.

    Args:
        years: Return period in years.
        horizon_days: Length of the move in rows of the price series (trading days for daily data).
        loss: The level as a loss (minus the log return).
    """

    years: float
    horizon_days: int
    loss: float

    @property
    def fall(self) -> float:
        """The same level as a simple fall of the price (0.15 means the price ends 15% lower)."""
        return -math.expm1(-self.loss)

    def to_dict(self) -> dict[str, float | int]:
        """JSON-safe dictionary (the loss and the equivalent simple fall)."""
        return {
            "years": self.years,
            "horizon_days": self.horizon_days,
            "loss": self.loss,
            "fall": self.fall,
        }


@dataclass(frozen=True)
class TailSummary:
    """Peaks-over-threshold view of a price history's left tail.

    Args:
        fit_1d: GPD fit to 1-day losses.
        fit_5d: GPD fit to non-overlapping 5-day losses.
        probability: Confidence level of ``var`` and ``es`` (0.999).
        var: 1-day VaR at ``probability`` from ``fit_1d`` (a loss).
        es: 1-day expected shortfall at ``probability`` (a loss; ``inf`` when ``xi >= 1``).
        return_levels: 1-in-10 and 1-in-100-year levels for 1-day and 5-day moves.
    """

    fit_1d: GPDFit
    fit_5d: GPDFit
    probability: float
    var: float
    es: float
    return_levels: tuple[ReturnLevel, ...]

    def level(self, years: float, horizon_days: int) -> ReturnLevel:
        """The return level for a given return period and horizon.

        Raises:
            ConfigError: The summary holds no such level.
        """
        for rl in self.return_levels:
            if rl.years == years and rl.horizon_days == horizon_days:
                return rl
        held = ", ".join(f"({rl.years:g} y, {rl.horizon_days} d)" for rl in self.return_levels)
        raise ConfigError(
            f"no return level for {years:g} years over {horizon_days} days; held: {held}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (an infinite ES becomes ``None``)."""
        return {
            "fit_1d": self.fit_1d.to_dict(),
            "fit_5d": self.fit_5d.to_dict(),
            "probability": self.probability,
            "var": self.var,
            "es": self.es if math.isfinite(self.es) else None,
            "return_levels": [rl.to_dict() for rl in self.return_levels],
        }


def fit_peaks_over_threshold(losses: Any, threshold_quantile: float = 0.95) -> GPDFit:
    """Fit a generalised Pareto distribution to the losses above a quantile threshold.

    Args:
        losses: 1-D array-like of losses (minus log returns; gains are negative losses).
        threshold_quantile: Quantile of the losses used as the threshold, in (0, 1).

    Returns:
        The fit (threshold, shape ``xi``, scale ``beta``, exceedance counts).

    Raises:
        ConfigError: ``threshold_quantile`` is not in (0, 1).
        DataValidationError: The losses are not a finite 1-D array.
        InsufficientTailDataError: Fewer than :data:`MIN_EXCEEDANCES` losses exceed the
            threshold, or all exceedances are equal.
    """
    if not 0.0 < threshold_quantile < 1.0:
        raise ConfigError(f"threshold_quantile must be in (0, 1), got {threshold_quantile}")
    x = np.asarray(losses, dtype=float)
    if x.ndim != 1:
        raise DataValidationError("losses", f"expected a 1-D array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise DataValidationError("losses", f"{int(np.sum(~np.isfinite(x)))} non-finite values")
    u = float(np.quantile(x, threshold_quantile)) if x.size else math.nan
    excess = x[x > u] - u
    if excess.size < MIN_EXCEEDANCES:
        raise InsufficientTailDataError(
            "losses",
            f"only {excess.size} of {x.size} losses exceed the {threshold_quantile:.1%} quantile; "
            f"a GPD fit needs at least {MIN_EXCEEDANCES} (use a longer series or a lower "
            "threshold_quantile)",
        )
    if np.ptp(excess) == 0.0:
        raise InsufficientTailDataError("losses", "all exceedances of the threshold are equal")
    # Scale the excesses to unit mean so the optimiser sees O(1) numbers whatever the loss unit.
    scale = float(excess.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        xi, _, beta_scaled = stats.genpareto.fit(excess / scale, floc=0.0)
    return GPDFit(
        threshold=u,
        xi=float(xi),
        beta=float(beta_scaled) * scale,
        n_exceed=int(excess.size),
        n_total=int(x.size),
        threshold_quantile=float(threshold_quantile),
    )


def gpd_var(fit: GPDFit, p: float) -> float:
    """Value at risk: the loss exceeded with probability ``1 - p`` under the fitted tail.

    Args:
        fit: A peaks-over-threshold fit.
        p: Confidence level, e.g. 0.999; ``1 - p`` must not exceed ``fit.zeta`` (the tail model
            only describes losses beyond the threshold).

    Returns:
        The VaR as a loss (minus a log return).

    Raises:
        ConfigError: ``p`` is outside (0, 1) or not in the fitted tail.
    """
    if not 0.0 < p < 1.0:
        raise ConfigError(f"probability p must be in (0, 1), got {p}")
    if 1.0 - p > fit.zeta * (1.0 + _REL_TOL):
        raise ConfigError(
            f"p={p} lies below the threshold: only losses beyond the "
            f"{1 - fit.zeta:.4f} quantile are modelled (lower threshold_quantile or raise p)"
        )
    log_ratio = min(math.log((1.0 - p) / fit.zeta), 0.0)  # rounding at p = 1 - zeta
    # expm1(-xi * log r) / xi is the stable form of (r**-xi - 1) / xi; its limit at xi = 0 is -log r.
    growth = -log_ratio if fit.xi == 0.0 else math.expm1(-fit.xi * log_ratio) / fit.xi
    return fit.threshold + fit.beta * growth


def gpd_es(fit: GPDFit, p: float) -> float:
    """Expected shortfall: the mean loss given that it exceeds :func:`gpd_var` at ``p``.

    Args:
        fit: A peaks-over-threshold fit.
        p: Confidence level, as for :func:`gpd_var`.

    Returns:
        The ES as a loss; ``inf`` when ``xi >= 1`` (the fitted tail has no finite mean).

    Raises:
        ConfigError: ``p`` is outside (0, 1) or not in the fitted tail.
    """
    var = gpd_var(fit, p)
    if fit.xi >= 1.0:
        return math.inf
    return (var + fit.beta - fit.xi * fit.threshold) / (1.0 - fit.xi)


def return_level(fit: GPDFit, years: float, periods_per_year: float = 252) -> float:
    """The loss exceeded on average once in ``years`` years.

    Args:
        fit: A peaks-over-threshold fit to losses observed ``periods_per_year`` times a year.
        years: Return period in years, positive.
        periods_per_year: Observations per year of the fitted losses (252 for daily, 252/5 for
            non-overlapping 5-day losses).

    Returns:
        The return level as a loss (minus a log return).

    Raises:
        ConfigError: ``years`` or ``periods_per_year`` is not positive, or the return period is
            so short that its level lies below the threshold.
    """
    if not (years > 0.0 and periods_per_year > 0.0):
        raise ConfigError(
            f"years and periods_per_year must be positive, got {years} and {periods_per_year}"
        )
    m = years * periods_per_year
    if 1.0 / m > fit.zeta * (1.0 + _REL_TOL):
        raise ConfigError(
            f"a 1-in-{years:g}-year level ({m:g} observations) lies below the threshold, which "
            f"{fit.zeta:.2%} of observations exceed; use a longer return period"
        )
    return gpd_var(fit, 1.0 - 1.0 / m)


def horizon_losses(prices: pd.Series | np.ndarray, horizon_days: int) -> np.ndarray:
    """Losses (minus log returns) over non-overlapping windows of ``horizon_days`` rows.

    Windows are aligned to the end of the series so the latest move is always included; up to
    ``horizon_days - 1`` of the earliest rows are left out.

    Args:
        prices: Positive prices, oldest first.
        horizon_days: Window length in rows, at least 1.

    Returns:
        1-D array of ``(len(prices) - 1) // horizon_days`` losses, oldest first.

    Raises:
        ConfigError: ``horizon_days`` is not a positive integer.
    """
    if int(horizon_days) != horizon_days or horizon_days < 1:
        raise ConfigError(f"horizon_days must be a positive integer, got {horizon_days!r}")
    log_p = np.log(np.asarray(prices, dtype=float))
    ends = log_p[len(log_p) - 1 :: -int(horizon_days)][::-1]
    return -np.diff(ends)


def tail_summary(
    prices: pd.Series, *, threshold_quantile: float = 0.95, periods_per_year: float = 252
) -> TailSummary:
    """Peaks-over-threshold summary of a price history's falls.

    Args:
        prices: Price series in the kit's convention (see ``gramabm.data``).
        threshold_quantile: Quantile of the losses used as the GPD threshold.
        periods_per_year: Rows per year of ``prices`` (252 for daily business days).

    Returns:
        1-day VaR and ES at 99.9%, the GPD fits for 1-day and non-overlapping 5-day losses, and
        the 1-in-10 and 1-in-100-year 1-day and 5-day losses.

    Raises:
        DataValidationError: ``prices`` is not a valid price series.
        InsufficientTailDataError: Too few 1-day or 5-day losses exceed the threshold.
    """
    values = validated_prices(prices)
    fits = {
        h: fit_peaks_over_threshold(horizon_losses(values, h), threshold_quantile)
        for h in SUMMARY_HORIZONS_DAYS
    }
    levels = tuple(
        ReturnLevel(years, h, return_level(fits[h], years, periods_per_year / h))
        for h in SUMMARY_HORIZONS_DAYS
        for years in RETURN_PERIODS_YEARS
    )
    return TailSummary(
        fit_1d=fits[1],
        fit_5d=fits[5],
        probability=TAIL_PROBABILITY,
        var=gpd_var(fits[1], TAIL_PROBABILITY),
        es=gpd_es(fits[1], TAIL_PROBABILITY),
        return_levels=levels,
    )


def fall_for_return_period(
    prices: pd.Series,
    years: float,
    horizon_days: int,
    *,
    threshold_quantile: float = 0.95,
    periods_per_year: float = 252,
) -> float:
    """The fall over ``horizon_days`` seen on average once in ``years`` years, as a price fraction.

    Fits a GPD to the non-overlapping ``horizon_days`` losses of ``prices`` and converts the
    return level to a simple fall, e.g. ``fall_for_return_period(gold, 100, 5)`` is "the
    1-in-100-year 5-day fall"; a result of 0.15 means the price ends 15% lower.

    Args:
        prices: Price series in the kit's convention.
        years: Return period in years, positive.
        horizon_days: Length of the move in rows (trading days for daily data).
        threshold_quantile: Quantile of the horizon losses used as the GPD threshold.
        periods_per_year: Rows per year of ``prices``.

    Returns:
        The simple fall, in (0, 1) for any level above zero.

    Raises:
        ConfigError: A parameter is out of range or the return period is below the threshold.
        DataValidationError: ``prices`` is not a valid price series.
        InsufficientTailDataError: Too few horizon losses exceed the threshold.
    """
    values = validated_prices(prices)
    fit = fit_peaks_over_threshold(horizon_losses(values, horizon_days), threshold_quantile)
    loss = return_level(fit, years, periods_per_year / horizon_days)
    return -math.expm1(-loss)


def validated_prices(prices: pd.Series, min_rows: int = 2) -> np.ndarray:
    """Check a price series for the analysis functions and return its values.

    A light check of what the statistics rely on (the full validation of raw input is
    ``gramabm.data``'s job): a Series on a strictly increasing ``DatetimeIndex`` of finite,
    positive prices.

    Args:
        prices: The price series.
        min_rows: Fewest rows accepted.

    Returns:
        The prices as a float64 array.

    Raises:
        DataValidationError: The series breaks one of the rules above (the message names the
            source from ``prices.attrs["source"]`` when set).
    """
    if not isinstance(prices, pd.Series):
        raise DataValidationError(
            "prices", f"expected a pandas Series of prices, got {type(prices).__name__}"
        )
    source = str(prices.attrs.get("source", "price series"))
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise DataValidationError(source, "the index must be a DatetimeIndex of dates")
    if len(prices) < min_rows:
        raise DataValidationError(source, f"needs at least {min_rows} prices, got {len(prices)}")
    if not (prices.index.is_monotonic_increasing and prices.index.is_unique):
        raise DataValidationError(source, "dates must be strictly increasing")
    values = prices.to_numpy(dtype=float)
    bad = ~(np.isfinite(values) & (values > 0.0))
    if bad.any():
        first = int(np.argmax(bad))
        raise DataValidationError(
            source,
            f"price {values[first]!r} on {prices.index[first].date()} is not finite and positive",
            row=first + 1,
        )
    return values
