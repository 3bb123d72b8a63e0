"""Sweeps on a user's gold CSV: other results than the built-in data, the same on every backend,
identity by digest on resume, bad files refused before anything runs, and per-scenario parameters.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gramabm.data.digest import data_digest
from gramabm.data.loaders import load_builtin, load_csv
from gramabm.errors import ConfigError, DataValidationError
from gramabm.sweeps.runner import run_sweep, sweep_data
from gramabm.sweeps.spec import load_spec, parse_spec
from gramabm.sweeps.store import MANIFEST, query, read_manifest, read_results
from tests.sweeps.gold_csv import gold_frame, write_gold_csv

TOML = """
name = "user_data"
root_seed = 21
scenarios = ["baseline", "adverse"]
replications = 2
steps = 96
holders = 150

[data]
csv = "data/gold.csv"

[parameters]
"primary.mint_fee_bp" = [0.0, 50.0]
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    """An experiment file beside ``data/gold.csv`` (its [data].csv is relative to the file)."""
    write_gold_csv(tmp_path / "data" / "gold.csv")
    path = tmp_path / "sweep.toml"
    path.write_text(TOML, encoding="utf-8")
    return path


def _table(out: Path) -> pd.DataFrame:
    return read_results(out).drop(columns="elapsed_s")


def _builtin_twin(spec_file: Path):
    """The same experiment without its [data] table (the built-in history)."""
    spec = load_spec(spec_file)
    return spec.model_copy(update={"data": None})


def test_user_csv_differs_from_builtin_and_is_identical_on_every_backend(
    spec_file: Path, tmp_path: Path
) -> None:
    pytest.importorskip("dask.distributed")
    spec = load_spec(spec_file)
    assert spec.data is not None
    assert spec.data.csv == str(tmp_path / "data" / "gold.csv")  # relative to the file's folder
    serial = run_sweep(spec, tmp_path / "w1", progress=False)
    assert (serial.executed, serial.failed) == (8, 0)
    pooled = run_sweep(spec, tmp_path / "w2", workers=2, progress=False)
    assert (pooled.executed, pooled.failed, pooled.workers) == (8, 0, 2)
    dasked = run_sweep(spec, tmp_path / "dask", workers=2, dask=True, progress=False)
    assert (dasked.executed, dasked.failed, dasked.workers) == (8, 0, 2)

    reference = _table(tmp_path / "w1")
    assert (reference["status"] == "ok").all()
    assert reference["m_volume_usd_total"].nunique() == 8  # the comparison below is not vacuous
    pd.testing.assert_frame_equal(_table(tmp_path / "w2"), reference)
    pd.testing.assert_frame_equal(_table(tmp_path / "dask"), reference)

    # The same design on the built-in history: same run ids, other outcomes in both scenarios.
    builtin = run_sweep(_builtin_twin(spec_file), tmp_path / "builtin", progress=False)
    assert builtin.data_source == "builtin:aer_goldsilver"
    other = _table(tmp_path / "builtin")
    assert other["run_id"].tolist() == reference["run_id"].tolist()
    for scenario in ("baseline", "adverse"):
        mine = reference.loc[reference["scenario"] == scenario, "m_volume_usd_total"]
        theirs = other.loc[other["scenario"] == scenario, "m_volume_usd_total"]
        assert not (mine.to_numpy() == theirs.to_numpy()).any(), scenario


def test_data_recorded_in_manifest_summary_and_duckdb(spec_file: Path, tmp_path: Path) -> None:
    spec = load_spec(spec_file).model_copy(update={"scenarios": ["baseline"], "replications": 1})
    out = tmp_path / "out"
    summary = run_sweep(spec, out, progress=False)
    expected = data_digest(load_csv(tmp_path / "data" / "gold.csv"))
    assert summary.data_digest == expected
    assert summary.data_source == str(tmp_path / "data" / "gold.csv")
    data = read_manifest(out)["data"]
    frame = gold_frame()
    assert data == {
        "source": str(tmp_path / "data" / "gold.csv"),
        "digest": expected,
        "rows": len(frame),
        "start": frame["date"].iloc[0],
        "end": frame["date"].iloc[-1],
        "builtin": False,
        "csv": str(tmp_path / "data" / "gold.csv"),
        "options": {},
    }
    meta = query(out, "SELECT data_digest, data_rows, data_builtin, experiment FROM sweep")
    assert meta.to_dict("records") == [
        {"data_digest": expected, "data_rows": len(frame), "data_builtin": False,
         "experiment": "user_data"}
    ]  # fmt: skip


def test_replay_of_2020_runs_on_user_data_but_is_refused_on_builtin(
    spec_file: Path, tmp_path: Path
) -> None:
    spec = load_spec(spec_file).model_copy(
        update={"scenarios": ["replay_mar_2020"], "replications": 1}
    )
    summary = run_sweep(spec, tmp_path / "mine", progress=False)
    assert (summary.executed, summary.failed) == (2, 0)
    builtin = spec.model_copy(update={"data": None})
    with pytest.raises(
        ConfigError, match=r"replay_mar_2020 needs .* builtin:aer_goldsilver covers"
    ):
        run_sweep(builtin, tmp_path / "builtin", progress=False)
    assert not (tmp_path / "builtin").exists()  # refused before anything was written
    user_range = spec.model_copy(update={"scenarios": ["replay:2030-01-01:2030-02-01"]})
    with pytest.raises(ConfigError, match="replay:2030-01-01:2030-02-01 needs"):
        run_sweep(user_range, tmp_path / "future", progress=False)


def test_resume_with_other_data_is_refused_and_with_the_same_data_skips(
    spec_file: Path, tmp_path: Path
) -> None:
    spec = load_spec(spec_file).model_copy(update={"scenarios": ["baseline"], "replications": 1})
    out = tmp_path / "out"
    first = run_sweep(spec, out, progress=False)
    assert first.executed == 2
    (out / "runs" / f"{_table(out)['run_id'].iloc[0]}.parquet").unlink()

    # Other data: the last price changed by one cent.
    frame = gold_frame()
    frame.loc[frame.index[-1], "price"] += 0.01
    write_gold_csv(tmp_path / "data" / "gold.csv", frame)
    changed = data_digest(load_csv(tmp_path / "data" / "gold.csv"))
    with pytest.raises(ConfigError) as info:
        run_sweep(spec, out, progress=False)
    message = str(info.value)
    assert first.data_digest in message
    assert changed in message
    assert "other gold data" in message
    assert len(list((out / "runs").glob("*.parquet"))) == 1  # nothing was run

    # The built-in history is other data too.
    with pytest.raises(ConfigError, match="builtin:aer_goldsilver"):
        run_sweep(spec.model_copy(update={"data": None}), out, progress=False)

    # The same data again, named by another spelling of the path: resumes the missing run only.
    write_gold_csv(tmp_path / "data" / "gold.csv")
    again = spec.with_data(tmp_path / "data" / ".." / "data" / "gold.csv")
    resumed = run_sweep(again, out, progress=False)
    assert (resumed.executed, resumed.skipped) == (1, 1)
    assert resumed.data_digest == first.data_digest


def test_a_sweep_written_before_data_were_recorded_counts_as_builtin(
    spec_file: Path, tmp_path: Path
) -> None:
    builtin = _builtin_twin(spec_file).model_copy(update={"scenarios": ["baseline"]})
    out = tmp_path / "old"
    run_sweep(builtin.model_copy(update={"replications": 1}), out, progress=False)
    manifest = json.loads((out / MANIFEST).read_text())
    del manifest["data"]  # as the runner wrote it before data were recorded
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert query(out, "SELECT data_digest FROM sweep")["data_digest"].isna().all()
    extended = run_sweep(builtin, out, progress=False)  # built-in again: resumes
    assert (extended.executed, extended.skipped) == (2, 2)
    user = load_spec(spec_file).model_copy(update={"scenarios": ["baseline"]})
    with pytest.raises(ConfigError, match=data_digest(load_builtin())):
        run_sweep(user, out, progress=False)


def test_malformed_csv_fails_before_any_run_naming_file_and_row(
    spec_file: Path, tmp_path: Path
) -> None:
    frame = gold_frame().astype({"price": object})
    frame.loc[6, "price"] = "n.a"  # data row 7 (header not counted)
    csv = write_gold_csv(tmp_path / "data" / "gold.csv", frame)
    out = tmp_path / "out"
    with pytest.raises(DataValidationError) as info:
        run_sweep(spec_file, out, progress=False)
    assert info.value.row == 7
    assert str(csv) in str(info.value)
    assert not out.exists()  # nothing written
    with pytest.raises(DataValidationError, match=r"missing/gold\.csv"):
        run_sweep(load_spec(spec_file).with_data(tmp_path / "missing" / "gold.csv"), out)
    assert not out.exists()


def test_csv_options_reach_the_loader(tmp_path: Path) -> None:
    frame = gold_frame().rename(columns={"date": "Day", "price": "USD"})
    write_gold_csv(tmp_path / "fix.csv", frame.iloc[::-1])  # newest first, as some exports are
    spec = parse_spec(
        {
            "name": "opts",
            "root_seed": 1,
            "data": {
                "csv": "fix.csv",
                "date_column": "Day",
                "price_column": "USD",
                "unsorted": "sort",
                "source": "lbma-slice",
            },
        },
        base_dir=tmp_path,
    )
    data = sweep_data(spec)
    assert data.source == "lbma-slice"
    assert data.record["options"] == {
        "date_column": "Day",
        "price_column": "USD",
        "unsorted": "sort",
        "source": "lbma-slice",
    }
    assert data.prices is not None
    assert data.prices.index.is_monotonic_increasing
    assert data.record["rows"] == len(frame)
    with pytest.raises(ConfigError, match="give one"):
        sweep_data(spec, prices=data.prices)


def test_builtin_data_are_not_shipped(tmp_path: Path) -> None:
    spec = parse_spec({"name": "b", "root_seed": 1})
    data = sweep_data(spec)
    assert data.prices is None  # workers use their own cached built-in series
    assert data.record["builtin"] is True
    assert data.digest == data_digest(load_builtin())


def test_per_scenario_parameters_reach_only_their_scenario(tmp_path: Path) -> None:
    base = {
        "name": "per_scenario",
        "root_seed": 4,
        "scenarios": ["drop", "slow_bear"],
        "steps": 96,
        "holders": 150,
        "base": {"scenario_params": {"severity": 0.15}},
        "parameters": {"primary.mint_fee_bp": [0.0, 50.0]},
    }
    plain = parse_spec(base)
    tuned = parse_spec({**base, "scenario_params": {"slow_bear": {"duration_days": 2}}})
    run_sweep(plain, tmp_path / "plain", progress=False)
    run_sweep(tuned, tmp_path / "tuned", progress=False)
    a, b = _table(tmp_path / "plain"), _table(tmp_path / "tuned")
    drops_a, drops_b = (t[t["scenario"] == "drop"].reset_index(drop=True) for t in (a, b))
    pd.testing.assert_frame_equal(drops_a, drops_b)  # same ids, same outcomes
    bears_a, bears_b = (t[t["scenario"] == "slow_bear"] for t in (a, b))
    assert set(bears_a["run_id"]).isdisjoint(bears_b["run_id"])
    # A 15% fall in two days instead of 130 is felt within the 96 hours simulated.
    assert bears_b["m_worst_discount_bp"].mean() < bears_a["m_worst_discount_bp"].mean()
    assert read_manifest(tmp_path / "tuned")["scenario_params"] == {
        "slow_bear": {"duration_days": 2}
    }
    # Changing a scenario's own parameters changes the sweep's identity.
    with pytest.raises(ConfigError, match="per-scenario parameters"):
        run_sweep(plain, tmp_path / "tuned", progress=False)
