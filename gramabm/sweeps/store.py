"""The results store: one small Parquet file per finished run, read through embedded DuckDB.

Layout of a sweep's output directory ``OUT``::

    OUT/experiment.json              the design (parameters, seeds, SALib problem), written first
    OUT/runs/<run_id>.parquet        one row per finished run (status "ok" or "failed")
    OUT/timeseries/<run_id>.parquet  per-step series, when the experiment keeps them

DuckDB sees the row files as the view ``runs``, the series as ``timeseries`` and the manifest's
headline as a one-row table ``sweep`` (experiment, fingerprint, root seed, runs, and the gold
data's source, digest, rows and dates), so a query can say which data its runs came from.

Every file is written under a temporary name and moved into place with :func:`os.replace`, an
atomic rename: a reader, a crash or a kill sees a run's file whole or not at all. A run's row file is
written last, so its presence means the run is finished. DuckDB reads the row files together with
``union_by_name`` (failed runs have no metric columns; a metric that is null in one run and a number
in another takes the number's type).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from gramabm.analysis.sweeps.columns import is_param_column
from gramabm.errors import ConfigError

RUNS_DIR = "runs"
TIMESERIES_DIR = "timeseries"
MANIFEST = "experiment.json"
LEAD_COLUMNS: tuple[str, ...] = (
    "run_id",
    "experiment",
    "scenario",
    "replication",
    "seed",
    "design_index",
)
TAIL_COLUMNS: tuple[str, ...] = ("status", "error", "elapsed_s")


def _tmp_name(target: Path) -> Path:
    # Hidden and without the .parquet suffix, so no reader's glob ever picks up a half-written file.
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def _arrow_type(value: Any) -> Any:
    import pyarrow as pa

    if value is None:
        return pa.null()
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, str):
        return pa.string()
    raise TypeError(f"result column value {value!r} is not a scalar (bool, int, float, str, None)")


def write_run_row(out_dir: str | Path, row: dict[str, Any]) -> Path:
    """Write one run's row atomically as ``OUT/runs/<run_id>.parquet``.

    Args:
        out_dir: The sweep's output directory.
        row: Column → scalar (bool, int, float, str or None); must hold ``run_id``.

    Returns:
        The file written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(out_dir) / RUNS_DIR / f"{row['run_id']}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([(k, _arrow_type(v)) for k, v in row.items()])
    table = pa.Table.from_pylist([row], schema=schema)
    tmp = _tmp_name(target)
    pq.write_table(table, tmp)
    os.replace(tmp, target)
    return target


def write_timeseries(out_dir: str | Path, run_id: str, frame: pd.DataFrame) -> Path:
    """Write one run's per-step series atomically as ``OUT/timeseries/<run_id>.parquet``.

    The frame's index (``step``) becomes a column and ``run_id`` is added, so the files can be
    read together.
    """
    target = Path(out_dir) / TIMESERIES_DIR / f"{run_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = frame.reset_index()
    data.insert(0, "run_id", run_id)
    tmp = _tmp_name(target)
    data.to_parquet(tmp, index=False)
    os.replace(tmp, target)
    return target


def write_manifest(out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``OUT/experiment.json`` atomically (sorted keys, no timestamps)."""
    target = Path(out_dir) / MANIFEST
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(target)
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def read_manifest(out_dir: str | Path) -> dict[str, Any] | None:
    """The sweep's ``experiment.json`` (design, parameters, SALib problem), or None if absent."""
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def finished_run_ids(out_dir: str | Path) -> set[str]:
    """Ids of the runs whose row file exists (finished, whether ok or failed)."""
    runs = Path(out_dir) / RUNS_DIR
    if not runs.is_dir():
        return set()
    return {p.stem for p in runs.glob("*.parquet")}


def remove_stale_temporaries(out_dir: str | Path) -> int:
    """Delete half-written temporary files a killed sweep left behind; returns how many."""
    count = 0
    for sub in (RUNS_DIR, TIMESERIES_DIR, "."):
        folder = Path(out_dir) / sub
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
                count += 1
    return count


def sweep_meta(manifest: dict[str, Any]) -> dict[str, Any]:
    """The one row of the ``sweep`` table: the experiment and its gold data, from the manifest.

    A manifest written before data were recorded gives ``None`` data fields.
    """
    data = manifest.get("data") or {}
    return {
        "experiment": manifest.get("experiment"),
        "fingerprint": manifest.get("fingerprint"),
        "root_seed": manifest.get("root_seed"),
        "runs": manifest.get("runs"),
        "data_source": data.get("source"),
        "data_digest": data.get("digest"),
        "data_rows": data.get("rows"),
        "data_start": data.get("start"),
        "data_end": data.get("end"),
        "data_builtin": data.get("builtin"),
    }


def _sql_path(path: Path) -> str:
    return path.resolve().as_posix().replace("'", "''")


def _connect(out_dir: str | Path) -> Any:
    """An in-memory DuckDB connection: views ``runs``, ``timeseries`` (if kept), table ``sweep``."""
    import duckdb

    out = Path(out_dir)
    runs = out / RUNS_DIR
    if not (runs.is_dir() and any(runs.glob("*.parquet"))):
        raise ConfigError(f"{out}: no results (no {RUNS_DIR}/*.parquet files)")
    con = duckdb.connect(":memory:")
    con.execute(
        "CREATE VIEW runs AS SELECT * FROM read_parquet("
        f"'{_sql_path(runs)}/*.parquet', union_by_name = true)"
    )
    series = out / TIMESERIES_DIR
    if series.is_dir() and any(series.glob("*.parquet")):
        con.execute(
            "CREATE VIEW timeseries AS SELECT * FROM read_parquet("
            f"'{_sql_path(series)}/*.parquet', union_by_name = true)"
        )
    manifest = read_manifest(out)
    if manifest is not None:
        # Through pandas, so every value is bound as data, never spliced into SQL text.
        con.register("sweep_meta_frame", pd.DataFrame([sweep_meta(manifest)]))
        con.execute("CREATE TABLE sweep AS SELECT * FROM sweep_meta_frame")
        con.unregister("sweep_meta_frame")
    return con


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    lead = [c for c in LEAD_COLUMNS if c in frame.columns]
    tail = [c for c in TAIL_COLUMNS if c in frame.columns]
    params = sorted(c for c in frame.columns if is_param_column(c))
    rest = [c for c in frame.columns if c not in {*lead, *tail, *params}]
    return frame[[*lead, *params, *rest, *tail]]


def read_results(out_dir: str | Path) -> pd.DataFrame:
    """The sweep's result table: one row per finished run, sorted by ``run_id``.

    Columns: ``run_id, experiment, scenario, replication, seed, design_index``, the ``p_*``
    parameters (sorted), the ``m_*`` metrics, then ``status, error, elapsed_s``.

    Raises:
        ConfigError: If the directory holds no results.
    """
    con = _connect(out_dir)
    try:
        frame = con.execute("SELECT * FROM runs ORDER BY run_id").df()
    finally:
        con.close()
    return _ordered(frame).reset_index(drop=True)


def query(out_dir: str | Path, sql: str) -> pd.DataFrame:
    """Run SQL over a sweep's results; the view ``runs`` is the result table.

    When time series were kept, the view ``timeseries`` holds them (``run_id``, ``step``, ...).
    The one-row table ``sweep`` names the experiment and its gold data (``data_source``,
    ``data_digest``, ``data_rows``, ``data_start``, ``data_end``, ``data_builtin``).

    Raises:
        ConfigError: No results, or the SQL failed (with DuckDB's message).
    """
    import duckdb

    con = _connect(out_dir)
    try:
        return con.execute(sql).df()
    except duckdb.Error as exc:
        raise ConfigError(f"query failed: {exc}") from exc
    finally:
        con.close()
