"""`gramabm data` commands: look at a gold price series before using it.

Heavy libraries (pandas, scipy, arch, rich tables) are imported inside the commands so that
``gramabm --help`` answers at once. Errors of the kit (``GramabmError``) are not caught here: the
entry point prints them and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gramabm.cli.options import DateColumnOption, PriceColumnOption, column_options

app = typer.Typer(
    rich_markup_mode=None,  # help texts show their [defaults]; nothing in them is markup
    help="Gold price data: load, validate and describe.",
    no_args_is_help=True,
)

_SHOWN_ABOVE = frozenset({"Source", "Period"})
"""Fact-table rows that repeat the header printed above them."""


@app.command("info")
def info(
    csv: Annotated[
        Path | None, typer.Option("--csv", help="CSV file with a date and a USD/oz price column.")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="URL of such a CSV (downloaded once, then cached).")
    ] = None,
    date_column: DateColumnOption = None,
    price_column: PriceColumnOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")] = False,
) -> None:
    """Describe a gold series: source, date range, rows and its stylised facts.

    Without --csv or --url, the built-in real history (AER GoldSilver, 1977-2012) is used.
    """
    import json
    import warnings

    from gramabm.analysis.history.stylised import stylised_facts
    from gramabm.data.loaders import load_gold

    options = column_options(date_column, price_column)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prices = load_gold(csv=csv, url=url, **options)
        facts = stylised_facts(prices)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    for message in messages:
        typer.secho(f"warning: {message}", fg=typer.colors.YELLOW, err=True)

    summary = {
        "source": str(prices.attrs.get("source", "")),
        "start": f"{prices.index[0]:%Y-%m-%d}",
        "end": f"{prices.index[-1]:%Y-%m-%d}",
        "rows": len(prices),
    }
    if as_json:
        typer.echo(json.dumps({**summary, "stylised_facts": facts.to_dict(), "warnings": messages}))
        return
    _print_table(summary, facts.table())


def _print_table(summary: dict[str, Any], facts: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    head = Table.grid(padding=(0, 2))
    head.add_row("[bold]source[/]", Text(str(summary["source"])))
    head.add_row("[bold]range[/]", f"{summary['start']} to {summary['end']}")
    head.add_row("[bold]rows[/]", f"{summary['rows']:,}")
    console.print(head)

    table = Table(title="Stylised facts (daily log returns)", title_justify="left")
    table.add_column("fact")
    table.add_column("value", justify="right")
    for name, value in facts:
        if name in _SHOWN_ABOVE:
            continue
        table.add_row(Text(name), Text(value))
    console.print(table)
