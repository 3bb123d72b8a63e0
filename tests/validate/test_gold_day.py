"""The replays' intraday gold against a second daily fix: the table by hand, the CLI, real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gramabm.errors import DataValidationError
from gramabm.scenarios.gold_session import DEFAULT_PROFILE
from gramabm.validate.gold_day import COLUMNS, check_gold_day
from tests.cli.entry import run_main

DATA = Path("/work/shared/data")


def _fixes(years: int = 2, seed: int = 0) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """AM fixes, and PM fixes a third of the way to the next AM fix (the last day has no PM)."""
    days = pd.bdate_range("2018-01-01", periods=260 * years)
    rng = np.random.default_rng(seed)
    am = pd.Series(1300 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))), index=days)
    next_move = np.log(am.shift(-1) / am).to_numpy()[:-1]
    pm = pd.Series(am.to_numpy()[:-1] * np.exp(next_move / 3), index=days[:-1])
    return am, pm, next_move * 1e4


def test_the_real_moves_by_hand() -> None:
    am, pm, moves = _fixes()
    table = check_gold_day(am, pm, draws=2)
    assert list(table.columns) == list(COLUMNS)
    assert list(table.index) == [2018, 2019]
    first = moves[am.index[:-1].year == 2018] / 3
    row = table.loc[2018]
    assert row["days"] == len(first)
    assert row["real_rms_bp"] == pytest.approx(np.sqrt(np.mean(first**2)))
    assert row["real_p99_bp"] == pytest.approx(np.percentile(np.abs(first), 99))
    assert row["real_share"] == pytest.approx(1 / 3)


def test_the_bridge_spreads_the_day_by_its_profile_and_repeats_by_seed() -> None:
    am, pm, _ = _fixes(years=4, seed=1)
    table = check_gold_day(am, pm, draws=3, seed=5)
    assert table.equals(check_gold_day(am, pm, draws=3, seed=5))
    assert not table.equals(check_gold_day(am, pm, draws=3, seed=6))
    assert (table["bridge_p99_min_bp"] <= table["bridge_p99_bp"]).all()
    assert (table["bridge_p99_bp"] <= table["bridge_p99_max_bp"]).all()
    # From the end of the AM fix's hour (11:00 London) to the PM fix (15:00): hours 11-14 of the
    # profile, a third of a business day's variance. Weekend variance lands in Monday's stretch,
    # so the share over all days sits somewhat below it.
    weights = np.square(DEFAULT_PROFILE)
    share = weights[11:15].sum() / weights.sum()
    assert share == pytest.approx(0.332, abs=0.001)
    assert table["bridge_share"].between(share - 0.08, share + 0.02).all()
    # Gold's daily moves of 1% spread over the day: a third of its variance in those hours.
    assert (
        table["bridge_rms_bp"].between(0.7 * 100 * np.sqrt(share), 1.3 * 100 * np.sqrt(share)).all()
    )


def test_too_few_days_or_draws_are_refused() -> None:
    am, pm, _ = _fixes()
    with pytest.raises(DataValidationError, match="only 10 days with both fixes"):
        check_gold_day(am, pm, start=am.index[0], end=am.index[9])
    with pytest.raises(DataValidationError, match="at least one draw"):
        check_gold_day(am, pm, draws=0)


def test_the_command_writes_its_table_and_exits_2_on_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    am, pm, _ = _fixes()
    paths = {}
    for name, fixes in (("am", am), ("pm", pm)):
        paths[name] = tmp_path / f"{name}.csv"
        frame = pd.DataFrame({"date": fixes.index.strftime("%Y-%m-%d"), "price": fixes.round(4)})
        frame.to_csv(paths[name], index=False)
    out = tmp_path / "out"
    args = ["gold-day", "--am", str(paths["am"]), "--pm", str(paths["pm"]), "--draws", "2"]
    code, _, _ = run_main(monkeypatch, capsys, *args, "--out", str(out))
    assert code == 0
    written = pd.read_csv(out / "gold_day.csv", index_col="year")
    assert list(written.index) == [2018, 2019]
    assert written.loc[2018, "real_share"] == pytest.approx(1 / 3, abs=1e-3)
    code, _, err = run_main(
        monkeypatch, capsys, *args, "--start", "2030-01-01", "--out", str(tmp_path / "x")
    )
    assert code == 2
    assert "days with both fixes" in err


@pytest.mark.skipif(not (DATA / "gold_usd_daily_lbma_pm.csv").exists(), reason="shared data absent")
def test_the_bridge_against_the_lbma_pm_fix_2010_2020() -> None:
    from gramabm.config import load_config
    from gramabm.data.loaders import load_csv
    from gramabm.scenarios.gold_session import SessionSettings

    session = load_config("calibrated").gold_session
    am = load_csv(DATA / "gold_usd_daily.csv", jump_warning=None)
    pm = load_csv(DATA / "gold_usd_daily_lbma_pm.csv", jump_warning=None)
    settings = SessionSettings(own_move_weight=session.own_move_weight)
    table = check_gold_day(am, pm, start="2010-01-01", end="2020-12-31", settings=settings)
    assert len(table) == 11
    # The bridge's typical AM-to-PM move is gold's, year by year (within a third; most years
    # within a tenth), and it places the same share of the day's move before the PM fix.
    ratio = table["bridge_rms_bp"] / table["real_rms_bp"]
    assert ratio.between(0.66, 1.33).all()
    assert (ratio.sub(1).abs() <= 0.12).sum() >= 8
    assert abs(table["bridge_share"].median() - table["real_share"].median()) < 0.1
    # Real gold's tail is the fatter one: its p99 is above the bridge's highest draw in more
    # years than below its lowest.
    above = (table["real_p99_bp"] > table["bridge_p99_max_bp"]).sum()
    below = (table["real_p99_bp"] < table["bridge_p99_min_bp"]).sum()
    assert above > below
