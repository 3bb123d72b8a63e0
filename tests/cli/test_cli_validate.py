"""`gramabm validate` end to end on a short synthetic period, and its bad-input exits."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gramabm.config import load_config
from tests.cli.entry import run_main


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2023-11-01", "2024-03-29")
    gold = 2000 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    gold_path = tmp_path / "gold.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "price": gold.round(2)}).to_csv(
        gold_path, index=False
    )
    hours = pd.date_range("2024-02-01", "2024-02-29 23:00", freq="h")
    close = 2000 * np.exp(np.cumsum(rng.normal(0, 0.001, len(hours))))
    token_path = tmp_path / "token.csv"
    pd.DataFrame(
        {
            "time": hours.strftime("%Y-%m-%d %H:%M:%S"),
            "open": close,
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "vol": rng.uniform(1, 5, len(hours)),
        }
    ).to_csv(token_path, index=False)
    return token_path, gold_path


def short_validate(monkeypatch, capsys, token: Path, gold: Path, out: Path, *columns: str):
    """`gramabm validate` over two business weeks, two seeds, a small rule-based population:
    quick and still a real replay. Returns (exit code, stdout, stderr)."""
    return run_main(
        monkeypatch,
        capsys,
        "validate",
        "--observed", str(token),
        "--gold", str(gold),
        *columns,
        "--start", "2024-02-05",
        "--end", "2024-02-16",
        "--policy", "rule_based",
        "--holders", "200",
        "--seeds", "2",
        "--out", str(out),
    )  # fmt: skip


def test_validate_end_to_end(data: tuple[Path, Path], tmp_path: Path, monkeypatch, capsys) -> None:
    token, gold = data
    out = tmp_path / "out"
    code, _, err = short_validate(
        monkeypatch, capsys, token, gold, out, "--time-column", "time", "--volume-column", "vol"
    )
    table = pd.read_csv(out / "validation.csv", index_col="fact")
    failed = set(table.index[table["verdict"] == "fail"])
    assert code == (1 if failed else 0), err
    assert {"validation.json", "validation.png", "validation.html"} <= {
        p.name for p in out.iterdir()
    }
    doc = json.loads((out / "validation.json").read_text())
    assert doc["scenario"] == "replay:2024-02-05:2024-02-16"
    assert doc["seeds"] == [0, 1]
    assert doc["exit_status"] == code
    assert set(doc["failed"]) == failed
    assert table.loc["days", "observed"] == 10  # two business weeks
    # The seeds' spread brackets their median.
    judged = table.dropna(subset=["sim_median"])
    assert (judged["sim_min"] <= judged["sim_median"]).all()
    assert (judged["sim_median"] <= judged["sim_max"]).all()
    assert "Close vs fix" in (out / "validation.html").read_text()
    # The venue is sized to the observed one: a thin synthetic venue gets a thinner book.
    fitted = load_config("calibrated").liquidity_traders
    observed = table.loc["volume_usd_median_daily", "observed"]
    scale = max((observed / fitted.venue_volume_usd) ** 0.5, 0.05)
    assert doc["venue"]["scale"] == pytest.approx(scale)
    assert scale < 0.5
    assert doc["config"]["liquidity_traders"]["orders_per_hour"] == pytest.approx(
        fitted.orders_per_hour * scale
    )
    assert "venue scale" in (out / "validation.html").read_text()
    assert doc["config"]["tick_usd_oz"] == 0.0  # calibrated has no tick, none was asked for


def test_a_tick_asked_for_puts_the_simulated_closes_on_it(
    data: tuple[Path, Path], tmp_path: Path, monkeypatch, capsys
) -> None:
    token, gold = data
    out = tmp_path / "out"
    short_validate(
        monkeypatch, capsys, token, gold, out, "--time-column", "time", "--tick-usd", "1"
    )
    doc = json.loads((out / "validation.json").read_text())
    assert doc["config"]["tick_usd_oz"] == 1.0
    table = pd.read_csv(out / "validation.csv", index_col="fact")
    assert table.loc["price_step_usd", "sim_median"] == 1.0
    assert doc["tick"]["note"] is None  # the observed closes sit on no coarse step


def test_a_token_on_a_coarse_tick_gets_a_note_unless_the_replay_runs_on_it(
    data: tuple[Path, Path], tmp_path: Path, monkeypatch, capsys
) -> None:
    token, gold = data
    whole = pd.read_csv(token)
    whole[["open", "high", "low", "close"]] = whole[["open", "high", "low", "close"]].round()
    token = tmp_path / "whole_dollars.csv"
    whole.to_csv(token, index=False)
    notes = {}
    for extra in ((), ("--tick-usd", "1"), ("--tick-usd", "auto")):
        out = tmp_path / f"out{'-'.join(extra)}"
        _, _, err = short_validate(
            monkeypatch, capsys, token, gold, out, "--time-column", "time", *extra
        )
        doc = json.loads((out / "validation.json").read_text())
        notes[extra] = doc["tick"]["note"]
        if extra == ("--tick-usd", "auto"):  # read from the closes: one month, on 1 USD
            assert (doc["config"]["tick_usd_oz"], doc["config"]["tick_changes"]) == (1.0, {})
        assert ("note: the observed closes sit on a 1 USD step" in err) == (not extra)
        html_note = "<p>Note: the observed closes sit on a 1 USD step"
        assert (html_note in (out / "validation.html").read_text()) == (not extra)
    assert "in 1 of 1 months" in notes[()]
    assert "--tick-usd auto replays" in notes[()]
    assert notes[("--tick-usd", "1")] is None
    assert notes[("--tick-usd", "auto")] is None


def test_a_daily_series_is_compared_on_daily_candles_and_its_hourly_facts_are_not_judged(
    data: tuple[Path, Path], tmp_path: Path, monkeypatch, capsys
) -> None:
    token, gold = data
    hourly = pd.read_csv(token, parse_dates=["time"]).set_index("time")
    days = hourly.groupby(hourly.index.normalize())
    daily = pd.DataFrame(
        {
            "Date": days.size().index.strftime("%Y-%m-%d"),
            "Open": days["open"].first().to_numpy(),
            "High": days["high"].max().to_numpy(),
            "Low": days["low"].min().to_numpy(),
            "Close": days["close"].last().to_numpy(),
            "Volume": days["vol"].sum().to_numpy(),
        }
    )
    daily_path = tmp_path / "daily.csv"
    daily.to_csv(daily_path, index=False)
    out = tmp_path / "out"
    code, _, err = short_validate(
        monkeypatch,
        capsys,
        daily_path,
        gold,
        out,
        "--time-column", "Date",
        "--open-column", "Open",
        "--high-column", "High",
        "--low-column", "Low",
        "--close-column", "Close",
        "--volume-column", "Volume",
    )  # fmt: skip
    doc = json.loads((out / "validation.json").read_text())
    hourly_rules = {
        "hourly_median_abs_weekday_bp",
        "hourly_median_abs_weekend_bp",
        "hourly_autocorr_lag1_winsorised",
    }
    assert set(doc["unjudged"]) == hourly_rules
    assert not hourly_rules & set(doc["failed"])  # what the data cannot show fails nothing
    assert code == (1 if doc["failed"] else 0)
    assert "not judged" in err
    table = pd.read_csv(out / "validation.csv", index_col="fact")
    assert (table.loc[list(hourly_rules), "verdict"] == "not judged").all()
    # Both tokens' candles are daily: a simulated candle spans a day of hourly steps (135 bp
    # here; the same replay's hourly candles in the test above, about 20 bp).
    assert table.loc["range_median_bp", "sim_median"] > 60
    assert math.isnan(table.loc["hourly_median_abs_weekday_bp", "sim_median"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--observed", "missing.csv"], "no such file"),
        (["--supply-column", "supply"], "no column 'supply' for supply"),
        (["--start", "2025-01-01"], "no period to compare"),
        (["--volume-unit", "grams"], "--volume-unit"),
        (["--config", "nonexistent_config"], "configuration file not found"),
        (["--venue-scale", "wide"], "venue scale must be 'auto' or a number > 0, got 'wide'"),
        (["--venue-scale", "0"], "venue scale must be 'auto' or a number > 0, got '0'"),
        (["--tick-usd", "-1"], "tick must be 'auto' or 0 to 1,000 USD an ounce, got '-1'"),
        (["--tick-usd", "fine"], "tick must be 'auto' or 0 to 1,000 USD an ounce, got 'fine'"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    data: tuple[Path, Path], tmp_path: Path, monkeypatch, capsys, extra, message
) -> None:
    token, gold = data
    monkeypatch.chdir(tmp_path)
    args = ["validate", "--observed", str(token), "--gold", str(gold), "--time-column", "time"]
    args += ["--holders", "50", "--seeds", "1", "--policy", "rule_based", "--out", "o", *extra]
    code, _, err = run_main(monkeypatch, capsys, *args)
    assert code == 2
    assert message in err
