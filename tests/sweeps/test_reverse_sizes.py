"""Long silent work says what it does, and a reverse stress test says when its runs are too small
to hold its answer."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from gramabm.config import build_config
from gramabm.scenarios.fit_cache import cached_fit
from gramabm.sweeps.reverse import planned_runs, shocked_config, size_warnings


def test_a_first_fit_on_new_data_is_announced_and_timed(tmp_path, caplog) -> None:
    prices = pd.Series(np.linspace(100.0, 120.0, 50), index=pd.date_range("2001-01-01", periods=50))
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"a": 1.0}

    with caplog.at_level(logging.INFO, logger="gramabm"):
        cached_fit("toy", 1, {}, prices, compute, dict, cache_dir=tmp_path)
    text = caplog.text
    assert "fitting toy to 50 prices (first use of these data" in text
    assert "fitted toy in" in text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="gramabm"):
        cached_fit("toy", 1, {}, prices, compute, dict, cache_dir=tmp_path)
    assert caplog.text == ""  # read from the cache: nothing to say
    assert calls == [1]


def test_short_small_reverse_runs_are_warned_about() -> None:
    small = shocked_config(build_config(None, steps=240, holders=1000), "gold_drop", 0.5)
    warnings = size_warnings(small, seeds=5, status="never_breaks")
    assert any("192 h after the shock" in w and "run ended first" in w for w in warnings)
    assert any("1000 holders" in w for w in warnings)
    assert size_warnings(small, seeds=1, status="found")[-1].startswith("1 seed")
    default = shocked_config(build_config(None), "gold_drop", 0.5)
    assert size_warnings(default, seeds=5, status="never_breaks") == []


def test_planned_runs_bounds_the_progress_bar() -> None:
    # [0, 0.5] to 0.01: both ends, then 6 halvings (0.5 / 2**6 < 0.01); 5 seeds each.
    assert planned_runs(0.0, 0.5, 0.01, 5, 20) == 40
    assert planned_runs(0.0, 0.5, 1e-7, 5, 20) == 100  # capped by max_evaluations
