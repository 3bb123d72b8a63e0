"""Scenario report: the summary table and the figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gramabm.scenarios.report import (
    SUMMARY_COLUMNS,
    events_text,
    plot_path,
    plot_paths,
    save_figure,
    summarise_path,
    summary_table,
)
from gramabm.scenarios.shaped import Drop, VShape

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def drop_path():
    # Noiseless 10% fall from Monday 11:00 to 23:00, between the 10:00 fixes of Monday and Tuesday.
    scenario = Drop(
        0.10,
        duration_steps=12,
        shock_step=11,
        vol=0.0,
        start_price=2000.0,
        start="2024-01-01",
        events=[(6, "mm_withdrawal", {"steps": 12}), (12, "oracle_outage", {})],
    )
    return scenario.generate(24 * 14, seed=0)


@pytest.fixture(scope="module")
def v_path():
    scenario = VShape(0.2, start_price=1500.0, start="2024-01-01", vol=0.12)
    return scenario.generate(scenario.default_steps, seed=1)


def test_summary_of_a_known_shape(drop_path):
    row = summarise_path(drop_path)
    assert set(row) == set(SUMMARY_COLUMNS)
    assert row["n_steps"] == 24 * 14
    assert row["start_price"] == pytest.approx(2000.0)
    assert row["end_price"] == pytest.approx(1800.0)
    assert row["min_price"] == pytest.approx(1800.0)
    assert row["worst_1d"] == pytest.approx(-0.10)
    assert row["worst_5d"] == pytest.approx(-0.10)
    assert row["max_drawdown"] == pytest.approx(-0.10)
    # Nine flat daily returns and one of log(0.9): the sample volatility follows.
    returns = np.r_[np.zeros(8), math.log(0.9)]
    assert row["ann_vol"] == pytest.approx(returns.std(ddof=1) * math.sqrt(252))
    assert row["n_events"] == 2
    assert row["events"] == "mm_withdrawal@17; oracle_outage@23"
    assert events_text(drop_path) == row["events"]


def test_drawdown_sees_the_intraday_trough(v_path):
    row = summarise_path(v_path)
    p = v_path.gold_usd_oz
    running = np.maximum.accumulate(p)
    assert row["max_drawdown"] == pytest.approx(np.min(p / running) - 1.0)
    assert row["max_drawdown"] <= -0.2 + 1e-12
    assert row["worst_5d"] <= row["worst_1d"] < 0


def test_short_paths_give_nan_not_errors(drop_path):
    scenario = Drop(0.1, start_price=2000.0, start="2024-01-01")
    row = summarise_path(scenario.generate(30, seed=0))
    assert math.isnan(row["worst_5d"])
    assert math.isnan(row["ann_vol"])


def test_table_has_one_row_per_path(drop_path, v_path):
    table = summary_table([drop_path, v_path])
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    assert table["scenario"].tolist() == ["drop", "v_shape"]
    assert table.loc[0, "worst_1d"] == pytest.approx(-0.10)


def test_all_paths_figure(drop_path, v_path, tmp_path):
    fig = plot_paths([drop_path, v_path])
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["drop", "v_shape"]
    # Rebased to 100 at the start.
    assert ax.get_lines()[0].get_ydata()[0] == pytest.approx(100.0)
    out = save_figure(fig, tmp_path / "sub" / "paths.png")
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_replays_get_their_own_panel(drop_path, tmp_path):
    from gramabm.data.loaders import load_builtin
    from gramabm.scenarios.replay import Replay

    replay = Replay(load_builtin(), "2011-08-22", "2011-10-14", name="replay_sep_2011")
    fig = plot_paths([drop_path, replay.generate(replay.default_steps, seed=0)])
    assert len(fig.axes) == 2
    assert [ln.get_label() for ln in fig.axes[1].get_lines()] == ["replay_sep_2011"]
    assert fig.axes[1].get_lines()[0].get_xdata()[-1] > 50  # days
    assert save_figure(fig, tmp_path / "two.png").read_bytes()[:8] == PNG_MAGIC


def test_single_path_figure_marks_events(drop_path, tmp_path):
    fig = plot_path(drop_path)
    ax = fig.axes[0]
    labels = {t.get_text() for t in ax.texts}
    assert labels == {"mm_withdrawal", "oracle_outage"}
    out = save_figure(fig, tmp_path / "one.png")
    assert out.stat().st_size > 1000
    assert out.read_bytes()[:8] == PNG_MAGIC
