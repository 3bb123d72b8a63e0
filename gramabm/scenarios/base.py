"""Scenario building blocks: timed events, the generated path, the generator interface, the seed helper.

A scenario is a named, seeded generator of the gold price path at the model's step length (default one
hour; daily fixes on business days; weekends flat because the gold market is shut while the token
trades 24/7), plus a list of timed non-gold events the model consumes later.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gramabm.data.calendar import LBMA_AM_FIX_HOUR, TradingCalendar, fix_instants
from gramabm.errors import ConfigError
from gramabm.scenarios.events import ScenarioEvent, parse_event
from gramabm.units import GRAMS_PER_TROY_OUNCE


@dataclass(frozen=True)
class Event:
    """A non-gold event at a model step.

    Args:
        step: Model step (0-based) at which it happens.
        kind: One of :data:`EVENT_KINDS`.
        params: Event details, e.g. ``{"custodian": 0, "share": 0.10}`` for ``custodian_loss``.

    Raises:
        ConfigError: Unknown kind, or a parameter the kind does not accept (see
            :func:`gramabm.scenarios.events.parse_event`).
    """

    step: int
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    typed: ScenarioEvent = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "typed", parse_event(self.kind, self.params))
        if int(self.step) != self.step or self.step < 0:
            raise ConfigError(f"event step must be a non-negative integer, got {self.step!r}")
        object.__setattr__(self, "step", int(self.step))
        # A private copy, so the caller's dict cannot change the event afterwards (kept a plain dict
        # so events pickle for parallel runs).
        object.__setattr__(self, "params", dict(self.params))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: ``{"step", "kind", "params"}``."""
        return {"step": self.step, "kind": self.kind, "params": dict(self.params)}


@dataclass(frozen=True, eq=False)
class ScenarioPath:
    """One generated gold path at the model's step length, with its fixes and events.

    Args:
        name: Scenario name (registry name, e.g. ``"adverse"``).
        seed: Integer seed that produced it, or None (fresh entropy or a Generator passed in).
        timestamps: One per model step, naive UTC, regular (``step_hours`` apart).
        gold_usd_oz: Gold price in USD per troy ounce at each step; float64, finite, > 0.
        is_fix: Whether a daily reference fix is published at this step (business days only).
        events: Timed non-gold events, sorted by step.
        meta: Generator name, parameters, source data range and anything else worth recording.

    Paths compare by identity (``eq=False``): compare their arrays to compare their content.

    Raises:
        ConfigError: If the arrays disagree in length, prices are not finite and positive, or
            timestamps are not regular.
    """

    name: str
    seed: int | None
    timestamps: pd.DatetimeIndex
    gold_usd_oz: np.ndarray
    is_fix: np.ndarray
    events: tuple[Event, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ts = pd.DatetimeIndex(self.timestamps)
        prices = np.asarray(self.gold_usd_oz, dtype=np.float64)
        fix = np.asarray(self.is_fix, dtype=bool)
        if ts.tz is not None:
            raise ConfigError(
                f"scenario {self.name!r}: timestamps must be naive UTC, got tz={ts.tz}"
            )
        if not (len(ts) == len(prices) == len(fix)):
            raise ConfigError(
                f"scenario {self.name!r}: lengths differ: {len(ts)} timestamps, "
                f"{len(prices)} prices, {len(fix)} fix flags"
            )
        if prices.ndim != 1:
            raise ConfigError(
                f"scenario {self.name!r}: prices must be 1-D, got shape {prices.shape}"
            )
        if not np.all(np.isfinite(prices)) or np.any(prices <= 0):
            bad = int(np.flatnonzero(~np.isfinite(prices) | (prices <= 0))[0])
            raise ConfigError(
                f"scenario {self.name!r}: prices must be finite and > 0; step {bad} is {prices[bad]}"
            )
        if len(ts) > 2:
            steps = np.diff(ts.asi8)
            if np.any(steps != steps[0]) or steps[0] <= 0:
                raise ConfigError(
                    f"scenario {self.name!r}: timestamps must be regular and increasing"
                )
        prices.setflags(write=False)
        fix.setflags(write=False)
        object.__setattr__(self, "timestamps", ts)
        object.__setattr__(self, "gold_usd_oz", prices)
        object.__setattr__(self, "is_fix", fix)
        object.__setattr__(self, "events", tuple(sorted(self.events, key=lambda e: e.step)))
        object.__setattr__(self, "meta", dict(self.meta))

    @property
    def n_steps(self) -> int:
        """Number of model steps."""
        return len(self.timestamps)

    @property
    def step_hours(self) -> float:
        """Hours between consecutive steps (NaN for a single-step path)."""
        if len(self.timestamps) < 2:
            return float("nan")
        return (self.timestamps[1] - self.timestamps[0]) / pd.Timedelta(hours=1)

    def to_frame(self) -> pd.DataFrame:
        """Per-step table: columns ``gold_usd_oz``, ``usd_per_gram``, ``is_fix``; index the timestamps."""
        return pd.DataFrame(
            {
                "gold_usd_oz": self.gold_usd_oz,
                "usd_per_gram": self.gold_usd_oz / GRAMS_PER_TROY_OUNCE,
                "is_fix": self.is_fix,
            },
            index=pd.DatetimeIndex(self.timestamps, name="timestamp"),
        )

    def daily(self) -> pd.Series:
        """Fix prices (USD/oz) indexed by date (midnight), named ``"price"``, index named ``"date"``."""
        idx = self.timestamps[self.is_fix].normalize()
        series = pd.Series(self.gold_usd_oz[self.is_fix], index=idx, name="price")
        series.index.name = "date"
        # A fix per business day; keep the last should a step grid ever put two on one date.
        return series[~series.index.duplicated(keep="last")]


class Scenario(ABC):
    """A named, seeded generator of :class:`ScenarioPath` objects.

    Subclasses set :attr:`name` and :attr:`description` and implement :meth:`generate`; they may
    override :attr:`default_steps` (e.g. a replay's natural length).
    """

    name: str = ""
    description: str = ""

    # A read-only property, so subclasses may compute it (shaped, replay) or set a class attribute.
    @property
    def default_steps(self) -> int:
        """Path length used when a caller names none (30 days of hourly steps unless overridden)."""
        return 720

    @abstractmethod
    def generate(self, n_steps: int, seed: int | np.random.Generator | None = None) -> ScenarioPath:
        """Generate one path of ``n_steps`` model steps.

        Args:
            n_steps: Number of model steps (> 0).
            seed: An integer seed, a numpy Generator, or None for fresh entropy.

        Returns:
            The generated path; the same integer seed gives an identical path.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """The one way generators turn a seed into a numpy Generator.

    Args:
        seed: An integer seed (>= 0), an existing Generator (returned as is), or None (fresh entropy).

    Returns:
        A numpy Generator (PCG64 for integer or None seeds).

    Raises:
        ConfigError: If the seed is negative or of another type.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ConfigError(f"seed must be >= 0, got {seed}")
        return np.random.default_rng(int(seed))
    raise ConfigError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")


def seed_of(seed: int | np.random.Generator | None) -> int | None:
    """The integer seed to record in :attr:`ScenarioPath.seed` (None for Generators and None)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    return None


def check_n_steps(n_steps: int) -> int:
    """Validate a step count.

    Args:
        n_steps: Requested number of model steps.

    Returns:
        ``n_steps`` as an int.

    Raises:
        ConfigError: If it is not a positive integer (the message names ``n_steps``).
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps <= 0:
        raise ConfigError(f"n_steps must be a positive integer, got {n_steps!r}")
    return int(n_steps)


def check_step_hours(step_hours: float) -> float:
    """Validate a step length in hours: 0 < step_hours <= 24 (names ``step_hours`` if not)."""
    if not np.isfinite(step_hours) or not 0.0 < step_hours <= 24.0:
        raise ConfigError(f"step_hours must be in (0, 24], got {step_hours!r}")
    return float(step_hours)


def step_timestamps(
    start: pd.Timestamp | str, n_steps: int, step_hours: float = 1.0
) -> pd.DatetimeIndex:
    """Regular model-step timestamps.

    Args:
        start: Timestamp of step 0 (naive, read as UTC).
        n_steps: Number of steps (> 0).
        step_hours: Hours between steps, in (0, 24].

    Returns:
        ``n_steps`` timestamps ``step_hours`` apart, named ``"timestamp"``.
    """
    check_n_steps(n_steps)
    step = pd.Timedelta(hours=check_step_hours(step_hours))
    return pd.date_range(pd.Timestamp(start), periods=n_steps, freq=step, name="timestamp")


def fix_mask(
    timestamps: pd.DatetimeIndex, calendar: TradingCalendar, fix_hour: float = LBMA_AM_FIX_HOUR
) -> np.ndarray:
    """Which steps publish a daily reference fix.

    A business day's fix is taken at ``fix_hour`` London time (:func:`fix_instants`); the step
    whose interval ``[t, t + step)`` contains that instant carries it, so every business day
    covered by the grid has exactly one fix step, whatever the step length (hourly, four-hourly,
    daily).

    Args:
        timestamps: Regular step timestamps (at least two, or one read as a one-hour step).
        calendar: Which days are business days.
        fix_hour: London hour of day of the fix, in [0, 24).

    Returns:
        Boolean array, one per step.
    """
    if not 0.0 <= fix_hour < 24.0:
        raise ConfigError(f"fix_hour must be in [0, 24), got {fix_hour!r}")
    ts = pd.DatetimeIndex(timestamps)
    if len(ts) == 0:
        return np.zeros(0, dtype=bool)
    step = ts[1] - ts[0] if len(ts) > 1 else pd.Timedelta(hours=1)
    day = ts.normalize()
    fix_same = fix_instants(day, fix_hour)
    # A step that crosses midnight can contain the next day's fix instead. The business day is
    # London's, whatever UTC date its fix falls on.
    next_day = day + pd.Timedelta(days=1)
    fix_next = fix_instants(next_day, fix_hour)
    same = (ts <= fix_same) & (fix_same < ts + step) & calendar.business_day_mask(day)
    nxt = (ts <= fix_next) & (fix_next < ts + step) & calendar.business_day_mask(next_day)
    return np.asarray(same | nxt, dtype=bool)


def resolve_anchor(
    prices: pd.Series | None,
    start_price: float | None,
    start: pd.Timestamp | str | None,
    calendar: TradingCalendar,
) -> tuple[float, pd.Timestamp]:
    """Where a forward-looking path begins: its first price and its first timestamp.

    By default a path continues the data: it starts at the last observed price, at midnight of the
    first business day after the last observed date.

    Args:
        prices: Historical prices (USD/oz, date index), or None.
        start_price: Explicit first price (USD/oz, > 0), or None for the last observed price.
        start: Explicit first timestamp, or None for the business day after the data's end.
        calendar: Business days used to find that day.

    Returns:
        ``(start_price, start)``.

    Raises:
        ConfigError: If a value is missing and there is no data to take it from, or the price is
            not finite and positive.
    """
    if start_price is None:
        if prices is None or len(prices) == 0:
            raise ConfigError("start_price is needed when no price data is given")
        start_price = float(prices.iloc[-1])
    if not np.isfinite(start_price) or start_price <= 0:
        raise ConfigError(f"start_price must be finite and > 0, got {start_price!r}")
    if start is None:
        if prices is None or len(prices) == 0:
            raise ConfigError("start is needed when no price data is given")
        start = calendar.add_business_days(prices.index[-1], 1)
    return float(start_price), pd.Timestamp(start)


def daily_returns_needed(
    start: pd.Timestamp | str,
    n_steps: int,
    *,
    calendar: TradingCalendar,
    step_hours: float = 1.0,
    fix_hour: float = LBMA_AM_FIX_HOUR,
    bridge: bool = True,
) -> int:
    """How many daily returns :func:`gramabm.scenarios.intraday.hourly_path_from_daily` consumes.

    One per fix inside the path, plus one for the next fix when the path ends between fixes and
    the steps after its last fix bridge towards that next one.

    Args:
        start: Timestamp of step 0.
        n_steps: Number of model steps.
        calendar: Business days.
        step_hours: Hours per step.
        fix_hour: London hour of the daily fix.
        bridge: Whether the path bridges between fixes.

    Returns:
        The number of daily log returns needed.
    """
    fixes = fix_mask(step_timestamps(start, n_steps, step_hours), calendar, fix_hour)
    return int(fixes.sum()) + int(bridge and not fixes[-1])
