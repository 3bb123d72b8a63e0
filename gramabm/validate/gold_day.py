"""Gold's day inside the replays, checked against a second daily fix.

The token's close is measured against the morning fix, so part of every close-against-fix figure
is gold's own move after the fix, which the model draws from its intraday bridge
(:mod:`gramabm.scenarios.gold_session`). Hourly gold is not in the kit's data, but a second fix of
the same day is: the LBMA PM fix (15:00 London) against the AM fix (10:30 London) is a move the
bridge also draws, pinned at the same AM fixes. :func:`check_gold_day` replays a period's AM fixes
through the bridge several times and puts, year by year, the bridge's AM-to-PM moves beside the
real ones: their root mean square, their 99th percentile (the bridge's across draws, so a real
value outside it is a tail the bridge does not draw) and the share of the next AM-to-AM move that
has happened by the PM fix (the slope of the AM-to-PM move on it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gramabm.analysis.token.facts import slope
from gramabm.data.calendar import LBMA_AM_FIX_HOUR, TradingCalendar
from gramabm.errors import DataValidationError
from gramabm.scenarios.base import fix_mask
from gramabm.scenarios.gold_session import SessionSettings, session_gold_path

BP = 1e4
PM_HOUR = 15.0
"""London hour of the PM fix (the one checked)."""
MIN_DAYS = 20
"""Fewest days with both fixes for a year to be read."""

COLUMNS: dict[str, str] = {
    "days": "days with both fixes",
    "real_rms_bp": "root mean square of the real AM-to-PM log move (bp)",
    "bridge_rms_bp": "the bridge's, median over draws (bp)",
    "real_p99_bp": "99th percentile of the real |AM-to-PM| move (bp)",
    "bridge_p99_bp": "the bridge's, median over draws (bp)",
    "bridge_p99_min_bp": "the bridge's lowest over draws (bp)",
    "bridge_p99_max_bp": "the bridge's highest over draws (bp)",
    "real_share": "slope of the real AM-to-PM move on the next AM-to-AM move",
    "bridge_share": "the bridge's, median over draws",
}
"""The columns of :func:`check_gold_day`'s table, each with its meaning."""


def _moves_stats(move: pd.Series, next_move: pd.Series) -> dict[str, float]:
    """Root mean square, p99 of the absolute value, and slope on the next move."""
    both = pd.concat([move, next_move], axis=1, join="inner").dropna()
    return {
        "rms": float(np.sqrt(np.mean(np.square(move)))),
        "p99": float(np.percentile(np.abs(move), 99)),
        "share": slope(both.iloc[:, 1].to_numpy(), both.iloc[:, 0].to_numpy()),
    }


def check_gold_day(
    am: pd.Series,
    pm: pd.Series,
    *,
    start: Any = None,
    end: Any = None,
    draws: int = 10,
    seed: int = 0,
    settings: SessionSettings | None = None,
) -> pd.DataFrame:
    """Year by year, the bridge's AM-to-PM moves beside the real ones (:data:`COLUMNS`).

    Args:
        am: Daily AM fixes (USD/oz, business days), the anchors the bridge is pinned at.
        pm: Daily PM fixes (USD/oz) of the same days, the moves checked.
        start: First day (default: the first day both series have).
        end: Last day (default: the last day both have).
        draws: Bridges drawn, seeds ``seed`` to ``seed + draws - 1``.
        seed: First seed.
        settings: The bridge's settings (default: :class:`SessionSettings`).

    Raises:
        DataValidationError: Fewer than :data:`MIN_DAYS` days with both fixes, or no draw.
    """
    if draws < 1:
        raise DataValidationError("gold day", "at least one draw is needed")
    am = am.sort_index()
    pm = pm.sort_index()
    lo = pd.Timestamp(start) if start is not None else max(am.index[0], pm.index[0])
    hi = pd.Timestamp(end) if end is not None else min(am.index[-1], pm.index[-1])
    anchors = am[(am.index >= lo) & (am.index <= hi)]
    real_days = anchors.index.intersection(pm.index)
    if len(real_days) < MIN_DAYS:
        raise DataValidationError(
            "gold day",
            f"only {len(real_days)} days with both fixes from {lo.date()} to {hi.date()}",
        )
    # The next AM fix of the period's last day lies beyond it: one more anchor pins its bridge.
    later = am[am.index > anchors.index[-1]]
    anchors = pd.concat([anchors, later.iloc[:1]])
    days = pd.DatetimeIndex(anchors.index)
    steps = pd.date_range(days[0], days[-1] + pd.Timedelta(hours=23), freq="h")
    holidays = pd.bdate_range(days[0], days[-1]).difference(days)
    calendar = TradingCalendar.with_holidays(holidays)
    is_am = fix_mask(steps, calendar, LBMA_AM_FIX_HOUR)
    # A step's price is the one at its end (the bridge's clock counts the step's own hour), so
    # gold at the PM fix is the price of the step that ends then: the one holding the half hour
    # before it.
    is_pm = fix_mask(steps, calendar, PM_HOUR - 0.5)
    gold = pd.Series(np.nan, index=steps)
    gold[is_am] = anchors.to_numpy(float)
    path = gold.ffill().bfill().to_numpy()
    step_day = steps.normalize()

    real = np.log(pm.reindex(real_days) / am.reindex(real_days)) * BP
    next_move = (np.log(anchors.shift(-1) / anchors) * BP).reindex(real_days)
    years = sorted(set(real_days.year))
    per_draw: dict[int, list[dict[str, float]]] = {y: [] for y in years}
    settings = settings or SessionSettings()
    for k in range(draws):
        traded, _ = session_gold_path(steps, path, is_am, np.random.default_rng(seed + k), settings)
        at_am = pd.Series(traded[is_am], index=step_day[is_am])
        at_pm = pd.Series(traded[is_pm], index=step_day[is_pm])
        bridge = (np.log(at_pm / at_am) * BP).reindex(real_days)
        for y in years:
            in_year = real_days.year == y
            per_draw[y].append(_moves_stats(bridge[in_year], next_move[in_year]))
    rows = []
    for y in years:
        in_year = real_days.year == y
        if in_year.sum() < MIN_DAYS:
            continue
        truth = _moves_stats(real[in_year], next_move[in_year])
        drawn = pd.DataFrame(per_draw[y])
        rows.append(
            {
                "year": y,
                "days": int(in_year.sum()),
                "real_rms_bp": truth["rms"],
                "bridge_rms_bp": float(drawn["rms"].median()),
                "real_p99_bp": truth["p99"],
                "bridge_p99_bp": float(drawn["p99"].median()),
                "bridge_p99_min_bp": float(drawn["p99"].min()),
                "bridge_p99_max_bp": float(drawn["p99"].max()),
                "real_share": truth["share"],
                "bridge_share": float(drawn["share"].median()),
            }
        )
    return pd.DataFrame(rows).set_index("year")


__all__ = ["COLUMNS", "check_gold_day"]
