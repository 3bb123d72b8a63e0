"""Tests of gramabm.analysis, plus a reader of the shared real gold files used as test oracles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"
"""The shared data directory (/work/shared/data next to the checkout), absent outside the lab."""


def shared_prices(name: str = "gold_usd_daily.csv") -> pd.Series:
    """A shared CSV as a price series in the kit's convention, or skip the test if it is absent.

    Read with pandas directly so these tests do not depend on the loaders under test elsewhere.
    """
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"shared data file {path} is absent (only present in the lab checkout)")
    frame = pd.read_csv(path, parse_dates=["date"])
    prices = pd.Series(
        frame["price"].to_numpy(dtype=float),
        index=pd.DatetimeIndex(frame["date"]).normalize().rename("date"),
        name="price",
    )
    prices.attrs["source"] = str(path)
    return prices
