"""Tests of the holder policies; shared data helpers live here."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"
LBMA_DAILY = SHARED_DATA / "gold_usd_daily.csv"


@functools.cache
def _builtin() -> pd.Series:
    from gramabm.data.loaders import load_builtin

    return load_builtin()


@functools.cache
def _lbma() -> pd.Series:
    from gramabm.data.loaders import load_csv

    return load_csv(LBMA_DAILY)


def builtin_prices() -> pd.Series:
    """The built-in gold history (a fresh copy per call)."""
    return _builtin().copy()


def lbma_prices() -> pd.Series:
    """The reference LBMA AM series; skips the test when the file is absent."""
    if not LBMA_DAILY.is_file():
        pytest.skip(f"reference LBMA data not present at {LBMA_DAILY} (development workspace only)")
    return _lbma().copy()
