"""Shared fixtures of the scenario tests: the real LBMA gold history from ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gramabm.data.loaders import load_csv

LBMA = Path(__file__).parents[2].parent / "shared" / "data" / "gold_usd_daily.csv"


@pytest.fixture(scope="session")
def lbma_returns() -> np.ndarray:
    """Daily log returns of the LBMA AM series 1968-2025 (skips when the shared data are absent)."""
    if not LBMA.exists():
        pytest.skip(f"shared gold data not found at {LBMA} (the stylised-fact checks need it)")
    return np.diff(np.log(load_csv(LBMA).to_numpy(dtype=float)))
