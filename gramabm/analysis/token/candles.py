"""A token's candles: load and check an observed CSV, or build them from a run's series.

The convention every fact function reads (:mod:`gramabm.analysis.token.facts`): a DataFrame indexed
by the candle's **opening** time (naive UTC, strictly increasing), one candle per hour or per day,
with float columns ``close`` (always) and ``open``, ``high``, ``low``, ``volume_tokens`` and
``supply_tokens`` when known (NaN where a row has none). ``attrs`` hold ``source``,
``frequency`` (``"hourly"`` or ``"daily"``) and ``ounces_per_token`` (1 for PAXG; a one-gram
token is 1/31.1 of an ounce), which turns a USD-per-ounce gold fix into the gold value of a token.

Observed and simulated tokens end up in this same shape, so their facts are computed by the same
code: that is what makes them comparable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from gramabm.errors import DataValidationError
from gramabm.units import GRAMS_PER_TROY_OUNCE

FREQUENCIES: dict[str, pd.Timedelta] = {
    "hourly": pd.Timedelta(hours=1),
    "daily": pd.Timedelta(days=1),
}
"""The candle lengths the facts understand, by name."""

PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close")
VALUE_FIELDS: tuple[str, ...] = (*PRICE_FIELDS, "volume_tokens", "supply_tokens")
"""The columns of a candle frame, in order."""

DEFAULT_COLUMNS: dict[str, str] = {
    "time": "timestamp_utc",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
    "supply": "supply",
}
"""CSV headers read when none is named; ``volume`` also matches a single ``volume_*`` header."""

VolumeUnit = Literal["tokens", "usd"]


def candle_columns(**headers: str | None) -> dict[str, str | None]:
    """The ``columns`` mapping of :func:`load_token_candles` from ``<field>=<header>`` keywords.

    Every front end (command line, REST) names the headers the same way, one keyword per field
    of :data:`DEFAULT_COLUMNS`; None leaves a field to its default header.

    Raises:
        DataValidationError: A keyword is not a candle field.
    """
    unknown = sorted(set(headers) - set(DEFAULT_COLUMNS))
    if unknown:
        raise DataValidationError(
            "columns", f"unknown candle field(s) {unknown}; the fields are {list(DEFAULT_COLUMNS)}"
        )
    return {field: headers.get(field) for field in DEFAULT_COLUMNS}


def _frame(values: Mapping[str, object], index: pd.DatetimeIndex) -> pd.DataFrame:
    frame = pd.DataFrame(
        {f: np.asarray(values.get(f, np.full(len(index), np.nan)), float) for f in VALUE_FIELDS},
        index=index,
    )
    frame.index.name = "timestamp"
    return frame


def frequency_of(index: pd.DatetimeIndex, source: str) -> str:
    """``"hourly"`` or ``"daily"``: the median spacing of the timestamps.

    Raises:
        DataValidationError: Fewer than two candles, or another spacing.
    """
    if len(index) < 2:
        raise DataValidationError(source, f"{len(index)} candle(s): at least two are needed")
    spacing = pd.Series(index).diff().median()
    for name, length in FREQUENCIES.items():
        if spacing == length:
            return name
    raise DataValidationError(
        source, f"candles must be hourly or daily; the median spacing is {spacing}"
    )


def _resolve(
    headers: list[str], given: Mapping[str, str | None], source: str
) -> dict[str, str | None]:
    """The header of each field: named ones must exist, defaults only when present."""
    found: dict[str, str | None] = {}
    for field, default in DEFAULT_COLUMNS.items():
        name = given.get(field)
        if name is not None:
            if name not in headers:
                raise DataValidationError(
                    source, f"no column {name!r} for {field} (the header has {headers})"
                )
            found[field] = name
            continue
        if default in headers:
            found[field] = default
        elif field == "volume":
            matches = [h for h in headers if h.lower().startswith("volume")]
            found[field] = matches[0] if len(matches) == 1 else None
        else:
            found[field] = None
    for required in ("time", "close"):
        if found[required] is None:
            raise DataValidationError(
                source,
                f"no {required} column: the header has {headers}; name it with the "
                f"{required} column option",
            )
    return found


def load_token_candles(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str | None] | None = None,
    volume_unit: VolumeUnit = "tokens",
    ounces_per_token: float = 1.0,
    delimiter: str = ",",
    source: str | None = None,
) -> pd.DataFrame:
    """Read and check a token's candles from a CSV file with a header row.

    Args:
        path: The CSV file.
        columns: Headers by field (``time``, ``open``, ``high``, ``low``, ``close``, ``volume``,
            ``supply``); a field named here must exist, one not named is read from
            :data:`DEFAULT_COLUMNS` when the file has it. Only ``time`` and ``close`` are needed.
        volume_unit: Whether the volume column counts tokens or US dollars.
        ounces_per_token: Troy ounces of gold one token stands for (PAXG, XAUT: 1).
        delimiter: Field separator.
        source: Name used in messages and ``attrs["source"]`` (default: the path).

    Returns:
        The candle frame (see the module docstring). Timestamps with a time zone are converted
        to UTC; timestamps without one are read as UTC.

    Raises:
        DataValidationError: Naming the file, the row (1-based, header not counted) and the
            problem: missing file or column, unreadable timestamp or number, duplicate or
            unsorted time, non-positive price, a high below or a low above the other prices,
            negative volume or supply, or a spacing other than hourly or daily.
    """
    where = source or str(path)
    if volume_unit not in ("tokens", "usd"):
        raise DataValidationError(where, f"volume unit must be tokens or usd, not {volume_unit!r}")
    if not np.isfinite(ounces_per_token) or ounces_per_token <= 0:
        raise DataValidationError(where, f"ounces per token must be > 0, got {ounces_per_token!r}")
    p = Path(path)
    if not p.is_file():
        raise DataValidationError(where, "no such file")
    try:
        raw = pd.read_csv(p, sep=delimiter, dtype=str, skip_blank_lines=True, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataValidationError(where, f"not a readable CSV file: {exc}") from exc
    headers = [str(h) for h in raw.columns]
    names = _resolve(headers, dict(columns or {}), where)
    if raw.empty:
        raise DataValidationError(where, "no data rows")

    times = pd.to_datetime(raw[names["time"]], utc=True, errors="coerce", format="mixed")
    bad = np.flatnonzero(times.isna().to_numpy())
    if len(bad):
        text = raw[names["time"]].iloc[bad[0]]
        raise DataValidationError(where, f"unreadable timestamp {text!r}", row=int(bad[0]) + 1)
    index = pd.DatetimeIndex(times).tz_localize(None)
    steps = np.diff(index.asi8)
    if (steps == 0).any():
        row = int(np.flatnonzero(steps == 0)[0]) + 2
        raise DataValidationError(where, f"duplicate timestamp {index[row - 1]}", row=row)
    if (steps < 0).any():
        row = int(np.flatnonzero(steps < 0)[0]) + 2
        raise DataValidationError(where, f"timestamp {index[row - 1]} is before the row above", row)

    values: dict[str, np.ndarray] = {}
    for field in ("open", "high", "low", "close", "volume", "supply"):
        header = names[field]
        if header is None:
            continue
        numbers = pd.to_numeric(raw[header], errors="coerce").to_numpy(float)
        wrong = np.flatnonzero(~np.isfinite(numbers))
        if len(wrong):
            text = raw[header].iloc[wrong[0]]
            raise DataValidationError(
                where, f"{header}: {text!r} is not a number", row=int(wrong[0]) + 1
            )
        floor_ok = numbers > 0 if field in PRICE_FIELDS else numbers >= 0
        if not floor_ok.all():
            row = int(np.flatnonzero(~floor_ok)[0])
            sign = "> 0" if field in PRICE_FIELDS else ">= 0"
            raise DataValidationError(
                where, f"{header} must be {sign}, got {numbers[row]:g}", row=row + 1
            )
        values[field] = numbers
    _check_ranges(values, where)

    if "volume" in values:
        volume = values.pop("volume")
        values["volume_tokens"] = volume / values["close"] if volume_unit == "usd" else volume
    if "supply" in values:
        values["supply_tokens"] = values.pop("supply")
    frame = _frame(values, index)
    frame.attrs.update(
        source=where,
        frequency=frequency_of(index, where),
        ounces_per_token=float(ounces_per_token),
    )
    return frame


def _check_ranges(values: Mapping[str, np.ndarray], where: str) -> None:
    """A high is the candle's top and a low its bottom (with whatever prices the file has)."""
    prices = [values[f] for f in ("open", "close") if f in values]
    if "high" in values:
        top = np.maximum.reduce([*prices, values.get("low", values["high"])])
        wrong = np.flatnonzero(values["high"] < top)
        if len(wrong):
            raise DataValidationError(
                where, "high is below the open, close or low", row=int(wrong[0]) + 1
            )
    if "low" in values:
        bottom = np.minimum.reduce(prices)
        wrong = np.flatnonzero(values["low"] > bottom)
        if len(wrong):
            raise DataValidationError(
                where, "low is above the open or close", row=int(wrong[0]) + 1
            )


def candles_from_run(timeseries: pd.DataFrame, *, source: str = "simulation") -> pd.DataFrame:
    """A run's token as hourly candles, one per step.

    The close is the step's last trade, or the mid when nothing traded (NaN when neither
    exists); the open is the previous step's close. The high and the low span the open, the
    close and the step's highest and lowest trades (``token_high``/``token_low``, when the run
    has them); gold holds one price within a step, so the range still misses gold's own moves
    inside the hour.
    Volume and supply are the run's ``volume_tokens`` and ``supply_tokens``; one token is one
    gram.

    Args:
        timeseries: A run's per-step frame (``timestamp`` column, hourly steps).
        source: Name for ``attrs["source"]``.

    Raises:
        DataValidationError: The frame lacks a needed column or its steps are not hourly.
    """
    needed = ("timestamp", "token_last", "token_mid", "volume_tokens", "supply_tokens")
    missing = [c for c in needed if c not in timeseries.columns]
    if missing:
        raise DataValidationError(source, f"the run's series lacks {missing}")
    index = pd.DatetimeIndex(timeseries["timestamp"])
    if frequency_of(index, source) != "hourly":
        raise DataValidationError(source, "the run's steps must be hourly to make hourly candles")
    last = timeseries["token_last"].to_numpy(float)
    close = np.where(np.isfinite(last), last, timeseries["token_mid"].to_numpy(float))
    opening = np.r_[close[0], close[:-1]]
    high = np.fmax(opening, close)
    low = np.fmin(opening, close)
    if {"token_high", "token_low"} <= set(timeseries.columns):
        high = np.fmax(high, timeseries["token_high"].to_numpy(float))
        low = np.fmin(low, timeseries["token_low"].to_numpy(float))
    frame = _frame(
        {
            "open": opening,
            "high": high,
            "low": low,
            "close": close,
            "volume_tokens": timeseries["volume_tokens"].to_numpy(float),
            "supply_tokens": timeseries["supply_tokens"].to_numpy(float),
        },
        index,
    )
    frame.attrs.update(
        source=source, frequency="hourly", ounces_per_token=1.0 / GRAMS_PER_TROY_OUNCE
    )
    return frame


def daily_candles(candles: pd.DataFrame) -> pd.DataFrame:
    """Hourly candles as UTC-day candles, to compare a run with a token observed daily.

    Open is the day's first open, high and low its extremes, close its last close (the 24:00 UTC
    close the daily facts read), volume the day's sum and supply its last value. Days without a
    candle are left out, as a daily file has no row for them.
    """
    if candles.attrs.get("frequency") == "daily":
        return candles
    days = candles.groupby(candles.index.normalize())
    frame = pd.DataFrame(
        {
            "open": days["open"].first(),
            "high": days["high"].max(),
            "low": days["low"].min(),
            "close": days["close"].last(),
            "volume_tokens": days["volume_tokens"].sum(min_count=1),
            "supply_tokens": days["supply_tokens"].last(),
        }
    )
    frame.index = pd.DatetimeIndex(frame.index)
    frame.attrs = {**candles.attrs, "frequency": "daily"}
    return frame


def fixes_from_run(timeseries: pd.DataFrame) -> pd.Series:
    """The run's daily gold fixes (USD/oz), indexed by day: the steps flagged ``is_fix``."""
    fixed = timeseries[timeseries["is_fix"].to_numpy(bool)]
    days = pd.DatetimeIndex(fixed["timestamp"]).normalize()
    series = pd.Series(fixed["gold_usd_oz"].to_numpy(float), index=days, name="price")
    return series[~series.index.duplicated(keep="last")]
