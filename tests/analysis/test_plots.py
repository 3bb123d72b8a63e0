"""Run figures: every plot draws, saves a real PNG, marks the shock and stays fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from gramabm import run_columns
from gramabm.analysis.render.plots import (
    RUN_PLOTS,
    figure_png,
    plot_deviation,
    plot_price,
    plot_reserves,
    save_figure,
    save_run_plots,
)
from gramabm.errors import DataValidationError
from tests.analysis.test_metrics import make_timeseries, recovery_series, with_deviation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def stressed_run(n: int = 100) -> pd.DataFrame:
    dev = np.resize(recovery_series(), n)
    ts = with_deviation(make_timeseries(n), dev)
    ts.loc[12:20, "redemptions_g"] = 2_000.0
    ts.loc[12:30, "redemption_queue_g"] = 9_000.0
    ts.loc[40:45, ["token_mid", "deviation_bp", "spread_bp"]] = np.nan  # no quote
    return ts


def test_save_run_plots_writes_six_non_empty_pngs(tmp_path: Path) -> None:
    paths = save_run_plots(stressed_run(), tmp_path / "figs", shock_step=10)
    assert list(paths) == ["price", "deviation", "reserves", "liquidity", "flows", "holders"]
    for name, path in paths.items():
        assert path == tmp_path / "figs" / f"{name}.png"
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 5_000


@pytest.mark.parametrize("name", list(RUN_PLOTS))
def test_each_plot_marks_the_shock(name: str) -> None:
    fig = RUN_PLOTS[name](stressed_run(), shock_step=10)
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        shock_lines = [line for line in ax.get_lines() if line.get_label() == "shock"]
        assert len(shock_lines) == 1
        assert shock_lines[0].get_xdata()[0] == 10
        assert ax.get_title(loc="left")


def test_no_shock_draws_no_shock_line() -> None:
    fig = plot_deviation(stressed_run())
    assert not [line for line in fig.axes[0].get_lines() if line.get_label() == "shock"]


def test_deviation_plot_draws_both_bands() -> None:
    fig = plot_deviation(make_timeseries(50), bands_bp=(50, 100))
    ax = fig.axes[0]
    levels = sorted(
        float(line.get_ydata()[0])
        for line in ax.get_lines()
        if line.get_label().startswith("±") or line.get_label().startswith("_")
    )
    for level in (-100.0, -50.0, 50.0, 100.0):
        assert level in levels
    # A calm run keeps the bands in view.
    assert ax.get_ylim()[1] >= 100.0


def test_deviation_plot_shows_trades_where_the_book_is_one_sided() -> None:
    ts = make_timeseries(60)
    ts.loc[20:29, "deviation_bp"] = np.nan  # no mid: one side of the book empty
    ts.loc[20:29, "last_deviation_bp"] = -300.0
    ts.loc[25, "trades"] = 0  # no trade that step: nothing drawn for it
    ax = plot_deviation(ts).axes[0]
    dots = [c for c in ax.collections if c.get_label() == "trades, one-sided book"]
    assert len(dots) == 1
    assert len(dots[0].get_offsets()) == 9
    assert ax.get_ylim()[0] < -300.0  # the traded prices are in view
    assert not [c for c in plot_deviation(make_timeseries(60)).axes[0].collections if c.get_label()]


def test_price_band_follows_gold_value() -> None:
    ts = make_timeseries(30)
    fig = plot_price(ts, band_bp=50)
    band = fig.axes[0].collections[0]
    ys = band.get_paths()[0].vertices[:, 1]
    gold = ts["gold_value_usd"].to_numpy()
    assert ys.max() == pytest.approx(gold.max() * 1.005)
    assert ys.min() == pytest.approx(gold.min() * 0.995)


def test_reserves_without_custodian_columns() -> None:
    ts = make_timeseries(40, custodians=())
    assert not [c for c in ts.columns if c.startswith("reserves_g_")]
    fig = plot_reserves(ts)
    assert run_columns.label("reserves_actual_g", with_unit=False) in [
        line.get_label() for line in fig.axes[1].get_lines()
    ]


def test_png_bytes_are_deterministic(tmp_path: Path) -> None:
    fig_a = plot_price(stressed_run(), shock_step=10)
    fig_b = plot_price(stressed_run(), shock_step=10)
    assert figure_png(fig_a) == figure_png(fig_b)
    assert b"matplotlib" not in figure_png(fig_a)  # no version stamp
    path = save_figure(fig_a, tmp_path / "deep" / "price.png")
    assert path.read_bytes() == figure_png(fig_b)


def test_missing_column_is_named() -> None:
    with pytest.raises(DataValidationError, match="holders_panicked"):
        RUN_PLOTS["holders"](make_timeseries(20).drop(columns="holders_panicked"))


def test_ten_thousand_steps_are_drawn(tmp_path: Path) -> None:
    n = 10_000
    rng = np.random.default_rng(0)
    ts = with_deviation(make_timeseries(n), np.cumsum(rng.normal(0, 3, n)))
    paths = save_run_plots(ts, tmp_path, shock_step=n // 2)
    assert len(paths) == 6
    assert all(p.stat().st_size > 1000 for p in paths.values())  # tests never assert on time
