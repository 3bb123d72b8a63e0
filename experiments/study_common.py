"""Shared plumbing of the ready studies: arguments, sweep files with quick mode and variants, output.

A study's TOML file is an ordinary experiment file (see :mod:`gramabm.sweeps.spec`) plus two
optional tables this module reads and removes before validation:

* ``[quick]``: overrides for ``--quick`` mode (fewer values, seeds, holders or steps), merged over
  the file: tables deep-merged, ``[quick.parameters]`` replacing the named parameters;
* ``[variants.<name>]``: one sweep per variant (e.g. a calm and a shocked scenario, or one custodian
  incident each), each merged over the file in the same way; variant ``v`` of experiment ``e`` is
  named ``e_v``. In ``--quick`` mode ``[quick.variants.<name>]`` is merged over that variant (a
  variant's own ``steps`` would otherwise override the quick ones).

Every study takes ``--quick``, ``--workers N``, ``--out DIR``, ``--no-progress`` and ``--csv FILE``
(another gold history, validated before any run; the built-in one by default).

Every sweep runs through :func:`gramabm.sweeps.runner.run_sweep` into
``<out>/sweeps/<sweep name>/``, so rerunning a study resumes: finished runs are not run again.
Quick-mode sweeps are named ``..._quick`` and never mix with full ones.
"""

from __future__ import annotations

import argparse
import copy
import os
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from gramabm.analysis.sweeps.columns import metric_column
from gramabm.errors import ConfigError
from gramabm.sweeps.runner import run_sweep
from gramabm.sweeps.spec import ExperimentSpec, parse_spec
from gramabm.sweeps.store import read_manifest, read_results

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "output"


def parse_args(study: str, description: str | None) -> argparse.Namespace:
    """The common command line: ``--quick``, ``--workers N``, ``--out DIR``, ``--no-progress``."""
    parser = argparse.ArgumentParser(
        description=(description or "").strip().splitlines()[0] if description else None
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small version (~1-2 min on 2 cores)"
    )
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes"
    )
    parser.add_argument(
        "--out", type=Path, default=OUTPUT / study, help="output directory (default: %(default)s)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="gold history CSV with date,price columns (default: the built-in history)",
    )
    return parser.parse_args()


def run_study(
    study: str, description: str | None
) -> tuple[argparse.Namespace, list[tuple[str, ExperimentSpec]], pd.DataFrame]:
    """A study's common start: read the command line, run (or resume) its sweeps, report failures.

    Args:
        study: The study's name (its TOML file is ``<study>.toml`` beside this module).
        description: The script's docstring, for ``--help``.

    Returns:
        The parsed arguments, the ``(variant, spec)`` sweeps and their stacked results.
    """
    args = parse_args(study, description)
    specs = load_specs(HERE / f"{study}.toml", quick=args.quick)
    if args.csv is not None:
        specs = [(variant, spec.with_data(args.csv)) for variant, spec in specs]
    results = run_study_sweeps(specs, args.out, workers=args.workers, progress=not args.no_progress)
    report_failures(results)
    return args, specs, results


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "scenario_params":
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_specs(path: Path, *, quick: bool) -> list[tuple[str, ExperimentSpec]]:
    """The study's sweeps as ``(variant, spec)``; variant ``""`` when the file has none."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    quick_table = data.pop("quick", {})
    variants = data.pop("variants", {})
    quick_variants = quick_table.pop("variants", {})
    unknown = sorted(set(quick_variants) - set(variants))
    if unknown:
        raise ConfigError(f"{path}: [quick.variants] names no variant of the file: {unknown}")
    if quick:
        data = _merge(data, quick_table)
        data["name"] = f"{data['name']}_quick"
    if not variants:
        return [("", parse_spec(data, str(path)))]
    specs = []
    for name, overrides in variants.items():
        if quick:
            overrides = _merge(overrides, quick_variants.get(name, {}))
        merged = _merge(data, overrides)
        merged["name"] = f"{data['name']}_{name}"
        specs.append((name, parse_spec(merged, f"{path} [variants.{name}]")))
    return specs


def run_study_sweeps(
    specs: list[tuple[str, ExperimentSpec]], out: Path, *, workers: int, progress: bool
) -> pd.DataFrame:
    """Run (or resume) every sweep; return their result tables stacked, with a ``variant`` column."""
    frames = []
    for variant, spec in specs:
        target = out / "sweeps" / spec.name
        summary = run_sweep(spec, target, workers=workers, progress=progress)
        print(
            f"{spec.name}: {summary.total} runs ({summary.executed} run now, {summary.skipped} "
            f"resumed, {summary.failed} failed) in {summary.elapsed_s:.1f} s on "
            f"{summary.workers} worker(s)"
        )
        frame = read_results(target)
        frame.insert(0, "variant", variant)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def sweep_dir(out: Path, spec: ExperimentSpec) -> Path:
    """Where a sweep's results are stored."""
    return out / "sweeps" / spec.name


def manifest(out: Path, spec: ExperimentSpec) -> dict[str, Any] | None:
    """A sweep's ``experiment.json``."""
    return read_manifest(sweep_dir(out, spec))


def write_summary(out: Path, header: str, lines: list[str]) -> None:
    """Print the study's reading and write it to ``<out>/summary.txt`` (made from this run's numbers)."""
    text = "\n".join([header, *lines]) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.txt").write_text(text, encoding="utf-8")
    print("\n" + text, end="")


def report_failures(results: pd.DataFrame) -> None:
    """Print how many runs failed, with the last line of the first traceback."""
    failed = results[results["status"] != "ok"]
    if failed.empty:
        return
    last = str(failed["error"].iloc[0]).strip().splitlines()[-1]
    print(f"warning: {len(failed)} of {len(results)} runs failed (left out); first error: {last}")


def paired_difference(
    results: pd.DataFrame, column: str, metric: str, high: object, low: object
) -> dict[str, float]:
    """Mean of ``metric`` at ``column == high`` minus at ``column == low``, paired by replication.

    Needs the same seeds at both settings (``common_random_numbers = true``); returns the mean
    difference, its 95% t interval and the number of pairs.
    """
    import numpy as np
    from scipy import stats

    ok = results[results["status"] == "ok"]
    col = metric_column(metric)
    a = ok[ok[column] == high].set_index("replication")[col].astype(float)
    b = ok[ok[column] == low].set_index("replication")[col].astype(float)
    d = (a - b).dropna()
    mean = float(d.mean()) if len(d) else float("nan")
    if len(d) < 2:
        return {"diff": mean, "ci_low": float("nan"), "ci_high": float("nan"), "pairs": len(d)}
    half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return {"diff": mean, "ci_low": mean - half, "ci_high": mean + half, "pairs": len(d)}


def change_word(metric_better: int, diff: float, lo: float, hi: float) -> str:
    """``better``, ``worse`` or ``no clear change`` for a difference with a 95% interval."""
    import math

    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 <= hi:
        return "no clear change"
    return "better" if metric_better * diff > 0 else "worse"
