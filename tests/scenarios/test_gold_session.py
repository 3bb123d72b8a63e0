"""Gold's session: fixes kept, flat while shut, the weekend move revealed at the open."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gramabm.data.calendar import TradingCalendar
from gramabm.errors import ConfigError
from gramabm.scenarios.base import fix_mask, step_timestamps
from gramabm.scenarios.gold_session import (
    SessionSettings,
    gold_market_open,
    session_gold_path,
    weekend_information,
)


def _fix_path(n: int = 24 * 28, seed: int = 0) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    ts = step_timestamps("2024-01-08", n)
    is_fix = fix_mask(ts, TradingCalendar())
    rng = np.random.default_rng(seed)
    # Gold moves only at the fixes (a step path), 1% a day.
    gold = 2000 * np.exp(np.cumsum(np.where(is_fix, rng.normal(0, 0.01, n), 0.0)))
    return ts, gold, is_fix


def test_fixes_are_kept_and_gold_is_flat_while_shut() -> None:
    ts, gold, is_fix = _fix_path()
    traded, latent = session_gold_path(ts, gold, is_fix, np.random.default_rng(1))
    assert np.allclose(traded[is_fix], gold[is_fix], rtol=0, atol=1e-9)
    shut = ~gold_market_open(ts, SessionSettings())
    # every shut step shows the price of the step before it: no traded move at weekends
    idx = np.flatnonzero(shut)
    assert np.all(traded[idx] == traded[idx - 1])
    # ... while the latent price moves and the open reveals it
    assert np.mean(np.diff(np.log(latent))[idx[1:] - 1] != 0) > 0.9
    reopen = np.flatnonzero(shut[:-1] & ~shut[1:]) + 1
    assert np.allclose(traded[reopen], latent[reopen])
    assert np.all(traded[~shut] == latent[~shut])


def test_shut_hours_are_friday_close_to_sunday_open_in_london_time() -> None:
    # Winter: London is UTC, gold shuts at 22:00 (17:00 in New York) and opens Sunday at 23:00.
    ts = pd.DatetimeIndex(["2024-01-12 21:00", "2024-01-12 22:00", "2024-01-13 12:00",
                           "2024-01-14 22:00", "2024-01-14 23:00"])  # fmt: skip
    assert gold_market_open(ts, SessionSettings()).tolist() == [True, False, False, False, True]
    # Summer (BST): the same London hours are an hour earlier in UTC.
    ts = pd.DatetimeIndex(["2024-07-12 20:00", "2024-07-12 21:00", "2024-07-13 12:00",
                           "2024-07-14 21:00", "2024-07-14 22:00"])  # fmt: skip
    assert gold_market_open(ts, SessionSettings()).tolist() == [True, False, False, False, True]


def test_the_busy_hours_keep_london_time_in_summer() -> None:
    # A flat profile but one dead London hour (03:00): in winter that is 03:00 UTC, in summer
    # 02:00 UTC, and the bridge must leave that UTC hour (nearly) still.
    profile = tuple(0.01 if h == 3 else 1.0 for h in range(24))
    settings = SessionSettings(profile=profile)
    for start, dead_utc in (("2024-01-08", 3), ("2024-06-10", 2)):
        ts = pd.date_range(start, periods=24 * 5, freq="h")
        gold = np.full(ts.size, 2000.0)
        is_fix = np.zeros(ts.size, dtype=bool)
        is_fix[[0, ts.size - 1]] = True
        gold[-1] = 2100.0
        traded, _ = session_gold_path(ts, gold, is_fix, np.random.default_rng(4), settings)
        moves = pd.Series(np.abs(np.diff(np.log(traded))), index=ts[1:])
        by_hour = moves.groupby(moves.index.hour).mean()
        assert by_hour.idxmin() == dead_utc


def test_busy_hours_move_more_than_asian_hours() -> None:
    ts, gold, is_fix = _fix_path(24 * 7 * 40, seed=2)
    traded, _ = session_gold_path(ts, gold, is_fix, np.random.default_rng(3))
    r = pd.Series(np.abs(np.diff(np.log(traded))), index=ts[1:])
    weekday = r[r.index.day_of_week < 5]
    by_hour = weekday.groupby(weekday.index.hour).median()
    assert by_hour.loc[13:15].mean() > 2 * by_hour.loc[1:4].mean()


def test_weekend_information_is_a_partial_read_of_the_hidden_move() -> None:
    traded = np.array([100.0, 100.0, 100.0])
    latent = np.array([100.0, 104.0, 96.0])
    info = weekend_information(traded, latent, 0.5)
    assert info[0] == 100.0
    assert 101.9 < info[1] < 102.0
    assert 97.9 < info[2] < 98.0
    assert np.array_equal(weekend_information(traded, latent, 0.0), traded)
    with pytest.raises(ConfigError, match="share"):
        weekend_information(traded, latent, 1.5)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="24 positive"):
        SessionSettings(profile=(1.0,) * 23)
    ts, gold, is_fix = _fix_path(48)
    with pytest.raises(ConfigError, match="same length"):
        session_gold_path(ts, gold[:-1], is_fix, np.random.default_rng(0))
