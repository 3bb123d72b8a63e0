"""A user's gold CSV for the data-sweep tests: a slice of the shared LBMA series, or a stand-in.

The slice (2012-01-02 to 2021-12-31, about 2,500 business days) covers the March 2020 episode,
which the built-in history (1977-2012) does not. Where the shared file is absent, a seeded random
walk over the same business days stands in, so the tests keep running; only checks that need real
LBMA prices should skip on ``is_lbma() is False``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

LBMA_DAILY = Path("/work/shared/data/gold_usd_daily.csv")
START, END = "2012-01-02", "2021-12-31"


def is_lbma() -> bool:
    """Whether the shared LBMA daily series is available."""
    return LBMA_DAILY.is_file()


def gold_frame() -> pd.DataFrame:
    """``date`` (ISO text) and ``price`` (USD/oz) rows of the test period."""
    if is_lbma():
        frame = pd.read_csv(LBMA_DAILY, dtype={"date": str})
        return frame[(frame["date"] >= START) & (frame["date"] <= END)].reset_index(drop=True)
    days = pd.bdate_range(START, END)
    rng = np.random.default_rng(2020)
    prices = 1600.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, len(days))))
    return pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "price": prices.round(2)})


def write_gold_csv(path: Path, frame: pd.DataFrame | None = None) -> Path:
    """Write the test period (or ``frame``) as a ``date,price`` CSV and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    (gold_frame() if frame is None else frame).to_csv(path, index=False, lineterminator="\n")
    return path
