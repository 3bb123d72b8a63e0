"""The observed venue's price step read month by month, and the note validate prints about it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gramabm.errors import ConfigError
from gramabm.validate.tick import observed_ticks, parse_tick, read_tick


def _candles(closes: np.ndarray, start: str) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(closes), freq="h")
    frame = pd.DataFrame({"close": closes}, index=index)
    frame.attrs.update(frequency="hourly", ounces_per_token=1.0)
    return frame


def test_the_coarsest_months_step_is_read_with_the_months_it_held_in() -> None:
    rng = np.random.default_rng(0)
    cents = np.round(2000 + rng.normal(0, 5, 31 * 24), 2)  # January 2024: a 0.01 step
    dollars = np.round(2100 + rng.normal(0, 5, 29 * 24))  # February 2024: a 1 USD step
    candles = _candles(np.r_[cents, dollars], "2024-01-01")
    reading = read_tick(candles, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-29"))
    assert (reading.step_usd, reading.months_on_step, reading.months) == (1.0, 1, 2)
    assert reading.step_bp == pytest.approx(1.0 / np.median(dollars) * 1e4)
    note = reading.note(0.0)
    assert note is not None
    assert "a 1 USD step per ounce in 1 of 2 months (4.8 bp of the price)" in note
    assert "the book's 0.031 USD" in note
    assert "--tick-usd auto" in note
    # A simulated venue on that step (or a coarser one) compares like with like: no note.
    assert reading.note(1.0) is None
    # January alone: cents are 0.05 bp of the price, too fine to shape hourly returns.
    january = read_tick(candles, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))
    assert (january.step_usd, january.months_on_step) == (0.01, 1)
    assert january.note(0.0) is None


def test_closes_on_no_step_give_no_reading_and_no_note() -> None:
    closes = 2000 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 1e-3, 24 * 10)))
    reading = read_tick(
        _candles(closes, "2024-03-01"), pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-10")
    )
    assert math.isnan(reading.step_usd)
    assert reading.months == 1
    assert reading.note(0.0) is None


def test_the_observed_ticks_are_the_first_months_and_each_change_on_its_first_day() -> None:
    rng = np.random.default_rng(2)
    months = [  # January cents, February and March whole dollars, April cents again
        np.round(2000 + rng.normal(0, 5, 31 * 24), 2),
        np.round(2000 + rng.normal(0, 5, 29 * 24)),
        np.round(2000 + rng.normal(0, 5, 31 * 24)),
        np.round(2000 + rng.normal(0, 5, 30 * 24), 2),
    ]
    candles = _candles(np.concatenate(months), "2024-01-01")
    updates = observed_ticks(candles, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-04-30"))
    assert updates == {
        "tick_usd_oz": 0.01,
        "tick_changes": {"2024-02-01": 1.0, "2024-04-01": 0.01},
    }


@pytest.mark.parametrize(
    ("text", "expected"), [("auto", "auto"), (" AUTO ", "auto"), ("1", 1.0), ("0", 0.0)]
)
def test_a_tick_is_auto_or_a_dollar_amount(text: str, expected: object) -> None:
    assert parse_tick(text) == expected


@pytest.mark.parametrize("text", ["-1", "fine", "nan", "1001"])
def test_a_bad_tick_is_refused_by_name(text: str) -> None:
    with pytest.raises(
        ConfigError, match=f"tick must be 'auto' or 0 to 1,000 USD an ounce, got '{text}'"
    ):
        parse_tick(text)
