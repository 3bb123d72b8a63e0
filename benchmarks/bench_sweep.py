"""Sweep throughput: runs per minute with 1 and 2 process workers and a 2-worker Dask LocalCluster.

Each mode executes the same runs (the ``drop`` scenario, one design point, ``--runs`` seeds; about
2 s per run at the default 2,000 holders x 2,000 steps) through the sweep's own loop: the runner's
worker function on the backend, each result row written as its own Parquet file as it arrives.

Warm-up, excluded from the timings: all three backends are started first and every worker imports
the model and runs a tiny simulation (``Backend.warm``), so the figures measure steady-state
throughput, not process start-up or first imports; each backend's start-up time is printed
separately. The ``drop`` scenario needs no GARCH fit. The worker function is the runner's
``run_task`` wrapped to also return the CPU seconds it used: "CPU share" (CPU seconds per wall
second per worker) below 1 means other processes took the cores. ``--repeats N``: the modes take
turns N times and the best attempt of each is kept (the machine is shared); the load average before
and after is printed.

Targets on a 2-core machine: >= 1.7x with 2 process workers, >= 1.4x with Dask.
``--json`` prints the figures as one JSON object on the last line.

Usage: python benchmarks/bench_sweep.py [--runs 12] [--holders 2000] [--steps 2000]
       [--repeats 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from contextlib import ExitStack

from gramabm.analysis.sweeps.columns import is_metric_column
from gramabm.sweeps import store
from gramabm.sweeps.backends import open_backend
from gramabm.sweeps.design import expand
from gramabm.sweeps.runner import run_task
from gramabm.sweeps.spec import parse_spec

TARGET_PROCESS = 1.7
TARGET_DASK = 1.4
MODES = {
    "process_1": {"workers": 1},
    "process_2": {"workers": 2},
    "dask_2": {"workers": 2, "dask": True},
}


def bench_spec(runs: int, holders: int, steps: int):
    """One design point of the ``drop`` scenario, ``runs`` replications."""
    return parse_spec(
        {
            "name": "bench_sweep",
            "root_seed": 2024,
            "scenarios": ["drop"],
            "replications": runs,
            "steps": steps,
            "holders": holders,
            "base": {"scenario_params": {"severity": 0.1}},
        },
        "bench_sweep",
    )


def bench_task(run_spec: dict) -> tuple[dict, float]:
    """The runner's worker function, plus the CPU seconds it used (to show contention)."""
    cpu0 = time.process_time()
    row, _series = run_task(run_spec)
    return row, time.process_time() - cpu0


def time_once(backend, todo: list[dict]) -> dict:
    """Run every item through the sweep loop (worker, then one Parquet file per row)."""
    with tempfile.TemporaryDirectory() as out:
        rows, cpu = [], 0.0
        start = time.perf_counter()
        for row, cpu_s in backend.map_unordered(bench_task, todo):
            store.write_run_row(out, row)
            rows.append(row)
            cpu += cpu_s
        wall = time.perf_counter() - start
    failed = [r["run_id"] for r in rows if r["status"] != "ok"]
    if failed:
        raise RuntimeError(f"benchmark runs failed: {failed}")
    return {
        "wall_s": wall,
        "runs_per_min": 60.0 * len(todo) / wall,
        "mean_run_s": sum(r["elapsed_s"] for r in rows) / len(rows),
        "mean_cpu_s": cpu / len(rows),
        # CPU seconds our workers got per second of wall time per worker: < 1 means others ran.
        "cpu_share": cpu / (wall * backend.workers),
        "_metrics": {
            r["run_id"]: {k: v for k, v in r.items() if is_metric_column(k)} for r in rows
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--holders", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    todo = [r.to_dict() for r in expand(bench_spec(args.runs, args.holders, args.steps))]
    load_before = os.getloadavg()
    results: dict[str, dict] = {}
    with ExitStack() as stack:
        backends = {}
        for name, mode in MODES.items():
            t0 = time.perf_counter()
            backends[name] = stack.enter_context(open_backend(**mode))
            backends[name].warm()
            results[name] = {
                "startup_s": time.perf_counter() - t0,
                "workers": backends[name].workers,
            }
        # Modes take turns, so a burst of other load on the shared machine hits one attempt of
        # one mode, not all of its attempts; the best attempt per mode is kept.
        for _ in range(args.repeats):
            for name, backend in backends.items():
                attempt = time_once(backend, todo)
                if attempt["wall_s"] < results[name].get("wall_s", float("inf")):
                    results[name].update(attempt)
    load_after = os.getloadavg()
    reference = results["process_1"].pop("_metrics")
    identical = all(r.pop("_metrics") == reference for r in list(results.values())[1:])

    base = results["process_1"]["runs_per_min"]
    ratio_process = results["process_2"]["runs_per_min"] / base
    ratio_dask = results["dask_2"]["runs_per_min"] / base
    for name, r in results.items():
        print(
            f"{name:>10}: {r['runs_per_min']:6.1f} runs/min  (wall {r['wall_s']:.1f} s for "
            f"{args.runs} runs; mean run {r['mean_run_s']:.2f} s wall, {r['mean_cpu_s']:.2f} s "
            f"CPU; CPU share {r['cpu_share']:.2f}; start-up + warm-up {r['startup_s']:.1f} s)"
        )
    print(
        f"scaling: 2 processes {ratio_process:.2f}x (target >= {TARGET_PROCESS}), "
        f"Dask 2 workers {ratio_dask:.2f}x (target >= {TARGET_DASK}); identical metrics: "
        f"{identical}"
    )
    print(
        f"cpus: {os.cpu_count()}, load average before {load_before[0]:.2f}, after "
        f"{load_after[0]:.2f} (a shared machine: other load lowers the ratios)"
    )
    if args.json:
        summary = {
            "runs": args.runs,
            "holders": args.holders,
            "steps": args.steps,
            "repeats": args.repeats,
            **{f"{name}_runs_per_min": r["runs_per_min"] for name, r in results.items()},
            **{f"{name}_mean_run_s": r["mean_run_s"] for name, r in results.items()},
            **{f"{name}_mean_cpu_s": r["mean_cpu_s"] for name, r in results.items()},
            **{f"{name}_cpu_share": r["cpu_share"] for name, r in results.items()},
            **{f"{name}_startup_s": r["startup_s"] for name, r in results.items()},
            "ratio_process_2": ratio_process,
            "ratio_dask_2": ratio_dask,
            "target_process_2": TARGET_PROCESS,
            "target_dask_2": TARGET_DASK,
            "meets_targets": ratio_process >= TARGET_PROCESS and ratio_dask >= TARGET_DASK,
            "identical_metrics": identical,
            "cpus": os.cpu_count(),
            "load_before": load_before[0],
            "load_after": load_after[0],
        }
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
