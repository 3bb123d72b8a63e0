"""`gramabm sweep` runs an experiment file; `gramabm results query` asks its results with SQL.

``--csv`` runs the sweep on a gold history CSV instead of the file's ``[data].csv`` (or the built-in
series); ``--date-column`` and ``--price-column`` override the matching ``[data]`` options, as in
``gramabm data info``. Register in the root CLI with ``app.command("sweep")(sweep)`` and
``app.add_typer(results_app, name="results")``. This module also runs on its own
(``python -m gramabm.cli.sweep sweep FILE --out DIR``), with the same commands.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from gramabm.cli.options import (
    DateColumnOption,
    PriceColumnOption,
    column_options,
    output_dir,
    run_app,
)

results_app = typer.Typer(
    rich_markup_mode=None,  # help texts show their [defaults]; nothing in them is markup
    help="Query a sweep's results (DuckDB SQL over its Parquet files; the table is `runs`).",
    no_args_is_help=True,
)


def sweep(
    file: Annotated[Path, typer.Argument(help="experiment file (TOML)")],
    out: Annotated[Path, typer.Option("--out", help="results directory (rerun to resume)")],
    workers: Annotated[int, typer.Option("--workers", help="worker processes")] = 1,
    dask: Annotated[
        bool, typer.Option("--dask", help="run on a new Dask LocalCluster of --workers workers")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="run on a running Dask cluster (scheduler address)"),
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="run again the runs recorded as failed")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="progress bar with ETA")
    ] = True,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="gold history CSV; overrides [data].csv (default: [data] or built-in)"
        ),
    ] = None,
    date_column: DateColumnOption = None,
    price_column: PriceColumnOption = None,
) -> None:
    """Run every run of an experiment file not yet in --out; each result is saved as it finishes."""
    from rich.console import Console

    from gramabm.sweeps.runner import run_sweep
    from gramabm.sweeps.spec import load_spec

    spec = load_spec(file)
    output_dir(out)
    options = column_options(date_column, price_column)
    if csv is not None or options:
        spec = spec.with_data(csv, **options)
    summary = run_sweep(
        spec,
        out,
        workers=workers,
        dask=dask,
        scheduler=scheduler,
        progress=progress,
        retry_failed=retry_failed,
    )
    console = Console()
    console.print(
        f"gold data: {summary.data_source} (digest {summary.data_digest[:16]})",
        markup=False,
        highlight=False,
    )
    rate = f", {summary.runs_per_minute:,.0f} runs/min" if summary.executed else ""
    console.print(
        f"{summary.total} runs: {summary.executed} executed, {summary.skipped} skipped "
        f"(already done), {summary.failed} failed; {summary.elapsed_s:.1f} s on "
        f"{summary.workers} worker(s){rate} -> {out}"
    )
    if summary.any_failed:
        shown = ", ".join(summary.failed_ids[:10]) + (" ..." if summary.failed > 10 else "")
        before = (
            f"{summary.failed_before} run(s) failed in an earlier call (rerun with "
            "--retry-failed); "
            if summary.failed_before
            else ""
        )
        typer.secho(
            f"error: {before}{summary.failed} run(s) failed{': ' + shown if shown else ''}; "
            f"first error: {summary.first_error}\n"
            f"tracebacks: gramabm results query {out} "
            "\"SELECT run_id, error FROM runs WHERE status = 'failed'\"",
            fg=typer.colors.RED,
            err=True,
        )
        # Finished runs are on disk; the status says the batch is not whole.
        raise typer.Exit(1)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return str(value)


@results_app.command("query")
def query_cmd(
    directory: Annotated[Path, typer.Argument(help="results directory of a sweep")],
    sql: Annotated[str, typer.Argument(help='SQL over the view `runs`, e.g. "SELECT * FROM runs"')],
    csv: Annotated[Path | None, typer.Option("--csv", help="also write the answer as CSV")] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", help="rows shown in the terminal")] = 50,
) -> None:
    """Run SQL over a sweep's results and print the answer as a table."""
    from rich.console import Console
    from rich.table import Table

    from gramabm.sweeps.store import query

    frame = query(directory, sql)
    console = Console()
    if csv is not None:
        frame.to_csv(csv, index=False)
        console.print(f"wrote {len(frame)} rows to {csv}")
    table = Table(show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    if len(frame) > max_rows:
        console.print(f"... {len(frame) - max_rows} more rows (use --csv for all)")


app = typer.Typer(
    rich_markup_mode=None,  # help texts show their [defaults]; nothing in them is markup
    name="gramabm-sweep",
    help="Parameter sweeps and their results.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("sweep")(sweep)
app.add_typer(results_app, name="results")


def main() -> None:
    """Run this module's commands; known errors exit 2 with their message."""
    run_app(app)


if __name__ == "__main__":
    main()
