"""`gramabm report DIR` writes a sweep's HTML report; `gramabm reverse` runs a reverse stress test.

``gramabm reverse --csv FILE`` shapes the shocks on a gold history CSV (``--date-column`` and
``--price-column`` as in ``gramabm data info``) instead of the built-in series.

Register in the root CLI with ``app.command("report")(report)`` and
``app.command("reverse")(reverse)``. Heavy libraries are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gramabm.cli.options import DateColumnOption, PriceColumnOption, column_options, output_dir


def _discovery_criterion(text: str) -> tuple[str, str, float]:
    """A criterion name or expression as scenario discovery's ``(metric, direction, threshold)``."""
    from gramabm.sweeps.reverse import parse_criterion

    crit = parse_criterion(text)
    return crit.metric, ("below" if crit.op in ("<", "<=") else "above"), crit.threshold


def report(
    directory: Annotated[Path, typer.Argument(help="results directory of a sweep")],
    out: Annotated[
        Path | None, typer.Option("--out", help="HTML file to write (default: DIR/report.html)")
    ] = None,
    criterion: Annotated[
        str,
        typer.Option(
            "--criterion",
            help="break criterion for scenario discovery: a name (discount_100bp, "
            "outside_100bp_24h, reserve_ratio_97) or an expression like 'worst_discount_bp<-100'",
        ),
    ] = "discount_100bp",
) -> None:
    """Write the HTML stress-test report of a sweep: tables, figures, sensitivity, recommendations."""
    from rich.console import Console

    from gramabm.analysis.render.sweep_report import write_sweep_report
    from gramabm.sweeps.store import read_manifest, read_results

    results = read_results(directory)
    path = write_sweep_report(
        results,
        out or Path(directory) / "report.html",
        spec_meta=read_manifest(directory),
        criterion=_discovery_criterion(criterion),
    )
    Console().print(f"{len(results)} runs -> {path}")


def reverse(
    out: Annotated[Path, typer.Option("--out", help="directory for the tables, JSON and figure")],
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML configuration (default: the defaults)")
    ] = None,
    criterion: Annotated[
        str,
        typer.Option(
            "--criterion",
            help="what breaking means: discount_100bp, outside_100bp_24h, reserve_ratio_97, or "
            "an expression like 'worst_discount_bp<-100'",
        ),
    ] = "discount_100bp",
    shock: Annotated[
        str, typer.Option("--shock", help="gold_drop or custodian_loss")
    ] = "gold_drop",
    low: Annotated[float, typer.Option("--low", help="smallest severity searched")] = 0.0,
    high: Annotated[float, typer.Option("--high", help="largest severity searched")] = 0.5,
    tol: Annotated[
        float, typer.Option("--tol", help="stop when the bracket is this narrow")
    ] = 0.01,
    seeds: Annotated[int, typer.Option("--seeds", help="seeds per severity")] = 5,
    root_seed: Annotated[int, typer.Option("--root-seed", help="root of the seeds")] = 0,
    rule: Annotated[
        str, typer.Option("--rule", help="majority, mean or any (how seeds are combined)")
    ] = "majority",
    workers: Annotated[int, typer.Option("--workers", help="worker processes")] = 1,
    steps: Annotated[int | None, typer.Option("--steps", help="override the steps")] = None,
    holders: Annotated[int | None, typer.Option("--holders", help="override holders")] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="gold history CSV (default: built-in)")
    ] = None,
    date_column: DateColumnOption = None,
    price_column: PriceColumnOption = None,
) -> None:
    """Find the smallest gold fall or custodian loss that breaks a criterion (bisection)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from gramabm.config import load_config
    from gramabm.data.loaders import load_gold
    from gramabm.sweeps.reverse import planned_runs, reverse_stress, write_reverse_outputs

    console = Console(stderr=True)
    output_dir(out)
    cfg = load_config(config, steps=steps, holders=holders)
    options = column_options(date_column, price_column)
    # Loaded here, once: a bad file fails before any run (load_gold refuses options without it).
    prices = load_gold(csv=csv, **options) if csv is not None or options else None

    columns = (
        TextColumn("reverse stress test"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} runs"),
        TimeRemainingColumn(),
    )
    # A bar on a terminal; in a pipe or log, the judgement lines alone.
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("runs", total=planned_runs(low, high, tol, seeds, 20))

        def tick(order: int, severity: float, breaks: bool) -> None:
            bar.console.print(
                f"  judgement {order}: severity {severity:.4g} -> {'breaks' if breaks else 'holds'}"
            )

        result = reverse_stress(
            cfg,
            criterion,
            shock=shock,  # type: ignore[arg-type]
            low=low,
            high=high,
            tol=tol,
            seeds=seeds,
            root_seed=root_seed,
            rule=rule,  # type: ignore[arg-type]
            workers=workers,
            prices=prices,
            progress=tick,
            run_done=lambda: bar.advance(task),
        )
    console = Console()
    paths = write_reverse_outputs(result, out)
    console.print(
        f"gold data: {result.data['source']} (digest {result.data['digest'][:16]})",
        markup=False,
        highlight=False,
    )
    console.print(result.sentence())
    for warning in result.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    console.print(f"-> {paths['result']}, {paths['figure']}")
