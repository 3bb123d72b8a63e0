"""Trading calendar: business days, weekends, holidays, session hours and their vectorised forms."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.data.calendar import (
    ALWAYS_OPEN,
    LONDON_GOLD,
    TradingCalendar,
    london_hour,
    london_wall_time,
    utc_of_london,
)
from gramabm.errors import ConfigError

# 2024-01-01 is a Monday; 2024-01-06/07 a weekend.
UK_NEW_YEAR = TradingCalendar.with_holidays(["2024-01-01"], open_hour=8.0, close_hour=16.0)


def test_weekdays_are_business_days_and_weekends_are_not() -> None:
    cal = TradingCalendar()
    assert [cal.is_business_day(f"2024-01-{d:02d}") for d in range(1, 8)] == [True] * 5 + [
        False,
        False,
    ]


def test_holiday_is_not_a_business_day_in_any_input_type() -> None:
    for day in ("2024-01-01", date(2024, 1, 1), pd.Timestamp("2024-01-01 13:00")):
        assert not UK_NEW_YEAR.is_business_day(day)
    assert UK_NEW_YEAR.is_business_day("2024-01-02")
    assert UK_NEW_YEAR.holidays == frozenset({date(2024, 1, 1)})


def test_custom_weekend_friday_saturday() -> None:
    cal = TradingCalendar(weekend=(4, 5))
    assert not cal.is_business_day("2024-01-05")  # Friday
    assert cal.is_business_day("2024-01-07")  # Sunday


def test_always_open_trades_every_instant() -> None:
    assert ALWAYS_OPEN.is_open("2024-01-06 03:17")
    assert ALWAYS_OPEN.next_open("2024-01-07 23:59") == pd.Timestamp("2024-01-07 23:59")


def test_session_hours_open_inclusive_close_exclusive() -> None:
    assert not LONDON_GOLD.is_open("2024-01-02 07:59:59")
    assert LONDON_GOLD.is_open("2024-01-02 08:00")
    assert LONDON_GOLD.is_open("2024-01-02 15:59:59")
    assert not LONDON_GOLD.is_open("2024-01-02 16:00")
    assert not LONDON_GOLD.is_open("2024-01-06 12:00")  # Saturday
    assert not UK_NEW_YEAR.is_open("2024-01-01 12:00")  # holiday


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2024-01-02 10:00", "2024-01-02 10:00"),  # already open
        ("2024-01-02 06:30", "2024-01-02 08:00"),  # before the opening, same day
        ("2024-01-02 16:00", "2024-01-03 08:00"),  # at the close: next day
        ("2024-01-05 17:00", "2024-01-08 08:00"),  # Friday evening: Monday
        ("2024-01-06 10:00", "2024-01-08 08:00"),  # Saturday: Monday, not Tuesday
        ("2024-01-07 23:00", "2024-01-08 08:00"),  # Sunday night
        ("2023-12-31 12:00", "2024-01-02 08:00"),  # Sunday before a Monday holiday
        ("2024-01-01 09:00", "2024-01-02 08:00"),  # on the holiday itself
    ],
)
def test_next_open(now: str, expected: str) -> None:
    assert UK_NEW_YEAR.next_open(now) == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-01-02", 0, "2024-01-02"),
        ("2024-01-06", 0, "2024-01-08"),  # n=0 on a weekend: the next business day
        ("2024-01-05", 1, "2024-01-08"),  # Friday + 1
        ("2024-01-06", 1, "2024-01-09"),  # Saturday -> Monday, + 1
        ("2023-12-29", 1, "2024-01-02"),  # over a weekend and the holiday
        ("2024-01-02 15:30", 5, "2024-01-09"),  # time of day dropped
    ],
)
def test_add_business_days(start: str, n: int, expected: str) -> None:
    assert UK_NEW_YEAR.add_business_days(start, n) == pd.Timestamp(expected)


def test_add_business_days_refuses_negative_n() -> None:
    with pytest.raises(ConfigError, match="n must be >= 0"):
        LONDON_GOLD.add_business_days("2024-01-02", -1)


def test_business_days_range_inclusive() -> None:
    days = UK_NEW_YEAR.business_days("2023-12-29", "2024-01-08")
    assert list(days.strftime("%Y-%m-%d")) == [
        "2023-12-29",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
        "2024-01-05",
        "2024-01-08",
    ]


def test_masks() -> None:
    index = pd.DatetimeIndex(
        ["2024-01-01 12:00", "2024-01-02 07:00", "2024-01-02 12:00", "2024-01-06 12:00"]
    )
    np.testing.assert_array_equal(UK_NEW_YEAR.business_day_mask(index), [False, True, True, False])
    np.testing.assert_array_equal(UK_NEW_YEAR.open_mask(index), [False, False, True, False])
    assert UK_NEW_YEAR.business_day_mask(index).dtype == bool


def test_with_session_keeps_days_and_changes_hours() -> None:
    cal = UK_NEW_YEAR.with_session(13.5, 20.0)
    assert cal.holidays == UK_NEW_YEAR.holidays
    assert not cal.is_open("2024-01-02 13:00")
    assert cal.is_open("2024-01-02 13:30")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"open_hour": 16.0, "close_hour": 8.0},
        {"open_hour": -1.0},
        {"close_hour": 25.0},
        {"weekend": (7,)},
        {"weekend": tuple(range(7))},
    ],
)
def test_impossible_calendars_are_refused(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        TradingCalendar(**kwargs)


def test_calendar_is_hashable_even_with_a_list_weekend() -> None:
    assert hash(TradingCalendar(weekend=[5, 6])) == hash(TradingCalendar(weekend=(5, 6)))


timestamps = st.datetimes(
    min_value=pd.Timestamp("2000-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2040-01-01").to_pydatetime(),
)


@given(timestamps)
def test_mask_agrees_with_scalar_queries(ts) -> None:
    index = pd.DatetimeIndex([ts])
    assert UK_NEW_YEAR.business_day_mask(index)[0] == UK_NEW_YEAR.is_business_day(ts)
    assert UK_NEW_YEAR.open_mask(index)[0] == UK_NEW_YEAR.is_open(ts)


@given(timestamps)
def test_next_open_is_open_and_nothing_earlier_is(ts) -> None:
    nxt = UK_NEW_YEAR.next_open(ts)
    assert nxt >= pd.Timestamp(ts)
    assert UK_NEW_YEAR.is_open(nxt)
    # Every minute strictly between ts and the next opening is closed.
    between = pd.date_range(pd.Timestamp(ts).ceil("min"), nxt, freq="min", inclusive="left")
    assert not UK_NEW_YEAR.open_mask(between).any()


@given(timestamps, st.integers(min_value=0, max_value=30))
def test_add_business_days_counts_business_days(ts, n) -> None:
    end = UK_NEW_YEAR.add_business_days(ts, n)
    assert UK_NEW_YEAR.is_business_day(end)
    start = UK_NEW_YEAR.add_business_days(ts, 0)
    assert len(UK_NEW_YEAR.business_days(start, end)) == n + 1


def test_london_wall_time_and_back_across_the_clock_changes() -> None:
    utc = pd.DatetimeIndex(["2024-03-31 00:30", "2024-03-31 01:30", "2024-07-01 09:30",
                            "2024-10-27 00:30", "2024-10-27 01:30", "2024-12-02 10:30"])  # fmt: skip
    wall = london_wall_time(utc)
    assert list(wall.hour) == [0, 2, 10, 1, 1, 10]  # 01:00 UTC: 01:00 GMT becomes 02:00 BST
    # The 10:30 fix: 09:30 UTC in summer, 10:30 in winter.
    fixes = pd.DatetimeIndex(["2024-07-01 10:30", "2024-12-02 10:30"])
    assert list(utc_of_london(fixes)) == list(
        pd.DatetimeIndex(["2024-07-01 09:30", "2024-12-02 10:30"])
    )
    # A wall time the spring change skips moves past the gap; a repeated one reads as summer time.
    assert utc_of_london(pd.DatetimeIndex(["2024-03-31 01:30"]))[0] == pd.Timestamp(
        "2024-03-31 01:00"
    )
    assert utc_of_london(pd.DatetimeIndex(["2024-10-27 01:30"]))[0] == pd.Timestamp(
        "2024-10-27 00:30"
    )


@given(st.integers(min_value=0, max_value=24 * 366 * 60))
def test_one_steps_london_hour_is_the_wall_clocks(hours: int) -> None:
    ts = pd.Timestamp("1968-01-01") + pd.Timedelta(hours=hours)
    assert london_hour(ts) == london_wall_time(pd.DatetimeIndex([ts]))[0].hour
