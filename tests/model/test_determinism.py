"""One seed gives an identical run; different seeds differ."""

from __future__ import annotations

import pandas as pd

from gramabm.model import GramModel
from tests.model.paths import gold_path


def _run(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    path = gold_path(24 * 5, fall=0.08, fall_at=40)
    result = GramModel(rng=seed, path=path, steps=path.n_steps, holders=600).run()
    return result.timeseries, result.holders


def test_same_seed_identical_series() -> None:
    a, ha = _run(11)
    b, hb = _run(11)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ha, hb)


def test_different_seeds_differ() -> None:
    a, _ = _run(11)
    b, _ = _run(12)
    assert not a["volume_usd"].equals(b["volume_usd"])


def test_string_seed_from_a_browser_control_is_accepted() -> None:
    path = gold_path(30)
    a = GramModel(rng="7", path=path, steps=30, holders=100).run().timeseries
    b = GramModel(rng=7, path=path, steps=30, holders=100).run().timeseries
    pd.testing.assert_frame_equal(a, b)
