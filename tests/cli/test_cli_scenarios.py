"""`gramabm scenarios` commands, run through Typer's test runner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gramabm.cli import app
from gramabm.errors import ConfigError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WIDE = {"COLUMNS": "220"}  # rich wraps tables to the terminal width


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def recent_csv(tmp_path):
    idx = pd.bdate_range("2019-06-03", "2022-12-30")
    rng = np.random.default_rng(1)
    prices = 1300.0 * np.exp(np.cumsum(rng.normal(0, 0.009, len(idx))))
    path = tmp_path / "gold.csv"
    pd.DataFrame({"date": idx.strftime("%Y-%m-%d"), "price": prices.round(2)}).to_csv(
        path, index=False
    )
    return path


def test_list_shows_every_family(runner):
    result = runner.invoke(app, ["scenarios", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in ("baseline", "adverse", "severely_adverse", "garch_t", "slow_bear"):
        assert name in result.output
    assert "replay_sep_2011" in result.output
    assert "outside the data" in result.output  # e.g. replay_mar_2020 on the built-in data
    assert "replay:YYYY-MM-DD:YYYY-MM-DD" in result.output


def test_list_on_a_user_csv(runner, recent_csv):
    result = runner.invoke(app, ["scenarios", "list", "--csv", str(recent_csv)], env=WIDE)
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if "replay_mar_2020" in row)
    assert "yes" in line


def test_show_prints_the_summary_and_writes_a_plot(runner, tmp_path):
    png = tmp_path / "adverse.png"
    result = runner.invoke(
        app,
        [
            "scenarios",
            "show",
            "severely_adverse",
            "--steps",
            "300",
            "--seed",
            "3",
            "--plot",
            str(png),
        ],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    for text in ("worst 5-day fall", "max drawdown", "volatility", "custodian_freeze", str(png)):
        assert text in result.output
    assert png.read_bytes()[:8] == PNG_MAGIC


def test_show_accepts_parameters(runner):
    result = runner.invoke(
        app,
        [
            "scenarios",
            "show",
            "drop",
            "-p",
            "severity=1-in-100y-5d",
            "-p",
            "vol=0",
            "--steps",
            "400",
        ],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "1-in-100-year 5-day fall" in result.output
    assert "events: none" in result.output


def test_show_unknown_scenario_fails_with_the_valid_names(runner):
    result = runner.invoke(app, ["scenarios", "show", "nope"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "baseline" in str(result.exception)


def test_report_writes_table_and_figure(runner, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["scenarios", "report", "--steps", "400", "--seed", "1", "--out", str(out)], env=WIDE
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "scenario_summary.csv")
    assert table["scenario"].tolist()[:3] == ["baseline", "adverse", "severely_adverse"]
    assert "replay_sep_2011" in table["scenario"].tolist()
    assert (table["n_steps"] == 400).all()
    assert (table["max_drawdown"] <= 0).all()
    # The severely adverse fall is deeper than the adverse one.
    by_name = table.set_index("scenario")
    assert by_name.loc["severely_adverse", "max_drawdown"] < by_name.loc["adverse", "max_drawdown"]
    assert (out / "scenario_paths.png").read_bytes()[:8] == PNG_MAGIC
    assert str(out / "scenario_summary.csv") in result.output.replace("\n", "")
    assert "severely_adverse" in result.output


def test_show_a_user_date_range(runner):
    result = runner.invoke(app, ["scenarios", "show", "replay:2008-09-08:2008-10-31"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "2008-09-08 00:00:00" in result.output
    assert "2008-10-31 23:00:00" in result.output


def test_show_outside_the_data_names_the_data_range(runner):
    result = runner.invoke(app, ["scenarios", "show", "replay_mar_2020"])
    assert isinstance(result.exception, ConfigError)
    assert "1977-12-30 to 2012-12-31" in str(result.exception)
