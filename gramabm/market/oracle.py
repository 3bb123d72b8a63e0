"""The reference gold price as agents see it: lagged, stale outside sessions, and able to fail.

The true gold path (one price per model step) goes in; the oracle publishes, for every step, the
price of an earlier *source* step:

* **latency**: at step ``t`` the newest price it can know is that of step ``t - latency_steps``;
* **weekend staleness**: outside the calendar's sessions (weekends, holidays, closed hours) no new
  reference price is made, so the oracle keeps the last in-session price (the LBMA fixes only on
  business days);
* **outages**: during an outage window it repeats the last reading it published before the window
  and flags the reading ``ok=False``.

The whole observed path is computed once, vectorised, at construction, so :meth:`Oracle.observe`
is an O(1) lookup. A reading is ``stale`` when it is older than the oracle's normal latency.
Before the first in-session step (or during the first ``latency_steps`` steps) the oracle has
nothing newer than the first price of the path and reports that one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gramabm.data.calendar import TradingCalendar
from gramabm.errors import ConfigError, MarketError


class OracleError(MarketError, IndexError):
    """A reading was asked for a step outside the oracle's path."""


@dataclass(frozen=True, slots=True)
class OracleReading:
    """One published reading.

    Attributes:
        price: Published gold price, USD per troy ounce.
        age_steps: How many steps old the published price is (``step - source step``).
        stale: Whether the reading is older than the oracle's normal latency.
        ok: ``False`` during an outage (the price is then the last good one).
    """

    price: float
    age_steps: int
    stale: bool
    ok: bool


class Oracle:
    """A gold price oracle over a fixed path.

    Args:
        timestamps: One naive-UTC timestamp per model step, strictly increasing.
        gold_usd_oz: True gold price per step, USD per troy ounce, finite and positive.
        latency_steps: Steps between a price being made and the oracle publishing it (>= 0).
        calendar: Sessions in which reference prices are made.
        stale_outside_sessions: If ``True`` prices made outside the calendar's sessions are never
            published (the oracle freezes); if ``False`` every step's price is a fresh source.
        outages: Half-open step windows ``(start, end)`` during which the oracle fails.

    Raises:
        ConfigError: If the inputs are inconsistent (lengths, order, values, windows).
    """

    def __init__(
        self,
        timestamps: pd.DatetimeIndex,
        gold_usd_oz: np.ndarray,
        *,
        latency_steps: int = 0,
        calendar: TradingCalendar,
        stale_outside_sessions: bool = True,
        outages: Sequence[tuple[int, int]] = (),
    ) -> None:
        index = pd.DatetimeIndex(timestamps)
        prices = np.array(gold_usd_oz, dtype=np.float64)  # a private copy
        n = len(index)
        if prices.ndim != 1 or len(prices) != n:
            raise ConfigError(
                f"gold_usd_oz must be 1-D with one price per timestamp: "
                f"got shape {prices.shape} for {n} timestamps"
            )
        if n == 0:
            raise ConfigError("the oracle needs at least one step")
        if index.tz is not None:
            raise ConfigError(f"timestamps must be naive UTC, got time zone {index.tz}")
        if n > 1 and not bool(np.all(np.diff(index.asi8) > 0)):
            raise ConfigError("timestamps must be strictly increasing")
        if not bool(np.all(np.isfinite(prices))) or bool(np.any(prices <= 0)):
            bad = int(np.flatnonzero(~np.isfinite(prices) | (prices <= 0))[0])
            raise ConfigError(f"gold price must be finite and > 0; step {bad} has {prices[bad]}")
        if int(latency_steps) != latency_steps or latency_steps < 0:
            raise ConfigError(f"latency_steps must be an integer >= 0, got {latency_steps}")
        latency = int(latency_steps)

        self.timestamps = index
        self.latency_steps = latency
        self._truth = prices
        self._fresh = (
            calendar.open_mask(index) if stale_outside_sessions else np.ones(n, dtype=bool)
        )
        self._down = np.zeros(n, dtype=bool)
        for start, end in outages:
            self._mark_outage(start, end)
        self._publish()

    def _mark_outage(self, start: int, end: int) -> None:
        n = len(self._truth)
        if not 0 <= start < end <= n:
            raise ConfigError(
                f"outage window ({start}, {end}) must satisfy 0 <= start < end <= {n} (steps)"
            )
        self._down[start:end] = True

    def _publish(self) -> None:
        """Compute the published path from the truth, the sessions, the latency and the outages."""
        n, latency, down = len(self._truth), self.latency_steps, self._down
        steps = np.arange(n)
        # Newest fresh step at or before each step (-1 while none has been seen yet).
        last_fresh = np.maximum.accumulate(np.where(self._fresh, steps, -1))
        source = np.maximum(last_fresh[np.clip(steps - latency, 0, None)], 0)
        # During an outage the oracle repeats what it published at the last step before it.
        last_up = np.maximum.accumulate(np.where(down, -1, steps))
        source = np.where(down, source[np.maximum(last_up, 0)], source)
        source = np.where(down & (last_up < 0), 0, source)
        self._source = source
        self._price = self._truth[source]
        self._price.flags.writeable = False
        self._age = steps - source
        self._stale = self._age > latency
        self._ok = ~down

    def add_outage(self, start: int, end: int) -> None:
        """Add an outage over the half-open step window ``[start, end)`` (e.g. a scenario event).

        The published path is recomputed (vectorised, O(steps)); readings of steps before
        ``start`` do not change. A window running past the end of the path is cut at its end.

        Raises:
            ConfigError: If the window is empty or starts outside the path.
        """
        self._mark_outage(start, min(end, len(self._truth)))
        self._publish()

    def __len__(self) -> int:
        return len(self._price)

    def observe(self, step: int) -> OracleReading:
        """The reading agents see at ``step``.

        Args:
            step: Model step, ``0 <= step < len(oracle)``.

        Returns:
            The published price, its age, and its stale and ok flags.

        Raises:
            OracleError: If ``step`` is outside the path.
        """
        if not 0 <= step < len(self._price):
            raise OracleError(f"oracle step {step} outside the path of {len(self._price)} steps")
        return OracleReading(
            float(self._price[step]),
            int(self._age[step]),
            bool(self._stale[step]),
            bool(self._ok[step]),
        )

    def observed_prices(self) -> np.ndarray:
        """The published price of every step (read-only; what agents can have seen so far)."""
        return self._price

    def observed_series(self) -> pd.DataFrame:
        """The whole published path.

        Returns:
            A frame indexed by timestamp with columns ``true_price`` (the input path), ``price``,
            ``age_steps``, ``stale``, ``ok`` and ``source_step``.
        """
        return pd.DataFrame(
            {
                "true_price": self._truth.copy(),
                "price": self._price.copy(),
                "age_steps": self._age.copy(),
                "stale": self._stale.copy(),
                "ok": self._ok.copy(),
                "source_step": self._source.copy(),
            },
            index=self.timestamps,
        )
