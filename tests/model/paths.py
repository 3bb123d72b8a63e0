"""Deterministic gold paths for model tests: calm noise, an optional shaped fall, chosen events."""

from __future__ import annotations

import numpy as np

from gramabm.data.calendar import TradingCalendar
from gramabm.scenarios.base import Event, ScenarioPath, fix_mask, step_timestamps


def gold_path(
    n: int,
    *,
    start: str = "2024-01-08",  # a Monday
    level: float = 2000.0,
    vol_annual: float = 0.15,
    fall: float = 0.0,
    fall_at: int = 48,
    fall_steps: int = 24,
    events: tuple[Event, ...] = (),
    seed: int = 0,
) -> ScenarioPath:
    """Hourly gold: calm noise on business days, flat at weekends, an optional fall of ``fall``."""
    ts = step_timestamps(start, n)
    cal = TradingCalendar()
    business = cal.business_day_mask(ts)
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, vol_annual / np.sqrt(252 * 24), n) * business
    if fall:
        r[fall_at : fall_at + fall_steps] += np.log(1 - fall) / fall_steps
    gold = level * np.exp(np.cumsum(r))
    meta = {"shock_step": fall_at if fall else None}
    return ScenarioPath("test", seed, ts, gold, fix_mask(ts, cal), events, meta)
