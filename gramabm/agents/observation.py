"""What holders can observe of gold, computed for a whole path at once.

The oracle's published path is known when the model is built (and recomputed when an outage
event changes it), so the population-wide policy features are whole-path numpy arrays instead of
per-step Python: returns over one, five and twenty days, realised volatility over twenty days and
the drawdown from the 60-day high. Windows reaching before the first step are cut at it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MARKET_FEATURES: tuple[str, ...] = ("ret_1d", "ret_5d", "ret_20d", "vol_20d", "drawdown")
_CALM_VOL = 0.15  # shown until there are two daily returns to measure (annualised)


def _lagged(x: np.ndarray, lag: int) -> np.ndarray:
    idx = np.maximum(np.arange(x.size) - lag, 0)
    return x[idx]


def market_feature_arrays(seen: np.ndarray, steps_per_day: int = 24) -> dict[str, np.ndarray]:
    """Whole-path feature arrays from the published gold prices.

    Args:
        seen: Published gold price per step (what agents see), positive.
        steps_per_day: Model steps per day.

    Returns:
        One array per name of :data:`MARKET_FEATURES`, each as long as ``seen``.
    """
    seen = np.asarray(seen, dtype=float)
    log_p = np.log(seen)
    d = steps_per_day
    out = {
        "ret_1d": log_p - _lagged(log_p, d),
        "ret_5d": log_p - _lagged(log_p, 5 * d),
        "ret_20d": log_p - _lagged(log_p, 20 * d),
    }
    # Daily returns ending at every step, then, for every step, the spread of the twenty daily
    # returns ending at it, one day apart (each phase of the day is its own daily series).
    daily = log_p - _lagged(log_p, d)
    daily[:d] = np.nan
    vol = np.full(seen.size, np.nan)
    for phase in range(min(d, seen.size)):
        series = pd.Series(daily[phase::d])
        vol[phase::d] = series.rolling(20, min_periods=2).std(ddof=0).to_numpy()
    out["vol_20d"] = np.where(np.isfinite(vol), vol * np.sqrt(252), _CALM_VOL)
    peak = pd.Series(seen).rolling(60 * d, min_periods=1).max().to_numpy()
    out["drawdown"] = 1.0 - seen / peak
    return out
