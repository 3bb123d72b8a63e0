"""The step recorder: each value lands in its named column, whatever the order of the row."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gramabm.recorder import StepRecorder


def _ts(hour: int) -> pd.Timestamp:
    return pd.Timestamp("2024-01-02") + pd.Timedelta(hours=hour)


def test_values_land_in_their_columns_whatever_the_row_order() -> None:
    rec = StepRecorder(3, ["a", "b"], int_columns=["n"], bool_columns=["flag"])
    rec.record(0, _ts(0), {"a": 1.5, "b": 2.5, "n": 3, "flag": True})
    rec.record(1, _ts(1), {"flag": False, "n": 7, "b": -1.0, "a": math.nan})
    frame = rec.to_frame()
    assert frame["a"].tolist()[0] == 1.5
    assert math.isnan(frame["a"].tolist()[1])
    assert frame["b"].tolist() == [2.5, -1.0]
    assert frame["n"].tolist() == [3, 7]
    assert frame["n"].dtype == np.int64
    assert frame["flag"].tolist() == [True, False]
    assert frame["timestamp"].tolist() == [_ts(0), _ts(1)]
    assert list(frame.index) == [0, 1]


def test_a_row_may_leave_columns_out_and_they_stay_nan() -> None:
    rec = StepRecorder(2, ["a", "b"])
    rec.record(0, _ts(0), {"b": 4.0})
    rec.record(1, _ts(1), {"a": 1.0, "b": 5.0})
    frame = rec.to_frame()
    assert math.isnan(frame["a"].iloc[0])
    assert frame["a"].iloc[1] == 1.0
    assert frame["b"].tolist() == [4.0, 5.0]


def test_an_unknown_name_raises_and_writes_nothing_of_its_row() -> None:
    rec = StepRecorder(2, ["a"])
    with pytest.raises(KeyError, match="typo"):
        rec.record(0, _ts(0), {"a": 1.0, "typo": 2.0})
    assert rec.rows == 0
    assert math.isnan(rec._data["a"][0])


def test_a_column_added_later_keeps_what_was_recorded() -> None:
    rec = StepRecorder(2, ["a"])
    rec.record(0, _ts(0), {"a": 1.0})
    rec.add_column("vault")
    rec.add_column("vault")  # a second add of the same name changes nothing
    rec.record(1, _ts(1), {"a": 2.0, "vault": 9.0})
    frame = rec.to_frame()
    assert rec.columns() == ["a", "vault"]
    assert frame["a"].tolist() == [1.0, 2.0]
    assert math.isnan(frame["vault"].iloc[0])
    assert frame["vault"].iloc[1] == 9.0


def test_duplicate_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        StepRecorder(2, ["a", "a"])
