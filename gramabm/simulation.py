"""Run the model and turn what it collected into files: the functions every face calls.

``simulate`` builds and runs one :class:`~gramabm.model.GramModel` and computes its metrics;
``write_run`` writes the series (Parquet), the summary (JSON, byte-identical for one seed: no
timestamps, no timings) and the plots (PNG); ``stress`` runs the standard scenario set and writes one
HTML report. The CLI, the API and the browser view are thin layers over these.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gramabm.config import ModelConfig
from gramabm.model import GramModel, RunResult

STANDARD_SCENARIOS: tuple[str, ...] = ("baseline", "adverse", "severely_adverse")
"""The supervisory set ``gramabm stress`` always runs; historical replays are added to it."""


@dataclass
class SimulationOutput:
    """One run: collected data and its metrics."""

    result: RunResult
    metrics: Any  # gramabm.analysis.runs.metrics.RunMetrics

    def summary(self) -> dict[str, Any]:
        """The JSON-safe summary: scenario, seed and metrics, no timestamps or timings."""
        meta = self.result.meta
        return {
            "scenario": meta["scenario"],
            "seed": meta["seed"],
            "model_seed": meta.get("model_seed"),
            "steps": len(self.result.timeseries),
            "preset": meta["config"]["primary"]["preset"],
            "metrics": self.metrics.to_dict(),
        }


def simulate(
    config: ModelConfig,
    seed: int,
    *,
    prices: pd.Series | None = None,
    progress: Callable[[int], None] | None = None,
) -> SimulationOutput:
    """Build and run one model, then compute its stress metrics.

    Args:
        config: The validated configuration.
        seed: The model seed (one seed, one identical run).
        prices: Gold history for the scenario (default: the built-in series).
        progress: Called with the step count after every step.
    """
    model = GramModel(config, rng=seed, prices=prices)
    result = model.run(progress=progress)
    result.meta["model_seed"] = seed
    metrics = model.metrics(result)
    return SimulationOutput(result, metrics)


def write_run(output: SimulationOutput, out_dir: str | Path) -> dict[str, Path]:
    """Write one run's files and return their paths by name.

    The files: ``timeseries.parquet``, ``holders.parquet``, ``events.csv``, ``summary.json``
    (sorted keys, no timestamps or timings) and the PNG plots.
    """
    from gramabm.analysis.render.plots import save_run_plots

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res = output.result
    paths = {
        "timeseries": out / "timeseries.parquet",
        "holders": out / "holders.parquet",
        "events": out / "events.csv",
        "summary": out / "summary.json",
    }
    res.timeseries.to_parquet(paths["timeseries"])
    res.holders.to_parquet(paths["holders"])
    res.events.to_csv(paths["events"], index=False)
    paths["summary"].write_text(
        json.dumps(output.summary(), indent=2, sort_keys=True, allow_nan=True) + "\n",
        encoding="utf-8",
    )
    plots = save_run_plots(res.timeseries, out, shock_step=res.meta.get("shock_step"))
    paths.update({f"{name}_png": path for name, path in plots.items()})
    return paths


def stress(
    config: ModelConfig,
    seed: int,
    out_dir: str | Path,
    *,
    scenarios: Sequence[str] | None = None,
    prices: pd.Series | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[pd.DataFrame, Path]:
    """Run every scenario of the stress set and write one HTML report comparing them.

    Args:
        config: Base configuration (its ``scenario`` is replaced per run).
        seed: Model seed, the same for every scenario so differences come from the scenario.
        out_dir: Directory for per-scenario folders, ``comparison.csv`` and ``report.html``.
        scenarios: Names to run (default: :func:`stress_scenarios` for the data).
        prices: Gold history (default: the built-in series).
        progress: Called as ``progress(scenario, step, total_steps)``.

    Returns:
        The comparison table (one row per scenario) and the report's path.
    """
    from gramabm.analysis.render.html_report import write_stress_report

    names = (
        list(scenarios)
        if scenarios is not None
        else stress_scenarios(prices, preset=config.primary.preset)
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, tuple[pd.DataFrame, Any, dict[str, Any]]] = {}
    rows = []
    for name in names:
        cfg = config.with_updates({"scenario": name})

        def tick(step: int, _name: str = name, _n: int = cfg.steps) -> None:
            if progress is not None:
                progress(_name, step, _n)

        output = simulate(cfg, seed, prices=prices, progress=tick)
        write_run(output, out / name)
        meta = {**output.result.meta, "definition": _definition(name, cfg.scenario_params)}
        results[name] = (output.result.timeseries, output.metrics, meta)
        rows.append({"scenario": name, **output.metrics.to_dict()})
    table = pd.DataFrame(rows).set_index("scenario")
    table.to_csv(out / "comparison.csv")
    report = write_stress_report(results, out / "report.html")
    return table, report


def _definition(name: str, params: Mapping[str, Any]) -> str:
    """A scenario's definition in one line (the catalogue's), with any parameters given."""
    from gramabm.scenarios.catalogue import REGISTRY

    entry = REGISTRY.get(name)
    text = (
        entry.description
        if entry is not None
        else f"replay of the data from {name.removeprefix('replay:').replace(':', ' to ')}"
    )
    given = ", ".join(f"{k} = {v!r}" for k, v in sorted(params.items()))
    return f"{text}{f' (with {given})' if given else ''}"


def stress_scenarios(prices: pd.Series | None = None, *, preset: str | None = None) -> list[str]:
    """The standard set, the two-tier shocks for a two-tier preset, and every replay the data cover.

    Replays come in the catalogue's (chronological) order; ``gramabm stress`` names those left out
    and why.
    """
    from gramabm.scenarios import available_scenarios

    if prices is None:
        from gramabm.data.loaders import load_builtin

        prices = load_builtin()
    from gramabm.preset_names import TWO_TIER_PRESETS
    from gramabm.scenarios.catalogue import GRAM_SET

    replays = [n for n in available_scenarios(prices) if n.startswith("replay_")]
    tiers = GRAM_SET if preset in TWO_TIER_PRESETS else ()
    return [*STANDARD_SCENARIOS, *tiers, *replays]
