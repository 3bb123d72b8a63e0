"""`gramabm validate`: an observed gold token against the model replaying the same gold period.

Exit status: 0 when every judged fact passes, 1 when some fail, 2 on bad input (the message names
the problem).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gramabm.cli.options import (
    CloseColumnOption,
    FirstDayOption,
    GoldDateColumnOption,
    GoldPriceColumnOption,
    HighColumnOption,
    LastDayOption,
    LowColumnOption,
    OpenColumnOption,
    OuncesPerTokenOption,
    SupplyColumnOption,
    TimeColumnOption,
    VolumeColumnOption,
    VolumeUnitOption,
    observed_from_options,
)
from gramabm.validate.defaults import DEFAULT_SEEDS


def validate(
    ctx: typer.Context,
    observed: Annotated[
        Path, typer.Option("--observed", help="token candles CSV (hourly or daily)")
    ],
    gold: Annotated[Path, typer.Option("--gold", help="daily gold fix CSV (date, price USD/oz)")],
    out: Annotated[Path, typer.Option("--out", help="directory for table, figure and HTML")] = Path(
        "validation"
    ),
    start: FirstDayOption = None,
    end: LastDayOption = None,
    config: Annotated[
        str, typer.Option("--config", help="TOML configuration or a shipped name")
    ] = "calibrated",
    preset: Annotated[str | None, typer.Option("--preset", help="paxg, xaut or gram_wrapper")] = (
        None
    ),
    policy: Annotated[
        str | None, typer.Option("--policy", help="'default', 'rule_based' or a policy file")
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="seeds to run")] = DEFAULT_SEEDS,
    seed: Annotated[int, typer.Option("--seed", help="first seed")] = 0,
    holders: Annotated[int | None, typer.Option("--holders", help="number of holders")] = None,
    tick_usd: Annotated[
        str | None,
        typer.Option(
            "--tick-usd",
            help="the simulated venue's price step, USD per ounce (PAXG/USDT from September 2021: "
            "1); 'auto': the observed closes' step, month by month [the configuration's: "
            "calibrated has none]",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="processes")] = 1,
    venue_scale: Annotated[
        str,
        typer.Option(
            "--venue-scale",
            help="'auto': size the venue to the observed one by traded value; a number: that "
            "scale of the configured order rate and book depth (1: as configured)",
        ),
    ] = "auto",
    time_column: TimeColumnOption = None,
    close_column: CloseColumnOption = None,
    open_column: OpenColumnOption = None,
    high_column: HighColumnOption = None,
    low_column: LowColumnOption = None,
    volume_column: VolumeColumnOption = None,
    supply_column: SupplyColumnOption = None,
    volume_unit: VolumeUnitOption = "tokens",
    ounces_per_token: OuncesPerTokenOption = 1.0,
    gold_date_column: GoldDateColumnOption = "date",
    gold_price_column: GoldPriceColumnOption = "price",
) -> None:
    """Replay the observed token's gold period through the model and compare the token's facts."""
    from rich.console import Console
    from rich.table import Table

    from gramabm.config import load_config
    from gramabm.validate import validate as run_validation
    from gramabm.validate import write_validation
    from gramabm.validate.tick import parse_tick
    from gramabm.validate.venue import parse_venue_scale

    candles, fixes = observed_from_options(ctx.params)
    scale = parse_venue_scale(venue_scale)
    price_step = parse_tick(tick_usd) if tick_usd is not None else None
    cfg = load_config(config, preset=preset, policy=policy, holders=holders)
    console = Console(stderr=True)

    def tick(what: str, share: float) -> None:
        console.print(f"{what} done ({share:.0%})")

    console.print(f"replaying with {seeds} seed(s), {cfg.holders.n:,} holders, {workers} worker(s)")
    result = run_validation(
        candles,
        fixes,
        cfg,
        seeds=list(range(seed, seed + seeds)),
        start=start,
        end=end,
        workers=workers,
        progress=tick,
        venue_scale=scale,
        tick=price_step,
    )
    console.print(f"venue scale {result.venue.scale:.3g}: {result.venue.reason}")
    if result.tick_note:
        console.print(f"note: {result.tick_note}")
    paths = write_validation(result, out)
    table = Table(title=f"{result.scenario}: observed vs simulated ({seeds} seeds)")
    for name in ("fact", "observed", "sim min", "sim median", "sim max", "tolerance", "verdict"):
        table.add_column(name, overflow="fold")
    from gramabm.validate.report import format_value

    for _, row in result.table.iterrows():
        table.add_row(
            row["label"],
            *(format_value(row[k]) for k in ("observed", "sim_min", "sim_median", "sim_max")),
            row["tolerance"],
            row["verdict"],
        )
    Console().print(table)
    typer.echo(f"wrote {', '.join(str(p) for p in paths.values())}")
    if result.exit_status or result.unjudged or result.uncertain:
        colour = typer.colors.RED if result.exit_status else typer.colors.YELLOW
        typer.secho(result.status, fg=colour, err=True)
    if result.exit_status:
        raise typer.Exit(result.exit_status)
