"""The observed venue's price step, month by month, against the simulated venue's.

A venue's tick shapes the hourly facts: on PAXG/USDT's 1 USD step (5 bp of the price, from
September 2021) a fifth of the hours close unchanged and a quiet weekend hour moves one tick. A
simulated venue without that step moves by fractions of a basis point, so its hourly medians and
bounce describe another market. Over a period in which the venue changed its tick the whole
period's step (:func:`~gramabm.analysis.token.facts.price_step`) reads the finer one; read month
by month, the coarser step shows with the months it held in. ``validate`` says so beside its
verdicts when the observed step is coarse and the simulated one is not, and ``--tick-usd auto``
replays on the observed steps (:func:`observed_ticks`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gramabm.analysis.token.facts import price_step
from gramabm.config import MAX_TICK_USD_OZ
from gramabm.errors import ConfigError
from gramabm.units import GRAMS_PER_TROY_OUNCE
from gramabm.validate.venue import auto_or_number

COARSE_STEP_BP: float = 1.0
"""A step of at least this share of the price (bp) shapes hourly returns of a few bp."""

_HALF_BOOK_TICK_USD_OZ = 0.0005 * GRAMS_PER_TROY_OUNCE  # what a simulated price rounds by


@dataclass(frozen=True)
class TickReading:
    """The coarsest price step the observed closes sat on in any month of the period.

    Attributes:
        step_usd: That step, USD per troy ounce (NaN: no month's closes sit on a step).
        months_on_step: Months whose closes sit on it.
        months: Months in the period with closes.
        step_bp: The step over the median close of those months, bp (NaN without a step).
    """

    step_usd: float
    months_on_step: int
    months: int
    step_bp: float

    def note(self, simulated_tick_usd: float) -> str | None:
        """What a reader should know when the observed step is coarse and the simulated one not."""
        if not (math.isfinite(self.step_bp) and self.step_bp >= COARSE_STEP_BP):
            return None
        if simulated_tick_usd >= 0.5 * self.step_usd:
            return None
        simulated = (
            f"{simulated_tick_usd:g} USD" if simulated_tick_usd > 0 else "the book's 0.031 USD"
        )
        return (
            f"the observed closes sit on a {self.step_usd:g} USD step per ounce in "
            f"{self.months_on_step} of {self.months} months ({self.step_bp:.1f} bp of the price), "
            f"the simulated venue's step is {simulated}: hourly facts compare a market on a grid "
            "with one off it (--tick-usd auto replays on the observed steps, month by month)"
        )

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready form."""
        return asdict(self)


def _closes_per_ounce(candles: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    window = candles[
        (candles.index >= start.normalize())
        & (candles.index < end.normalize() + pd.Timedelta(days=1))
    ]
    return window["close"].dropna() / float(candles.attrs.get("ounces_per_token", 1.0))


def _steps_by_month(per_oz: pd.Series) -> pd.Series:
    months = per_oz.groupby(per_oz.index.to_period("M"))
    return months.apply(lambda closes: price_step(closes.to_numpy(float), _HALF_BOOK_TICK_USD_OZ))


def monthly_steps(candles: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Each month's price step over ``start``..``end`` (whole days), USD per ounce; NaN: none.

    Args:
        candles: The observed token's candles (:mod:`gramabm.analysis.token.candles`).
        start: First day.
        end: Last day, included.
    """
    return _steps_by_month(_closes_per_ounce(candles, start, end))


def read_tick(candles: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> TickReading:
    """The coarsest month's step of the observed candles over ``start``..``end`` (whole days)."""
    per_oz = _closes_per_ounce(candles, start, end)
    steps = _steps_by_month(per_oz)
    if not len(steps) or steps.isna().all():
        return TickReading(math.nan, 0, len(steps), math.nan)
    coarsest = float(steps.max())
    on_step = steps.index[steps == coarsest]
    median_close = float(np.median(per_oz[per_oz.index.to_period("M").isin(on_step)]))
    return TickReading(coarsest, len(on_step), len(steps), coarsest / median_close * 1e4)


def observed_ticks(
    candles: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float | dict[str, float]]:
    """The configuration updates that put a replay on the observed venue's tick, month by month.

    The first month's step is ``tick_usd_oz``; each later month whose step differs from the one
    before is a ``tick_changes`` entry on its first day. A month whose closes sit on no step
    counts as the book's own step (0).
    """
    steps = monthly_steps(candles, start, end).fillna(0.0)
    first = float(steps.iloc[0]) if len(steps) else 0.0
    changes: dict[str, float] = {}
    for before, (month, step) in zip(steps.to_numpy()[:-1], list(steps.items())[1:], strict=True):
        if step != before:
            changes[f"{month.start_time:%Y-%m-%d}"] = float(step)
    return {"tick_usd_oz": first, "tick_changes": changes}


def parse_tick(text: str) -> float | Literal["auto"]:
    """``"auto"`` or a tick in USD per ounce (0 to ``MAX_TICK_USD_OZ``), from a command line.

    Raises:
        ConfigError: Anything else, named.
    """
    tick = auto_or_number(text)
    if tick == "auto":
        return tick
    if not (math.isfinite(tick) and 0.0 <= tick <= MAX_TICK_USD_OZ):
        raise ConfigError(
            f"tick must be 'auto' or 0 to {MAX_TICK_USD_OZ:,.0f} USD an ounce, got {text!r}"
        )
    return tick
