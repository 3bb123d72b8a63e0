"""Series derived from a price series: log returns, USD per gram, lower frequencies, de-staling.

Each function takes a series in the kit's convention (see :mod:`gramabm.data.validation`) and
keeps ``attrs["source"]``, so a derived series still says where its data came from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError, DataValidationError
from gramabm.units import GRAMS_PER_TROY_OUNCE

RESAMPLE_HOW: tuple[str, ...] = ("last", "mean")
"""Aggregations :func:`resample_prices` accepts."""


def log_returns(prices: pd.Series) -> pd.Series:
    """Daily (row-to-row) log returns ``log(p_t / p_{t-1})``, dated at the end of each return.

    Args:
        prices: Positive prices on an ascending DatetimeIndex.

    Returns:
        One fewer value than ``prices``, named ``"log_return"``.

    Raises:
        DataValidationError: A price is not finite and positive, or fewer than 2 prices.
    """
    _check(prices, "log returns", min_len=2)
    values = np.log(prices.to_numpy(dtype=np.float64))
    out = pd.Series(np.diff(values), index=prices.index[1:], name="log_return")
    out.attrs = dict(prices.attrs)
    return out


def usd_per_gram(prices: pd.Series) -> pd.Series:
    """Convert USD per troy ounce to USD per gram (the fair value of one fully backed token).

    Args:
        prices: USD per troy ounce.

    Returns:
        ``prices / 31.1034768``, named ``"usd_per_gram"``.

    Raises:
        DataValidationError: A price is not finite and positive.
    """
    _check(prices, "USD per gram", min_len=1)
    out = (prices.astype(np.float64) / GRAMS_PER_TROY_OUNCE).rename("usd_per_gram")
    out.attrs = dict(prices.attrs)
    return out


def resample_prices(prices: pd.Series, rule: str = "W-FRI", how: str = "last") -> pd.Series:
    """Prices at a lower frequency: the last price, or the mean price, of each period.

    Periods with no price (e.g. a week of holidays) are dropped rather than filled. Each period
    is labelled by its end as pandas defines it (``"W-FRI"``: the Friday, even if the last price
    was a Thursday; ``"ME"``: the month's last calendar day).

    Args:
        prices: A daily price series.
        rule: A pandas offset alias such as ``"W-FRI"``, ``"ME"`` or ``"QE"``.
        how: ``"last"`` (a price that was actually quoted) or ``"mean"`` (an average price,
            like the World Bank's monthly series).

    Returns:
        The resampled series, named ``"price"``.

    Raises:
        ConfigError: Unknown ``how`` or ``rule``.
        DataValidationError: A price is not finite and positive.
    """
    if how not in RESAMPLE_HOW:
        raise ConfigError(f"how must be one of {', '.join(RESAMPLE_HOW)}, got {how!r}")
    _check(prices, "resampling", min_len=1)
    try:
        grouped = prices.astype(np.float64).resample(rule)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid resample rule {rule!r}: {exc}") from exc
    out = (grouped.last() if how == "last" else grouped.mean()).dropna().rename("price")
    out.index.name = prices.index.name
    out.attrs = dict(prices.attrs)
    return out


def drop_repeated_prices(prices: pd.Series) -> pd.Series:
    """Drop every row whose price equals the previous row's exactly (keep the first of a run).

    Sources that carry the last price over a holiday or a weekend (forward filling) create zero
    returns that are not trades; this removes them. It also removes genuine unchanged closes,
    which at a cent's resolution are rare (about 0.2% of days for the built-in series).

    Args:
        prices: A price series in date order.

    Returns:
        The series without exact repeats.
    """
    values = prices.to_numpy()
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    out = prices[keep].copy()
    out.attrs = dict(prices.attrs)
    return out


def _check(prices: pd.Series, what: str, *, min_len: int) -> None:
    if not isinstance(prices, pd.Series) or not isinstance(prices.index, pd.DatetimeIndex):
        raise DataValidationError(
            "price series", f"{what} need a pandas Series with a DatetimeIndex"
        )
    source = str(prices.attrs.get("source", "price series"))
    if len(prices) < min_len:
        raise DataValidationError(
            source, f"{what} need at least {min_len} price(s), got {len(prices)}"
        )
    values = prices.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            source,
            f"{what} need finite positive prices; {prices.index[i]} has {float(values[i])}",
            i + 1,
        )
