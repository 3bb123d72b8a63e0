"""Validation rules: one test per rule, each on a small CSV a user could plausibly produce."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gramabm.data.loaders import load_csv
from gramabm.data.validation import ImplausibleJumpWarning, validate_prices
from gramabm.errors import ConfigError, DataValidationError

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Path:
    return FIXTURES / name


def rejection(name: str, **options) -> DataValidationError:
    """Load a fixture that must fail and return the error after checking it names the source."""
    path = fixture(name)
    with pytest.raises(DataValidationError) as info:
        load_csv(path, **options)
    error = info.value
    assert error.source == str(path)
    assert str(error).startswith(str(path))
    return error


def frame(n: int = 40, start: str = "2024-01-02", price: float = 2000.0) -> pd.DataFrame:
    dates = pd.bdate_range(start, periods=n)
    prices = price * np.exp(np.linspace(0.0, 0.05, n))
    return pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "price": prices.astype(str)})


# --- dates --------------------------------------------------------------------------------
def test_unparseable_date_names_row_and_value() -> None:
    error = rejection("bad_date.csv")  # "2024-01-1O": a letter O typed for a zero
    assert error.row == 7
    assert "'2024-01-1O'" in error.problem
    assert "cannot be parsed" in error.problem
    assert "row 7" in str(error)


def test_missing_date() -> None:
    error = rejection("missing_date.csv")
    assert error.row == 5
    assert error.problem == "missing date"


def test_day_first_dates_fail_until_the_format_is_given() -> None:
    # 02/01/2024 is read month-first, so the first day-first date past the 12th fails.
    error = rejection("day_first_dates.csv")
    assert error.row == 10
    assert "'15/01/2024'" in error.problem
    prices = load_csv(fixture("day_first_dates.csv"), date_format="%d/%m/%Y")
    assert prices.index[0] == pd.Timestamp("2024-01-02")
    assert prices.index[-1] == pd.Timestamp("2024-02-19")


def test_duplicate_dates_name_both_rows() -> None:
    error = rejection("duplicate_dates.csv")  # a copy-paste slip repeats row 9's date
    assert error.row == 10
    assert "duplicate date 2024-01-12" in error.problem
    assert "row 9" in error.problem


def test_unsorted_rows_are_refused_by_default() -> None:
    error = rejection("unsorted.csv")  # rows 12 and 13 swapped
    assert error.row == 13
    assert "out of order" in error.problem
    assert "2024-01-17 comes after 2024-01-18 (row 12)" in error.problem
    assert "unsorted='sort'" in error.problem


def test_newest_first_file_gets_a_hint() -> None:
    error = rejection("newest_first.csv")
    assert error.row == 2
    assert "newest first" in error.problem


def test_unsorted_sort_sorts_and_logs_a_note(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gramabm.data.validation"):
        prices = load_csv(fixture("newest_first.csv"), unsorted="sort")
    reference = load_csv(fixture("valid.csv"))
    pd.testing.assert_series_equal(prices, reference)
    assert any("sorted 35 rows" in r.getMessage() for r in caplog.records)


# --- prices -------------------------------------------------------------------------------
def test_nan_price() -> None:
    error = rejection("nan_price.csv")
    assert error.row == 8
    assert error.problem == "missing price ('NaN')"


def test_empty_price() -> None:
    error = rejection("empty_price.csv")
    assert error.row == 7
    assert error.problem == "missing price"


def test_infinite_price() -> None:
    error = rejection("inf_price.csv")
    assert error.row == 4
    assert error.problem == "price 'inf' is infinite"


def test_non_numeric_price() -> None:
    error = rejection("non_numeric_price.csv")  # "$2,118.27" pasted from a spreadsheet
    assert error.row == 11
    assert error.problem.startswith("price '$2,")
    assert error.problem.endswith("is not a number")


@pytest.mark.parametrize(("name", "shown"), [("zero_price.csv", "0"), ("negative_price.csv", "-")])
def test_zero_or_negative_price(name: str, shown: str) -> None:
    error = rejection(name)
    assert error.row == 6
    assert error.problem.startswith(f"price must be positive, got {shown}")


def test_first_bad_row_in_file_order_is_reported_with_a_count() -> None:
    data = frame()
    data.loc[9, "price"] = "abc"
    data.loc[4, "date"] = "yesterday"
    with pytest.raises(DataValidationError) as info:
        validate_prices(data, source="memory")
    assert info.value.row == 5
    assert "1 more row(s) with bad cells" in info.value.problem


# --- shape --------------------------------------------------------------------------------
def test_too_few_rows() -> None:
    error = rejection("too_few_rows.csv")
    assert error.row is None
    assert error.problem == "too few rows: 10 price(s), at least 30 needed (min_rows)"
    assert len(load_csv(fixture("too_few_rows.csv"), min_rows=10)) == 10


def test_missing_column_names_the_columns_present() -> None:
    error = rejection("missing_column.csv")
    assert error.problem == (
        "missing column 'price'; the columns present are: 'date', 'usd_per_oz'"
    )
    assert len(load_csv(fixture("missing_column.csv"), price_column="usd_per_oz")) == 35


def test_missing_columns_suggest_a_different_case() -> None:
    error = rejection("spreadsheet_export.csv")
    assert "missing columns 'date', 'price'" in error.problem
    assert "'Date', 'Close', 'Volume'" in error.problem
    assert "did you mean 'Date' for 'date'?" in error.problem


def test_column_appearing_twice() -> None:
    data = frame()
    data.columns = ["date", "date"]
    data["price"] = "1.0"
    with pytest.raises(DataValidationError, match="column 'date' appears 2 times"):
        validate_prices(data, source="memory")


# --- jumps --------------------------------------------------------------------------------
def test_implausible_jump_warns_with_date_and_size() -> None:
    # Row 20 lost a digit (a decimal slip): the price falls tenfold, then comes back.
    with pytest.warns(ImplausibleJumpWarning) as record:
        prices = load_csv(fixture("jump.csv"))
    assert len(prices) == 35  # a warning, not an error
    warning = record[0].message
    text = str(warning)
    assert "2 implausible jump(s)" in text
    assert "2024-01-26 to 2024-01-29 (row 20): -2.313 (-90.1%)" in text
    assert "2024-01-29 to 2024-01-30 (row 21): +2.296 (+893.8%)" in text
    assert [d for d, _ in warning.jumps] == [pd.Timestamp("2024-01-29"), pd.Timestamp("2024-01-30")]
    assert warning.jumps[0][1] == pytest.approx(np.log(0.1), abs=0.02)


def test_jump_threshold_is_configurable_and_can_be_disabled() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImplausibleJumpWarning)
        load_csv(fixture("jump.csv"), jump_warning=None)
        load_csv(fixture("jump.csv"), jump_warning=3.0)
    # The valid fixture's largest daily move is about 2.2%: a 1% threshold catches it.
    with pytest.warns(ImplausibleJumpWarning):
        load_csv(fixture("valid.csv"), jump_warning=0.01)


def test_many_jumps_are_summarised() -> None:
    data = frame()
    data.loc[1::2, "price"] = "10.0"  # every other row in the wrong unit
    with pytest.warns(ImplausibleJumpWarning) as record:
        validate_prices(data, source="memory")
    text = str(record[0].message)
    assert "39 implausible jump(s)" in text
    assert "and 34 more" in text
    assert len(record[0].message.jumps) == 39


# --- typed frames and options -------------------------------------------------------------
def test_typed_frame_with_times_and_time_zone_is_normalised() -> None:
    dates = pd.date_range("2024-01-02 15:00", periods=30, freq="D", tz="America/New_York")
    data = pd.DataFrame({"when": dates, "usd": np.linspace(2000.0, 2100.0, 30)})
    prices = validate_prices(data, source="memory", date_column="when", price_column="usd")
    # 15:00 in New York is 20:00 UTC: the same day, at midnight.
    assert prices.index[0] == pd.Timestamp("2024-01-02")
    assert prices.index.tz is None
    assert prices.index.dtype == "datetime64[ns]"
    assert prices.index.name == "date"
    assert prices.name == "price"
    assert prices.attrs == {"source": "memory"}


def test_typed_frame_with_nan_price() -> None:
    data = pd.DataFrame(
        {"date": pd.bdate_range("2024-01-02", periods=30), "price": np.full(30, 2000.0)}
    )
    data.loc[3, "price"] = np.nan
    with pytest.raises(DataValidationError) as info:
        validate_prices(data, source="memory")
    assert info.value.row == 4
    assert info.value.problem == "missing price ('nan')"


def test_two_rows_on_one_day_are_duplicates() -> None:
    data = frame()
    data.loc[3, "date"] = data.loc[2, "date"] + "T17:30:00"
    with pytest.raises(DataValidationError, match="duplicate date") as info:
        validate_prices(data, source="memory")
    assert info.value.row == 4


def test_out_of_range_date() -> None:
    data = frame()
    data.loc[2, "date"] = "3024-01-04"  # a typo for 2024
    with pytest.raises(DataValidationError, match=r"outside 1677-09-22\.\.2262-04-11") as info:
        validate_prices(data, source="memory")
    assert info.value.row == 3


def test_row_numbers_point_into_the_original_file() -> None:
    data = frame()
    data.loc[5, "price"] = "-1"
    with pytest.raises(DataValidationError) as info:
        validate_prices(data, source="memory", row_numbers=range(101, 141))
    assert info.value.row == 106


@pytest.mark.parametrize(
    "options",
    [
        {"unsorted": "ignore"},
        {"min_rows": 1},
        {"min_rows": 2.5},
        {"jump_warning": 0.0},
        {"jump_warning": float("nan")},
        {"row_numbers": [1, 2]},
    ],
)
def test_impossible_options_are_config_errors(options: dict) -> None:
    with pytest.raises(ConfigError):
        validate_prices(frame(), source="memory", **options)
