"""Facts only a simulated market shows: whether the book was two-sided, whether holders panicked.

A real token's candles say nothing of its order book's sides or of its holders' state, so these
are read from a run's per-step series (the columns of :mod:`gramabm.run_columns`) and stand beside
:func:`gramabm.analysis.token.facts.token_facts` for a simulated token only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gramabm.errors import DataValidationError

CALM_GOLD_MOVE: float = 0.02
"""An hour is calm when gold moved less than this (absolute log move) over the 24 hours before."""


@dataclass(frozen=True)
class MarketFact:
    """One run-only fact: its key, a label and a unit for tables."""

    key: str
    label: str
    unit: str
    meaning: str


MARKET_FACTS: tuple[MarketFact, ...] = (
    MarketFact(
        "book_two_sided_calm_share",
        "Book two-sided, calm hours",
        "share",
        "share of calm, unhalted hours with both a best bid and a best ask",
    ),
    MarketFact(
        "holders_panicked_max_share",
        "Holders panicked, peak",
        "share",
        "largest share of holders above the panic threshold at any step",
    ),
)
"""Every fact :func:`market_facts` computes, in table order."""


def calm_hours(timeseries: pd.DataFrame, *, calm_gold_move: float = CALM_GOLD_MOVE) -> np.ndarray:
    """Which steps are calm: gold within ``calm_gold_move`` of its level 24 steps before, no halt."""
    gold = np.log(timeseries["gold_usd_oz"].to_numpy(float))
    lagged = np.r_[np.full(min(24, len(gold)), gold[0]), gold[:-24]][: len(gold)]
    halted = timeseries["circuit_breaker"].to_numpy(bool)
    return (np.abs(gold - lagged) < calm_gold_move) & ~halted


def market_facts(
    timeseries: pd.DataFrame, n_holders: int, *, calm_gold_move: float = CALM_GOLD_MOVE
) -> dict[str, float]:
    """The run-only facts of :data:`MARKET_FACTS`.

    Args:
        timeseries: A run's per-step frame.
        n_holders: Holders in the run (the panicked count's denominator).
        calm_gold_move: See :data:`CALM_GOLD_MOVE`.

    Raises:
        DataValidationError: The frame lacks a needed column, or ``n_holders`` < 1.
    """
    needed = ("gold_usd_oz", "circuit_breaker", "token_bid", "token_ask", "holders_panicked")
    missing = [c for c in needed if c not in timeseries.columns]
    if missing:
        raise DataValidationError("simulation", f"the run's series lacks {missing}")
    if n_holders < 1:
        raise DataValidationError("simulation", f"n_holders must be >= 1, got {n_holders}")
    calm = calm_hours(timeseries, calm_gold_move=calm_gold_move)
    two_sided = np.isfinite(timeseries["token_bid"].to_numpy(float)) & np.isfinite(
        timeseries["token_ask"].to_numpy(float)
    )
    panicked = timeseries["holders_panicked"].to_numpy(float)
    return {
        "book_two_sided_calm_share": float(two_sided[calm].mean()) if calm.any() else float("nan"),
        "holders_panicked_max_share": float(panicked.max() / n_holders) if len(panicked) else 0.0,
    }
