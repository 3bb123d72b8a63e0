"""Run a sweep: expand the design, skip finished runs, execute the rest, write each result at once.

:func:`execute_run` is the unit of work: a top-level function of the installed package that turns
one run's plain-data description into one result row, catching the run's exception into the row
(``status="failed"`` with the traceback) so a bad run never stops the sweep. :func:`run_sweep`
drives it on a backend (this process, a process pool or Dask) and writes every finished run as its
own Parquet file the moment it arrives, so a crash or kill loses only the runs in flight; running
the same sweep again into the same directory resumes, skipping the runs already on disk.

Worker processes start by ``forkserver`` or ``spawn``, which import the main module again: a script
that calls :func:`run_sweep` with more than one worker needs the usual
``if __name__ == "__main__":`` guard (the ``gramabm`` command has it).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gramabm.errors import ConfigError
from gramabm.experiments import store
from gramabm.experiments.backends import open_backend
from gramabm.experiments.design import (
    METRIC_PREFIX,
    RunSpec,
    describe_design,
    expand,
    param_column,
)
from gramabm.experiments.spec import ExperimentSpec, load_spec


def _metric_columns(metrics: dict[str, Any]) -> dict[str, Any]:
    """``m_<name>`` columns: scalars as they are, lists and dicts as compact JSON text."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, list | dict | tuple):
            value = json.dumps(value, sort_keys=True, separators=(",", ":"))
        out[METRIC_PREFIX + key] = value
    return out


def run_task(run_spec: dict[str, Any]) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one simulation; return its result row and (if asked) its per-step series.

    Args:
        run_spec: :meth:`RunSpec.to_dict` output.

    Returns:
        The row (run keys, ``p_*`` parameters, ``m_*`` metrics, ``status``, ``error``,
        ``elapsed_s``) and the series, or None when not kept or the run failed.
    """
    start = time.perf_counter()
    row: dict[str, Any] = {
        "run_id": run_spec["run_id"],
        "experiment": run_spec["experiment"],
        "scenario": run_spec["scenario"],
        "replication": int(run_spec["replication"]),
        "seed": int(run_spec["seed"]),
        "design_index": int(run_spec["design_index"]),
    }
    row.update({param_column(k): v for k, v in sorted(run_spec["params"].items())})
    series = None
    try:
        from gramabm.config import build_config
        from gramabm.simulation import simulate

        config = build_config(run_spec["config"])
        output = simulate(config, int(run_spec["seed"]))
        row.update(_metric_columns(output.metrics.to_dict()))
        row["status"], row["error"] = "ok", ""
        if run_spec.get("keep_timeseries"):
            series = output.result.timeseries
    except Exception:  # one bad run is recorded, not fatal: the sweep goes on
        row["status"], row["error"] = "failed", traceback.format_exc()
    row["elapsed_s"] = time.perf_counter() - start
    return row, series


def execute_run(run_spec: dict[str, Any]) -> dict[str, Any]:
    """Run one simulation and return its result row (see :func:`run_task`)."""
    return run_task(run_spec)[0]


@dataclass
class SweepSummary:
    """What one call of :func:`run_sweep` did.

    Args:
        out_dir: The results directory.
        total: Runs in the design.
        executed: Runs executed by this call.
        skipped: Runs already on disk, not run again.
        failed: Runs of this call that failed.
        elapsed_s: Wall time of this call.
        workers: Workers used.
        failed_ids: Ids of this call's failed runs.
    """

    out_dir: Path
    total: int
    executed: int
    skipped: int
    failed: int
    elapsed_s: float
    workers: int
    failed_ids: list[str] = field(default_factory=list)

    @property
    def runs_per_minute(self) -> float:
        """Executed runs per minute of wall time (0 if nothing ran)."""
        return 60.0 * self.executed / self.elapsed_s if self.executed and self.elapsed_s else 0.0


def _check_resumable(out: Path, spec: ExperimentSpec, runs: list[RunSpec]) -> None:
    """Refuse to mix results of a different experiment, base configuration or design."""
    manifest = store.read_manifest(out)
    if manifest is not None and manifest.get("fingerprint") != spec.fingerprint():
        raise ConfigError(
            f"{out} holds results of experiment {manifest.get('experiment')!r} with a different "
            "name or base configuration; write this sweep to another --out directory"
        )
    stray = store.finished_run_ids(out) - {r.run_id for r in runs}
    if stray:
        raise ConfigError(
            f"{out} holds {len(stray)} run(s) that are not in this design (parameters, seeds or "
            "scenarios changed?); write this sweep to another --out directory"
        )


def _failed_on_disk(out: Path) -> set[str]:
    if not store.finished_run_ids(out):
        return set()
    frame = store.query(out, "SELECT run_id FROM runs WHERE status <> 'ok'")
    return set(frame["run_id"])


def run_sweep(
    spec: ExperimentSpec | str | Path,
    out_dir: str | Path,
    *,
    workers: int = 1,
    dask: bool = False,
    scheduler: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
) -> SweepSummary:
    """Run every run of an experiment not yet on disk, writing each result as it finishes.

    Args:
        spec: The experiment, or the path of its TOML file.
        out_dir: Results directory (created); rerunning into it resumes.
        workers: Worker processes (1: run in this process, unless Dask is asked for).
        dask: Run on a new Dask ``LocalCluster`` of ``workers`` single-threaded processes.
        scheduler: Run on the Dask cluster whose scheduler listens at this address.
        progress: Show a progress bar with ETA on stderr.
        retry_failed: Run again the runs recorded as failed.

    Returns:
        Counts and timing of this call.

    Raises:
        ConfigError: Invalid spec or arguments, or ``out_dir`` holding another experiment's runs.
    """
    from tqdm import tqdm

    if workers < 1:
        raise ConfigError(f"workers: must be at least 1 (got {workers})")
    if dask and scheduler is not None:
        raise ConfigError("give either --dask (start a local cluster) or --scheduler, not both")
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    out = Path(out_dir)
    runs = expand(spec)
    out.mkdir(parents=True, exist_ok=True)
    _check_resumable(out, spec, runs)
    store.remove_stale_temporaries(out)
    store.write_manifest(out, describe_design(spec, runs))

    done = store.finished_run_ids(out)
    if retry_failed:
        done -= _failed_on_disk(out)
    todo = [r.to_dict() for r in runs if r.run_id not in done]
    summary = SweepSummary(out, len(runs), 0, len(runs) - len(todo), 0, 0.0, workers)
    if not todo:
        return summary

    start = time.perf_counter()
    pool_size = workers if (dask or scheduler) else min(workers, len(todo))
    with (
        open_backend(pool_size, dask=dask, scheduler=scheduler) as backend,
        tqdm(
            total=len(todo),
            desc=spec.name,
            unit="run",
            disable=not progress,
            file=sys.stderr,
            dynamic_ncols=True,
        ) as bar,
    ):
        summary.workers = backend.workers
        for row, series in backend.map_unordered(run_task, todo):
            # The series first, the row last: a row file on disk means the run is complete.
            if series is not None:
                store.write_timeseries(out, row["run_id"], series)
            store.write_run_row(out, row)
            summary.executed += 1
            if row["status"] != "ok":
                summary.failed += 1
                summary.failed_ids.append(row["run_id"])
                bar.set_postfix(failed=summary.failed)
            bar.update(1)
    summary.elapsed_s = time.perf_counter() - start
    return summary
