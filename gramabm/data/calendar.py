"""Trading calendar: business days, weekends, optional holidays and daily session hours.

Gold's reference prices (the LBMA fixes) exist only on London business days, and the primary market
of a gold token keeps those hours, while the token itself trades 24/7. The calendar is the one place
that says which is which; the scenarios, the primary market and the oracle all ask it.

Times are naive timestamps read as UTC. Session hours are given in UTC hours of the day: London is
UTC+0 in winter and UTC+1 in summer, a shift the primary market's hours ignore on purpose (an hour
of its opening is not what a stress test turns on). Gold's own day does not ignore it: the LBMA
fix is at 10:30 London time, 09:30 UTC in summer, and a dated replay puts it there.
:func:`london_wall_time` and :func:`utc_of_london` convert between the two clocks for the fix and
the gold session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError

LONDON_ZONE = "Europe/London"
"""The time zone of gold's reference market (the LBMA fixes, the London and New York sessions)."""

LBMA_AM_FIX_HOUR: float = 10.5
"""London hour of the LBMA AM fix, the daily gold price every scenario and fact is pinned to."""


@dataclass(frozen=True)
class TradingCalendar:
    """Business days and session hours.

    Args:
        holidays: Dates on which the reference market is shut although they are weekdays.
        weekend: Days of the week that are never business days (Monday=0 ... Sunday=6).
        open_hour: Start of the daily session, UTC hour in [0, 24).
        close_hour: End of the daily session, UTC hour in (open_hour, 24]; 24 means midnight.
    """

    holidays: frozenset[date] = field(default_factory=frozenset)
    weekend: tuple[int, ...] = (5, 6)
    open_hour: float = 0.0
    close_hour: float = 24.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.open_hour < self.close_hour <= 24.0:
            raise ConfigError(
                f"session hours must satisfy 0 <= open_hour < close_hour <= 24, "
                f"got open_hour={self.open_hour}, close_hour={self.close_hour}"
            )
        if any(d not in range(7) for d in self.weekend):
            raise ConfigError(f"weekend days must be in 0..6 (Monday=0), got {self.weekend}")
        if set(self.weekend) == set(range(7)):
            # No business day at all would make add_business_days and next_open loop forever.
            raise ConfigError("weekend covers all seven days: the calendar has no business day")
        object.__setattr__(self, "weekend", tuple(self.weekend))
        object.__setattr__(
            self, "holidays", frozenset(pd.Timestamp(h).date() for h in self.holidays)
        )

    @classmethod
    def with_holidays(
        cls, holidays: Iterable[date | str | pd.Timestamp], **kwargs: float
    ) -> TradingCalendar:
        """A calendar from any iterable of dates (strings or timestamps are accepted)."""
        return cls(holidays=frozenset(pd.Timestamp(h).date() for h in holidays), **kwargs)  # type: ignore[arg-type]

    def with_session(self, open_hour: float, close_hour: float) -> TradingCalendar:
        """The same business days with other session hours."""
        return TradingCalendar(self.holidays, self.weekend, open_hour, close_hour)

    # --- scalar queries -------------------------------------------------------------------
    def is_business_day(self, ts: pd.Timestamp | date | str) -> bool:
        """Whether the day of ``ts`` is a business day (not a weekend day, not a holiday)."""
        d = pd.Timestamp(ts)
        return d.day_of_week not in self.weekend and d.date() not in self.holidays

    def is_open(self, ts: pd.Timestamp | str) -> bool:
        """Whether the session is open at ``ts``: a business day and inside the session hours."""
        t = pd.Timestamp(ts)
        hour = t.hour + t.minute / 60.0 + t.second / 3600.0
        return self.is_business_day(t) and self.open_hour <= hour < self.close_hour

    def next_open(self, ts: pd.Timestamp | str) -> pd.Timestamp:
        """The first instant at or after ``ts`` when the session is open."""
        t = pd.Timestamp(ts)
        if self.is_open(t):
            return t
        day = t.normalize()
        if not self.is_business_day(day):
            # add_business_days(day, 0) is the next business day; n=1 would skip one more.
            return self.add_business_days(day, 0) + pd.Timedelta(hours=self.open_hour)
        opening = day + pd.Timedelta(hours=self.open_hour)
        if t < opening:
            return opening
        return self.add_business_days(day, 1) + pd.Timedelta(hours=self.open_hour)

    def add_business_days(self, ts: pd.Timestamp | str, n: int) -> pd.Timestamp:
        """The date ``n`` business days after the day of ``ts`` (midnight), n >= 0.

        ``n == 0`` returns the day itself when it is a business day, else the next one.
        """
        if n < 0:
            raise ConfigError(f"n must be >= 0, got {n}")
        day = pd.Timestamp(ts).normalize()
        while not self.is_business_day(day):
            day += pd.Timedelta(days=1)
        for _ in range(n):
            day += pd.Timedelta(days=1)
            while not self.is_business_day(day):
                day += pd.Timedelta(days=1)
        return day

    # --- vectorised queries ---------------------------------------------------------------
    def business_day_mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Boolean array: which timestamps fall on business days."""
        idx = pd.DatetimeIndex(index)
        mask = ~np.isin(idx.day_of_week, self.weekend)
        if self.holidays:
            mask &= ~np.isin(idx.normalize().date, np.array(list(self.holidays), dtype=object))
        return np.asarray(mask, dtype=bool)

    def open_mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Boolean array: which timestamps fall inside an open session."""
        idx = pd.DatetimeIndex(index)
        hours = idx.hour + idx.minute / 60.0 + idx.second / 3600.0
        in_session = (hours >= self.open_hour) & (hours < self.close_hour)
        return self.business_day_mask(idx) & np.asarray(in_session, dtype=bool)

    def business_days(self, start: pd.Timestamp | str, end: pd.Timestamp | str) -> pd.DatetimeIndex:
        """All business days from ``start`` to ``end`` inclusive."""
        days = pd.date_range(
            pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D"
        )
        return days[self.business_day_mask(days)]


ALWAYS_OPEN = TradingCalendar(weekend=())
"""A 24/7 calendar (the secondary market, or a permissionless wrapper)."""

LONDON_GOLD = TradingCalendar(open_hour=8.0, close_hour=16.0)
"""Weekday London gold-market hours (UTC, no holidays unless given)."""


def london_wall_time(timestamps: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """London's wall-clock time (naive) of naive UTC ``timestamps``: one hour later in summer."""
    ts = pd.DatetimeIndex(timestamps)
    return ts.tz_localize("UTC").tz_convert(LONDON_ZONE).tz_localize(None)


def london_summer_time(timestamps: pd.DatetimeIndex) -> np.ndarray:
    """Whether London keeps summer time (BST, UTC+1) at each naive UTC timestamp."""
    ts = pd.DatetimeIndex(timestamps)
    return np.asarray(london_wall_time(ts) != ts)


def utc_of_london(wall: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The naive UTC instants of naive London wall-clock times.

    A wall time the spring change skips is moved forward past the gap; one the autumn change
    repeats is read as summer time (the first of the two).
    """
    local = pd.DatetimeIndex(wall).tz_localize(
        LONDON_ZONE, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
    )
    return local.tz_convert("UTC").tz_localize(None)


def fix_instants(days: pd.DatetimeIndex, fix_hour: float) -> pd.DatetimeIndex:
    """The naive UTC instant of each day's fix, taken at ``fix_hour`` London time.

    The LBMA fixes keep London's clock: 10:30 is 10:30 UTC in winter and 09:30 UTC in summer.
    Each distinct day is converted once (a run's steps share a few hundred days).
    """
    unique, where = np.unique(pd.DatetimeIndex(days).normalize().to_numpy(), return_inverse=True)
    wall = pd.DatetimeIndex(unique) + pd.Timedelta(hours=fix_hour)
    return pd.DatetimeIndex(utc_of_london(wall)[where.ravel()])


_NS_PER_HOUR = 3_600_000_000_000


@lru_cache(maxsize=256)
def _summer_time_hours(year: int) -> tuple[int, int]:
    """The first and the last-plus-one UTC hour (counted from the epoch) of a year's summer time.

    London's clock changes at most once each way a year, so a year is read from the time-zone
    database once and every step after that compares two integers.
    """
    first = pd.Timestamp(year, 1, 1)
    start = first.value // _NS_PER_HOUR
    end = pd.Timestamp(year + 1, 1, 1).value // _NS_PER_HOUR
    hours = pd.date_range(first, periods=end - start, freq="h")
    summer = np.flatnonzero(london_summer_time(hours))
    if not summer.size:
        return end, end
    return start + int(summer[0]), start + int(summer[-1]) + 1


def london_hour(ts: pd.Timestamp) -> int:
    """London's wall-clock hour of one naive UTC timestamp (a step's own, read every step)."""
    hour_index = int(ts.value // _NS_PER_HOUR)
    first, stop = _summer_time_hours(ts.year)
    return (hour_index + (1 if first <= hour_index < stop else 0)) % 24
