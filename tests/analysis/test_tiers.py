"""Per-tier metrics on small hand-built series: pass-through share, slope, lag and speed, worst
gaps, backing, LP losses and flows, with NaN steps skipped and bad input refused."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.runs.tiers import READ_COLUMNS, best_lag, pass_through, tier_metrics
from gramabm.errors import ConfigError, DataValidationError
from gramabm.run_columns import TIER_COLUMNS, column


def frame(xaut: list[float], gram: list[float], **cols: list[float]) -> pd.DataFrame:
    n = len(xaut)
    data: dict[str, list[float]] = {
        "xaut_dev_bp": xaut,
        "gram_dev_bp": gram,
        "gram_xaut_gap_bp": [g - x for g, x in zip(gram, xaut, strict=True)],
        "backing_redeemable": [1.0] * n,
        "lp_loss": [0.0] * n,
        "wrapped_gram_mg": [0.0] * n,
        "unwrapped_gram_mg": [0.0] * n,
        "gram_impact_1m": [0.05] * n,
    }
    data.update(cols)
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def test_columns_read_are_declared_once_with_units() -> None:
    assert len(READ_COLUMNS) == len(set(READ_COLUMNS))
    assert column("gram_dev_bp").unit == "bp"
    assert {c.name for c in TIER_COLUMNS} >= set(READ_COLUMNS)


def test_full_immediate_pass_through() -> None:
    xaut = [0.0, 0, -200, -200, -150, -100, -50, 0, 0, 0, 0, 0]
    m = tier_metrics(frame(xaut, list(xaut)), threshold_bp=50, max_lag=3)
    p = m.pass_through
    assert p.share == pytest.approx(1.0)
    assert p.slope == pytest.approx(1.0)
    assert p.lag_steps == 0
    assert p.steps_to_half == 0
    assert m.worst_gram_xaut_gap_bp == 0.0
    assert m.worst_xaut_dev_bp == -200.0


def test_partial_lagged_pass_through() -> None:
    # GRAM carries 80% of XAUT's deviation, two steps late.
    xaut = np.array([0.0, 0, 0, -200, -200, -200, -200, -100, 0, 0, 0, 0, 0, 0])
    gram = np.concatenate([[0.0, 0], 0.8 * xaut[:-2]])
    p = pass_through(gram, xaut, threshold_bp=50, max_lag=4)
    assert p.lag_steps == 2
    assert p.steps_to_half == 2  # XAUT passes 50 bp at step 3, GRAM carries >= 100 bp at 5
    assert 0.4 < p.share < 0.8  # the lag hides part of it from the same-step share
    m = tier_metrics(frame(list(xaut), list(gram)), threshold_bp=50, max_lag=4)
    assert m.worst_gram_xaut_gap_bp == pytest.approx(200.0)  # XAUT recovered, GRAM not yet


def test_no_pass_through_when_gram_does_not_move() -> None:
    xaut = [0.0, -100, -200, -100, 0, 0]
    p = pass_through(np.zeros(6), np.array(xaut), threshold_bp=50, max_lag=2)
    assert p.share == 0.0
    assert p.slope == 0.0
    assert p.steps_to_half is None
    assert p.lag_steps is None  # GRAM never varies: no correlation to fit


def test_no_xaut_deviation_gives_none_not_a_number() -> None:
    p = pass_through(np.zeros(5), np.zeros(5), threshold_bp=50, max_lag=2)
    assert p.share is None
    assert p.slope is None
    assert p.steps_to_half is None


def test_backing_lp_losses_flows_and_nan_steps() -> None:
    xaut = [0.0, -50, float("nan"), -50, 0]
    m = tier_metrics(
        frame(
            xaut,
            [0.0, -40, float("nan"), -45, 0],
            backing_redeemable=[1.0, 1.0, 0.0, 0.0, float("nan")],
            lp_loss=[0.0, 0.01, 0.03, 0.02, float("nan")],
            wrapped_gram_mg=[10.0, 0, 5, 0, 0],
            unwrapped_gram_mg=[0.0, 7, 0, 0, float("nan")],
            gram_impact_1m=[0.05, 0.06, 0.2, 0.1, 0.05],
        ),
        threshold_bp=40,
        max_lag=1,
    )
    assert m.min_backing_ratio == 0.0
    assert m.max_lp_loss == 0.03
    assert m.final_lp_loss == 0.02
    assert m.wrapped_gram_mg == 15
    assert m.unwrapped_gram_mg == 7
    assert m.worst_gram_impact_1m == 0.2
    assert m.pass_through.share == pytest.approx((40 * 50 + 45 * 50) / (50 * 50 * 2))
    d = m.to_dict()
    assert d["pass_through"]["share"] == m.pass_through.share
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in d.values())


def test_bad_input_is_refused() -> None:
    with pytest.raises(DataValidationError, match="lp_loss"):
        tier_metrics(frame([0.0], [0.0]).drop(columns="lp_loss"))
    with pytest.raises(ConfigError, match="threshold"):
        pass_through(np.zeros(3), np.zeros(3), threshold_bp=0, max_lag=1)
    with pytest.raises(ConfigError, match="lengths"):
        pass_through(np.zeros(3), np.zeros(4), threshold_bp=1, max_lag=1)
    assert best_lag(np.zeros(2), np.zeros(2), 0) is None
