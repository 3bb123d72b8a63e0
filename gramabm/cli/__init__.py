"""The ``gramabm`` command line: a thin face over the package's functions.

Each command group lives in its own module and imports heavy libraries (numpy, pandas, mesa) inside
its commands, so ``gramabm --help`` answers at once.
"""

from __future__ import annotations

from typing import Annotated

import typer

from gramabm.cli import calibrate as calibrate_cli
from gramabm.cli import data as data_cli
from gramabm.cli import gold_day as gold_day_cli
from gramabm.cli import policy as policy_cli
from gramabm.cli import report as report_cli
from gramabm.cli import run as run_cli
from gramabm.cli import scenarios as scenarios_cli
from gramabm.cli import serve as serve_cli
from gramabm.cli import sweep as sweep_cli
from gramabm.cli import validate as validate_cli
from gramabm.cli import viz as viz_cli
from gramabm.cli.options import run_app

app = typer.Typer(
    rich_markup_mode=None,  # help texts show their [defaults]; nothing in them is markup
    name="gramabm",
    help="Stress tests of Gram, a gold-backed stablecoin: gold data, shock scenarios, agent-based runs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from gramabm import __version__

        typer.echo(f"gramabm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Stress tests of Gram, a gold-backed stablecoin: gold data, shock scenarios, runs."""


app.add_typer(data_cli.app, name="data")
app.add_typer(scenarios_cli.app, name="scenarios")
app.add_typer(policy_cli.app, name="policy")
app.command("calibrate")(calibrate_cli.calibrate)
app.command("run")(run_cli.run)
app.command("stress")(run_cli.stress)
app.command("viz")(viz_cli.viz)
app.command("serve")(serve_cli.serve)
app.command("sweep")(sweep_cli.sweep)
app.add_typer(sweep_cli.results_app, name="results")
app.command("report")(report_cli.report)
app.command("reverse")(report_cli.reverse)
app.command("validate")(validate_cli.validate)
app.command("gold-day")(gold_day_cli.gold_day)


def main() -> None:
    """Entry point of the ``gramabm`` console script; known errors exit 2 with their message."""
    run_app(app)
