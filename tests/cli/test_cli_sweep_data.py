"""`gramabm sweep --csv` and `gramabm reverse --csv`: a user's gold CSV from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gramabm.cli import app as root_app
from gramabm.cli.sweep import app
from gramabm.data.digest import data_digest
from gramabm.data.loaders import load_csv
from gramabm.errors import ConfigError
from gramabm.sweeps import reverse as rev
from gramabm.sweeps.store import read_manifest, read_results
from tests.sweeps.gold_csv import gold_frame, write_gold_csv

runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # no wrapping of long paths in the printed summary

SPEC = """
name = "cli_data"
root_seed = 8
scenarios = ["baseline"]
steps = 72
holders = 120

[parameters]
"primary.mint_fee_bp" = [0.0, 50.0]
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """An experiment file without a [data] table."""
    path = tmp_path / "sweep.toml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def _sweep(*args: str) -> Any:
    return runner.invoke(app, ["sweep", *args, "--no-progress"], env=WIDE)


def test_csv_option_runs_the_sweep_on_the_file(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_gold_csv(tmp_path / "gold.csv")
    monkeypatch.chdir(tmp_path)  # --csv is relative to the current directory
    result = _sweep(str(spec), "--out", "mine", "--csv", "gold.csv")
    assert result.exit_code == 0, result.output
    digest = data_digest(load_csv(tmp_path / "gold.csv"))
    assert f"gold data: {tmp_path / 'gold.csv'} (digest {digest[:16]})" in result.output
    assert "2 runs: 2 executed" in result.output
    assert read_manifest(tmp_path / "mine")["data"]["digest"] == digest

    builtin = _sweep(str(spec), "--out", "builtin")
    assert builtin.exit_code == 0, builtin.output
    assert "gold data: builtin:aer_goldsilver" in builtin.output
    mine = read_results(tmp_path / "mine")["m_volume_usd_total"].to_numpy()
    theirs = read_results(tmp_path / "builtin")["m_volume_usd_total"].to_numpy()
    assert (mine != theirs).all()

    again = _sweep(str(spec), "--out", "mine", "--csv", str(tmp_path / "gold.csv"))
    assert "0 executed, 2 skipped" in again.output
    refused = _sweep(str(spec), "--out", "mine")  # the built-in history is other data
    assert isinstance(refused.exception, ConfigError)
    assert digest in str(refused.exception)


def test_column_options_override_the_data_table(spec: Path, tmp_path: Path) -> None:
    renamed = gold_frame().rename(columns={"date": "Day", "price": "USD"})
    csv = write_gold_csv(tmp_path / "renamed.csv", renamed)
    spec.write_text(
        SPEC + f'\n[data]\ncsv = "{csv.name}"\ndate_column = "Date"\n', encoding="utf-8"
    )
    wrong = _sweep(str(spec), "--out", str(tmp_path / "o1"))
    assert "'Date'" in str(wrong.exception)  # the file's own option names a missing column
    assert not (tmp_path / "o1").exists()
    ok = _sweep(
        str(spec), "--out", str(tmp_path / "o2"), "--date-column", "Day", "--price-column", "USD"
    )
    assert ok.exit_code == 0, ok.output
    data = read_manifest(tmp_path / "o2")["data"]
    assert data["csv"] == str(csv)  # [data].csv kept, relative to the experiment file
    assert data["options"] == {"date_column": "Day", "price_column": "USD"}


def test_column_options_without_any_csv_are_refused(spec: Path, tmp_path: Path) -> None:
    result = _sweep(str(spec), "--out", str(tmp_path / "o"), "--date-column", "Day")
    assert isinstance(result.exception, ConfigError)
    assert "date_column" in str(result.exception)
    assert not (tmp_path / "o").exists()


def test_reverse_takes_a_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv = write_gold_csv(tmp_path / "gold.csv")
    seen: list[Any] = []

    def fake(task: dict[str, Any], prices: Any = None) -> dict[str, Any]:
        # A known response: breaks beyond a 10% fall, on whatever data arrive.
        seen.append(None if prices is None else prices.attrs["source"])
        return {
            "severity": task["severity"],
            "seed": task["seed"],
            "value": -1e3 * task["severity"],
        }

    monkeypatch.setattr(rev, "evaluate_task", fake)
    out = tmp_path / "rev"
    args = ["reverse", "--out", str(out), "--seeds", "2", "--tol", "0.1", "--csv", str(csv)]
    result = runner.invoke(root_app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert set(seen) == {str(csv)}
    assert f"gold data: {csv}" in result.output
    assert "lies between" in result.output
    bad = runner.invoke(root_app, ["reverse", "--out", str(out), "--price-column", "USD"])
    assert isinstance(bad.exception, ConfigError)
    assert "price_column" in str(bad.exception)
