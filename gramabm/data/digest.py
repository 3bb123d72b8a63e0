"""A content digest of a price series, for cache keys that change exactly when the data change."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def data_digest(prices: pd.Series) -> str:
    """SHA-256 of a price series: its source, dates and prices.

    Args:
        prices: Gold prices on a DatetimeIndex.

    Returns:
        A hex digest.
    """
    digest = hashlib.sha256()
    digest.update(str(prices.attrs.get("source", "")).encode("utf-8") + b"\x00")
    # In nanoseconds whatever the index's unit: the same dates must give the same digest.
    dates = pd.DatetimeIndex(prices.index).as_unit("ns").asi8
    digest.update(np.ascontiguousarray(dates, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(prices.to_numpy(dtype=np.float64)).tobytes())
    return digest.hexdigest()
