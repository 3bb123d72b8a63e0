"""Intraday paths between daily fixes: exact fixes, flat weekends, timestamps, bridge noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.data.calendar import LONDON_GOLD, TradingCalendar
from gramabm.errors import ConfigError
from gramabm.scenarios.base import fix_mask
from gramabm.scenarios.intraday import hourly_path_from_daily

START = pd.Timestamp("2024-01-03")  # a Wednesday


def _returns(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.012, n)


def _path(n_steps: int = 24 * 21, seed: int = 0, **kw):
    r = kw.pop("returns", _returns(40))
    return hourly_path_from_daily(r, 2000.0, START, n_steps, rng=np.random.default_rng(seed), **kw)


def test_timestamps_are_regular_and_the_right_length():
    ts, prices, fix = _path(24 * 21)
    assert len(ts) == len(prices) == len(fix) == 24 * 21
    assert ts[0] == START
    assert ts.tz is None
    assert ((ts[1:] - ts[:-1]) == pd.Timedelta(hours=1)).all()
    assert prices.dtype == np.float64


def test_path_passes_exactly_through_the_fixes():
    r = _returns(40)
    ts, prices, fix = _path(24 * 21, returns=r)
    # One fix per business day, at the step holding 10:30, and only on business days.
    assert (ts[fix].hour == 10).all()
    assert (ts[fix].day_of_week < 5).all()
    assert fix.sum() == len(pd.bdate_range(START, ts[-1]))
    np.testing.assert_array_equal(fix, fix_mask(ts, TradingCalendar(), 10.5))
    expected = 2000.0 * np.exp(np.cumsum(r[: fix.sum()]))
    np.testing.assert_allclose(prices[fix], expected, rtol=1e-13)
    assert prices[0] == 2000.0


def test_the_fix_keeps_london_time_across_the_clock_changes():
    # 10:30 London is 10:30 UTC in winter and 09:30 UTC from the last Sunday of March (31 March
    # 2024) to the last Sunday of October (27 October 2024).
    ts = pd.date_range("2024-03-25", "2024-11-02", freq="h")
    fix = fix_mask(ts, TradingCalendar(), 10.5)
    hours = pd.Series(ts[fix].hour, index=ts[fix].normalize())
    assert (hours[:"2024-03-29"] == 10).all()
    assert len(hours[:"2024-03-29"]) == 5
    assert (hours["2024-04-01":"2024-10-25"] == 9).all()
    assert (hours["2024-10-28":] == 10).all()
    assert fix.sum() == len(
        pd.bdate_range(ts[0], ts[-1])
    )  # one a business day, clock change or not
    # A fix near midnight belongs to its London day even when it falls on the previous UTC date.
    late = pd.date_range("2024-07-01", "2024-07-08", freq="h")  # Monday to Monday
    at = late[fix_mask(late, TradingCalendar(), 0.5)]
    assert list(at) == [pd.Timestamp(f"2024-07-0{d} 23:00") for d in (1, 2, 3, 4, 7)]


def test_flat_over_weekends_and_holidays():
    holiday = pd.Timestamp("2024-01-15")  # a Monday
    cal = TradingCalendar.with_holidays([holiday])
    ts, prices, fix = _path(24 * 21, calendar=cal)
    frame = pd.Series(prices, ts)
    for sat in pd.date_range(START, ts[-1], freq="W-SAT"):
        # From Saturday 00:00 to Monday 00:00 the price does not move at all.
        shut = frame[sat : sat + pd.Timedelta(days=2)]
        assert shut.nunique() == 1
    # The holiday and the weekend before it form one flat stretch, with no fix.
    long_shut = frame[pd.Timestamp("2024-01-13") : holiday + pd.Timedelta(days=1)]
    assert long_shut.nunique() == 1
    assert not fix[(ts.normalize() == holiday)].any()
    # On business days it moves between fixes.
    assert frame[pd.Timestamp("2024-01-04 11:00") : pd.Timestamp("2024-01-05 09:00")].nunique() > 10


def test_outside_session_hours_the_price_is_flat():
    ts, prices, _fix = _path(24 * 10, calendar=LONDON_GOLD)
    frame = pd.Series(prices, ts)
    night = frame[pd.Timestamp("2024-01-03 16:00") : pd.Timestamp("2024-01-04 08:00")]
    assert night.nunique() == 1
    assert frame[pd.Timestamp("2024-01-04 08:00") : pd.Timestamp("2024-01-04 16:00")].nunique() > 5


def test_same_seed_same_path_other_seed_other_bridge_same_fixes():
    a, b, c = (_path(24 * 14, seed=s)[1] for s in (5, 5, 6))
    fix = _path(24 * 14)[2]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_allclose(a[fix], c[fix], rtol=1e-13)


def test_without_bridge_price_steps_at_fixes_only():
    r = _returns(40)
    _ts, prices, fix = _path(24 * 14, returns=r, bridge=False)
    levels = np.r_[2000.0, 2000.0 * np.exp(np.cumsum(r[: fix.sum()]))]
    np.testing.assert_allclose(np.unique(prices), np.unique(levels), rtol=1e-13)
    changes = np.flatnonzero(np.diff(prices) != 0) + 1
    assert set(changes) <= set(np.flatnonzero(fix))


def test_bridge_noise_has_the_brownian_bridge_variance():
    # Zero returns and a given daily volatility: halfway between two weekday fixes (12 of the 24
    # market hours), the log price is normal with variance vol^2 * 1/2 * 1/2.
    n_days = 3000
    ts, prices, _fix = hourly_path_from_daily(
        np.zeros(n_days),
        100.0,
        START,
        24 * int(n_days * 1.3),
        rng=np.random.default_rng(7),
        daily_vol=0.01,
    )
    mid = (ts.hour == 22) & (ts.day_of_week < 4)  # 10:00 fix step + 12 h, next day a weekday
    deviations = np.log(prices[mid] / 100.0)
    assert np.std(deviations) == pytest.approx(0.005, rel=0.06)
    assert abs(np.mean(deviations)) < 0.0005


def test_coarse_steps_put_each_fix_on_its_own_day():
    r = _returns(20)
    ts, prices, fix = _path(10, returns=r, step_hours=24)
    assert fix.tolist() == [d.day_of_week < 5 for d in ts]
    np.testing.assert_allclose(prices[fix], 2000.0 * np.exp(np.cumsum(r[: fix.sum()])))
    # The weekend days show a level between Friday's and Monday's fixes, not Monday's fix early.
    sat = np.flatnonzero(ts.day_of_week == 5)[0]
    assert prices[sat] == prices[sat + 1]
    assert prices[sat] != prices[sat + 2]


def test_too_few_returns_raise_a_named_error():
    _ts, _, fix = _path(24 * 7)
    n_fixes = int(fix.sum())
    with pytest.raises(ConfigError, match=f"needs {n_fixes + 1} daily returns"):
        _path(24 * 7, returns=_returns(n_fixes))
    # Without the bridge the price after the last fix is flat: no extra return needed.
    _path(24 * 7, returns=_returns(n_fixes), bridge=False)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_steps": 0},
        {"step_hours": 25.0},
        {"fix_hour": 24.0},
        {"returns": np.array([0.01, np.nan] + [0.0] * 40)},
        {"returns": np.zeros((5, 5))},
        {"daily_vol": -0.01},
    ],
)
def test_bad_input_raises_config_error(kwargs):
    n_steps = kwargs.pop("n_steps", 48)
    with pytest.raises(ConfigError):
        _path(n_steps, **kwargs)


def test_bad_start_price_and_tz_raise():
    with pytest.raises(ConfigError):
        hourly_path_from_daily(_returns(5), 0.0, START, 10, rng=np.random.default_rng(0))
    with pytest.raises(ConfigError):
        hourly_path_from_daily(
            _returns(5), 1.0, START.tz_localize("UTC"), 10, rng=np.random.default_rng(0)
        )


@given(
    days=st.integers(0, 3000),
    start_hour=st.integers(0, 23),
    n_steps=st.integers(1, 24 * 30),
    step_hours=st.sampled_from([0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 24.0]),
    fix_hour=st.sampled_from([0.0, 10.5, 15.0, 23.5]),
    bridge=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    start_price=st.floats(1.0, 1e5),
)
def test_paths_are_finite_positive_exact_at_fixes_flat_when_shut(
    days, start_hour, n_steps, step_hours, fix_hour, bridge, seed, start_price
):
    start = pd.Timestamp("2000-01-01") + pd.Timedelta(days=days, hours=start_hour)
    n_returns = int(n_steps * step_hours / 24) + 5
    r = np.random.default_rng(seed).normal(0.0, 0.02, n_returns)
    kw = {"step_hours": step_hours, "fix_hour": fix_hour, "bridge": bridge, "daily_vol": 0.01}
    ts, prices, fix = hourly_path_from_daily(
        r, start_price, start, n_steps, rng=np.random.default_rng(seed), **kw
    )
    again = hourly_path_from_daily(
        r, start_price, start, n_steps, rng=np.random.default_rng(seed), **kw
    )
    assert len(ts) == len(prices) == len(fix) == n_steps
    assert ts[0] == start
    assert np.all(np.isfinite(prices))
    assert np.all(prices > 0)
    np.testing.assert_array_equal(prices, again[1])
    np.testing.assert_allclose(
        prices[fix], start_price * np.exp(np.cumsum(r[: fix.sum()])), rtol=1e-12
    )
    if not fix[0]:
        assert prices[0] == start_price
    # Flat while the market is shut: between two weekend steps that carry no fix (a fix step's
    # interval can reach into Monday) the price does not move.
    weekend = ts.day_of_week >= 5
    closed = weekend[:-1] & weekend[1:] & ~fix[:-1] & ~fix[1:]
    np.testing.assert_array_equal(prices[1:][closed], prices[:-1][closed])
    other = hourly_path_from_daily(
        r, start_price, start, n_steps, rng=np.random.default_rng(seed + 1), **kw
    )[1]
    # Three days of steps of up to 6 h always include weekday steps strictly between two fixes.
    if bridge and step_hours <= 6.0 and n_steps * step_hours >= 72:
        assert not np.array_equal(prices, other)
