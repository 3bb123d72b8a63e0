"""Command-line pieces several commands share: CSV column options, ``KEY=VALUE`` pairs, exit codes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, TextIO

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


def text_file(path: Path, what: str) -> Path:
    """``path`` if it reads as UTF-8 text; else a ConfigError naming the file (checked up front).

    Raises:
        ConfigError: Missing, unreadable, binary (NUL byte) or not UTF-8.
    """
    from gramabm.errors import ConfigError

    try:
        head = path.read_bytes()[: 1 << 16]
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: {what} not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror}") from exc
    if b"\0" in head:
        raise ConfigError(f"{path}: not a text {what} (it holds binary data)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 64 KiB boundary
            raise ConfigError(
                f"{path}: not a UTF-8 text {what} ({exc.reason} at byte {exc.start})"
            ) from exc
    return path


def output_dir(path: Path) -> Path:
    """Check up front that ``--out`` can be a directory, so a bad path fails before any work.

    Nothing is created here (a run refused later leaves no empty folder behind).

    Raises:
        ConfigError: The path is an existing file, or lies under a file or an unwritable folder.
    """
    import os

    from gramabm.errors import ConfigError

    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path}: is an existing file; give a directory")
    parent = path.absolute()
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"--out {path}: cannot create a directory under {parent} (not a folder)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {path}: {parent} is not writable")
    return path


def run_app(app: typer.Typer) -> None:
    """Run a command-line app; known errors exit with status 2 and their message, no traceback."""
    import logging
    import warnings

    from gramabm.errors import GramabmError, GramabmWarning

    # The package's progress notes (e.g. a first, slow model fit) go to stderr as plain lines.
    package = logging.getLogger("gramabm")
    if not any(h.get_name() == "gramabm-cli" for h in package.handlers):
        handler = logging.StreamHandler()
        handler.set_name("gramabm-cli")
        handler.setFormatter(logging.Formatter("%(message)s"))
        package.addHandler(handler)
        package.setLevel(logging.INFO)
    # The package's own advice (e.g. a fitted configuration run at another population) is a plain
    # line on stderr, like an error's; other libraries' warnings keep Python's form.
    shown = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, GramabmWarning):
            typer.secho(f"warning: {message}", fg=typer.colors.YELLOW, err=True)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        app()
    except GramabmError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from exc


# --- a replayed period (`gramabm validate`, `gramabm gold-day`) ----------------------------------
FirstDayOption = Annotated[str | None, typer.Option("--start", help="first day (YYYY-MM-DD)")]
LastDayOption = Annotated[str | None, typer.Option("--end", help="last day (YYYY-MM-DD)")]


# --- an observed token series and its gold fixes (`gramabm validate`, `gramabm calibrate`) -------
TimeColumnOption = Annotated[
    str | None, typer.Option("--time-column", help="Header of the candles' time [timestamp_utc].")
]
CloseColumnOption = Annotated[
    str | None, typer.Option("--close-column", help="Header of the candles' close [close].")
]
OpenColumnOption = Annotated[
    str | None, typer.Option("--open-column", help="Header of the candles' open [open].")
]
HighColumnOption = Annotated[
    str | None, typer.Option("--high-column", help="Header of the candles' high [high].")
]
LowColumnOption = Annotated[
    str | None, typer.Option("--low-column", help="Header of the candles' low [low].")
]
VolumeColumnOption = Annotated[
    str | None,
    typer.Option(
        "--volume-column", help="Header of the volume [volume, or a single volume_* header]."
    ),
]
SupplyColumnOption = Annotated[
    str | None, typer.Option("--supply-column", help="Header of the candles' supply [supply].")
]
VolumeUnitOption = Annotated[str, typer.Option("--volume-unit", help="tokens or usd")]
OuncesPerTokenOption = Annotated[
    float, typer.Option("--ounces-per-token", help="troy ounces one token stands for")
]
GoldDateColumnOption = Annotated[
    str, typer.Option("--gold-date-column", help="Header of the gold fixes' dates.")
]
GoldPriceColumnOption = Annotated[
    str, typer.Option("--gold-price-column", help="Header of the gold fixes' prices (USD/oz).")
]


_CANDLE_FIELDS = ("time", "close", "open", "high", "low", "volume", "supply")


def observed_from_options(options: Mapping[str, Any]) -> tuple[Any, Any]:
    """:func:`observed_series` from a command's parsed options (``typer.Context.params``).

    Every command that reads an observed token series declares the same options (``--observed``,
    ``--gold``, the candle and fix headers, the volume unit, the ounces per token); they are read
    here once, by their parameter names.
    """
    return observed_series(
        options["observed"],
        options["gold"],
        columns={field: options[f"{field}_column"] for field in _CANDLE_FIELDS},
        volume_unit=options["volume_unit"],
        ounces_per_token=options["ounces_per_token"],
        gold_date_column=options["gold_date_column"],
        gold_price_column=options["gold_price_column"],
    )


def observed_series(
    observed: Path,
    gold: Path,
    *,
    columns: dict[str, str | None],
    volume_unit: str = "tokens",
    ounces_per_token: float = 1.0,
    gold_date_column: str = "date",
    gold_price_column: str = "price",
) -> tuple[Any, Any]:
    """The observed token's candles and the daily gold fixes, read and checked.

    Args:
        observed: The token's candle CSV.
        gold: The gold fix CSV.
        columns: Candle headers by field (:func:`gramabm.analysis.token.candle_columns`).
        volume_unit: ``tokens`` or ``usd``.
        ounces_per_token: Troy ounces one token stands for.
        gold_date_column: Header of the fixes' dates.
        gold_price_column: Header of the fixes' prices.

    Returns:
        ``(candles, fixes)``.

    Raises:
        ConfigError: An unknown volume unit.
        DataValidationError: A file does not read as the series it should be.
    """
    from gramabm.analysis.token import candle_columns, load_token_candles
    from gramabm.data.loaders import load_csv
    from gramabm.errors import ConfigError

    if volume_unit not in ("tokens", "usd"):
        raise ConfigError(f"--volume-unit must be tokens or usd, not {volume_unit!r}")
    candles = load_token_candles(
        observed,
        columns=candle_columns(**columns),
        volume_unit="usd" if volume_unit == "usd" else "tokens",
        ounces_per_token=ounces_per_token,
    )
    fixes = load_csv(
        gold, date_column=gold_date_column, price_column=gold_price_column, jump_warning=None
    )
    return candles, fixes
