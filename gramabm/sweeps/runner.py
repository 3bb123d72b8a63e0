"""Run a sweep: expand the design, skip finished runs, execute the rest, write each result at once.

:func:`execute_run` is the unit of work: a top-level function of the installed package that turns
one run's plain-data description into one result row, catching the run's exception into the row
(``status="failed"`` with the traceback) so a bad run never stops the sweep. :func:`run_sweep`
drives it on a backend (this process, a process pool or Dask) and writes every finished run as its
own Parquet file the moment it arrives, so a crash or kill loses only the runs in flight; running
the same sweep again into the same directory resumes, skipping the runs already on disk.

**Gold data.** A sweep runs on the spec's ``[data]`` CSV, on a series passed as ``prices`` (the
REST service's ingested datasets), or on the built-in history. :func:`sweep_data` loads and
validates it in this process before anything is written (a bad file fails at once, naming the file
and row) and refuses replays the data do not cover; the backend then ships the series once per
worker, not once per run (:mod:`~gramabm.sweeps.backends`). The data's digest
(:func:`gramabm.data.digest.data_digest`: dates, prices and source name) is recorded in
``experiment.json`` under ``data``, and resuming a directory with other data is refused, naming both
digests. A directory written before digests were recorded counts as built-in data.

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

from gramabm.analysis.sweeps.columns import metric_column, param_column
from gramabm.errors import ConfigError
from gramabm.sweeps import store
from gramabm.sweeps.backends import open_backend
from gramabm.sweeps.design import RunSpec, describe_design, expand
from gramabm.sweeps.spec import ExperimentSpec, load_spec

_USER_REPLAY_PREFIX = "replay:"


def _metric_columns(metrics: dict[str, Any]) -> dict[str, Any]:
    """``m_<name>`` columns: scalars as they are, lists and dicts as compact JSON text."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, list | dict | tuple):
            value = json.dumps(value, sort_keys=True, separators=(",", ":"))
        out[metric_column(key)] = value
    return out


@dataclass(frozen=True)
class SweepData:
    """The gold data of one sweep, loaded and checked in the parent process.

    Args:
        prices: What the runs receive: the series, or None for the built-in history (each
            worker loads its own cached copy, as a single run does).
        series: The series itself (the built-in one included), for checks.
        record: JSON-safe description written to ``experiment.json`` under ``data``:
            ``source``, ``digest``, ``rows``, ``start``, ``end``, ``builtin`` and, for a CSV,
            ``csv`` and its ``options``.
    """

    prices: pd.Series | None
    series: pd.Series = field(repr=False)
    record: dict[str, Any]

    @property
    def digest(self) -> str:
        """The data's :func:`~gramabm.data.digest.data_digest`."""
        return str(self.record["digest"])

    @property
    def source(self) -> str:
        """The series' source name (a path, ``upload:...`` or ``builtin:...``)."""
        return str(self.record["source"])


def data_record(series: pd.Series, *, builtin: bool) -> dict[str, Any]:
    """Source, digest, size and date range of a gold series (JSON-safe).

    Args:
        series: The prices.
        builtin: Whether runs use the built-in history (receive no series).
    """
    from gramabm.data.digest import data_digest

    return {
        "source": str(series.attrs.get("source", "")),
        "digest": data_digest(series),
        "rows": len(series),
        "start": f"{series.index[0]:%Y-%m-%d}" if len(series) else None,
        "end": f"{series.index[-1]:%Y-%m-%d}" if len(series) else None,
        "builtin": builtin,
    }


def check_data_covers(spec: ExperimentSpec, series: pd.Series) -> None:
    """Refuse replays outside the data before any run (every run of one would fail alike).

    Raises:
        ConfigError: Naming each replay, the window it needs and the data's range.
    """
    from gramabm.scenarios.catalogue import REGISTRY
    from gramabm.scenarios.replay import covers, data_range_text

    problems = []
    for name in spec.scenarios:
        entry = REGISTRY.get(name)
        if entry is not None:
            if entry.episode is not None and not entry.available_on(series):
                problems.append(f"{name} needs {entry.episode.start} to {entry.episode.end}")
        elif name.startswith(_USER_REPLAY_PREFIX):
            _, start, end = name.split(":")
            try:
                inside = covers(series, pd.Timestamp(start), pd.Timestamp(end))
            except ValueError as exc:
                problems.append(f"{name} is not a valid date range ({exc})")
                continue
            if not inside:
                problems.append(f"{name} needs {start} to {end}")
    if problems:
        raise ConfigError(f"scenarios: {'; '.join(problems)}, but {data_range_text(series)}")


def sweep_data(spec: ExperimentSpec, prices: pd.Series | None = None) -> SweepData:
    """Load and check a sweep's gold data: ``prices``, else the spec's ``[data]``, else built-in.

    Args:
        spec: The experiment.
        prices: A series to use instead (e.g. an ingested dataset); not with a ``[data]`` table.

    Raises:
        ConfigError: Both ``prices`` and ``[data]`` given, or a replay outside the data.
        DataValidationError: The CSV is missing or breaks a rule (naming the file and row).
    """
    if prices is not None and spec.data is not None:
        raise ConfigError(
            f"the experiment names its data ([data].csv = {spec.data.csv}) and a price series "
            "was passed too; give one"
        )
    if prices is None and spec.data is not None:
        prices = spec.data.load()
    if prices is None:
        from gramabm.data.loaders import load_builtin

        series = load_builtin()
    else:
        series = prices
    record = data_record(series, builtin=prices is None)
    if spec.data is not None:
        record["csv"] = spec.data.csv
        record["options"] = spec.data.options()
    check_data_covers(spec, series)
    return SweepData(prices, series, record)


def check_runs(runs: list[RunSpec], prices: pd.Series | None = None) -> None:
    """Validate every design point as a single run would, before any run starts.

    Each run's configuration is built and its scenario constructed (once per distinct
    scenario and parameters), so a fee of -50 or a severity of ``"abc"`` is refused up front
    instead of failing every run it reaches.

    Args:
        runs: The expanded design.
        prices: The sweep's gold series (None: the built-in history).

    Raises:
        ConfigError: Naming the first invalid run's scenario, varied parameters and problem.
    """
    from gramabm.config import build_config
    from gramabm.scenarios import get_scenario

    seen: set[str] = set()
    for run in runs:
        key = json.dumps(run.config, sort_keys=True, default=str)
        if key in seen:
            continue
        seen.add(key)
        where = f"scenario {run.scenario!r}" + (
            f" with {', '.join(f'{k}={v!r}' for k, v in sorted(run.params.items()))}"
            if run.params
            else ""
        )
        try:
            config = build_config(run.config)
            params = dict(config.scenario_params)
            if config.initial_price_usd_oz is not None:
                params.setdefault("start_price", config.initial_price_usd_oz)
            get_scenario(config.scenario, prices, **params)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {type(exc).__name__}: {exc}") from exc


def run_task(
    run_spec: dict[str, Any], prices: pd.Series | None = None
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one simulation; return its result row and (if asked) its per-step series.

    Args:
        run_spec: :meth:`RunSpec.to_dict` output.
        prices: Gold history of the sweep (None: the built-in series).

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
        # Runs on one worker share the shipped series: each gets its own copy, so nothing a run
        # does to it can reach the next.
        own = None if prices is None else prices.copy()
        output = simulate(config, int(run_spec["seed"]), prices=own)
        row.update(_metric_columns(output.metrics.to_dict()))
        row["status"], row["error"] = "ok", ""
        if run_spec.get("keep_timeseries"):
            series = output.result.timeseries
    except Exception:  # one bad run is recorded, not fatal: the sweep goes on
        row["status"], row["error"] = "failed", traceback.format_exc()
    row["elapsed_s"] = time.perf_counter() - start
    return row, series


def execute_run(run_spec: dict[str, Any], prices: pd.Series | None = None) -> dict[str, Any]:
    """Run one simulation and return its result row (see :func:`run_task`)."""
    return run_task(run_spec, prices)[0]


class LineProgress:
    """Progress as whole lines, for a log or a pipe (a redrawn bar there is one endless line).

    A line at every tenth of the runs (and at most one every ``every_s`` seconds otherwise):
    done, total, share, failures and the time left at the pace so far.

    Args:
        total: Runs to do.
        desc: What runs (the experiment's name).
        stream: Where the lines go.
        every_s: Longest silence between two lines.
    """

    def __init__(self, total: int, desc: str, stream: Any, every_s: float = 60.0) -> None:
        self.total, self.desc, self.stream, self.every_s = total, desc, stream, every_s
        self.done, self.failed = 0, 0
        self._start = self._last = time.monotonic()
        self._step = max(1, total // 10)

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.done and self.done % self._step and self.done != self.total:
            self._line()

    def set_postfix(self, failed: int = 0) -> None:
        """Record the failures so far (tqdm's signature, as the runner calls it)."""
        self.failed = failed

    def update(self, n: int = 1) -> None:
        """Count ``n`` more runs done; write a line when one is due."""
        self.done += n
        now = time.monotonic()
        if (
            self.done % self._step == 0
            or self.done == self.total
            or now - self._last > self.every_s
        ):
            self._line()

    def _line(self) -> None:
        now = time.monotonic()
        self._last = now
        elapsed = now - self._start
        left = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        failed = f", {self.failed} failed" if self.failed else ""
        print(
            f"{self.desc}: {self.done}/{self.total} runs ({100 * self.done / self.total:.0f}%)"
            f"{failed}, {elapsed:.0f} s elapsed, about {left:.0f} s left",
            file=self.stream,
            flush=True,
        )


def progress_bar(total: int, desc: str, *, enabled: bool) -> Any:
    """A redrawn bar with ETA on a terminal; whole lines in a pipe or log; nothing if disabled."""
    from tqdm import tqdm

    if enabled and not sys.stderr.isatty():
        return LineProgress(total, desc, sys.stderr)
    return tqdm(
        total=total,
        desc=desc,
        unit="run",
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
    )


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
        first_error: Last line of the first failed run's traceback (this call's, else one
            recorded by an earlier call), or "" when no run failed.
        failed_before: Runs recorded as failed by earlier calls and not run again.
        data_source: Source name of the gold data.
        data_digest: Digest of the gold data.
    """

    out_dir: Path
    total: int
    executed: int
    skipped: int
    failed: int
    elapsed_s: float
    workers: int
    failed_ids: list[str] = field(default_factory=list)
    first_error: str = ""
    failed_before: int = 0
    data_source: str = ""
    data_digest: str = ""

    @property
    def any_failed(self) -> bool:
        """Whether the directory holds failed runs of this design (this call's or earlier)."""
        return bool(self.failed or self.failed_before)

    @property
    def runs_per_minute(self) -> float:
        """Executed runs per minute of wall time (0 if nothing ran)."""
        return 60.0 * self.executed / self.elapsed_s if self.executed and self.elapsed_s else 0.0


def _check_resumable(
    out: Path, spec: ExperimentSpec, runs: list[RunSpec], data: dict[str, Any]
) -> None:
    """Refuse to mix results of a different experiment, configuration, design or gold data."""
    manifest = store.read_manifest(out)
    if manifest is not None and manifest.get("fingerprint") != spec.fingerprint():
        raise ConfigError(
            f"{out} holds results of experiment {manifest.get('experiment')!r} with a different "
            "name or base configuration (or per-scenario parameters); write this sweep to another "
            "--out directory"
        )
    if manifest is not None:
        before = manifest.get("data")
        if before is None:  # written before data were recorded: sweeps ran on the built-in
            from gramabm.data.loaders import load_builtin

            before = data_record(load_builtin(), builtin=True)
        if before.get("digest") != data["digest"]:
            raise ConfigError(
                f"{out} holds runs on other gold data: {before.get('source')!r} (digest "
                f"{before.get('digest')}), not {data['source']!r} (digest {data['digest']}); "
                "resume with the same data or write this sweep to another --out directory"
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


def error_line(traceback_text: str) -> str:
    """The last non-empty line of a traceback (the exception and its message)."""
    lines = [line.strip() for line in str(traceback_text).splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _first_error_on_disk(out: Path) -> str:
    frame = store.query(out, "SELECT error FROM runs WHERE status <> 'ok' ORDER BY run_id LIMIT 1")
    return error_line(frame["error"].iloc[0]) if len(frame) else ""


def run_sweep(
    spec: ExperimentSpec | str | Path,
    out_dir: str | Path,
    *,
    workers: int = 1,
    dask: bool = False,
    scheduler: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    prices: pd.Series | None = None,
) -> SweepSummary:
    """Run every run of an experiment not yet on disk, writing each result as it finishes.

    The gold data (``prices``, the spec's ``[data]`` or the built-in history) are loaded and
    checked before anything is written, and shipped to each worker once.

    Args:
        spec: The experiment, or the path of its TOML file.
        out_dir: Results directory (created); rerunning into it resumes.
        workers: Worker processes (1: run in this process, unless Dask is asked for).
        dask: Run on a new Dask ``LocalCluster`` of ``workers`` single-threaded processes.
        scheduler: Run on the Dask cluster whose scheduler listens at this address.
        progress: Show a progress bar with ETA on stderr.
        retry_failed: Run again the runs recorded as failed.
        prices: Gold history to run on (e.g. an ingested dataset); not with a ``[data]`` table.

    Returns:
        Counts and timing of this call.

    Raises:
        ConfigError: Invalid spec or arguments, a replay outside the data, or ``out_dir``
            holding another experiment's runs or runs on other data.
        DataValidationError: The ``[data]`` CSV is missing or breaks a rule.
    """
    if workers < 1:
        raise ConfigError(f"workers: must be at least 1 (got {workers})")
    if dask and scheduler is not None:
        raise ConfigError("give either --dask (start a local cluster) or --scheduler, not both")
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    data = sweep_data(spec, prices)  # before anything is written: bad data leave no trace
    out = Path(out_dir)
    runs = expand(spec)
    check_runs(runs, data.prices)  # a value a single run would refuse fails the sweep now
    out.mkdir(parents=True, exist_ok=True)
    _check_resumable(out, spec, runs, data.record)
    store.remove_stale_temporaries(out)
    store.write_manifest(out, describe_design(spec, runs, data.record))

    done = store.finished_run_ids(out)
    failed_before = _failed_on_disk(out)
    if retry_failed:
        done -= failed_before
        failed_before = set()
    todo = [r.to_dict() for r in runs if r.run_id not in done]
    summary = SweepSummary(
        out,
        len(runs),
        0,
        len(runs) - len(todo),
        0,
        0.0,
        workers,
        data_source=data.source,
        data_digest=data.digest,
        failed_before=len(failed_before),
    )
    if failed_before:
        summary.first_error = _first_error_on_disk(out)
    if not todo:
        return summary

    start = time.perf_counter()
    pool_size = workers if (dask or scheduler) else min(workers, len(todo))
    with (
        open_backend(pool_size, dask=dask, scheduler=scheduler, shared=data.prices) as backend,
        progress_bar(len(todo), spec.name, enabled=progress) as bar,
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
                if summary.failed == 1:
                    summary.first_error = error_line(row["error"])
                bar.set_postfix(failed=summary.failed)
            bar.update(1)
    summary.elapsed_s = time.perf_counter() - start
    return summary
