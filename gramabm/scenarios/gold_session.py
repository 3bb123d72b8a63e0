"""Gold's trading day between fixes: the intraday pattern and the weekend's hidden move.

A scenario gives gold at each daily fix (and a path between them). Real gold trades almost around
the clock on weekdays, with a strong pattern (thin Asian hours, a burst at the London open, the
busiest hours when London and New York overlap), and is shut from Friday's close to Sunday's
evening open; the token trades through the weekend. :func:`session_gold_path` rebuilds the path
between consecutive anchors (the fixes, the first and the last step) as a Brownian bridge in log
price run on an **activity clock**:

* each open hour advances the clock by its variance weight ``profile[hour] ** 2`` (the hourly
  volatility profile, relative to a flat day), so the same daily move spreads over the day the way
  gold's does;
* while the gold market is shut (``close_hour`` on Friday to ``open_hour`` on Sunday), a
  **latent** price, what gold would trade at, keeps moving with ``weekend_variance`` business days'
  worth of variance spread over the closed hours, while the **traded** price stays where it closed
  and jumps to the latent price when the market reopens: the Friday-to-Monday move exists, and only
  the token market can discover it in the meantime;
* the variance of each stretch is a blend of its own squared move and a slow moving average of
  squared moves (``own_move_weight``), so a quiet close-to-close day in a volatile month still moves
  inside the day, as it does in the data.

Gold's day keeps **London's clock**: the profile's hours, the weekend's close and open, like the
fix itself (:func:`gramabm.data.calendar.fix_instants`), are London wall-clock hours, so in summer
the whole day runs an hour earlier in UTC. (New York shifts with London but for about three weeks
a year.) A 24:00 UTC close then sits an hour later in gold's day in summer, one of its quietest
hours, so the share of the day's move it carries barely changes (docs/model.md).

The traded path equals the input at every anchor, so a replay keeps its fixes exactly. The model
feeds the traded price to the oracle, the primary market and the hedging agents; the latent one is
what the token market learns at weekends (:func:`weekend_information`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gramabm.data.calendar import london_wall_time
from gramabm.errors import ConfigError

if TYPE_CHECKING:
    from gramabm.config import GoldSessionConfig

# Relative hourly volatility of spot gold by London hour (UTC in winter; 1 = the day's average
# hour): Asian hours are thin, the London open (07-08) jumps, the London-New York overlap (12-16,
# US data at 12:30/13:30, COMEX open at 13:20) is busiest, and the hour of CME's daily pause
# (21-22) is nearly dead.
DEFAULT_PROFILE: tuple[float, ...] = (
    0.60, 0.65, 0.65, 0.60, 0.55, 0.60, 0.75, 1.05,  # 00-07 Asia, London opening
    1.15, 1.10, 1.05, 1.00, 1.20, 1.55, 1.75, 1.60,  # 08-15 London, New York opens
    1.35, 1.10, 0.90, 0.80, 0.75, 0.55, 0.40, 0.55,  # 16-23 New York afternoon, pause, Asia
)  # fmt: skip


@dataclass(frozen=True)
class SessionSettings:
    """How gold trades between fixes (see the module docstring).

    Args:
        profile: 24 relative hourly volatilities (London hours), mean of squares normalised to one.
        close_hour: Friday's closing hour (London) of the gold market: 17:00 in New York.
        open_hour: Sunday's opening hour (London): 18:00 in New York.
        weekend_variance: Variance of the latent weekend move, in business days of variance.
        own_move_weight: Weight of a stretch's own squared move in its variance (rest: the average).
        average_days: Span (business days) of the moving average of squared daily moves.
    """

    profile: tuple[float, ...] = DEFAULT_PROFILE
    close_hour: int = 22
    open_hour: int = 23
    weekend_variance: float = 0.25
    own_move_weight: float = 0.5
    average_days: int = 20

    def __post_init__(self) -> None:
        if len(self.profile) != 24 or min(self.profile) <= 0.0:
            raise ConfigError("the intraday profile needs 24 positive hourly volatilities")
        if not (0 <= self.close_hour < 24 and 0 <= self.open_hour < 24):
            raise ConfigError("close_hour and open_hour must be London hours in [0, 24)")
        if self.weekend_variance < 0.0 or not 0.0 <= self.own_move_weight <= 1.0:
            raise ConfigError("weekend_variance must be >= 0 and own_move_weight in [0, 1]")
        if self.average_days < 1:
            raise ConfigError("average_days must be >= 1")

    @classmethod
    def of(cls, section: GoldSessionConfig) -> SessionSettings:
        """The settings a configuration's ``[gold_session]`` section sets (the rest default)."""
        return cls(
            weekend_variance=section.weekend_variance, own_move_weight=section.own_move_weight
        )


def gold_market_open(timestamps: pd.DatetimeIndex, settings: SessionSettings) -> np.ndarray:
    """Whether spot gold trades during each step (shut Friday close to Sunday open, London time)."""
    return _open_on_wall(london_wall_time(timestamps), settings)


def _open_on_wall(wall: pd.DatetimeIndex, settings: SessionSettings) -> np.ndarray:
    day = np.asarray(wall.day_of_week)
    hour = np.asarray(wall.hour)
    shut = (
        ((day == 4) & (hour >= settings.close_hour))
        | (day == 5)
        | ((day == 6) & (hour < settings.open_hour))
    )
    return ~shut


def session_gold_path(
    timestamps: pd.DatetimeIndex,
    gold: np.ndarray,
    is_fix: np.ndarray,
    rng: np.random.Generator,
    settings: SessionSettings | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Traded and latent gold prices with the intraday pattern and the weekend move.

    Args:
        timestamps: Step timestamps (hourly steps; naive, UTC).
        gold: The scenario's gold path (USD/oz), finite and > 0.
        is_fix: Steps that carry a daily fix (kept exactly).
        rng: Generator of the bridge noise.
        settings: Session settings (default :class:`SessionSettings`).

    Returns:
        ``(traded, latent)``: the price gold trades at (flat while it is shut) and the price it
        would trade at (moving at weekends); equal wherever the market is open.

    Raises:
        ConfigError: The arrays disagree in length or the prices are not finite and positive.
    """
    s = settings or SessionSettings()
    gold = np.asarray(gold, dtype=np.float64)
    n = gold.size
    if len(timestamps) != n or len(is_fix) != n:
        raise ConfigError("timestamps, gold and is_fix must have the same length")
    if n == 0 or not np.all(np.isfinite(gold)) or np.any(gold <= 0.0):
        raise ConfigError("gold prices must be finite and > 0")
    wall = london_wall_time(pd.DatetimeIndex(timestamps))
    open_ = _open_on_wall(wall, s)
    profile = np.asarray(s.profile, dtype=np.float64)
    weight = profile**2 / np.mean(profile**2)
    # Activity clock: an hour's share of a business day's variance (by London hour); the closed
    # hours carry the weekend's variance between them.
    clock = np.where(open_, weight[np.asarray(wall.hour)] / 24.0, 0.0)
    closed = ~open_
    n_closed_per_weekend = max(1, (24 - s.close_hour) + 24 + s.open_hour)
    clock[closed] = s.weekend_variance / n_closed_per_weekend

    anchors = np.flatnonzero(np.asarray(is_fix, dtype=bool))
    anchors = np.unique(np.r_[0, anchors, n - 1])
    log_g = np.log(gold)
    moves = np.diff(log_g[anchors])
    c = np.cumsum(clock)
    span = c[anchors[1:]] - c[anchors[:-1]]
    # Variance per unit of clock: the stretch's own move (per business day of clock) blended with
    # a moving average of squared moves.
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(span > 0.0, moves**2 / np.maximum(span, 1e-12), 0.0)
    average = pd.Series(own).ewm(span=s.average_days, min_periods=1).mean().to_numpy()
    per_clock = s.own_move_weight * own + (1.0 - s.own_move_weight) * average
    per_clock = np.minimum(
        per_clock, 10.0 * np.maximum(average, 1e-12)
    )  # a holiday gap, not a jump

    seg = np.clip(np.searchsorted(anchors, np.arange(n), side="left") - 1, 0, None)
    seg = np.minimum(seg, max(anchors.size - 2, 0))
    latent = log_g.copy()
    if anchors.size > 1:
        d_w = np.sqrt(per_clock[seg] * clock) * rng.standard_normal(n)
        d_w[anchors[0]] = 0.0
        w = np.cumsum(d_w)
        a0, a1 = anchors[seg], anchors[seg + 1]
        tot = c[a1] - c[a0]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(tot > 0.0, (c - c[a0]) / tot, 1.0)
        inside = (np.arange(n) > a0) & (np.arange(n) < a1)
        bridge = log_g[a0] + frac * (log_g[a1] - log_g[a0]) + (w - w[a0]) - frac * (w[a1] - w[a0])
        latent = np.where(inside, bridge, log_g)
    latent_price = np.exp(latent)
    latent_price[anchors] = gold[anchors]
    # Traded price: the latent one while gold trades, the last traded one while it is shut.
    steps = np.arange(n)
    trading = open_.copy()
    trading[anchors] = True
    last_open = np.maximum.accumulate(np.where(trading, steps, 0))
    traded = latent_price[last_open]
    return traded, latent_price


def weekend_information(traded: np.ndarray, latent: np.ndarray, share: float) -> np.ndarray:
    """What the token market knows of gold: the traded price plus ``share`` of the hidden move.

    While gold trades the two prices agree; at weekends traders read the hidden move only partly
    (news, futures on other venues, other tokens), so they price ``share`` of it.
    """
    if not 0.0 <= share <= 1.0:
        raise ConfigError(f"weekend information share must be in [0, 1], got {share!r}")
    return traded * (latent / traded) ** share
