"""`gramabm run` and `gramabm stress`: one stress run, or the standard scenario set."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from gramabm.market.presets import PRESET_NAMES

CsvOpt = Annotated[Path | None, typer.Option("--csv", help="gold history CSV (default: built-in)")]
ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", help="TOML configuration file, or a shipped name (calibrated)"),
]
PresetOpt = Annotated[
    str | None, typer.Option("--preset", help="primary-market terms: " + ", ".join(PRESET_NAMES))
]
SeedOpt = Annotated[int, typer.Option("--seed", help="model seed (one seed, one identical run)")]
StepsOpt = Annotated[int | None, typer.Option("--steps", help="steps (hours) to run")]
HoldersOpt = Annotated[int | None, typer.Option("--holders", help="number of holders")]
PolicyOpt = Annotated[
    str | None,
    typer.Option("--policy", help="holder policy: 'rule_based' or a policy file (skops)"),
]


def _load(config: str | None, csv: Path | None, **flat: object):
    from gramabm.config import load_config
    from gramabm.data.loaders import load_gold

    cfg = load_config(config, **flat)
    prices = load_gold(csv=csv) if csv is not None else None
    return cfg, prices


def _metrics_table(title: str, rows: dict[str, dict[str, object]], keys: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    # Values stay whole; on a narrow terminal the names wrap (scenario names at their
    # underscores), so nothing is cut off.
    table.add_column("metric", overflow="fold")
    for name in rows:
        table.add_column(name.replace("_", "_\n"), justify="right", no_wrap=True)
    for key in keys:
        table.add_row(key, *(_cell(key, metrics) for metrics in rows.values()))
    Console().print(table)


def _cell(key: str, metrics: dict[str, object]) -> str:
    """A metric as the table shows it: numbers to two decimals, a missing value said in words."""
    value = metrics.get(key)
    if key == "time_to_recover_hours" and _missing(value):
        # Missing means two things: no timed shock (baseline, replays) or no recovery in the run.
        return "n/a" if _missing(metrics.get("shock_peak_step")) else "never"
    if _missing(value):
        return "n/a"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _missing(value: object) -> bool:
    """None, or NaN (what None becomes in a comparison table's float column)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _scalar_metrics(metrics: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in metrics.items() if not isinstance(v, dict | list)}


def run(
    out: Annotated[Path, typer.Option("--out", help="directory for series, summary and plots")],
    scenario: Annotated[str, typer.Option("--scenario", help="scenario name")] = "baseline",
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    holders: HoldersOpt = None,
    policy: PolicyOpt = None,
    csv: CsvOpt = None,
) -> None:
    """Run one stress test and write timeseries.parquet, summary.json and PNG plots."""
    from rich.progress import Progress

    from gramabm.analysis.runs.metrics import HEADLINE_METRICS
    from gramabm.simulation import simulate, write_run

    cfg, prices = _load(
        config, csv, scenario=scenario, preset=preset, steps=steps, holders=holders, policy=policy
    )
    with Progress(transient=True) as bar:
        task = bar.add_task(f"{scenario}", total=cfg.steps)
        output = simulate(
            cfg, seed, prices=prices, progress=lambda s: bar.update(task, completed=s)
        )
    paths = write_run(output, out)
    metrics = _scalar_metrics(output.metrics.to_dict())
    _metrics_table(
        f"{scenario} (seed {seed})",
        {scenario: metrics},
        [k for k in HEADLINE_METRICS if k in metrics] or list(metrics),
    )
    typer.echo(f"wrote {len(paths)} files to {out}")


def stress(
    out: Annotated[Path, typer.Option("--out", help="directory for the runs and report.html")],
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    holders: HoldersOpt = None,
    policy: PolicyOpt = None,
    csv: CsvOpt = None,
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", help="run only these (repeatable)")
    ] = None,
) -> None:
    """Run the standard scenario set and historical replays; print a comparison and write an HTML report."""
    from rich.progress import Progress

    from gramabm.analysis.runs.metrics import HEADLINE_METRICS
    from gramabm.simulation import stress as run_stress
    from gramabm.simulation import stress_scenarios

    # The stress test's default: the calibrated behaviour with the learned default policy.
    cfg, prices = _load(
        config if config is not None else "calibrated",
        csv,
        preset=preset,
        steps=steps,
        holders=holders,
        policy=policy,
    )
    names = scenario or stress_scenarios(prices)
    with Progress() as bar:
        tasks = {n: bar.add_task(n, total=cfg.steps) for n in names}

        def tick(name: str, step: int, total: int) -> None:
            bar.update(tasks[name], completed=step, total=total)

        table, report = run_stress(cfg, seed, out, scenarios=names, prices=prices, progress=tick)
    rows = {name: _scalar_metrics(row.to_dict()) for name, row in table.iterrows()}
    keys = [k for k in HEADLINE_METRICS if k in table.columns] or list(table.columns)
    _metrics_table(f"stress test (seed {seed})", rows, keys)
    typer.echo(f"report: {report}")
