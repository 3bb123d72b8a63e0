"""Derived series: log returns, USD per gram, resampling, removal of repeated prices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.data.transforms import (
    drop_repeated_prices,
    log_returns,
    resample_prices,
    usd_per_gram,
)
from gramabm.errors import ConfigError, DataValidationError
from gramabm.units import GRAMS_PER_TROY_OUNCE


def series(values, start: str = "2024-01-01", freq: str = "B") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq=freq, name="date")
    out = pd.Series(np.asarray(values, dtype=float), index=index, name="price")
    out.attrs["source"] = "test"
    return out


positive_prices = st.lists(
    st.floats(min_value=1.0, max_value=1e5, allow_nan=False), min_size=2, max_size=60
)


def test_log_returns_values_index_and_name() -> None:
    prices = series([100.0, 110.0, 99.0])
    r = log_returns(prices)
    np.testing.assert_allclose(r.to_numpy(), [np.log(1.1), np.log(0.9)])
    assert list(r.index) == list(prices.index[1:])  # dated at the end of each return
    assert r.name == "log_return"
    assert r.attrs == {"source": "test"}


@given(positive_prices)
def test_log_returns_sum_to_the_total_log_change(values) -> None:
    r = log_returns(series(values))
    assert len(r) == len(values) - 1
    assert r.sum() == pytest.approx(np.log(values[-1] / values[0]), abs=1e-9)


@pytest.mark.parametrize("bad", [0.0, -5.0, np.nan, np.inf])
def test_log_returns_refuse_impossible_prices(bad: float) -> None:
    with pytest.raises(DataValidationError, match="need finite positive prices") as info:
        log_returns(series([100.0, 101.0, bad, 102.0]))
    assert info.value.source == "test"
    assert info.value.row == 3


def test_log_returns_need_two_prices_and_a_date_index() -> None:
    with pytest.raises(DataValidationError, match="at least 2 price"):
        log_returns(series([100.0]))
    with pytest.raises(DataValidationError, match="DatetimeIndex"):
        log_returns(pd.Series([1.0, 2.0]))


def test_usd_per_gram_uses_the_troy_ounce() -> None:
    grams = usd_per_gram(series([GRAMS_PER_TROY_OUNCE, 2 * GRAMS_PER_TROY_OUNCE, 2650.0]))
    np.testing.assert_allclose(grams.to_numpy(), [1.0, 2.0, 2650.0 / 31.1034768], rtol=1e-15)
    assert grams.name == "usd_per_gram"
    assert grams.attrs == {"source": "test"}


@given(positive_prices)
def test_usd_per_gram_round_trips(values) -> None:
    prices = series(values)
    back = usd_per_gram(prices) * GRAMS_PER_TROY_OUNCE
    np.testing.assert_allclose(back.to_numpy(), prices.to_numpy(), rtol=1e-12)


def test_resample_last_and_mean_weekly() -> None:
    # Mon 2024-01-01 .. Fri 2024-01-12: two full weeks.
    prices = series(np.arange(1.0, 11.0))
    last = resample_prices(prices)
    assert list(last.index) == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-12")]
    assert list(last) == [5.0, 10.0]
    mean = resample_prices(prices, how="mean")
    assert list(mean) == [3.0, 8.0]
    assert last.name == "price"
    assert last.index.name == "date"
    assert last.attrs == {"source": "test"}


def test_resample_labels_the_period_end_and_drops_empty_periods() -> None:
    index = pd.DatetimeIndex(["2024-01-04", "2024-01-22", "2024-01-23"], name="date")
    prices = pd.Series([10.0, 20.0, 30.0], index=index, name="price")
    weekly = resample_prices(prices, "W-FRI")
    # Thursday's price is labelled Friday; the two empty weeks in between are not filled.
    assert list(weekly.index) == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-26")]
    assert list(weekly) == [10.0, 30.0]
    monthly = resample_prices(prices, "ME", how="mean")
    assert list(monthly.index) == [pd.Timestamp("2024-01-31")]
    assert monthly.iloc[0] == 20.0


def test_resample_refuses_unknown_options() -> None:
    prices = series([1.0, 2.0])
    with pytest.raises(ConfigError, match="how must be one of last, mean"):
        resample_prices(prices, how="median")
    with pytest.raises(ConfigError, match="invalid resample rule 'fortnightly'"):
        resample_prices(prices, "fortnightly")


def test_drop_repeated_prices_keeps_the_first_of_each_run() -> None:
    prices = series([5.0, 5.0, 6.0, 6.0, 6.0, 5.0, 7.0])
    kept = drop_repeated_prices(prices)
    assert list(kept) == [5.0, 6.0, 5.0, 7.0]
    assert list(kept.index) == [prices.index[i] for i in (0, 2, 5, 6)]
    assert kept.attrs == {"source": "test"}
    assert len(prices) == 7  # the input is untouched


@given(st.lists(st.sampled_from([1.0, 2.0, 3.0]), min_size=1, max_size=40))
def test_drop_repeated_prices_leaves_no_zero_return(values) -> None:
    kept = drop_repeated_prices(series(values))
    assert (np.diff(kept.to_numpy()) != 0).all()
    assert kept.iloc[0] == values[0]
    assert set(kept) == set(values)
