"""`gramabm gold-day`: the replays' intraday gold checked against a second daily fix.

Writes ``gold_day.csv`` (one row a year: the real AM-to-PM moves beside the bridge's) and prints
it. Exit status 0, or 2 on bad input (the message names the problem).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gramabm.cli.options import FirstDayOption, LastDayOption


def gold_day(
    am: Annotated[Path, typer.Option("--am", help="daily AM fix CSV (date, price USD/oz)")],
    pm: Annotated[Path, typer.Option("--pm", help="daily PM fix CSV of the same days")],
    out: Annotated[Path, typer.Option("--out", help="directory for gold_day.csv")] = Path(
        "gold-day"
    ),
    start: FirstDayOption = None,
    end: LastDayOption = None,
    config: Annotated[
        str,
        typer.Option("--config", help="TOML configuration or a shipped name (its gold session)"),
    ] = "calibrated",
    draws: Annotated[int, typer.Option("--draws", min=1, help="bridges drawn")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="first seed")] = 0,
) -> None:
    """Put the bridge's AM-to-PM gold moves beside the real ones, year by year."""
    from rich.console import Console
    from rich.table import Table

    from gramabm.config import load_config
    from gramabm.data.loaders import load_csv
    from gramabm.scenarios.gold_session import SessionSettings
    from gramabm.validate.gold_day import COLUMNS, check_gold_day

    settings = SessionSettings.of(load_config(config).gold_session)
    am_fixes = load_csv(am, jump_warning=None)
    pm_fixes = load_csv(pm, jump_warning=None)
    table = check_gold_day(
        am_fixes, pm_fixes, start=start, end=end, draws=draws, seed=seed, settings=settings
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "gold_day.csv"
    table.to_csv(path, float_format="%.4g")
    shown = Table(title=f"AM-to-PM gold moves: real against the bridge ({draws} draws)")
    shown.add_column("year")
    for name in COLUMNS:
        shown.add_column(name, overflow="fold")
    for year, row in table.iterrows():
        shown.add_row(str(year), *(f"{row[c]:.3g}" for c in COLUMNS))
    console = Console()
    console.print(shown)
    console.print(f"wrote {path}")
