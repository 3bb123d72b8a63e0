"""Disk cache of fitted scenario models: computed once, read back, rebuilt when damaged."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gramabm.errors import ConfigError
from gramabm.scenarios.fit_cache import (
    FitCacheRebuiltWarning,
    cached_fit,
    fit_cache_key,
    fit_cache_path,
)
from gramabm.scenarios.garch import GarchFit, fit_garch


@pytest.fixture
def prices() -> pd.Series:
    idx = pd.bdate_range("2015-01-01", periods=600)
    values = 1200.0 * np.exp(np.cumsum(np.random.default_rng(4).normal(0, 0.01, len(idx))))
    return pd.Series(values, index=idx, name="price")


@pytest.fixture
def fit(prices) -> GarchFit:
    return fit_garch(np.diff(np.log(prices.to_numpy())), reference_fit=False)


class Counter:
    def __init__(self, record: dict) -> None:
        self.record = record
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return self.record


def test_garch_fit_round_trips_through_json(fit):
    back = GarchFit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert back.to_dict() == fit.to_dict()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d.pop("alpha"), KeyError),
        (lambda d: d.update(alpha="0.1"), ValueError),
        (lambda d: d.update(method=3), ValueError),
        (lambda d: d.update(moment_fit=[1]), ValueError),
        (lambda d: d.update(nu=1.5), ConfigError),
    ],
)
def test_a_malformed_record_is_refused(fit, change, error):
    record = fit.to_dict()
    change(record)
    with pytest.raises(error):
        GarchFit.from_dict(record)


def test_fit_runs_once_then_comes_from_disk(fit, prices, tmp_path):
    compute = Counter(fit.to_dict())
    first = cached_fit(
        "garch-test", 1, {"a": 1}, prices, compute, GarchFit.from_dict, cache_dir=tmp_path
    )
    second = cached_fit(
        "garch-test", 1, {"a": 1}, prices, compute, GarchFit.from_dict, cache_dir=tmp_path
    )
    assert compute.calls == 1
    assert second.to_dict() == first.to_dict() == fit.to_dict()
    path = fit_cache_path("garch-test", 1, {"a": 1}, prices, tmp_path)
    assert path.parent == tmp_path / "fits"
    assert json.loads(path.read_text())["alpha"] == fit.alpha
    assert list(path.parent.glob("*.tmp")) == []


def test_the_key_follows_data_settings_and_version(prices):
    base = fit_cache_key("k", 1, {"a": 1}, prices)
    assert fit_cache_key("k", 2, {"a": 1}, prices) != base
    assert fit_cache_key("k", 1, {"a": 2}, prices) != base
    assert fit_cache_key("j", 1, {"a": 1}, prices) != base
    moved = prices.copy()
    moved.iloc[300] *= 1.0001
    assert fit_cache_key("k", 1, {"a": 1}, moved) != base
    assert fit_cache_key("k", 1, {"a": 1}, prices.copy()) == base


def test_a_damaged_file_is_refitted_and_rewritten(fit, prices, tmp_path):
    compute = Counter(fit.to_dict())
    cached_fit("garch-test", 1, {}, prices, compute, GarchFit.from_dict, cache_dir=tmp_path)
    path = fit_cache_path("garch-test", 1, {}, prices, tmp_path)
    path.write_text('{"alpha": "tampered"')
    with pytest.warns(FitCacheRebuiltWarning, match="unreadable"):
        again = cached_fit(
            "garch-test", 1, {}, prices, compute, GarchFit.from_dict, cache_dir=tmp_path
        )
    assert compute.calls == 2
    assert again.to_dict() == fit.to_dict()
    assert GarchFit.from_dict(json.loads(path.read_text())).to_dict() == fit.to_dict()


def test_an_unwritable_cache_still_gives_the_fit(fit, prices, tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache folder should be")
    compute = Counter(fit.to_dict())
    with pytest.warns(FitCacheRebuiltWarning, match="could not store"):
        got = cached_fit(
            "garch-test", 1, {}, prices, compute, GarchFit.from_dict, cache_dir=blocker
        )
    assert got.to_dict() == fit.to_dict()


def test_a_fit_that_cannot_be_read_back_is_not_stored(fit, prices, tmp_path):
    record = fit.to_dict()
    record["nu"] = 1.0  # invalid: refused by GarchFit
    with pytest.raises(ConfigError):
        cached_fit(
            "garch-test", 1, {}, prices, lambda: record, GarchFit.from_dict, cache_dir=tmp_path
        )
    assert not (tmp_path / "fits").exists() or not any((tmp_path / "fits").iterdir())
