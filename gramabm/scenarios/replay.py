"""Replays of dated historical episodes, taken from the data by date range.

A replay feeds the historical daily log returns of a date range to
:func:`gramabm.scenarios.intraday.hourly_path_from_daily`, which puts each day's move on that day's
fix and draws a seeded Brownian bridge between fixes. The daily fixes of the path are therefore the
historical prices themselves (times ``start_price / anchor`` when a start price is given: the
returns are kept, the level moved); only the intraday path depends on the seed.

The path starts at midnight of the first business day of the range, anchored on the last price
before the range (or on its first price if the data start there). Weekdays missing from the data
(exchange holidays) become holidays of the replay's calendar, so the replayed fixes fall on the
historical dates; weekend rows, if a source has any, are ignored (gold's reference market is shut).
A path longer than the range goes on with the history that follows it, as far as the data reach
(after the data's last fix it stays flat until the end of that day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from gramabm.data.calendar import LBMA_AM_FIX_HOUR, TradingCalendar
from gramabm.errors import ConfigError
from gramabm.scenarios.base import (
    Scenario,
    ScenarioPath,
    check_n_steps,
    check_step_hours,
    make_rng,
    seed_of,
)
from gramabm.scenarios.intraday import DailyReturnsBridge


@dataclass(frozen=True)
class Episode:
    """A dated historical gold episode (docs/model.md D5).

    Args:
        key: Short name; the scenario is registered as ``replay_<key>``.
        title: How people name it (``"Sep 2011"``).
        start: First day of the replay.
        end: Last day of the replay.
        summary: What happened (approximate, spot), and why the window is where it is.
    """

    key: str
    title: str
    start: date
    end: date
    summary: str

    @property
    def scenario_name(self) -> str:
        """Registry name, ``replay_<key>``."""
        return f"replay_{self.key}"


EPISODES: tuple[Episode, ...] = (
    Episode(
        "jan_1980",
        "Jan 1980",
        date(1980, 1, 2),
        date(1980, 3, 31),
        "the blow-off to $850 on 21 Jan, -13% the next day and the slide into the March low; "
        "the window holds the run-up, the peak and the first two months of the fall",
    ),
    Episode(
        "feb_1983",
        "Feb 1983",
        date(1983, 2, 14),
        date(1983, 3, 31),
        "-14% in two days at the end of February; from the calm before it to the March rebound",
    ),
    Episode(
        "2008",
        "2008",
        date(2008, 3, 3),
        date(2008, 10, 31),
        "about -30% from the March peak to the October low of the financial crisis",
    ),
    Episode(
        "sep_2011",
        "Sep 2011",
        date(2011, 8, 22),
        date(2011, 10, 14),
        "from the late-August record: -15% in two and a half weeks, -20% to the 26 Sep low",
    ),
    Episode(
        "apr_2013",
        "Apr 2013",
        date(2013, 4, 1),
        date(2013, 6, 28),
        "-9% on 15 Apr, -13% in two days, and the slide to the late-June low",
    ),
    Episode(
        "2011_2015",
        "2011-2015",
        date(2011, 9, 1),
        date(2015, 12, 31),
        "about -45% peak to trough over four years, from the September 2011 peak to December 2015",
    ),
    Episode(
        "mar_2020",
        "Mar 2020",
        date(2020, 2, 24),
        date(2020, 4, 30),
        "about -14% in a week of the COVID dash for cash, then a V-shaped recovery",
    ),
    Episode(
        "2022",
        "2022",
        date(2022, 3, 1),
        date(2022, 9, 30),
        "about -20% from the March high to the September low as real rates rose",
    ),
    Episode(
        "oct_2025",
        "Oct 2025",
        date(2025, 10, 1),
        date(2025, 11, 14),
        "-6% intraday on 21 Oct, the worst day since 2013, after a record run",
    ),
)
"""The episodes of docs/model.md D5 with their replay windows."""


def data_range_text(prices: pd.Series) -> str:
    """``"<source> covers YYYY-MM-DD to YYYY-MM-DD"`` for error messages."""
    source = prices.attrs.get("source", "the price data")
    return f"{source} covers {prices.index[0].date()} to {prices.index[-1].date()}"


def covers(prices: pd.Series, start: date | pd.Timestamp, end: date | pd.Timestamp) -> bool:
    """Whether the data hold the whole range ``[start, end]``."""
    if len(prices) < 2:
        return False
    return prices.index[0] <= pd.Timestamp(start) and prices.index[-1] >= pd.Timestamp(end)


class Replay(DailyReturnsBridge, Scenario):
    """Replay of the historical prices from ``start`` to ``end``; see the module docstring.

    Args:
        prices: Historical prices (USD/oz, date index).
        start: First day of the range.
        end: Last day of the range (>= start).
        start_price: Price to start from (USD/oz); None keeps the historical level.
        step_hours: Hours per model step, in (0, 24].
        fix_hour: London hour of the daily fix.
        bridge: Draw a Brownian bridge between fixes (True) or hold each fix flat (False).
        name: Registry name; default ``replay:<start>:<end>``.
        description: One line for listings; default names the range.

    Raises:
        ConfigError: If the range is empty or reversed, or the data do not cover it (the message
            names the data range).
    """

    def __init__(
        self,
        prices: pd.Series,
        start: date | pd.Timestamp | str,
        end: date | pd.Timestamp | str,
        *,
        start_price: float | None = None,
        step_hours: float = 1.0,
        fix_hour: float = LBMA_AM_FIX_HOUR,
        bridge: bool = True,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        self.start_day = pd.Timestamp(start).normalize()
        self.end_day = pd.Timestamp(end).normalize()
        self.name = name or f"replay:{self.start_day.date()}:{self.end_day.date()}"
        if self.end_day < self.start_day:
            raise ConfigError(
                f"replay {self.name}: end {self.end_day.date()} is before start {self.start_day.date()}"
            )
        if not covers(prices, self.start_day, self.end_day):
            raise ConfigError(
                f"replay {self.name} needs data from {self.start_day.date()} to "
                f"{self.end_day.date()}, but {data_range_text(prices)}"
            )
        if start_price is not None and (not np.isfinite(start_price) or start_price <= 0):
            raise ConfigError(f"start_price must be finite and > 0, got {start_price!r}")
        self.step_hours = check_step_hours(step_hours)
        if not 0.0 <= fix_hour < 24.0:
            raise ConfigError(f"fix_hour must be in [0, 24), got {fix_hour!r}")
        self.fix_hour = float(fix_hour)
        self.bridge = bool(bridge)
        self.source = str(prices.attrs.get("source", "unknown"))
        self.data_range = (prices.index[0].date().isoformat(), prices.index[-1].date().isoformat())

        weekday = prices[prices.index.day_of_week < 5]
        before = weekday[weekday.index < self.start_day]
        # Anchor on the last fix before the range, so the range's first day moves as it did.
        anchor = before.iloc[-1:] if len(before) else weekday.iloc[:1]
        later = weekday[weekday.index > anchor.index[0]]
        self.anchor_date = anchor.index[0]
        self.anchor_price = float(anchor.iloc[0])
        self.start_price = self.anchor_price if start_price is None else float(start_price)
        self.log_returns = np.diff(np.log(np.r_[self.anchor_price, later.to_numpy(float)]))
        self.return_dates = later.index
        all_weekdays = pd.bdate_range(self.anchor_date, prices.index[-1])
        self.calendar = TradingCalendar.with_holidays(all_weekdays.difference(weekday.index))
        self.start = self.calendar.add_business_days(self.anchor_date, 1)
        self.description = description or (
            f"replay of {self.start_day.date()} to {self.end_day.date()} from {self.source}"
        )

    @property
    def default_steps(self) -> int:
        """Steps from the path start to the end of the range's last day."""
        span = self.end_day + pd.Timedelta(days=1) - self.start
        return max(1, int(span / pd.Timedelta(hours=self.step_hours)))

    def generate(self, n_steps: int, seed: int | np.random.Generator | None = None) -> ScenarioPath:
        """Replay the range; the seed only moves the intraday bridge.

        Args:
            n_steps: Model steps (> 0); beyond the range the history that follows is replayed.
            seed: Integer seed, Generator or None.

        Returns:
            The path; ``meta`` holds the range, the anchor, the scale and ``range_end_step`` (the
            last step on the range's last day, or None if the path ends before it).

        Raises:
            ConfigError: If the path would run past the end of the data.
        """
        n_steps = check_n_steps(n_steps)
        rng = make_rng(seed)
        fixes, needed = self.returns_needed(n_steps, bridge=False), self.returns_needed(n_steps)
        returns = self.log_returns[:needed]
        if fixes <= len(returns) < needed:
            # Every fix is historical; only the bridge's target after the data's last fix is
            # missing: a zero return (bridged at zero volatility) keeps the path flat after it.
            returns = np.r_[returns, 0.0]
        if needed > len(returns):
            last = self.start + pd.Timedelta(hours=self.step_hours * (n_steps - 1))
            raise ConfigError(
                f"replay {self.name}: {n_steps} steps of {self.step_hours:g} h run to {last}, past "
                f"the end of the data ({self.source} ends {self.data_range[1]})"
            )
        timestamps, gold, is_fix = self.bridged_path(returns, n_steps, rng)
        on_or_before_end = np.flatnonzero(timestamps < self.end_day + pd.Timedelta(days=1))
        range_end_step = (
            int(on_or_before_end[-1])
            if timestamps[-1]
            >= self.end_day + pd.Timedelta(days=1) - pd.Timedelta(hours=self.step_hours)
            else None
        )
        return ScenarioPath(
            name=self.name,
            seed=seed_of(seed),
            timestamps=timestamps,
            gold_usd_oz=gold,
            is_fix=is_fix,
            meta={
                "generator": "Replay",
                "range_start": self.start_day.date().isoformat(),
                "range_end": self.end_day.date().isoformat(),
                "range_end_step": range_end_step,
                "anchor_date": self.anchor_date.date().isoformat(),
                "anchor_price": self.anchor_price,
                "start_price": self.start_price,
                "scale": self.start_price / self.anchor_price,
                "source": self.source,
                "data_range": self.data_range,
                "step_hours": self.step_hours,
                "bridge": self.bridge,
            },
        )
