"""What every agent can see at one step, gathered once by the market world and handed to each agent."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True, slots=True)
class StepContext:
    """The market as agents see it at the start of a step.

    Prices are USD per token (one gram); ``None`` where the book has no quote on that side.
    """

    step: int
    now: pd.Timestamp
    gold_usd_oz: float  # the true gold price this step (the scenario path)
    gold_g: float  # true gold value of one gram
    oracle_g: float  # gold value of one gram as the oracle shows it (lagged, stale at weekends)
    oracle_stale: bool  # the oracle did not update (weekend, holiday or outage)
    nav_ratio: float  # reported reserve ratio, capped at one: what a token is a claim on
    best_bid: float | None
    best_ask: float | None
    mid: float  # book mid, or the last reference when the book is one-sided or empty
    last_price: float  # last traded price (the mid before the first trade)
    vol_hourly: float  # realised volatility of the token mid per step (a fraction)
    primary_open: bool  # the primary market accepts requests now
    trading_halted: bool  # a circuit breaker stops the secondary market this step
    # Gold value of a gram as the token market reads it: gold_g while gold trades, plus part of
    # gold's hidden move while it is shut (weekend price discovery). NaN: gold_g.
    info_g: float = math.nan
    gold_open: bool = True  # spot gold trades now (shut from Friday's close to Sunday's open)

    @property
    def reference_g(self) -> float:
        """Gold value of one gram by the token market's information (see ``info_g``)."""
        return self.info_g if math.isfinite(self.info_g) else self.gold_g

    @property
    def fair_g(self) -> float:
        """Fair value of one token from public information: oracle gold value times the NAV ratio."""
        return self.oracle_g * self.nav_ratio
