"""Content digest of a price series: follows the data, not how the dates are stored."""

from __future__ import annotations

import pandas as pd

from gramabm.data.digest import data_digest


def _series(unit: str) -> pd.Series:
    idx = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06"]).as_unit(unit)
    s = pd.Series([1500.0, 1510.5, 1498.25], index=idx)
    s.attrs["source"] = "test"
    return s


def test_same_dates_in_any_unit_give_the_same_digest():
    assert data_digest(_series("ns")) == data_digest(_series("us")) == data_digest(_series("s"))


def test_prices_dates_and_source_each_change_the_digest():
    base = data_digest(_series("ns"))
    moved = _series("ns")
    moved.iloc[1] += 0.01
    assert data_digest(moved) != base
    shifted = _series("ns")
    shifted.index = shifted.index + pd.Timedelta(days=1)
    assert data_digest(shifted) != base
    renamed = _series("ns")
    renamed.attrs["source"] = "other"
    assert data_digest(renamed) != base
