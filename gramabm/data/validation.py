"""Validation of a raw price table into the kit's price-series convention.

Every loader ends here, so every source obeys the same rules and fails with the same kind of
message: a :class:`~gramabm.errors.DataValidationError` naming the source, the 1-based data row
(header not counted) and the problem. The convention a valid table becomes is a ``pd.Series`` of
float64 USD per troy ounce with a tz-naive, midnight-normalised, ascending, unique
``DatetimeIndex`` named ``"date"``, the series named ``"price"`` and ``attrs["source"]`` set.

Rules, in the order they are checked:

1. both columns exist (the error lists the columns present) and appear once;
2. at least ``min_rows`` rows;
3. every cell is usable (the first bad row, in file order, is reported): a date that is present
   and parses (ISO 8601 first, then one format inferred from the first rows, or ``date_format``),
   and a price that is present, numeric, finite and strictly positive;
4. no two rows on the same day (times of day are dropped, so intraday data must be resampled);
5. dates ascending: ``unsorted="error"`` (the default) refuses an out-of-order table, because a
   file in the wrong order is more often a wrong file than a harmless one; ``"sort"`` sorts it and
   logs a note;
6. a jump whose absolute log return exceeds ``jump_warning`` raises no error but an
   :class:`ImplausibleJumpWarning` naming the dates and sizes (0.25 by default: the largest daily
   move of the LBMA fix since 1968 is 0.16, on 1980-01-23; ``None`` turns the check off).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError, DataValidationError

logger = logging.getLogger(__name__)

UnsortedPolicy = Literal["error", "sort"]

MISSING_TOKENS: frozenset[str] = frozenset(
    {"na", "n/a", "nan", "null", "none", "#n/a", "nat", ".", "-", "--"}
)
"""Cell texts (lower-cased) read as a missing value, e.g. FRED's ``.`` or a spreadsheet's ``#N/A``."""

_MIN_DATE = pd.Timestamp.min.ceil("D")
_MAX_DATE = pd.Timestamp.max.floor("D")
_MAX_LISTED_JUMPS = 5


class ImplausibleJumpWarning(UserWarning):
    """One or more day-to-day moves are too large to be believed without a look.

    Args:
        message: The text shown to the user.
        jumps: ``(date, log_return)`` of each offending move, dated at the move's end.
    """

    def __init__(self, message: str, jumps: Sequence[tuple[pd.Timestamp, float]] = ()) -> None:
        super().__init__(message)
        self.jumps = list(jumps)


def validate_prices(
    frame: pd.DataFrame,
    *,
    source: str,
    date_column: str = "date",
    price_column: str = "price",
    unsorted: UnsortedPolicy = "error",
    min_rows: int = 30,
    jump_warning: float | None = 0.25,
    date_format: str | None = None,
    row_numbers: Sequence[int] | None = None,
) -> pd.Series:
    """Check a raw table of dates and prices and return it as a price series.

    Args:
        frame: The table; cells may be text (as read from a CSV) or already typed.
        source: Human-readable origin (path, URL, built-in name), used in messages and
            stored in ``attrs["source"]``.
        date_column: Name of the column holding the dates.
        price_column: Name of the column holding USD-per-ounce prices.
        unsorted: ``"error"`` refuses dates out of ascending order; ``"sort"`` sorts them and
            logs a note.
        min_rows: Fewest rows accepted (at least 2, so that there is one return).
        jump_warning: Absolute daily log return above which an :class:`ImplausibleJumpWarning`
            is issued; ``None`` disables the check.
        date_format: A ``strftime`` format for the dates; ``None`` accepts ISO 8601 or one
            format inferred from the column.
        row_numbers: The 1-based data row of each table row in the original file, so messages
            point at the right line even when blank lines were skipped; defaults to position + 1.

    Returns:
        The validated price series (float64, ascending unique midnight dates).

    Raises:
        DataValidationError: The table breaks one of the rules in the module docstring.
        ConfigError: An argument is impossible (unknown ``unsorted``, ``min_rows`` < 2, ...).
    """
    _check_options(unsorted, min_rows, jump_warning)
    _check_columns(frame, source, date_column, price_column)
    n = len(frame)
    rows = np.arange(1, n + 1) if row_numbers is None else np.asarray(row_numbers, dtype=np.int64)
    if len(rows) != n:
        raise ConfigError(f"row_numbers has {len(rows)} entries for a table of {n} rows")
    if n < min_rows:
        raise DataValidationError(
            source, f"too few rows: {n} price(s), at least {min_rows} needed (min_rows)"
        )

    dates, date_problems = _parse_dates(frame[date_column], date_format)
    prices, price_problems = _parse_prices(frame[price_column])
    _raise_first_cell_problem(source, rows, date_problems, price_problems)

    dates, prices, rows = _check_order(source, dates, prices, rows, unsorted)
    if jump_warning is not None:
        _warn_jumps(source, dates, prices, rows, jump_warning)

    series = pd.Series(prices, index=pd.DatetimeIndex(dates, name="date"), name="price")
    series.attrs["source"] = source
    return series


# --- options and columns ------------------------------------------------------------------
def _check_options(unsorted: str, min_rows: int, jump_warning: float | None) -> None:
    if unsorted not in ("error", "sort"):
        raise ConfigError(f"unsorted must be 'error' or 'sort', got {unsorted!r}")
    if isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 2:
        raise ConfigError(f"min_rows must be an integer >= 2 (one return), got {min_rows!r}")
    if jump_warning is not None and not (math.isfinite(jump_warning) and jump_warning > 0):
        raise ConfigError(f"jump_warning must be a positive number or None, got {jump_warning!r}")


def _check_columns(frame: pd.DataFrame, source: str, date_column: str, price_column: str) -> None:
    present = [str(c) for c in frame.columns]
    missing = [c for c in (date_column, price_column) if c not in present]
    if missing:
        raise DataValidationError(source, _missing_columns_message(missing, present))
    for column in (date_column, price_column):
        count = present.count(column)
        if count > 1:
            raise DataValidationError(source, f"column {column!r} appears {count} times")


def _missing_columns_message(missing: list[str], present: list[str]) -> str:
    shown = ", ".join(repr(c[:40]) for c in present[:10]) or "none"
    if len(present) > 10:
        shown += f", ... ({len(present)} in all)"
    what = "column" if len(missing) == 1 else "columns"
    message = f"missing {what} {', '.join(map(repr, missing))}; the columns present are: {shown}"
    lowered = {c.lower(): c for c in present}
    hints = [f"{lowered[m.lower()]!r} for {m!r}" for m in missing if m.lower() in lowered]
    if hints:
        message += f" (did you mean {', '.join(hints)}?)"
    elif len(present) == 1 and any(sep in present[0] for sep in (";", "\t", "|")):
        message += " (the header looks like it uses another delimiter than ',')"
    return message


# --- cells --------------------------------------------------------------------------------
def _as_text(column: pd.Series) -> np.ndarray:
    """Stripped text of every cell; missing values (None, NaN) become ''."""
    values = column.to_numpy(dtype=object)
    return np.array(["" if _is_missing_object(v) else str(v).strip() for v in values], dtype=object)


def _is_missing_object(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _parse_dates(column: pd.Series, date_format: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Dates as datetime64[ns] (NaT where unusable) and a per-row problem text ('' if fine)."""
    text = _as_text(column)
    problems = np.full(len(text), "", dtype=object)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        parsed = pd.DatetimeIndex(column)
    else:
        parsed = _to_datetime(pd.Series(text, dtype=object), date_format)
    if parsed.tz is not None:
        # Instants with an offset are read in UTC, then made naive like every other source.
        parsed = parsed.tz_convert("UTC").tz_localize(None)

    bad = np.asarray(parsed.isna())
    in_range = ~bad & np.asarray((parsed >= _MIN_DATE) & (parsed <= _MAX_DATE))
    how = f"with date_format {date_format!r}" if date_format else "(use YYYY-MM-DD, or date_format)"
    for i in np.flatnonzero(~in_range):
        if text[i] == "" or text[i].lower() in MISSING_TOKENS:
            problems[i] = "missing date"
        elif bad[i]:
            problems[i] = f"date {text[i]!r} cannot be parsed {how}"
        else:
            problems[i] = f"date {text[i]!r} is outside {_MIN_DATE:%Y-%m-%d}..{_MAX_DATE:%Y-%m-%d}"

    days = np.full(len(text), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    days[in_range] = parsed[in_range].normalize().as_unit("ns").to_numpy()
    return days, problems


def _to_datetime(text: pd.Series, date_format: str | None) -> pd.DatetimeIndex:
    """Parse with the given format, else ISO 8601, else one format inferred from the column."""
    if date_format is not None:
        return _to_datetime_or_nat(text, date_format)
    iso = _to_datetime_or_nat(text, "ISO8601")
    present = text != ""
    if not (iso.isna() & present).any():
        return iso
    inferred = _to_datetime_or_nat(text, None)
    # Keep whichever reading understands more rows, so the first unreadable row is reported.
    return inferred if inferred.isna().sum() < iso.isna().sum() else iso


def _to_datetime_or_nat(text: pd.Series, date_format: str | None) -> pd.DatetimeIndex:
    with warnings.catch_warnings():
        # pandas warns when it falls back to per-element parsing; failures surface as NaT rows.
        warnings.simplefilter("ignore", UserWarning)
        try:
            return pd.DatetimeIndex(pd.to_datetime(text, errors="coerce", format=date_format))
        except (ValueError, TypeError, OverflowError):
            # e.g. mixed time-zone offsets: parse row by row so the bad ones can be named.
            return pd.DatetimeIndex(
                [_one_datetime(t, date_format) for t in text], dtype="datetime64[ns]"
            )


def _one_datetime(text: str, date_format: str | None) -> pd.Timestamp:
    try:
        ts = pd.to_datetime(text, format=date_format)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def _parse_prices(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Prices as float64 and a per-row problem text ('' if fine)."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        text = np.array([str(float(v)) for v in values], dtype=object)
        empty = np.zeros(len(values), dtype=bool)
    else:
        text = _as_text(column)
        values = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        empty = text == ""

    problems = np.full(len(values), "", dtype=object)
    for i in np.flatnonzero(~(np.isfinite(values) & (values > 0))):
        v, t = values[i], text[i]
        if empty[i] or t.lower() in MISSING_TOKENS:
            problems[i] = "missing price" + ("" if empty[i] else f" ({t!r})")
        elif np.isnan(v):
            problems[i] = f"price {t!r} is not a number"
        elif np.isinf(v):
            problems[i] = f"price {t!r} is infinite"
        else:
            problems[i] = f"price must be positive, got {t}"
    return values, problems


def _raise_first_cell_problem(
    source: str, rows: np.ndarray, date_problems: np.ndarray, price_problems: np.ndarray
) -> None:
    bad = (date_problems != "") | (price_problems != "")
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    problem = date_problems[i] or price_problems[i]
    count = int(bad.sum())
    if count > 1:
        problem += f" ({count - 1} more row(s) with bad cells)"
    raise DataValidationError(source, problem, int(rows[i]))


# --- relations between rows ---------------------------------------------------------------
def _check_order(
    source: str, dates: np.ndarray, prices: np.ndarray, rows: np.ndarray, unsorted: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index = pd.DatetimeIndex(dates)
    dup = np.asarray(index.duplicated(keep="first"))
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(dates == dates[i])[0])
        raise DataValidationError(
            source,
            f"duplicate date {index[i]:%Y-%m-%d} (also on row {rows[first]}); "
            "one price per day expected",
            int(rows[i]),
        )
    backwards = np.flatnonzero(dates[1:] < dates[:-1]) + 1
    if len(backwards) == 0:
        return dates, prices, rows
    if unsorted == "error":
        i = int(backwards[0])
        newest_first = len(backwards) == len(dates) - 1
        hint = "the dates run newest first; " if newest_first else ""
        raise DataValidationError(
            source,
            f"dates out of order: {index[i]:%Y-%m-%d} comes after {index[i - 1]:%Y-%m-%d} "
            f"(row {rows[i - 1]}); {hint}sort the file or pass unsorted='sort'",
            int(rows[i]),
        )
    order = np.argsort(dates, kind="stable")
    logger.info(
        "%s: dates were out of order at %d place(s); sorted %d rows by date (unsorted='sort')",
        source,
        len(backwards),
        len(dates),
    )
    return dates[order], prices[order], rows[order]


def _warn_jumps(
    source: str, dates: np.ndarray, prices: np.ndarray, rows: np.ndarray, threshold: float
) -> None:
    log_returns = np.diff(np.log(prices))
    where = np.flatnonzero(np.abs(log_returns) > threshold)
    if len(where) == 0:
        return
    jumps = [(pd.Timestamp(dates[i + 1]), float(log_returns[i])) for i in where]
    listed = "; ".join(
        f"{pd.Timestamp(dates[i]):%Y-%m-%d} to {pd.Timestamp(dates[i + 1]):%Y-%m-%d} "
        f"(row {rows[i + 1]}): {log_returns[i]:+.3f} ({math.expm1(log_returns[i]):+.1%})"
        for i in where[:_MAX_LISTED_JUMPS]
    )
    more = f"; and {len(where) - _MAX_LISTED_JUMPS} more" if len(where) > _MAX_LISTED_JUMPS else ""
    message = (
        f"{source}: {len(where)} implausible jump(s), |log return| > {threshold:g}: {listed}{more}. "
        "Check for a unit, decimal or splicing error (set jump_warning=None to silence)."
    )
    warnings.warn(ImplausibleJumpWarning(message, jumps), stacklevel=3)
