"""Stochastic scenarios: daily returns from a model fitted on the data, bridged to model steps.

Each scenario draws one path of daily log returns (one per business day) and hands it to
:func:`gramabm.scenarios.intraday.hourly_path_from_daily`, which places each return on its day's
fix and draws a seeded Brownian bridge between fixes (flat at weekends). By default a path continues
the data: it starts at the last observed price, on the business day after the last observed date.

* ``garch_t``: GJR-GARCH(1,1) with Student-t innovations (:mod:`gramabm.scenarios.garch`);
* ``bootstrap``: stationary block bootstrap of the historical returns
  (:mod:`gramabm.scenarios.bootstrap`), of all days or of a calm regime only;
* ``jump_diffusion``: Merton jump diffusion (:mod:`gramabm.scenarios.jumps`).

Fits are slow, so fitted parameters are cached per data source, keyed by the source name, the
length, the first and last dates and prices (:func:`data_key`).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from gramabm.data.calendar import LBMA_AM_FIX_HOUR, TradingCalendar
from gramabm.errors import ConfigError
from gramabm.scenarios.base import (
    Scenario,
    ScenarioPath,
    check_n_steps,
    check_step_hours,
    make_rng,
    resolve_anchor,
    seed_of,
)
from gramabm.scenarios.bootstrap import stationary_bootstrap
from gramabm.scenarios.fit_cache import cached_fit
from gramabm.scenarios.garch import GarchFit, fit_garch, simulate_garch
from gramabm.scenarios.garch_moments import MOMENTS_FIT_VERSION, fit_garch_moments
from gramabm.scenarios.intraday import DailyReturnsBridge
from gramabm.scenarios.jumps import JumpDiffusionParams, fit_jump_diffusion, simulate_jump_diffusion

BUSINESS_DAYS_PER_YEAR = 252
"""Business days in a year, for annualised volatility."""


def daily_log_returns(prices: pd.Series) -> np.ndarray:
    """Daily log returns of a price series, as a float64 array (one fewer than the prices)."""
    return np.diff(np.log(prices.to_numpy(dtype=np.float64)))


def data_key(prices: pd.Series) -> tuple[Any, ...]:
    """A cache key for a price series: source, length, first and last date and price, sum.

    Cheap to compute, and two different series practically never share it.
    """
    if len(prices) == 0:
        return (prices.attrs.get("source"), 0)
    values = prices.to_numpy(dtype=np.float64)
    return (
        str(prices.attrs.get("source", "")),
        len(prices),
        prices.index[0],
        prices.index[-1],
        float(values[0]),
        float(values[-1]),
        float(values.sum()),
    )


class _Keyed:
    """A price series hashed by :func:`data_key`, so fits can be cached with ``lru_cache``."""

    __slots__ = ("key", "prices")

    def __init__(self, prices: pd.Series) -> None:
        self.prices = prices
        self.key = data_key(prices)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Keyed) and other.key == self.key


GARCH_METHODS: tuple[str, ...] = ("moments", "mle")
"""How ``garch_t`` is fitted: simulated moments (history's average year; the default) or
variance-targeted maximum likelihood with a persistence cap (history's typical year)."""


@lru_cache(maxsize=16)
def _garch_fit(keyed: _Keyed, max_persistence: float, method: str) -> GarchFit:
    returns = daily_log_returns(keyed.prices)
    if method == "mle":
        return fit_garch(returns, max_persistence=max_persistence)

    def compute() -> dict[str, Any]:
        mle = fit_garch(returns, max_persistence=max_persistence)
        return fit_garch_moments(returns, mle=mle).to_dict()

    # The moments fit takes 15-25 s: kept on disk so it runs once per data source.
    return cached_fit(
        "garch-moments",
        MOMENTS_FIT_VERSION,
        {"max_persistence": max_persistence},
        keyed.prices,
        compute,
        GarchFit.from_dict,
    )


@lru_cache(maxsize=16)
def _jump_fit(keyed: _Keyed) -> JumpDiffusionParams:
    return fit_jump_diffusion(daily_log_returns(keyed.prices))


def garch_fit_for(
    prices: pd.Series, max_persistence: float = 0.985, method: str = "moments"
) -> GarchFit:
    """The GJR-GARCH-t fit of the data's daily log returns (cached per data source).

    Args:
        prices: Historical prices.
        max_persistence: Cap on the likelihood fit's persistence (the moments fit keeps its
            asymmetry and has its own bounds).
        method: One of :data:`GARCH_METHODS`.

    Returns:
        The fit.

    Raises:
        ConfigError: If ``method`` is unknown.
    """
    return _garch_fit(_Keyed(prices), float(max_persistence), _garch_method(method))


def _garch_method(method: str) -> str:
    if method not in GARCH_METHODS:
        raise ConfigError(f"method must be one of {', '.join(GARCH_METHODS)}; got {method!r}")
    return method


def jump_fit_for(prices: pd.Series) -> JumpDiffusionParams:
    """The jump-diffusion fit of the data's daily log returns (cached per data source)."""
    return _jump_fit(_Keyed(prices))


def clear_fit_cache() -> None:
    """Forget every cached fit (tests, or data edited in place)."""
    _garch_fit.cache_clear()
    _jump_fit.cache_clear()


def calm_returns(prices: pd.Series, *, window: int = 21, quantile: float = 0.5) -> np.ndarray:
    """Daily log returns of the calm regime: days whose trailing realised volatility is low.

    A day is calm when the standard deviation of the ``window`` returns ending on it is at or
    below the ``quantile`` of that rolling measure over the whole history. Calm days keep their
    order, so a block bootstrap of them keeps most of their short-range dependence.

    Args:
        prices: Historical prices.
        window: Days in the trailing window (>= 2).
        quantile: Share of days called calm, in (0, 1].

    Returns:
        The calm days' log returns.

    Raises:
        ConfigError: If the window or quantile is impossible, or the data are too short.
    """
    if window < 2:
        raise ConfigError(f"calm window must be >= 2 days, got {window}")
    if not 0.0 < quantile <= 1.0:
        raise ConfigError(f"calm quantile must be in (0, 1], got {quantile}")
    returns = daily_log_returns(prices)
    if len(returns) < 2 * window:
        raise ConfigError(
            f"the calm regime needs at least {2 * window} returns, the data have {len(returns)}"
        )
    rolling = pd.Series(returns).rolling(window).std().to_numpy()
    valid = ~np.isnan(rolling)
    calm = valid & (rolling <= np.quantile(rolling[valid], quantile))
    return returns[calm]


def calm_volatility(prices: pd.Series, *, window: int = 21, quantile: float = 0.5) -> float:
    """Annualised volatility of the calm regime's returns (see :func:`calm_returns`)."""
    calm = calm_returns(prices, window=window, quantile=quantile)
    return float(np.std(calm, ddof=1) * math.sqrt(BUSINESS_DAYS_PER_YEAR))


class DailyModelScenario(DailyReturnsBridge, Scenario):
    """Base of the stochastic scenarios: daily returns from a model, bridged to model steps.

    Args:
        prices: Historical prices (USD/oz, date index): the fit and the default anchor.
        start_price: Price of step 0; default the last observed price.
        start: Timestamp of step 0; default midnight of the business day after the data end.
        step_hours: Hours per model step, in (0, 24].
        calendar: Business days (gold is flat on the others).
        fix_hour: London hour of the daily fix.
        bridge: Brownian bridge between fixes (True) or flat between fixes (False).
        name: Registry name recorded in the path.
    """

    default_name = "stochastic"
    default_steps = 720

    def __init__(
        self,
        prices: pd.Series,
        *,
        start_price: float | None = None,
        start: pd.Timestamp | str | None = None,
        step_hours: float = 1.0,
        calendar: TradingCalendar | None = None,
        fix_hour: float = LBMA_AM_FIX_HOUR,
        bridge: bool = True,
        name: str | None = None,
    ) -> None:
        if prices is None or len(prices) < 30:
            raise ConfigError(
                f"{name or self.default_name} needs at least 30 daily prices to fit, got "
                f"{0 if prices is None else len(prices)}"
            )
        self.name = name or self.default_name
        self.prices = prices
        self.step_hours = check_step_hours(step_hours)
        self.calendar = calendar or TradingCalendar()
        if not 0.0 <= fix_hour < 24.0:
            raise ConfigError(f"fix_hour must be in [0, 24), got {fix_hour!r}")
        self.fix_hour = float(fix_hour)
        self.bridge = bool(bridge)
        self.start_price, self.start = resolve_anchor(prices, start_price, start, self.calendar)
        self.source = str(prices.attrs.get("source", "unknown"))
        self.data_range = (prices.index[0].date().isoformat(), prices.index[-1].date().isoformat())

    @abstractmethod
    def daily_returns(self, n_days: int, rng: np.random.Generator) -> np.ndarray:
        """One path of ``n_days`` daily log returns."""

    @abstractmethod
    def parameters(self) -> dict[str, Any]:
        """The model's parameters, JSON-safe, for ``meta``."""

    def generate(self, n_steps: int, seed: int | np.random.Generator | None = None) -> ScenarioPath:
        """Draw daily returns and bridge them to model steps.

        Args:
            n_steps: Model steps (> 0).
            seed: Integer seed, Generator or None.

        Returns:
            The path (no events); ``meta`` holds the generator, its parameters and the data range.
        """
        n_steps = check_n_steps(n_steps)
        rng = make_rng(seed)
        daily = np.asarray(self.daily_returns(self.returns_needed(n_steps), rng), dtype=np.float64)
        timestamps, gold, is_fix = self.bridged_path(daily, n_steps, rng)
        return ScenarioPath(
            name=self.name,
            seed=seed_of(seed),
            timestamps=timestamps,
            gold_usd_oz=gold,
            is_fix=is_fix,
            meta={
                "generator": type(self).__name__,
                "parameters": self.parameters(),
                "source": self.source,
                "data_range": self.data_range,
                "start_price": self.start_price,
                "step_hours": self.step_hours,
            },
        )


class GarchT(DailyModelScenario):
    """``garch_t``: GJR-GARCH(1,1)-t fitted on the data's daily log returns, one simulated path.

    Two fits (see :mod:`gramabm.scenarios.garch` and :mod:`gramabm.scenarios.garch_moments`):
    ``method="moments"`` (default) makes each simulated year carry history's *average* year (its
    full-sample volatility, within-year fat tails and clustering), as a stress test wants;
    ``method="mle"`` is the variance-targeted likelihood fit with capped persistence, faithful to
    history's *typical* (median) year, which is calmer. The moments fit takes 15-25 s once per
    data source.

    Args:
        prices: Historical prices (the fit is cached per data source).
        method: ``"moments"`` or ``"mle"``.
        max_persistence: Cap on the likelihood fit's persistence (see
            :func:`gramabm.scenarios.garch.fit_garch`); the moments fit starts from that fit.
        continue_state: Start from the variance the fit ends the data with (the market as it is
            now) instead of the model's stationary distribution (a typical market).
        **kwargs: Anchor and step options of :class:`DailyModelScenario`.
    """

    default_name = "garch_t"

    def __init__(
        self,
        prices: pd.Series,
        *,
        method: str = "moments",
        max_persistence: float = 0.985,
        continue_state: bool = False,
        **kwargs: Any,
    ) -> None:
        if not 0.0 < max_persistence < 1.0:
            raise ConfigError(f"max_persistence must be in (0, 1), got {max_persistence!r}")
        self.method = _garch_method(method)
        super().__init__(prices, **kwargs)
        self.max_persistence = float(max_persistence)
        self.continue_state = bool(continue_state)
        self.description = (
            "GJR-GARCH(1,1) with Student-t innovations fitted on the data"
            f" ({'simulated moments' if self.method == 'moments' else 'maximum likelihood'})"
        )

    @property
    def fit(self) -> GarchFit:
        """The (cached) fit."""
        return garch_fit_for(self.prices, self.max_persistence, self.method)

    def daily_returns(self, n_days: int, rng: np.random.Generator) -> np.ndarray:
        """One simulated GARCH path of ``n_days`` daily log returns."""
        fit = self.fit
        start_var = fit.last_variance if self.continue_state else None
        return simulate_garch(fit, n_days, 1, rng, initial_variance=start_var)[0]

    def parameters(self) -> dict[str, Any]:
        """The fitted GARCH parameters and how the simulation starts."""
        return {**self.fit.to_dict(), "continue_state": self.continue_state}


class Bootstrap(DailyModelScenario):
    """``bootstrap``: stationary block bootstrap of historical daily returns.

    Args:
        prices: Historical prices.
        mean_block: Mean block length in days (geometric block lengths).
        regime: ``"all"`` resamples every day; ``"calm"`` only the calm regime (:func:`calm_returns`).
        calm_window: Trailing window of the calm-regime test, in days.
        calm_quantile: Share of days counted as calm.
        **kwargs: Anchor and step options of :class:`DailyModelScenario`.
    """

    default_name = "bootstrap"

    def __init__(
        self,
        prices: pd.Series,
        *,
        mean_block: float = 20.0,
        regime: str = "all",
        calm_window: int = 21,
        calm_quantile: float = 0.5,
        **kwargs: Any,
    ) -> None:
        if not mean_block >= 1.0:
            raise ConfigError(f"mean_block must be >= 1 day, got {mean_block!r}")
        if regime not in ("all", "calm"):
            raise ConfigError(f"regime must be 'all' or 'calm', got {regime!r}")
        super().__init__(prices, **kwargs)
        self.mean_block = float(mean_block)
        self.regime = regime
        self.calm_window = int(calm_window)
        self.calm_quantile = float(calm_quantile)
        self.returns = (
            calm_returns(prices, window=self.calm_window, quantile=self.calm_quantile)
            if regime == "calm"
            else daily_log_returns(prices)
        )
        what = "calm-regime" if regime == "calm" else "historical"
        self.description = f"stationary block bootstrap of {what} daily returns"

    def daily_returns(self, n_days: int, rng: np.random.Generator) -> np.ndarray:
        """One bootstrap path of ``n_days`` daily log returns."""
        return stationary_bootstrap(self.returns, n_days, 1, rng, mean_block=self.mean_block)[0]

    def parameters(self) -> dict[str, Any]:
        """Block length, regime and the resampled returns' size and volatility."""
        return {
            "mean_block": self.mean_block,
            "regime": self.regime,
            "calm_window": self.calm_window if self.regime == "calm" else None,
            "calm_quantile": self.calm_quantile if self.regime == "calm" else None,
            "n_returns": len(self.returns),
            "ann_vol": float(np.std(self.returns, ddof=1) * math.sqrt(BUSINESS_DAYS_PER_YEAR)),
        }


class JumpDiffusion(DailyModelScenario):
    """``jump_diffusion``: Merton jump diffusion fitted on the data, one simulated path.

    Args:
        prices: Historical prices (the fit is cached per data source).
        **kwargs: Anchor and step options of :class:`DailyModelScenario`.
    """

    default_name = "jump_diffusion"

    def __init__(self, prices: pd.Series, **kwargs: Any) -> None:
        super().__init__(prices, **kwargs)
        self.description = "Merton jump diffusion fitted on the data"

    @property
    def fit(self) -> JumpDiffusionParams:
        """The (cached) fit."""
        return jump_fit_for(self.prices)

    def daily_returns(self, n_days: int, rng: np.random.Generator) -> np.ndarray:
        """One simulated jump-diffusion path of ``n_days`` daily log returns."""
        return simulate_jump_diffusion(self.fit, n_days, 1, rng)[0]

    def parameters(self) -> dict[str, Any]:
        """The fitted jump-diffusion parameters."""
        return dict(self.fit.to_dict())
