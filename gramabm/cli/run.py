"""`gramabm run` and `gramabm stress`: one stress run, or the standard scenario set."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gramabm.cli.options import output_dir
from gramabm.preset_names import PRESET_NAMES

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from gramabm.config import ModelConfig

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
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        help="scenario parameter KEY=VALUE (repeatable; see `gramabm scenarios show NAME`); "
        "overrides the --config file's [scenario_params]",
    ),
]
PolicyOpt = Annotated[
    str | None,
    typer.Option("--policy", help="holder policy: 'rule_based' or a policy file (skops)"),
]


def _load(config: str | None, csv: Path | None, params: list[str] | None, **flat: object):
    from gramabm.cli.options import parse_params
    from gramabm.config import load_config
    from gramabm.data.loaders import load_gold

    cfg = load_config(config, **flat)
    given = parse_params(params)
    if given:
        cfg = cfg.with_updates({"scenario_params": {**cfg.scenario_params, **given}})
    prices = load_gold(csv=csv) if csv is not None else None
    return cfg, prices


def _check_scenarios(names: list[str], cfg: ModelConfig, prices: pd.Series | None) -> None:
    """Build each scenario with the run's parameters now, so a bad one fails before any run."""
    from gramabm.scenarios import get_scenario

    params = dict(cfg.scenario_params)
    for name in names:
        get_scenario(name, prices, **params)


def _metrics_table(title: str, rows: dict[str, dict[str, object]], keys: list[str]) -> None:
    from rich.console import Console

    console = Console()
    for table in metric_tables(title, rows, keys, console.width):
        console.print(table)


def metric_tables(
    title: str, rows: dict[str, dict[str, object]], keys: list[str], width: int
) -> list[Table]:
    """The comparison as tables that fit ``width`` columns, never breaking a name mid-word.

    Metric names stay whole (one line each); scenario headers wrap only at their underscores.
    When the scenarios do not fit side by side (an 80-column terminal, a CI log), they are split
    over several tables, each repeating the metric column.
    """
    from rich.table import Table

    cells = {name: [_cell(key, metrics) for key in keys] for name, metrics in rows.items()}
    # Each column's width: its widest cell or header part, plus rich's padding and border.
    name_width = max((len(k) for k in keys), default=6) + 3
    need = {
        name: max([len(c) for c in column] + [len(p) + 1 for p in name.split("_")]) + 3
        for name, column in cells.items()
    }
    groups: list[list[str]] = [[]]
    used = name_width + 1
    for name in rows:
        if groups[-1] and used + need[name] > width:
            groups.append([])
            used = name_width + 1
        groups[-1].append(name)
        used += need[name]
    tables = []
    for part, names in enumerate(groups, start=1):
        suffix = f" ({part}/{len(groups)})" if len(groups) > 1 else ""
        table = Table(title=title + suffix)
        table.add_column("metric", no_wrap=True)
        for name in names:
            table.add_column(name.replace("_", "_\n"), justify="right", no_wrap=True)
        for i, key in enumerate(keys):
            table.add_row(key, *(cells[name][i] for name in names))
        tables.append(table)
    return tables


def _tier_table(title: str, rows: dict[str, dict[str, object]]) -> None:
    """The per-tier numbers of two-tier runs (nothing for single-tier ones)."""
    from gramabm.analysis.runs.tiers import TIER_HEADLINE

    keys = [k for k in TIER_HEADLINE if any(k in r for r in rows.values())]
    if keys:
        _metrics_table(title, rows, keys)


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
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", help="scenario name [the --config file's, else baseline]"),
    ] = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    holders: HoldersOpt = None,
    policy: PolicyOpt = None,
    csv: CsvOpt = None,
    param: ParamOpt = None,
) -> None:
    """Run one stress test and write timeseries.parquet, summary.json and PNG plots."""
    from rich.progress import Progress

    from gramabm.analysis.runs.metrics import HEADLINE_METRICS
    from gramabm.simulation import simulate, write_run

    output_dir(out)
    cfg, prices = _load(
        config,
        csv,
        param,
        scenario=scenario,
        preset=preset,
        steps=steps,
        holders=holders,
        policy=policy,
    )
    # An option not given stays None, so the --config file (or the defaults) decide.
    scenario = cfg.scenario
    _check_scenarios([scenario], cfg, prices)
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
    _tier_table(f"{scenario}: per tier, GRAM <- XAUT <- gold", {scenario: metrics})
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
    param: ParamOpt = None,
) -> None:
    """Run the standard scenario set and historical replays; print a comparison and write an HTML report."""
    from rich.progress import Progress

    from gramabm.analysis.runs.metrics import HEADLINE_METRICS
    from gramabm.simulation import stress as run_stress
    from gramabm.simulation import stress_scenarios

    output_dir(out)
    # The stress test's default: the calibrated behaviour with the learned default policy, on
    # Gram itself (the two-tier preset) unless a --preset or a --config file says otherwise.
    cfg, prices = _load(
        config if config is not None else "calibrated",
        csv,
        param,
        preset=preset if preset is not None or config is not None else "gram",
        steps=steps,
        holders=holders,
        policy=policy,
    )
    names = scenario or stress_scenarios(prices, preset=cfg.primary.preset)
    if not scenario:
        _say_replays(names, prices)
    _check_scenarios(names, cfg, prices)
    with Progress() as bar:
        tasks = {n: bar.add_task(n, total=cfg.steps) for n in names}

        def tick(name: str, step: int, total: int) -> None:
            bar.update(tasks[name], completed=step, total=total)

        table, report = run_stress(cfg, seed, out, scenarios=names, prices=prices, progress=tick)
    rows = {name: _scalar_metrics(row.to_dict()) for name, row in table.iterrows()}
    keys = [k for k in HEADLINE_METRICS if k in table.columns] or list(table.columns)
    _metrics_table(f"stress test (seed {seed})", rows, keys)
    _tier_table(f"per tier: GRAM <- XAUT <- gold (seed {seed})", rows)
    typer.echo(f"report: {report}")


def _say_replays(names: list[str], prices: pd.Series | None) -> None:
    """Name the replays run, and those the data do not cover (so none is skipped silently)."""
    from gramabm.data.loaders import load_builtin
    from gramabm.scenarios.catalogue import REGISTRY
    from gramabm.scenarios.replay import data_range_text

    data = load_builtin() if prices is None else prices
    left_out = [n for n, e in REGISTRY.items() if e.family == "replay" and n not in names]
    ran = [n for n in names if n.startswith("replay_")]
    typer.echo(f"replays: {', '.join(ran) or 'none'} (every one the data cover)")
    if left_out:
        typer.echo(f"not run: {', '.join(left_out)}: outside the data ({data_range_text(data)})")
