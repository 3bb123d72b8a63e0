"""`gramabm scenarios` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="scenarios commands.", no_args_is_help=True)
