"""Oracle: latency, weekend staleness, outages, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gramabm.data.calendar import ALWAYS_OPEN, LONDON_GOLD
from gramabm.errors import ConfigError
from gramabm.market.oracle import Oracle, OracleError, OracleReading

# Hourly steps from Thursday 11 April 2024 00:00 to Tuesday 16 April 00:00.
HOURS = pd.date_range("2024-04-11", "2024-04-16", freq="h", inclusive="left")
PRICES = 2300.0 + np.arange(len(HOURS), dtype=float)  # each step's price is unique


def step_of(ts: str) -> int:
    return int(HOURS.get_loc(pd.Timestamp(ts)))


def test_latency_lags_the_path() -> None:
    o = Oracle(HOURS, PRICES, latency_steps=3, calendar=ALWAYS_OPEN)
    t = step_of("2024-04-13 12:00")
    r = o.observe(t)
    assert r == OracleReading(PRICES[t - 3], 3, False, True)
    assert o.observe(1) == OracleReading(PRICES[0], 1, False, True)  # warm-up: first price


def test_weekend_freezes_at_the_last_in_session_price() -> None:
    o = Oracle(HOURS, PRICES, calendar=LONDON_GOLD)
    last_friday = step_of("2024-04-12 15:00")  # LONDON_GOLD closes at 16:00
    for ts in ("2024-04-12 16:00", "2024-04-13 12:00", "2024-04-15 07:00"):
        r = o.observe(step_of(ts))
        assert r.price == PRICES[last_friday]
        assert r.stale
        assert r.ok
        assert r.age_steps == step_of(ts) - last_friday
    monday = step_of("2024-04-15 08:00")
    assert o.observe(monday) == OracleReading(PRICES[monday], 0, False, True)


def test_sessions_can_be_ignored() -> None:
    o = Oracle(HOURS, PRICES, calendar=LONDON_GOLD, stale_outside_sessions=False)
    saturday = step_of("2024-04-13 12:00")
    assert o.observe(saturday) == OracleReading(PRICES[saturday], 0, False, True)


def test_outage_repeats_the_last_good_reading_and_flags_it() -> None:
    o = Oracle(HOURS, PRICES, latency_steps=1, calendar=ALWAYS_OPEN, outages=[(10, 14)])
    before = o.observe(9)
    for t in range(10, 14):
        r = o.observe(t)
        assert not r.ok
        assert r.price == before.price
        assert r.stale
        assert r.age_steps == t - 8
    assert o.observe(14) == OracleReading(PRICES[13], 1, False, True)


def test_outage_at_the_start_reports_the_first_price() -> None:
    o = Oracle(HOURS, PRICES, calendar=ALWAYS_OPEN, outages=[(0, 2)])
    assert o.observe(0) == OracleReading(PRICES[0], 0, False, False)
    assert o.observe(1) == OracleReading(PRICES[0], 1, True, False)
    assert o.observe(2) == OracleReading(PRICES[2], 0, False, True)


def test_observed_series_matches_observe() -> None:
    o = Oracle(HOURS, PRICES, latency_steps=2, calendar=LONDON_GOLD, outages=[(30, 40)])
    frame = o.observed_series()
    assert list(frame.columns) == ["true_price", "price", "age_steps", "stale", "ok", "source_step"]
    assert frame.index.equals(HOURS)
    for t in (0, 5, 35, 60, len(HOURS) - 1):
        r = o.observe(t)
        row = frame.iloc[t]
        assert (row.price, row.age_steps, row.stale, row.ok) == (
            r.price,
            r.age_steps,
            r.stale,
            r.ok,
        )
    assert len(o) == len(HOURS)


def test_out_of_range_step_raises() -> None:
    o = Oracle(HOURS, PRICES, calendar=ALWAYS_OPEN)
    with pytest.raises(OracleError, match="outside"):
        o.observe(len(HOURS))
    with pytest.raises(OracleError):
        o.observe(-1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gold_usd_oz": PRICES[:-1]}, "one price per timestamp"),
        ({"timestamps": HOURS[::-1]}, "increasing"),
        ({"gold_usd_oz": np.where(np.arange(len(HOURS)) == 7, -1.0, PRICES)}, "step 7"),
        ({"latency_steps": -1}, "latency"),
        ({"outages": [(5, 5)]}, "outage"),
        ({"outages": [(0, len(HOURS) + 1)]}, "outage"),
        ({"timestamps": HOURS.tz_localize("UTC")}, "naive"),
    ],
)
def test_bad_inputs_raise(kwargs: dict, match: str) -> None:
    args = {"timestamps": HOURS, "gold_usd_oz": PRICES, "calendar": ALWAYS_OPEN} | kwargs
    with pytest.raises(ConfigError, match=match):
        Oracle(**args)


def test_large_path_is_fast() -> None:
    idx = pd.date_range("2000-01-01", periods=500_000, freq="15min")
    prices = np.linspace(300.0, 2500.0, len(idx))
    o = Oracle(idx, prices, latency_steps=4, calendar=LONDON_GOLD, outages=[(1000, 2000)])
    frame = o.observed_series()
    assert frame.stale.mean() > 0.5  # most of a week is outside the 8-hour weekday session
    assert not frame.ok.iloc[1500]


def test_outage_added_later_changes_only_later_readings() -> None:
    o = Oracle(HOURS, PRICES, calendar=ALWAYS_OPEN)
    before = o.observed_prices().copy()
    o.add_outage(50, len(HOURS) + 10)  # runs past the end: cut there
    after = o.observed_prices()
    np.testing.assert_array_equal(after[:50], before[:50])
    assert np.all(after[50:] == PRICES[49])
    assert not o.observe(len(HOURS) - 1).ok
    assert not after.flags.writeable
    with pytest.raises(ConfigError, match="outage"):
        o.add_outage(len(HOURS), len(HOURS) + 1)
