"""Intraday gold paths between daily fixes: a Brownian bridge in log price, flat while the market is shut.

The stochastic generators and the replays produce one log return per business day: the move from
one daily reference fix to the next. The model steps hourly (or at any step up to a day), so
:func:`hourly_path_from_daily` places each return on its day's fix and fills the steps in between.

* **Fixes.** A business day's fix is carried by the step whose interval ``[t, t + step)`` contains
  ``fix_hour`` London time on that day (:func:`gramabm.scenarios.base.fix_mask`, the rule every
  scenario uses).
  Fix number ``k`` of the path (counted from step 0) is ``start_price * exp(r[0] + ... + r[k])``:
  ``start_price`` is the price just before the path (the previous fix), so every fix, including one
  at step 0, consumes one return. Step 0 shows ``start_price`` unless it carries a fix.
* **Between fixes.** Log price follows a Brownian bridge pinned at both fixes, run on a
  *market clock* that advances only while the calendar is open (:meth:`TradingCalendar.open_mask`).
  Weekends and holidays therefore stay exactly flat, while the token, which trades 24/7, sees the
  stale gold price. The bridge's drift is the straight line between the fixes on that clock. A
  fix sits on the clock at its own instant, not at its step's start, so on a coarse grid (e.g.
  daily steps at midnight) a weekend shows a level between Friday's and Monday's fixes rather
  than Monday's fix ahead of time.
* **Volatility.** The bridge's variance over one full business day of market time is the square
  of the return it bridges (an unbiased proxy for that day's variance: a big day also moves a lot
  inside the day, a quiet day little), or the square of ``daily_vol`` when given.
* **After the last fix.** The steps after the path's last fix bridge towards the next fix, so one
  return more than the fixes inside the path is needed (none when ``bridge=False``: then the price
  is flat from one fix to the next). Extra returns are ignored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gramabm.data.calendar import LBMA_AM_FIX_HOUR, TradingCalendar
from gramabm.errors import ConfigError
from gramabm.scenarios.base import (
    check_n_steps,
    check_step_hours,
    daily_returns_needed,
    fix_instants,
    fix_mask,
)

_HOUR = pd.Timedelta(hours=1)


def hourly_path_from_daily(
    daily_log_returns: np.ndarray,
    start_price: float,
    start: pd.Timestamp,
    n_steps: int,
    *,
    calendar: TradingCalendar | None = None,
    step_hours: float = 1.0,
    fix_hour: float = LBMA_AM_FIX_HOUR,
    rng: np.random.Generator,
    bridge: bool = True,
    daily_vol: float | np.ndarray | None = None,
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Turn daily fix-to-fix log returns into a path at the model's step length.

    Args:
        daily_log_returns: One log return per business day, in order: ``r[k]`` is the move from
            the previous fix to the path's fix number ``k``. Must be finite; extra ones are unused.
        start_price: Gold price (USD/oz) just before the path: the previous fix. Finite, > 0.
        start: Timestamp of step 0 (naive, read as UTC).
        n_steps: Number of model steps (> 0).
        calendar: Business days and session hours; the price moves only while it is open.
            Default: weekdays, open all day.
        step_hours: Hours per step, in (0, 24].
        fix_hour: London hour of day of the fix, in [0, 24).
        rng: Generator for the bridge noise (unused when ``bridge`` is False).
        bridge: Brownian bridge between fixes (True) or flat from one fix to the next (False).
        daily_vol: Volatility of log price per business day of market time used by the bridge: a
            scalar, or one per return; default ``|r[k]|`` for the stretch that ends at fix ``k``.

    Returns:
        ``(timestamps, prices, is_fix)``: ``n_steps`` regular naive timestamps, float64 prices
        (finite, > 0) and a boolean array marking the steps that carry a fix.

    Raises:
        ConfigError: If an argument is out of range, or there are fewer returns than the path
            needs (the message says how many).
    """
    cal = calendar if calendar is not None else TradingCalendar()
    n_steps = check_n_steps(n_steps)
    step_hours = check_step_hours(step_hours)
    if not 0.0 <= fix_hour < 24.0:
        raise ConfigError(f"fix_hour must be in [0, 24), got {fix_hour!r}")
    if not (np.isfinite(start_price) and start_price > 0.0):
        raise ConfigError(f"start_price must be finite and > 0, got {start_price!r}")
    if bridge and not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    returns = np.asarray(daily_log_returns, dtype=np.float64)
    if returns.ndim != 1:
        raise ConfigError(f"daily_log_returns must be 1-D, got shape {returns.shape}")
    if not np.all(np.isfinite(returns)):
        bad = int(np.flatnonzero(~np.isfinite(returns))[0])
        raise ConfigError(f"daily_log_returns must be finite; index {bad} is {returns[bad]}")
    t0 = pd.Timestamp(start)
    if t0.tz is not None:
        raise ConfigError(f"start must be a naive timestamp (read as UTC), got tz={t0.tz}")

    step = pd.Timedelta(hours=step_hours)
    last = t0 + step * (n_steps - 1)
    # Extend the grid past the last step to the next business day's fix, the bridge's last target.
    horizon = cal.add_business_days(last.normalize(), 1) + pd.Timedelta(days=2)
    n_ext = max(n_steps, int((horizon - t0) / step) + 1)
    ts_ext = pd.date_range(t0, periods=n_ext, freq=step, name="timestamp")
    fix_ext = fix_mask(ts_ext, cal, fix_hour)

    fix_steps = np.flatnonzero(fix_ext)
    n_inside = int(np.searchsorted(fix_steps, n_steps))  # fixes at steps < n_steps
    trailing = bridge and not fix_ext[n_steps - 1]
    n_needed = n_inside + int(trailing)
    if len(returns) < n_needed:
        raise ConfigError(
            f"the path needs {n_needed} daily returns ({n_inside} fixes in {n_steps} steps of "
            f"{step_hours:g} h from {t0}{' plus the next fix to bridge to' if trailing else ''}), "
            f"got {len(returns)}"
        )
    fix_steps = fix_steps[:n_needed]
    fix_price = float(start_price) * np.exp(np.cumsum(returns[:n_needed]))

    # Anchors: step 0 at the start price unless it is a fix itself, then every fix used.
    if n_needed and fix_steps[0] == 0:
        anchors, anchor_price = fix_steps, fix_price
    else:
        anchors = np.r_[0, fix_steps]
        anchor_price = np.r_[float(start_price), fix_price]
    anchor_log = np.log(anchor_price)
    end = int(anchors[-1]) + 1 if n_needed else 1
    n_grid = max(n_steps, end)
    idx = np.arange(n_grid)
    seg = np.searchsorted(anchors, idx, side="right") - 1  # anchor at or before each step
    nxt = np.minimum(seg + 1, len(anchors) - 1)

    if bridge and len(anchors) > 1:
        # Market clock: open hours since the start, at each step and at each fix's own instant
        # (so a coarse grid does not count the hours of a fix step that precede its fix).
        clock = _open_hours(cal, ts_ext[:n_grid], t0)
        fix_at = fix_steps[fix_steps < n_grid]
        clock[fix_at] = _open_hours(cal, _fix_instants(ts_ext[fix_at], fix_hour), t0)
        base = clock[anchors[seg]]
        span = clock[anchors[nxt]] - base
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(span > 0.0, np.clip((clock - base) / span, 0.0, 1.0), 0.0)
        log_price = anchor_log[seg] + frac * (anchor_log[nxt] - anchor_log[seg])
        d_tau = np.maximum(np.diff(clock, prepend=clock[0]), 0.0)

        # Bridge volatility of each increment: that of the stretch it lies in, i.e. the return
        # ending at the target of the step it starts from.
        ret_of_target = np.r_[nxt[0], nxt[:-1]] - (len(anchors) - n_needed)
        if daily_vol is None:
            vol = np.abs(returns[ret_of_target])
        else:
            vol_arr = np.asarray(daily_vol, dtype=np.float64)
            if vol_arr.ndim and vol_arr.shape != returns.shape:
                raise ConfigError(
                    f"daily_vol must be a scalar or one per return ({returns.shape}), "
                    f"got shape {vol_arr.shape}"
                )
            vol_arr = np.broadcast_to(vol_arr, returns.shape)
            if not np.all(np.isfinite(vol_arr[:n_needed])) or np.any(vol_arr[:n_needed] < 0.0):
                raise ConfigError("daily_vol must be finite and >= 0")
            vol = vol_arr[ret_of_target]
        session_hours = cal.close_hour - cal.open_hour
        d_w = vol * np.sqrt(d_tau / session_hours) * rng.standard_normal(n_grid)
        w = np.cumsum(d_w)
        w_from = w - w[anchors[seg]]
        w_span = w[anchors[nxt]] - w[anchors[seg]]
        log_price = log_price + w_from - frac * w_span
        # Where a stretch has no market time the price jumps at the fix; hold it flat before.
        log_price = np.where(span > 0.0, log_price, anchor_log[seg])
    else:
        log_price = anchor_log[seg]

    # Exactly the anchor prices wherever the path sits on one (fixes, and flat stretches after
    # them or before the first open hour): exp(log(x)) may differ from x in the last bit.
    log_price[anchors] = anchor_log
    on_anchor = log_price == anchor_log[seg]
    prices = np.where(on_anchor, anchor_price[seg], np.exp(log_price))[:n_steps]
    return ts_ext[:n_steps], prices, fix_ext[:n_steps].copy()


def _open_hours(cal: TradingCalendar, times: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    """Hours the market is open from midnight of ``origin``'s day to each of ``times``."""
    weekmask = [0 if d in cal.weekend else 1 for d in range(7)]
    holidays = np.array(sorted(cal.holidays), dtype="datetime64[D]")
    days = times.normalize().to_numpy().astype("datetime64[D]")
    first = np.datetime64(origin.normalize().date(), "D")
    full_days = np.busday_count(first, days, weekmask=weekmask, holidays=holidays)
    session = cal.close_hour - cal.open_hour
    hour = np.asarray((times - times.normalize()) / _HOUR, dtype=np.float64)
    today = np.clip(hour - cal.open_hour, 0.0, session)
    today = np.where(np.is_busday(days, weekmask=weekmask, holidays=holidays), today, 0.0)
    return full_days * session + today


def _fix_instants(fix_step_times: pd.DatetimeIndex, fix_hour: float) -> pd.DatetimeIndex:
    """The fix instant inside each fix step ``[t, t + step)``: that day's or the next day's."""
    day = fix_step_times.normalize()
    same_day = fix_instants(day, fix_hour)
    next_day = fix_instants(day + pd.Timedelta(days=1), fix_hour)
    return same_day.where(same_day >= fix_step_times, next_day)


class DailyReturnsBridge:
    """Mixin of the scenarios made of daily returns bridged to model steps (stochastic, replays).

    It holds the six settings :func:`hourly_path_from_daily` and
    :func:`gramabm.scenarios.base.daily_returns_needed` share, so each scenario states them once:
    the subclass sets ``start_price``, ``start``, ``calendar``, ``step_hours``, ``fix_hour`` and
    ``bridge`` in its constructor.
    """

    start_price: float
    start: pd.Timestamp
    calendar: TradingCalendar
    step_hours: float
    fix_hour: float
    bridge: bool

    def returns_needed(self, n_steps: int, *, bridge: bool | None = None) -> int:
        """Daily returns a path of ``n_steps`` consumes (``bridge`` overrides the setting)."""
        return daily_returns_needed(
            self.start,
            n_steps,
            calendar=self.calendar,
            step_hours=self.step_hours,
            fix_hour=self.fix_hour,
            bridge=self.bridge if bridge is None else bridge,
        )

    def bridged_path(
        self, daily_returns: np.ndarray, n_steps: int, rng: np.random.Generator
    ) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
        """The model-step path of ``daily_returns`` (see :func:`hourly_path_from_daily`)."""
        return hourly_path_from_daily(
            daily_returns,
            self.start_price,
            self.start,
            n_steps,
            calendar=self.calendar,
            step_hours=self.step_hours,
            fix_hour=self.fix_hour,
            rng=rng,
            bridge=self.bridge,
        )
