"""Backends ship a shared value once per worker, not once per item, on every kind of worker."""

from __future__ import annotations

import os
import pickle
from collections import defaultdict
from typing import Any

import pandas as pd
import pytest

from gramabm.sweeps.backends import open_backend

_KEPT: list[Any] = []
"""Every shared object a worker was handed, kept alive so that no two share an ``id``."""


def probe(item: int, shared: pd.Series) -> tuple[int, int, int, str, int]:
    """What a worker saw: its pid, the object's id, the item, the series' source and length."""
    _KEPT.append(shared)
    return os.getpid(), id(shared), item, str(shared.attrs.get("source")), len(shared)


def plain(item: int) -> int:
    """A task that takes no shared value."""
    return item * 2


@pytest.fixture(scope="module")
def series() -> pd.Series:
    """A 5,000-row price series with a source name."""
    index = pd.bdate_range("2000-01-03", periods=5000, name="date")
    prices = pd.Series(1000.0 + 0.1 * pd.RangeIndex(5000), index=index, name="price")
    prices.attrs["source"] = "probe.csv"
    return prices


def _copies_per_worker(results: list[tuple[int, int, int, str, int]]) -> dict[int, set[int]]:
    seen: dict[int, set[int]] = defaultdict(set)
    for pid, obj, *_ in results:
        seen[pid].add(obj)
    return seen


@pytest.mark.parametrize(
    "mode",
    [{"workers": 1}, {"workers": 2}, {"workers": 2, "dask": True}],
    ids=["in-process", "process-pool", "dask"],
)
def test_shared_value_reaches_every_call_once_per_worker(mode: dict, series: pd.Series) -> None:
    if mode.get("dask"):
        pytest.importorskip("dask.distributed")
    items = list(range(24))
    with open_backend(**mode, shared=series) as backend:
        results = list(backend.map_unordered(probe, items))
        assert sorted(plain_result for plain_result in (r[2] for r in results)) == items
    assert all(r[3:] == ("probe.csv", 5000) for r in results)  # whole, with its source name
    copies = _copies_per_worker(results)
    assert 1 <= len(copies) <= mode["workers"]
    # One object per worker process: shipped with each item, every call would see a new one.
    assert all(len(ids) == 1 for ids in copies.values()), copies
    if mode["workers"] == 1:
        assert copies == {os.getpid(): {id(series)}}  # in-process: the very object, no copy


def test_without_shared_value_calls_take_the_item_only() -> None:
    with open_backend(2) as backend:
        assert sorted(backend.map_unordered(plain, [1, 2, 3])) == [2, 4, 6]
    with open_backend(1) as backend:
        assert list(backend.map_unordered(plain, [1, 2, 3])) == [2, 4, 6]


def test_items_do_not_carry_the_shared_value(series: pd.Series) -> None:
    # What crosses per task is the item and a reference to the function, a few hundred bytes,
    # while the series alone pickles to tens of kilobytes.
    assert len(pickle.dumps(series)) > 50_000
    from gramabm.sweeps.backends import call_with_shared

    assert len(pickle.dumps((call_with_shared, probe, 7))) < 500
