"""Stylised facts of a price history: volatility, fat tails, clustering, worst moves, drawdown.

Conventions:

* returns are **log** returns, one per row of the price series (``log(p[t] / p[t-1])``), and are
  annualised with ``sqrt(periods_per_year)`` (252 for daily business days);
* losses (VaR, ES, tail levels) are positive fractions equal to **minus the log return**, as in
  :mod:`gramabm.analysis.history.tails`;
* worst moves are reported as log returns (:attr:`WorstMove.simple` gives the price change);
  gold's worst day in the LBMA AM series, 1980-01-23, is -16.0% log, -14.8% in price;
* the maximum drawdown is a **simple** fraction of the peak price (``trough / peak - 1``),
  which is how drawdowns are read.

The scalar statistics (volatility, skew, kurtosis, autocorrelation, historical VaR/ES,
drawdown depth, worst log return) accept 1-D arrays or N-D arrays with time along ``axis``
(e.g. ``n_paths x n_days`` simulated paths), return a float for 1-D input and an array otherwise,
and propagate NaN as numpy does. A series with zero variance gives NaN moments and
autocorrelations, without a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.fft
from arch import arch_model

from gramabm.analysis.history.tails import (
    InsufficientTailDataError,
    TailSummary,
    tail_summary,
    validated_prices,
)
from gramabm.errors import ConfigError, DataValidationError

DEFAULT_LAGS: tuple[int, ...] = tuple(range(1, 21))
"""Autocorrelation lags reported by :func:`stylised_facts`."""

TABLE_LAGS: tuple[int, ...] = (1, 5, 10, 20)
"""Lags shown in :meth:`StylisedFacts.table`."""

GARCH_SCALE: float = 100.0
"""Returns are multiplied by this before a GARCH fit (percent returns suit arch's optimiser)."""

MIN_GARCH_OBS: int = 100
"""Fewest returns a GARCH fit accepts."""

MIN_FACTS_ROWS: int = 30
"""Fewest prices :func:`stylised_facts` accepts (the autocorrelations go to lag 20)."""

HISTORICAL_LEVEL: float = 0.99
"""Confidence level of the historical VaR and ES in :func:`stylised_facts`."""


class GarchFitWarning(UserWarning):
    """The GARCH optimiser failed or did not converge; the persistence is reported as NaN."""


class TailFitWarning(UserWarning):
    """The series is too short for a peaks-over-threshold fit; the tail summary is left out."""


# ----------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class WorstMove:
    """The worst log return over a window of ``horizon_days`` rows.

    Args:
        value: The log return (negative for a fall).
        start: Date of the price the move starts from.
        end: Date of the price the move ends at.
        horizon_days: Window length in rows (trading days for daily data).
    """

    value: float
    start: pd.Timestamp
    end: pd.Timestamp
    horizon_days: int

    @property
    def simple(self) -> float:
        """The same move as a simple return (``exp(value) - 1``)."""
        return math.expm1(self.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary with ISO dates."""
        return {
            "log_return": self.value,
            "simple_return": self.simple,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "horizon_days": self.horizon_days,
        }


@dataclass(frozen=True)
class Drawdown:
    """The largest peak-to-trough fall of a price series.

    Args:
        value: ``trough / peak - 1``, a simple fraction in (-1, 0]; 0 when prices never fall.
        peak: Date of the peak (the last date at the peak price before the trough).
        trough: Date of the lowest price relative to the running peak (the first if tied).
        recovery: First date after the trough at which the price is back at or above the peak,
            or ``None`` if it never is within the series. With no drawdown all three dates are
            the first date.
    """

    value: float
    peak: pd.Timestamp
    trough: pd.Timestamp
    recovery: pd.Timestamp | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary with ISO dates (``None`` for no recovery)."""
        return {
            "value": self.value,
            "peak": _iso(self.peak),
            "trough": _iso(self.trough),
            "recovery": None if self.recovery is None else _iso(self.recovery),
        }


@dataclass(frozen=True)
class GarchFit:
    """Parameters of a GJR-GARCH(1,1) fit with Student-t innovations, in percent-return units.

    The conditional variance is
    ``sigma2[t] = omega + (alpha + gamma * 1{e[t-1] < 0}) * e[t-1]**2 + beta * sigma2[t-1]``.

    Args:
        mu: Constant mean (percent per period).
        omega: Variance intercept (percent squared).
        alpha: ARCH coefficient.
        gamma: Leverage coefficient (negative when rises raise volatility more than falls).
        beta: GARCH coefficient.
        nu: Degrees of freedom of the Student-t innovations.
        loglik: Log-likelihood at the optimum.
        converged: Whether the optimiser reported success.
    """

    mu: float
    omega: float
    alpha: float
    gamma: float
    beta: float
    nu: float
    loglik: float
    converged: bool

    @property
    def persistence(self) -> float:
        """``alpha + beta + gamma / 2``: how much of a variance shock survives one period."""
        return self.alpha + self.beta + 0.5 * self.gamma


@dataclass(frozen=True, eq=False)
class StylisedFacts:
    """Stylised facts of a price history (see the module docstring for units).

    Args:
        source: Where the prices came from (``prices.attrs["source"]``).
        start: First date of the prices.
        end: Last date of the prices.
        n_obs: Number of log returns (rows minus one).
        periods_per_year: Rows per year used to annualise.
        ann_vol: Annualised volatility of log returns.
        skew: Skewness of log returns.
        excess_kurtosis: Excess kurtosis of log returns (0 for a normal distribution).
        acf_lags: Lags of the autocorrelations.
        acf_returns: Autocorrelation of log returns at ``acf_lags`` (read-only array).
        acf_abs_returns: Autocorrelation of absolute log returns at ``acf_lags``.
        garch_persistence: ``alpha + beta + gamma/2`` of a GJR-GARCH(1,1)-t fit, NaN if the fit failed.
        worst_1d: Worst 1-day log return.
        worst_5d: Worst 5-day log return (overlapping windows).
        max_drawdown: Maximum drawdown with its dates.
        var_99: Historical 1-day VaR at 99% (a loss).
        es_99: Historical 1-day expected shortfall at 99% (a loss).
        tail: Peaks-over-threshold summary, ``None`` if the series is too short for one.
    """

    source: str
    start: pd.Timestamp
    end: pd.Timestamp
    n_obs: int
    periods_per_year: float
    ann_vol: float
    skew: float
    excess_kurtosis: float
    acf_lags: tuple[int, ...]
    acf_returns: np.ndarray
    acf_abs_returns: np.ndarray
    garch_persistence: float
    worst_1d: WorstMove
    worst_5d: WorstMove
    max_drawdown: Drawdown
    var_99: float
    es_99: float
    tail: TailSummary | None

    def acf_at(self, lag: int, *, absolute: bool = False) -> float:
        """Autocorrelation of returns (or absolute returns) at one lag.

        Raises:
            ConfigError: The lag was not computed.
        """
        if lag not in self.acf_lags:
            raise ConfigError(f"lag {lag} not computed; lags held: {list(self.acf_lags)}")
        values = self.acf_abs_returns if absolute else self.acf_returns
        return float(values[self.acf_lags.index(lag)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary: ISO dates, lists for arrays, ``None`` for NaN or infinity."""
        return _json_safe(
            {
                "source": self.source,
                "start": _iso(self.start),
                "end": _iso(self.end),
                "n_obs": self.n_obs,
                "periods_per_year": self.periods_per_year,
                "ann_vol": self.ann_vol,
                "skew": self.skew,
                "excess_kurtosis": self.excess_kurtosis,
                "acf_lags": list(self.acf_lags),
                "acf_returns": self.acf_returns.tolist(),
                "acf_abs_returns": self.acf_abs_returns.tolist(),
                "garch_persistence": self.garch_persistence,
                "worst_1d": self.worst_1d.to_dict(),
                "worst_5d": self.worst_5d.to_dict(),
                "max_drawdown": self.max_drawdown.to_dict(),
                "var_99": self.var_99,
                "es_99": self.es_99,
                "tail": None if self.tail is None else self.tail.to_dict(),
            }
        )

    def table(self) -> list[tuple[str, str]]:
        """Rows ``(label, formatted value)`` for printing, most basic facts first."""
        shown = [lag for lag in TABLE_LAGS if lag in self.acf_lags]
        lag_label = "/".join(str(lag) for lag in shown)
        dd = self.max_drawdown
        rows = [
            ("Source", self.source),
            ("Period", f"{_iso(self.start)} to {_iso(self.end)}"),
            ("Log returns", f"{self.n_obs:,}"),
            ("Annualised volatility", _pct(self.ann_vol)),
            ("Skew", f"{self.skew:.2f}"),
            ("Excess kurtosis", f"{self.excess_kurtosis:.1f}"),
            (
                f"ACF of returns, lags {lag_label}",
                " / ".join(f"{self.acf_at(lag):.3f}" for lag in shown),
            ),
            (
                f"ACF of |returns|, lags {lag_label}",
                " / ".join(f"{self.acf_at(lag, absolute=True):.3f}" for lag in shown),
            ),
            (
                "GARCH persistence (GJR-GARCH(1,1)-t)",
                "n/a (fit failed)"
                if math.isnan(self.garch_persistence)
                else f"{self.garch_persistence:.4f}",
            ),
            ("Worst 1-day return", _move(self.worst_1d)),
            ("Worst 5-day return", _move(self.worst_5d)),
            ("Maximum drawdown", _pct(dd.value)),
            ("Drawdown peak", _iso(dd.peak)),
            ("Drawdown trough", _iso(dd.trough)),
            ("Drawdown recovery", "not recovered" if dd.recovery is None else _iso(dd.recovery)),
            ("VaR 99%, 1-day, historical (log loss)", _pct(self.var_99)),
            ("ES 99%, 1-day, historical (log loss)", _pct(self.es_99)),
        ]
        rows += _tail_rows(self.tail)
        return rows


# ----------------------------------------------------------------------------- vectorised stats


def annualised_volatility(
    returns: Any, periods_per_year: float = 252, axis: int = -1
) -> float | np.ndarray:
    """Annualised volatility: sample standard deviation (ddof=1) times ``sqrt(periods_per_year)``.

    Args:
        returns: Log returns; 1-D or N-D with time along ``axis``.
        periods_per_year: Returns per year.
        axis: Time axis.

    Returns:
        A float for 1-D input, else an array without ``axis``.

    Raises:
        DataValidationError: Fewer than 2 returns along ``axis``.
    """
    x = _time_last(returns, axis, min_len=2)
    std = np.where(_is_constant(x), 0.0, x.std(axis=-1, ddof=1))
    return _out(std * math.sqrt(periods_per_year))


def skewness(returns: Any, axis: int = -1) -> float | np.ndarray:
    """Sample skewness ``m3 / m2**1.5`` (population moments, as ``scipy.stats.skew``).

    Args:
        returns: Log returns; 1-D or N-D with time along ``axis``.
        axis: Time axis.

    Returns:
        A float for 1-D input, else an array; NaN for a constant series.

    Raises:
        DataValidationError: Fewer than 2 returns along ``axis``.
    """
    m2, m3, _ = _central_moments(_time_last(returns, axis, min_len=2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(m2 > 0.0, m3 / m2**1.5, np.nan))


def excess_kurtosis(returns: Any, axis: int = -1) -> float | np.ndarray:
    """Sample excess kurtosis ``m4 / m2**2 - 3`` (as ``scipy.stats.kurtosis``), 0 for a normal law.

    Args:
        returns: Log returns; 1-D or N-D with time along ``axis``.
        axis: Time axis.

    Returns:
        A float for 1-D input, else an array; NaN for a constant series.

    Raises:
        DataValidationError: Fewer than 2 returns along ``axis``.
    """
    m2, _, m4 = _central_moments(_time_last(returns, axis, min_len=2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(m2 > 0.0, m4 / m2**2 - 3.0, np.nan))


def autocorrelation(x: Any, lags: Iterable[int] = DEFAULT_LAGS, axis: int = -1) -> np.ndarray:
    """Sample autocorrelation at the given lags, computed for all series at once by FFT.

    Uses the standard estimator ``sum_t d[t] d[t+k] / sum_t d[t]**2`` with ``d`` the deviations
    from the series mean (the denominator keeps all ``n`` terms, so the sequence is positive
    definite and slightly shrunk towards 0 at long lags).

    Args:
        x: Series; 1-D or N-D with time along ``axis``.
        lags: Non-negative lags, each shorter than the series.
        axis: Time axis.

    Returns:
        Array of shape ``(..., len(lags))``: the other axes of ``x`` then the lags. NaN for a
        constant series.

    Raises:
        ConfigError: A lag is negative or not shorter than the series, or no lag is given.
        DataValidationError: Fewer than 2 observations along ``axis``.
    """
    a = _time_last(x, axis, min_len=2)
    n = a.shape[-1]
    lag_idx = np.asarray(list(lags), dtype=int)
    if lag_idx.ndim != 1 or lag_idx.size == 0:
        raise ConfigError("lags must be a non-empty sequence of integers")
    if lag_idx.min() < 0 or lag_idx.max() >= n:
        raise ConfigError(f"lags must lie in [0, {n - 1}] for series of length {n}, got {lag_idx}")
    d = a - a.mean(axis=-1, keepdims=True)
    # Zero-padding to >= 2n - 1 turns the FFT's circular correlation into the linear one.
    nfft = scipy.fft.next_fast_len(2 * n - 1, real=True)
    spectrum = scipy.fft.rfft(d, nfft, axis=-1)
    acov = scipy.fft.irfft(spectrum * spectrum.conj(), nfft, axis=-1)[..., : lag_idx.max() + 1]
    constant = _is_constant(a)  # zero variance; the FFT would divide rounding noise by noise
    with np.errstate(divide="ignore", invalid="ignore"):
        acf = acov[..., lag_idx] / acov[..., :1]
    return np.where(constant[..., None], np.nan, acf)


def historical_var(returns: Any, level: float = 0.99, axis: int = -1) -> float | np.ndarray:
    """Historical value at risk: the ``level`` quantile of the losses (minus log returns).

    Args:
        returns: Log returns; 1-D or N-D with time along ``axis``.
        level: Confidence level in (0, 1).
        axis: Time axis.

    Returns:
        The VaR as a loss (positive for a fall); float for 1-D input, else an array.

    Raises:
        ConfigError: ``level`` is not in (0, 1).
        DataValidationError: No returns along ``axis``.
    """
    _check_level(level)
    losses = -_time_last(returns, axis, min_len=1)
    return _out(np.quantile(losses, level, axis=-1))


def historical_es(returns: Any, level: float = 0.99, axis: int = -1) -> float | np.ndarray:
    """Historical expected shortfall: the mean loss at or beyond :func:`historical_var`.

    Args:
        returns: Log returns; 1-D or N-D with time along ``axis``.
        level: Confidence level in (0, 1).
        axis: Time axis.

    Returns:
        The ES as a loss; float for 1-D input, else an array.

    Raises:
        ConfigError: ``level`` is not in (0, 1).
        DataValidationError: No returns along ``axis``.
    """
    _check_level(level)
    losses = -_time_last(returns, axis, min_len=1)
    var = np.quantile(losses, level, axis=-1, keepdims=True)
    tail = losses >= var  # never empty: the maximum loss is always >= the quantile
    return _out(np.sum(losses, axis=-1, where=tail) / np.sum(tail, axis=-1))


def drawdown_depth(prices: Any, axis: int = -1) -> float | np.ndarray:
    """Maximum drawdown ``min(p / running_max(p) - 1)`` as a simple fraction in (-1, 0].

    Args:
        prices: Positive prices; 1-D or N-D with time along ``axis``.
        axis: Time axis.

    Returns:
        A float for 1-D input, else an array.

    Raises:
        DataValidationError: No prices along ``axis``.
    """
    p = _time_last(prices, axis, min_len=1)
    return _out(np.min(p / np.maximum.accumulate(p, axis=-1), axis=-1) - 1.0)


def worst_log_return(prices: Any, horizon_days: int = 1, axis: int = -1) -> float | np.ndarray:
    """Most negative log return over overlapping windows of ``horizon_days`` rows.

    Args:
        prices: Positive prices; 1-D or N-D with time along ``axis``.
        horizon_days: Window length in rows, shorter than the series.
        axis: Time axis.

    Returns:
        A float for 1-D input, else an array.

    Raises:
        ConfigError: ``horizon_days`` is not a positive integer shorter than the series.
    """
    p = _time_last(prices, axis, min_len=2)
    return _out(_window_log_returns(p, horizon_days).min(axis=-1))


# ----------------------------------------------------------------------------- dated facts


def max_drawdown(prices: pd.Series) -> Drawdown:
    """Maximum drawdown of a price series with its peak, trough and recovery dates.

    Args:
        prices: Price series in the kit's convention.

    Returns:
        The drawdown (a simple fraction) and its dates; see :class:`Drawdown`.

    Raises:
        DataValidationError: ``prices`` is not a valid price series.
    """
    p = validated_prices(prices, min_rows=1)
    dates = prices.index
    running_peak = np.maximum.accumulate(p)
    trough = int(np.argmin(p / running_peak))
    peak_price = running_peak[trough]
    # The drawdown starts at the last date the peak price was seen before (or at) the trough.
    peak = int(np.flatnonzero(p[: trough + 1] == peak_price)[-1])
    if peak == trough:
        return Drawdown(0.0, dates[0], dates[0], dates[0])
    back = np.flatnonzero(p[trough:] >= peak_price)
    recovery = dates[trough + int(back[0])] if back.size else None
    return Drawdown(float(p[trough] / peak_price - 1.0), dates[peak], dates[trough], recovery)


def worst_return(prices: pd.Series, horizon_days: int) -> WorstMove:
    """Worst log return over overlapping windows of ``horizon_days`` rows, with its dates.

    Args:
        prices: Price series in the kit's convention.
        horizon_days: Window length in rows (trading days for daily data).

    Returns:
        The move (first one if tied), from the price at ``start`` to the price at ``end``.

    Raises:
        ConfigError: ``horizon_days`` is not a positive integer shorter than the series.
        DataValidationError: ``prices`` is not a valid price series.
    """
    p = validated_prices(prices)
    moves = _window_log_returns(p, horizon_days)
    end = int(np.argmin(moves)) + int(horizon_days)
    return WorstMove(
        value=float(moves[end - horizon_days]),
        start=prices.index[end - horizon_days],
        end=prices.index[end],
        horizon_days=int(horizon_days),
    )


def fit_gjr_garch(returns: Any) -> GarchFit:
    """Fit a constant-mean GJR-GARCH(1,1) with Student-t innovations (``arch`` package).

    Returns are multiplied by :data:`GARCH_SCALE` (to percent) before the fit, so pass log returns
    as fractions; the parameters are in percent units.

    Args:
        returns: 1-D log returns (fractions), at least :data:`MIN_GARCH_OBS` of them.

    Returns:
        The fitted parameters and whether the optimiser converged.

    Raises:
        DataValidationError: The returns are not 1-D, not finite, too few or constant.
    """
    r = np.asarray(returns, dtype=float)
    if r.ndim != 1:
        raise DataValidationError("returns", f"a GARCH fit needs 1-D returns, got shape {r.shape}")
    if r.size < MIN_GARCH_OBS:
        raise DataValidationError(
            "returns", f"a GARCH fit needs at least {MIN_GARCH_OBS} returns, got {r.size}"
        )
    if not np.all(np.isfinite(r)):
        raise DataValidationError("returns", f"{int(np.sum(~np.isfinite(r)))} non-finite returns")
    if np.ptp(r) == 0.0:
        raise DataValidationError("returns", "returns are constant; no volatility to model")
    model = arch_model(
        r * GARCH_SCALE, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="t", rescale=False
    )
    # Trial points of the optimiser may overflow; arch handles them, the warnings are noise.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = model.fit(disp="off", show_warning=False)
    params = res.params
    return GarchFit(
        mu=float(params["mu"]),
        omega=float(params["omega"]),
        alpha=float(params["alpha[1]"]),
        gamma=float(params["gamma[1]"]),
        beta=float(params["beta[1]"]),
        nu=float(params["nu"]),
        loglik=float(res.loglikelihood),
        converged=res.convergence_flag == 0,
    )


def garch_persistence(returns: Any) -> float:
    """Volatility persistence ``alpha + beta + gamma/2`` of a GJR-GARCH(1,1)-t fit.

    Close to 1 means volatility shocks decay slowly (gold: about 0.99-1.0).

    Args:
        returns: 1-D log returns (fractions), at least :data:`MIN_GARCH_OBS` of them.

    Returns:
        The persistence, or NaN with a :class:`GarchFitWarning` when the optimiser raises or does
        not converge (so a batch of statistics is not lost to one bad fit).

    Raises:
        DataValidationError: The returns cannot be fitted at all (see :func:`fit_gjr_garch`).
    """
    try:
        fit = fit_gjr_garch(returns)
    except (ValueError, ArithmeticError, RuntimeError) as exc:  # LinAlgError is a ValueError
        if isinstance(exc, DataValidationError):
            raise
        warnings.warn(f"GJR-GARCH fit failed: {exc}", GarchFitWarning, stacklevel=2)
        return math.nan
    if not fit.converged:
        warnings.warn(
            "GJR-GARCH optimiser did not converge; persistence reported as NaN",
            GarchFitWarning,
            stacklevel=2,
        )
        return math.nan
    return fit.persistence


def stylised_facts(
    prices: pd.Series, *, periods_per_year: float = 252, tail_quantile: float = 0.95
) -> StylisedFacts:
    """All stylised facts of a price history in one call.

    Args:
        prices: Price series in the kit's convention (USD per ounce on a DatetimeIndex).
        periods_per_year: Rows per year (252 for daily business days).
        tail_quantile: Threshold quantile of the peaks-over-threshold fits.

    Returns:
        The facts; the GARCH persistence is NaN (with a :class:`GarchFitWarning`) if its fit
        fails or the series has fewer than :data:`MIN_GARCH_OBS` returns, and ``tail`` is
        ``None`` (with a :class:`TailFitWarning`) if the series is too short for a tail fit.

    Raises:
        DataValidationError: ``prices`` is not a valid price series or has fewer than
            :data:`MIN_FACTS_ROWS` rows.
    """
    p = validated_prices(prices, min_rows=MIN_FACTS_ROWS)
    r = np.diff(np.log(p))
    try:
        tail = tail_summary(
            prices, threshold_quantile=tail_quantile, periods_per_year=periods_per_year
        )
    except InsufficientTailDataError as exc:
        warnings.warn(f"no tail summary: {exc}", TailFitWarning, stacklevel=2)
        tail = None
    if r.size >= MIN_GARCH_OBS and np.ptp(r) > 0.0:
        garch = garch_persistence(r)
    else:
        warnings.warn(
            f"no GARCH fit: needs at least {MIN_GARCH_OBS} non-constant returns, got {r.size}",
            GarchFitWarning,
            stacklevel=2,
        )
        garch = math.nan
    return StylisedFacts(
        source=str(prices.attrs.get("source", "price series")),
        start=prices.index[0],
        end=prices.index[-1],
        n_obs=int(r.size),
        periods_per_year=float(periods_per_year),
        ann_vol=float(annualised_volatility(r, periods_per_year)),
        skew=float(skewness(r)),
        excess_kurtosis=float(excess_kurtosis(r)),
        acf_lags=DEFAULT_LAGS,
        acf_returns=_readonly(autocorrelation(r, DEFAULT_LAGS)),
        acf_abs_returns=_readonly(autocorrelation(np.abs(r), DEFAULT_LAGS)),
        garch_persistence=garch,
        worst_1d=worst_return(prices, 1),
        worst_5d=worst_return(prices, 5),
        max_drawdown=max_drawdown(prices),
        var_99=float(historical_var(r, HISTORICAL_LEVEL)),
        es_99=float(historical_es(r, HISTORICAL_LEVEL)),
        tail=tail,
    )


# ----------------------------------------------------------------------------- helpers


def _time_last(x: Any, axis: int, min_len: int) -> np.ndarray:
    """``x`` as float64 with the time axis last, checked to hold at least ``min_len`` points."""
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        raise DataValidationError("returns", "expected an array of observations, got a scalar")
    a = np.moveaxis(a, axis, -1)
    if a.shape[-1] < min_len:
        raise DataValidationError(
            "returns", f"needs at least {min_len} observations along axis {axis}, got {a.shape[-1]}"
        )
    return a


def _out(value: np.ndarray) -> float | np.ndarray:
    """A Python float for a 0-d result, the array otherwise."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value


def _central_moments(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Second, third and fourth population central moments along the last axis."""
    d = a - a.mean(axis=-1, keepdims=True)
    # A constant series's deviations are rounding noise, not variance: zero them exactly.
    d = np.where(_is_constant(a)[..., None], 0.0, d)
    d2 = d * d
    return d2.mean(axis=-1), (d2 * d).mean(axis=-1), (d2 * d2).mean(axis=-1)


def _is_constant(a: np.ndarray) -> np.ndarray:
    """Whether each series along the last axis has a single value (NaN counts as a value)."""
    return np.ptp(a, axis=-1) == 0.0


def _window_log_returns(p: np.ndarray, horizon_days: int) -> np.ndarray:
    """Overlapping ``horizon_days``-row log returns along the last axis."""
    n = p.shape[-1]
    if int(horizon_days) != horizon_days or not 1 <= horizon_days < n:
        raise ConfigError(
            f"horizon_days must be an integer in [1, {n - 1}] for {n} prices, got {horizon_days!r}"
        )
    h = int(horizon_days)
    log_p = np.log(p)
    return log_p[..., h:] - log_p[..., :-h]


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ConfigError(f"confidence level must be in (0, 1), got {level}")


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def _iso(ts: pd.Timestamp) -> str:
    """ISO date (or date-time if the timestamp is not at midnight)."""
    ts = pd.Timestamp(ts)
    return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()


def _pct(x: float, digits: int = 1) -> str:
    return "n/a" if not math.isfinite(x) else f"{100.0 * x:.{digits}f}%"


def _move(m: WorstMove) -> str:
    when = _iso(m.end) if m.horizon_days == 1 else f"{_iso(m.start)} to {_iso(m.end)}"
    return f"{_pct(m.value)} log ({_pct(m.simple)} price), {when}"


def _tail_rows(tail: TailSummary | None) -> list[tuple[str, str]]:
    if tail is None:
        return [("Tail fit (GPD)", "n/a (series too short)")]
    rows = []
    for label, fit in (("1-day", tail.fit_1d), ("5-day", tail.fit_5d)):
        value = (
            f"xi {fit.xi:.3f}, beta {_pct(fit.beta, 2)}, threshold {_pct(fit.threshold, 2)} "
            f"({fit.n_exceed:,} of {fit.n_total:,} exceed)"
        )
        rows.append((f"GPD fit, {label} losses", value))
    level = f"{tail.probability:.1%}"
    es = "infinite (xi >= 1)" if math.isinf(tail.es) else _pct(tail.es)
    rows += [
        (f"VaR {level}, 1-day, GPD (log loss)", _pct(tail.var)),
        (f"ES {level}, 1-day, GPD (log loss)", es),
    ]
    for rl in tail.return_levels:
        rows.append(
            (
                f"1-in-{rl.years:g}-year {rl.horizon_days}-day fall",
                f"{_pct(-rl.fall)} price (log loss {_pct(rl.loss)})",
            )
        )
    return rows


def _json_safe(value: Any) -> Any:
    """Replace NaN and infinities (not valid JSON) by ``None``, recursively."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
