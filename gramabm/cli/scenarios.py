"""`gramabm scenarios` commands: list the catalogue, show one scenario, report the standard set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gramabm.cli.options import parse_params

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    rich_markup_mode=None,  # help texts show their [defaults]; nothing in them is markup
    help="Gold shock scenarios: the catalogue, one scenario's path, the standard-set report.",
    no_args_is_help=True,
)

CsvOption = Annotated[
    Path | None,
    typer.Option(
        "--csv", help="Gold prices CSV (date,price in USD/oz); default: built-in history."
    ),
]
StepsOption = Annotated[
    int | None,
    typer.Option(
        "--steps", min=1, help="Model steps (hours); default: each scenario's own length."
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", min=0, help="Random seed.")]


def _prices(csv: Path | None) -> pd.Series:
    from gramabm.data.loaders import load_gold

    return load_gold(csv=csv)


def _fmt(value: float, pct: bool = True) -> str:
    import math

    if isinstance(value, float) and math.isnan(value):
        return "–"
    return f"{value:.2%}" if pct else f"{value:,.2f}"


@app.command("list")
def list_scenarios(csv: CsvOption = None) -> None:
    """Table of the scenario names, their family and what they do, and whether the data hold them."""
    from rich.console import Console
    from rich.table import Table

    from gramabm.scenarios.catalogue import describe

    prices = _prices(csv)
    table = Table(title=f"Scenarios on {prices.attrs.get('source', 'the data')}")
    for column in ("name", "family", "available", "description"):
        table.add_column(column, overflow="fold")
    for name, family, description, available in describe(prices):
        table.add_row(name, family, "yes" if available else "no (outside the data)", description)
    console = Console()
    console.print(table)
    console.print("Also: replay:YYYY-MM-DD:YYYY-MM-DD for any date range inside the data.")


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Scenario name (see `gramabm scenarios list`).")],
    steps: StepsOption = None,
    seed: SeedOption = 0,
    csv: CsvOption = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a PNG of the path here.")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Scenario parameter KEY=VALUE (repeatable)."),
    ] = None,
) -> None:
    """Generate one scenario and print its worst moves, drawdown, volatility and events."""
    from rich.console import Console
    from rich.table import Table

    from gramabm.scenarios.catalogue import get_scenario
    from gramabm.scenarios.report import plot_path, save_figure, summarise_path

    scenario = get_scenario(name, _prices(csv), **parse_params(param))
    path = scenario.generate(steps or scenario.default_steps, seed=seed)
    row = summarise_path(path)
    table = Table(show_header=False)
    table.add_column("statistic")
    table.add_column("value", justify="right")
    table.add_row("steps", f"{path.n_steps} × {path.step_hours:g} h")
    table.add_row("from", str(row["start"]))
    table.add_row("to", str(row["end"]))
    table.add_row("start price (USD/oz)", _fmt(row["start_price"], pct=False))
    table.add_row("end price (USD/oz)", _fmt(row["end_price"], pct=False))
    table.add_row("lowest price (USD/oz)", _fmt(row["min_price"], pct=False))
    table.add_row("worst 1-day fall", _fmt(row["worst_1d"]))
    table.add_row("worst 5-day fall", _fmt(row["worst_5d"]))
    table.add_row("max drawdown", _fmt(row["max_drawdown"]))
    table.add_row("volatility (annualised)", _fmt(row["ann_vol"]))
    console = Console()
    console.print(f"[bold]{path.name}[/bold]: {scenario.description}")
    console.print(table)
    if path.events:
        events = Table(title="events")
        for column in ("step", "time", "kind", "params"):
            events.add_column(column)
        for e in path.events:
            params = ", ".join(f"{k}={v}" for k, v in e.params.items())
            events.add_row(str(e.step), str(path.timestamps[e.step]), e.kind, params)
        console.print(events)
    else:
        console.print("events: none")
    if plot is not None:
        console.print(f"plot written to {save_figure(plot_path(path), plot)}")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV table and the PNG.")],
    csv: CsvOption = None,
    steps: StepsOption = None,
    seed: SeedOption = 0,
) -> None:
    """Generate the standard set (and the replays the data hold), tabulate and plot them."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from gramabm.scenarios.catalogue import get_scenario, standard_set
    from gramabm.scenarios.report import plot_paths, save_figure, summary_table

    console = Console()
    prices = _prices(csv)
    names = standard_set(prices)
    paths = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("generating scenarios", total=len(names))
        for name in names:
            progress.update(task, description=f"generating {name}")
            scenario = get_scenario(name, prices)
            paths.append(scenario.generate(steps or scenario.default_steps, seed=seed))
            progress.advance(task)
    table = summary_table(paths)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "scenario_summary.csv"
    table.to_csv(csv_path, index=False)
    png_path = save_figure(
        plot_paths(paths, title=f"Standard scenarios on {prices.attrs.get('source', 'the data')}"),
        out / "scenario_paths.png",
    )
    shown = Table(title=f"Standard scenarios (seed {seed})")
    for column in ("scenario", "steps", "worst 1d", "worst 5d", "max drawdown", "vol", "events"):
        shown.add_column(column, justify="left" if column in ("scenario", "events") else "right")
    for _, row in table.iterrows():
        shown.add_row(
            row["scenario"],
            str(row["n_steps"]),
            _fmt(row["worst_1d"]),
            _fmt(row["worst_5d"]),
            _fmt(row["max_drawdown"]),
            _fmt(row["ann_vol"]),
            row["events"] or "–",
        )
    console.print(shown)
    console.print(f"table written to {csv_path}")
    console.print(f"figure written to {png_path}")
