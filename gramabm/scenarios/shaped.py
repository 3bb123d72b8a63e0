"""Shaped shocks for reverse stress tests: a fall of chosen severity, with calm noise around it.

Three shapes share one engine (:class:`ShapedShock`):

* ``drop``: the price falls by ``severity`` over ``duration_steps``, then stays there (or recovers
  a ``recovery`` share of the fall over ``recovery_steps``);
* ``v_shape``: the fall, then a full recovery to the pre-shock level over ``recovery_steps``;
* ``slow_bear``: a fall of ``severity`` spread over ``duration_days`` business days.

How a path is built (in log price):

1. calm noise on every step while the gold market is open (the calendar's business days and
   session hours, judged at the start of each step, as in
   :func:`gramabm.scenarios.intraday.hourly_path_from_daily`): Student-t increments (``noise_df``
   degrees of freedom, scaled to unit variance) at annualised volatility ``vol``, counting 252
   business days a year, each spread over the session; nothing moves at weekends or holidays, so
   the gold price is flat there while the token trades on;
2. the shape: from step ``shock_step`` the price moves by ``log(1 - severity)`` spread evenly over
   the next ``duration_steps`` open steps (and then by the recovery over ``recovery_steps`` open
   steps). The shape's clock counts open steps only: a fall that meets a weekend pauses and goes on
   on Monday, as gold does;
3. inside each leg of the shape the noise is pinned (a Brownian-bridge-like correction that
   subtracts the leg's mean increment), so the leg ends *exactly* at its stated level: the price at
   the trough step is ``(1 - severity)`` times the price at ``shock_step``, whatever the seed.

Severity is a fraction of the pre-shock price in [0, 1) (``0.12`` = a 12% fall), a percentage string
(``"12%"``), or a **return period** from the tail fit of the data: ``"1-in-<Y>y-<D>d"`` is the
``D``-business-day fall exceeded once in ``Y`` years, from
:func:`gramabm.analysis.history.tails.fall_for_return_period` (e.g. ``"1-in-100y-5d"``). With a return
period and no explicit duration, the fall lasts those ``D`` business days (``D * 24 / step_hours``
open steps on the default all-day session).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gramabm.data.calendar import LBMA_AM_FIX_HOUR, TradingCalendar
from gramabm.errors import ConfigError
from gramabm.scenarios.base import (
    Event,
    Scenario,
    ScenarioPath,
    check_n_steps,
    check_step_hours,
    fix_mask,
    make_rng,
    resolve_anchor,
    seed_of,
    step_timestamps,
)

BUSINESS_DAYS_PER_YEAR = 252
"""Business days in a year, for annualised volatility."""

_RETURN_PERIOD = re.compile(r"^\s*1-in-(\d+(?:\.\d+)?)y-(\d+)d\s*$", re.IGNORECASE)
_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")


@dataclass(frozen=True)
class Severity:
    """A resolved shock severity.

    Args:
        fall: The fall as a fraction of the pre-shock price, in [0, 1).
        label: How it was asked for (``"0.12"``, ``"12%"``, ``"1-in-100y-5d"``).
        years: Return period in years, if given as one.
        horizon_days: Business days of the fall, if given as a return period.
    """

    fall: float
    label: str
    years: float | None = None
    horizon_days: int | None = None


def parse_severity(severity: float | str, prices: pd.Series | None = None) -> Severity:
    """Resolve a severity given as a fraction, a percentage or a return period.

    Args:
        severity: ``0.12``, ``"12%"`` or ``"1-in-100y-5d"`` (see the module docstring).
        prices: Historical prices, needed for a return period (the tail fit is made on them).

    Returns:
        The resolved :class:`Severity`.

    Raises:
        ConfigError: Naming ``severity`` if it is negative, at least 100%, malformed, or a return
            period without data.
    """
    if isinstance(severity, str):
        rp = _RETURN_PERIOD.match(severity)
        if rp:
            years, days = float(rp.group(1)), int(rp.group(2))
            if years <= 0 or days <= 0:
                raise ConfigError(f"severity {severity!r}: return period and horizon must be > 0")
            if prices is None:
                raise ConfigError(
                    f"severity {severity!r} is a return period: it needs price data for the tail fit"
                )
            from gramabm.analysis.history.tails import fall_for_return_period

            fall = float(fall_for_return_period(prices, years, days))
            _check_fall(fall, severity)
            return Severity(fall, severity.strip(), years, days)
        pct = _PERCENT.match(severity)
        if pct:
            fall = float(pct.group(1)) / 100.0
            _check_fall(fall, severity)
            return Severity(fall, severity.strip())
        raise ConfigError(
            f"severity {severity!r} is not understood; use a fraction (0.12), a percentage "
            f"('12%') or a return period ('1-in-100y-5d')"
        )
    if isinstance(severity, bool) or not isinstance(
        severity, (int, float, np.floating, np.integer)
    ):
        raise ConfigError(f"severity must be a number or a string, got {type(severity).__name__}")
    fall = float(severity)
    _check_fall(fall, severity)
    return Severity(fall, repr(fall))


def _check_fall(fall: float, asked: object) -> None:
    if not math.isfinite(fall) or fall < 0.0:
        raise ConfigError(f"severity must be >= 0 (a fall as a fraction), got {asked!r}")
    if fall >= 1.0:
        raise ConfigError(f"severity must be below 100% (the price stays > 0), got {asked!r}")


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _nonnegative_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ConfigError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def calm_noise(
    n_increments: int,
    vol: float,
    step_hours: float,
    df: float,
    rng: np.random.Generator,
    session_hours: float = 24.0,
) -> np.ndarray:
    """Log-price increments of calm gold: Student-t scaled to annualised volatility ``vol``.

    Args:
        n_increments: How many increments.
        vol: Annualised volatility (0.12 = 12%), >= 0.
        step_hours: Hours per step.
        df: Student-t degrees of freedom, > 2 (finite variance); ``inf`` gives Gaussian noise.
        rng: Random source.
        session_hours: Open hours of a business day (a day's variance is spread over them).

    Returns:
        ``n_increments`` increments with standard deviation
        ``vol * sqrt(step_hours / (session_hours * 252))``.
    """
    sigma = vol * math.sqrt(step_hours / (session_hours * BUSINESS_DAYS_PER_YEAR))
    if math.isinf(df):
        return sigma * rng.standard_normal(n_increments)
    # Scale the t draws to unit variance so ``vol`` means what it says.
    return sigma * math.sqrt((df - 2.0) / df) * rng.standard_t(df, n_increments)


class ShapedShock(Scenario):
    """A fall (and optional recovery) of chosen severity inside calm noise; see the module docstring.

    Args:
        severity: The fall: fraction in [0, 1), ``"12%"`` or ``"1-in-<Y>y-<D>d"``.
        duration_steps: Open steps over which the fall happens (> 0). Default: the return period's
            horizon, else the shape's default (``default_duration_days``), in open steps: business
            days times the session's hours, divided by ``step_hours``.
        recovery: Share of the fall won back afterwards, in [0, 1] (1 = back to the pre-shock level).
        recovery_steps: Open steps of the recovery (> 0); default ``2 * duration_steps``.
        shock_step: Model step at which the fall begins (>= 0); the steps before are a calm warm-up.
        vol: Annualised volatility of the calm noise (>= 0).
        noise_df: Student-t degrees of freedom of the noise (> 2, or ``inf`` for Gaussian).
        prices: Historical prices: the default anchor (last price, next business day) and the tail
            fit of a return-period severity.
        start_price: Price of step 0 (USD/oz); default the last observed price.
        start: Timestamp of step 0; default midnight of the business day after the data end.
        step_hours: Hours per model step, in (0, 24].
        calendar: Business days (the gold market is shut on the others).
        fix_hour: London hour of the daily fix.
        events: Non-gold events to attach, as ``(offset, kind, params)`` with ``offset`` counted in
            open steps from the start of the fall (0 = at ``shock_step``); placed on model steps.
        name: Registry name recorded in the path.

    Raises:
        ConfigError: Naming the parameter that is impossible.
    """

    default_name = "shaped"
    default_severity: float | str = 0.10
    default_duration_days = 1.0
    default_recovery = 0.0
    default_vol = 0.12
    aftermath_days = 5

    def __init__(
        self,
        severity: float | str | None = None,
        *,
        duration_steps: int | None = None,
        recovery: float | None = None,
        recovery_steps: int | None = None,
        shock_step: int = 48,
        vol: float | None = None,
        noise_df: float = 5.0,
        prices: pd.Series | None = None,
        start_price: float | None = None,
        start: pd.Timestamp | str | None = None,
        step_hours: float = 1.0,
        calendar: TradingCalendar | None = None,
        fix_hour: float = LBMA_AM_FIX_HOUR,
        events: Iterable[tuple[int, str, dict[str, Any]]] = (),
        name: str | None = None,
    ) -> None:
        self.name = name or self.default_name
        self.step_hours = check_step_hours(step_hours)
        self.calendar = calendar or TradingCalendar()
        self.severity = parse_severity(
            self.default_severity if severity is None else severity, prices
        )
        if duration_steps is None:
            if self.severity.horizon_days is not None:
                duration_steps = self._steps_of_days(self.severity.horizon_days)
            else:
                duration_steps = self._default_duration()
        self.duration_steps = _positive_int(duration_steps, "duration_steps")
        self.recovery = float(self.default_recovery if recovery is None else recovery)
        if not 0.0 <= self.recovery <= 1.0:
            raise ConfigError(f"recovery must be in [0, 1] (share of the fall), got {recovery!r}")
        self.recovery_steps = _positive_int(
            2 * self.duration_steps if recovery_steps is None else recovery_steps, "recovery_steps"
        )
        self.shock_step = _nonnegative_int(shock_step, "shock_step")
        self.vol = float(self.default_vol if vol is None else vol)
        if not math.isfinite(self.vol) or self.vol < 0:
            raise ConfigError(f"vol must be a finite annualised volatility >= 0, got {vol!r}")
        if not noise_df > 2.0:
            raise ConfigError(f"noise_df must be > 2 (finite variance), got {noise_df!r}")
        self.noise_df = float(noise_df)
        if not 0.0 <= fix_hour < 24.0:
            raise ConfigError(f"fix_hour must be in [0, 24), got {fix_hour!r}")
        self.fix_hour = float(fix_hour)
        self.start_price, self.start = resolve_anchor(prices, start_price, start, self.calendar)
        self.event_specs = tuple((int(o), str(k), dict(p)) for o, k, p in events)
        for offset, kind, params in self.event_specs:
            if offset < 0:
                raise ConfigError(f"event offset must be >= 0, got {offset} for {kind!r}")
            Event(0, kind, params)  # validates the kind and parameters now, not at generation
        self.data_range = (
            (prices.index[0].date().isoformat(), prices.index[-1].date().isoformat())
            if prices is not None and len(prices)
            else None
        )
        self.description = self._describe()

    # --- shape definition ---------------------------------------------------------------------
    def _steps_of_days(self, days: float) -> int:
        """Open steps in ``days`` business days of the calendar's session."""
        session = self.calendar.close_hour - self.calendar.open_hour
        return max(1, round(days * session / self.step_hours))

    def _default_duration(self) -> int:
        return self._steps_of_days(self.default_duration_days)

    def legs(self) -> list[tuple[int, float]]:
        """The shape as ``(open steps, total log-price change)`` legs, in order."""
        fall = math.log1p(-self.severity.fall)
        legs = [(self.duration_steps, fall)]
        if self.recovery > 0.0:
            # Price after recovery: p0 * (1 - severity * (1 - recovery)).
            end = math.log1p(-self.severity.fall * (1.0 - self.recovery))
            legs.append((self.recovery_steps, end - fall))
        return legs

    def _describe(self) -> str:
        sev = self.severity
        what = f"{sev.fall:.1%} fall"
        if sev.years is not None:
            what += f" (1-in-{sev.years:g}-year {sev.horizon_days}-day fall)"
        text = f"{what} over {self.duration_steps} open steps from step {self.shock_step}"
        if self.recovery > 0:
            text += f", {self.recovery:.0%} recovered over {self.recovery_steps} open steps"
        return text + f"; calm noise {self.vol:.0%}/yr"

    @property
    def shape_steps(self) -> int:
        """Open steps taken by the whole shape (fall plus recovery)."""
        return sum(n for n, _ in self.legs())

    @property
    def default_steps(self) -> int:
        """Model steps covering the warm-up, the whole shape and ``aftermath_days`` more."""
        n = self.shock_step + 2 * self.shape_steps + round(240 / self.step_hours)
        while (last := self._leg_ends(self._open_increments(self._grid(n)))[-1]) is None:
            n *= 2  # short sessions or long holidays: widen the grid until the shape fits
        return last + 1 + round(self.aftermath_days * 24 / self.step_hours)

    # --- generation ---------------------------------------------------------------------------
    def _grid(self, n_steps: int) -> pd.DatetimeIndex:
        return step_timestamps(self.start, n_steps, self.step_hours)

    def _open_increments(self, ts: pd.DatetimeIndex) -> np.ndarray:
        """Indices i >= 1 of increments (step i-1 -> i) during which the gold market is open."""
        moving = self.calendar.open_mask(ts[:-1])
        return np.flatnonzero(moving) + 1

    def _leg_indices(self, open_inc: np.ndarray) -> list[np.ndarray]:
        after = open_inc[open_inc > self.shock_step]
        out, at = [], 0
        for n, _ in self.legs():
            out.append(after[at : at + n])
            at += n
        return out

    def _leg_ends(self, open_inc: np.ndarray) -> list[int | None]:
        return [
            int(idx[-1]) if len(idx) == n else None
            for idx, (n, _) in zip(self._leg_indices(open_inc), self.legs(), strict=True)
        ]

    def _event_step(self, open_inc: np.ndarray, offset: int) -> int:
        if offset == 0:
            return self.shock_step
        after = open_inc[open_inc > self.shock_step]
        return int(after[offset - 1]) if offset <= len(after) else -1

    def generate(self, n_steps: int, seed: int | np.random.Generator | None = None) -> ScenarioPath:
        """Generate the shaped path; see the module docstring.

        Args:
            n_steps: Model steps (> 0). A path shorter than the shape holds only its beginning.
            seed: Integer seed, Generator or None.

        Returns:
            The path; ``meta`` holds ``shock_start_step``, ``trough_step`` and ``recovery_end_step``
            (None when outside the path) and the parameters.
        """
        n_steps = check_n_steps(n_steps)
        rng = make_rng(seed)
        ts = self._grid(n_steps)
        open_inc = self._open_increments(ts)
        inc = np.zeros(n_steps)
        session = self.calendar.close_hour - self.calendar.open_hour
        inc[open_inc] = calm_noise(
            len(open_inc), self.vol, self.step_hours, self.noise_df, rng, session
        )
        for idx, (n, change) in zip(self._leg_indices(open_inc), self.legs(), strict=True):
            if len(idx) == 0:
                break
            # Pin the noise over the leg so the leg ends exactly at its level.
            inc[idx] -= inc[idx].mean()
            inc[idx] += change / n
        prices = self.start_price * np.exp(np.cumsum(inc))  # exactly start_price at step 0
        ends = self._leg_ends(open_inc)
        events = []
        for offset, kind, params in self.event_specs:
            step = self._event_step(open_inc, offset)
            if 0 <= step < n_steps:
                events.append(Event(step, kind, params))
        return ScenarioPath(
            name=self.name,
            seed=seed_of(seed),
            timestamps=ts,
            gold_usd_oz=prices,
            is_fix=fix_mask(ts, self.calendar, self.fix_hour),
            events=tuple(events),
            meta={
                "generator": type(self).__name__,
                "severity": self.severity.fall,
                "severity_label": self.severity.label,
                "return_period_years": self.severity.years,
                "horizon_days": self.severity.horizon_days,
                "duration_steps": self.duration_steps,
                "recovery": self.recovery,
                "recovery_steps": self.recovery_steps if self.recovery > 0 else None,
                "vol": self.vol,
                "noise_df": self.noise_df,
                "shock_start_step": self.shock_step if self.shock_step < n_steps else None,
                "shock_step": self.shock_step,  # as asked, even if the path ends before it
                "trough_step": ends[0],
                "recovery_end_step": ends[1] if len(ends) > 1 else None,
                "start_price": self.start_price,
                "step_hours": self.step_hours,
                "data_range": self.data_range,
            },
        )


class Drop(ShapedShock):
    """``drop``: fall by ``severity`` (default 10%) over ``duration_steps`` (default one business day).

    Then flat (with calm noise), or a partial or full recovery if ``recovery`` > 0.
    """

    default_name = "drop"
    default_severity = 0.10
    default_duration_days = 1.0


class VShape(ShapedShock):
    """``v_shape``: fall by ``severity`` (default 14% over 120 open steps, five days, as in March 2020).

    Then a full recovery over ``recovery_steps`` (default twice the fall).
    """

    default_name = "v_shape"
    default_severity = 0.14
    default_duration_days = 5.0
    default_recovery = 1.0


class SlowBear(ShapedShock):
    """``slow_bear``: a fall of ``severity`` (default 20%) spread over ``duration_days`` business days.

    The default, 20% over 130 business days (about six months), is the shape of 2022's bear market;
    the noise is gold's usual 15% a year, so the fall is a drift under ordinary volatility.

    Args:
        severity: As for :class:`ShapedShock`.
        duration_days: Business days of the fall (> 0); ignored if ``duration_steps`` is given.
        **kwargs: Any other :class:`ShapedShock` argument.
    """

    default_name = "slow_bear"
    default_severity = 0.20
    default_vol = 0.15
    default_duration_days = 130

    def __init__(
        self,
        severity: float | str | None = None,
        *,
        duration_days: int | None = None,
        **kwargs: Any,
    ) -> None:
        days = _positive_int(
            self.default_duration_days if duration_days is None else duration_days, "duration_days"
        )
        self._duration_days = days
        super().__init__(severity, **kwargs)

    def _default_duration(self) -> int:
        return self._steps_of_days(self._duration_days)
