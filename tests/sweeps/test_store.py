"""The results store: atomic per-run files, DuckDB reads across differing columns, SQL queries."""

from __future__ import annotations

import pandas as pd
import pytest

from gramabm.errors import ConfigError
from gramabm.sweeps import store


def _row(run_id: str, status: str = "ok", **metrics):
    row = {
        "run_id": run_id,
        "experiment": "s",
        "scenario": "drop",
        "replication": 0,
        "seed": 2**62 + 1,
        "design_index": 0,
        "p_primary__mint_fee_bp": 25.0,
    }
    row.update({f"m_{k}": v for k, v in metrics.items()})
    row.update(status=status, error="" if status == "ok" else "Traceback ...", elapsed_s=0.5)
    return row


def test_rows_with_different_columns_read_as_one_sorted_table(tmp_path) -> None:
    store.write_run_row(tmp_path, _row("b2", recovery_step=None, worst_bp=-12.5, withdrew=False))
    store.write_run_row(tmp_path, _row("a1", recovery_step=17, worst_bp=-3.0, withdrew=True))
    store.write_run_row(tmp_path, _row("c3", status="failed"))
    table = store.read_results(tmp_path)
    assert table["run_id"].tolist() == ["a1", "b2", "c3"]
    assert list(table.columns[:7]) == [
        "run_id",
        "experiment",
        "scenario",
        "replication",
        "seed",
        "design_index",
        "p_primary__mint_fee_bp",
    ]
    assert list(table.columns[-3:]) == ["status", "error", "elapsed_s"]
    # A metric null in one run and an int in another keeps the int type (nullable).
    assert table["m_recovery_step"].iloc[0] == 17
    assert pd.isna(table["m_recovery_step"].iloc[1])
    assert pd.isna(table["m_worst_bp"].iloc[2])  # failed run: no metrics
    assert table["seed"].iloc[0] == 2**62 + 1
    assert table["status"].tolist() == ["ok", "ok", "failed"]


def test_query_sees_the_runs_view(tmp_path) -> None:
    for i in range(4):
        store.write_run_row(tmp_path, _row(f"r{i}", worst_bp=-float(i)))
    answer = store.query(tmp_path, "SELECT count(*) AS n, min(m_worst_bp) AS worst FROM runs")
    assert answer["n"].iloc[0] == 4
    assert answer["worst"].iloc[0] == -3.0
    with pytest.raises(ConfigError, match="query failed"):
        store.query(tmp_path, "SELECT * FROM nothing_here")


def test_no_results_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no results"):
        store.read_results(tmp_path)
    assert store.finished_run_ids(tmp_path) == set()


def test_half_written_files_are_invisible_and_cleaned(tmp_path) -> None:
    store.write_run_row(tmp_path, _row("a1", worst_bp=1.0))
    runs = tmp_path / store.RUNS_DIR
    assert [p.name for p in runs.iterdir()] == ["a1.parquet"]  # no temporary left behind
    (runs / ".b2.parquet.999.tmp").write_bytes(b"PAR1 truncated")
    assert store.finished_run_ids(tmp_path) == {"a1"}
    assert len(store.read_results(tmp_path)) == 1
    assert store.remove_stale_temporaries(tmp_path) == 1
    assert not (runs / ".b2.parquet.999.tmp").exists()


def test_rewrite_replaces_a_run_file(tmp_path) -> None:
    store.write_run_row(tmp_path, _row("a1", status="failed"))
    store.write_run_row(tmp_path, _row("a1", worst_bp=2.0))
    table = store.read_results(tmp_path)
    assert len(table) == 1
    assert table["status"].iloc[0] == "ok"


def test_timeseries_view_and_manifest(tmp_path) -> None:
    store.write_run_row(tmp_path, _row("a1", worst_bp=1.0))
    frame = pd.DataFrame({"deviation_bp": [1.0, -2.0, 3.0]}).rename_axis("step")
    store.write_timeseries(tmp_path, "a1", frame)
    answer = store.query(tmp_path, "SELECT run_id, max(step) AS last FROM timeseries GROUP BY 1")
    assert answer.to_dict("records") == [{"run_id": "a1", "last": 2}]
    store.write_manifest(tmp_path, {"experiment": "s", "runs": 1})
    assert store.read_manifest(tmp_path) == {"experiment": "s", "runs": 1}
    assert store.read_manifest(tmp_path / "elsewhere") is None


def test_non_scalar_values_are_refused(tmp_path) -> None:
    with pytest.raises(TypeError, match="not a scalar"):
        store.write_run_row(tmp_path, {"run_id": "x", "m_list": [1, 2]})
