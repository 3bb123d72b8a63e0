"""Command-line options several commands share: the gold CSV's column names."""

from __future__ import annotations

from typing import Annotated

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
