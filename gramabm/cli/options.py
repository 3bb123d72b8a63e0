"""Command-line pieces several commands share: CSV column options, ``KEY=VALUE`` pairs, exit codes."""

from __future__ import annotations

from typing import Annotated, Any

import typer

DateColumnOption = Annotated[
    str | None, typer.Option("--date-column", help="Header of the date column [date].")
]
PriceColumnOption = Annotated[
    str | None, typer.Option("--price-column", help="Header of the price column [price].")
]


def column_options(date_column: str | None, price_column: str | None) -> dict[str, str]:
    """The CSV loader's column options that were given (none given: an empty dict)."""
    given = (("date_column", date_column), ("price_column", price_column))
    return {key: value for key, value in given if value is not None}


def parse_params(items: list[str] | None, *, allow_none: bool = False) -> dict[str, Any]:
    """``KEY=VALUE`` strings (``--param``) to keyword parameters.

    Integers, floats and ``true``/``false`` are recognised, and ``none`` too when
    ``allow_none``; anything else stays text.

    Raises:
        ConfigError: An item is not ``KEY=VALUE`` with a non-empty key.
    """
    from gramabm.errors import ConfigError

    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param expects KEY=VALUE, got {item!r}")
        text = raw.strip()
        value: Any = text
        for convert in (int, float):
            try:
                value = convert(text)
                break
            except ValueError:
                continue
        if text.lower() in ("true", "false"):
            value = text.lower() == "true"
        elif allow_none and text.lower() == "none":
            value = None
        params[key.strip()] = value
    return params


def run_app(app: typer.Typer) -> None:
    """Run a command-line app; known errors exit with status 2 and their message, no traceback."""
    from gramabm.errors import GramabmError

    try:
        app()
    except GramabmError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from exc
