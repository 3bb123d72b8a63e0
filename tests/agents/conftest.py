"""A small real market with no trading agents in it, and a hand-made observation for one step."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from gramabm.agents.reports import Reports
from gramabm.market.context import StepContext
from gramabm.model import GramModel
from tests.model.paths import gold_path

GOLD_OZ = 2000.0
GOLD_G = GOLD_OZ / 31.1034768


@pytest.fixture
def market() -> GramModel:
    """A model whose market (ledger, venue, primary) the agent under test trades in, alone."""
    path = gold_path(48, level=GOLD_OZ, vol_annual=0.0)
    return GramModel(
        rng=1,
        path=path,
        steps=48,
        holders=20,
        **{"market_makers.n": 0, "arbitrageurs.n": 0, "primary.always_open": True},
    )


def observation(step: int = 0, **changes: Any) -> StepContext:
    """A calm step: gold at $2,000/oz, the token at par, oracle fresh, primary open."""
    ctx = StepContext(
        step=step,
        now=pd.Timestamp("2024-01-08 10:00") + pd.Timedelta(hours=step),
        gold_usd_oz=GOLD_OZ,
        gold_g=GOLD_G,
        oracle_g=GOLD_G,
        oracle_stale=False,
        nav_ratio=1.0,
        best_bid=None,
        best_ask=None,
        mid=GOLD_G,
        last_price=GOLD_G,
        vol_hourly=0.0,
        primary_open=True,
        trading_halted=False,
    )
    return replace(ctx, **changes)


@pytest.fixture
def reports() -> Reports:
    """An empty outbox."""
    return Reports()
