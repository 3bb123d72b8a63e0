"""Daily token flows as training data: the CSV format, its validation, and the dominant-flow labels.

A flows CSV has

* ``date`` (required): ISO 8601 dates, ascending, unique;
* at least one of ``net_buy_g`` (holders' net secondary-market purchases, grams; negative = net
  sales) and ``net_mint_g`` (primary-market mints minus redemptions, grams; negative = net
  redemptions); empty cells count as 0;
* optional ``price``: gold in USD per troy ounce on that date. Without it, gold prices come from
  the ``prices`` argument (a series covering the flows' dates and the 60 rows before);
* optional token features ``deviation_bp``, ``neighbour_panic``, ``incident`` (numeric, finite);
  the token features not given are filled by ``token_mode`` (``"zeros"`` by default: aggregate
  flows say nothing about one holder's P&L).

Each day becomes one labelled row: the features are the market features of the last gold price
on or before that date (at most :data:`MAX_PRICE_GAP_DAYS` calendar days earlier: weekends and
holidays), plus the token features. The label is the day's **dominant flow**: buying (net buys
plus net mints), selling (net sales) or redeeming (net redemptions), whichever is largest in
grams; days whose dominant flow is below the ``hold_quantile`` quantile of all days' dominant
flows (the median by default) are ``hold``: ordinary days. Flows are contemporaneous with the
features, so the purge gap is one row.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError, DataValidationError
from gramabm.policies.base import FEATURES
from gramabm.policies.features import (
    TOKEN_FEATURES,
    WARMUP_ROWS,
    TokenAugmentation,
    TokenMode,
    market_features,
    token_features,
)
from gramabm.policies.training.dataset import MIN_TRAIN_ROWS, TrainingSet

FLOW_COLUMNS: tuple[str, ...] = ("net_buy_g", "net_mint_g")
"""Flow columns of a flows CSV (at least one is required)."""

FLOW_TOKEN_COLUMNS: tuple[str, ...] = ("deviation_bp", "neighbour_panic", "incident")
"""Token features a flows CSV may carry."""

MAX_PRICE_GAP_DAYS: int = 5
"""Oldest gold price (calendar days before a flow date) that still counts as that day's."""


@dataclass(frozen=True)
class FlowLabelRule:
    """How daily flows become actions (see the module docstring).

    Args:
        hold_quantile: Days whose dominant flow is at or below this quantile are ``hold``.
        min_flow_g: Days whose dominant flow is below this many grams are ``hold`` too.
    """

    hold_quantile: float = 0.5
    min_flow_g: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.hold_quantile < 1.0:
            raise ConfigError(f"hold_quantile must be in [0, 1), got {self.hold_quantile}")
        if not (math.isfinite(self.min_flow_g) and self.min_flow_g >= 0):
            raise ConfigError(f"min_flow_g must be >= 0, got {self.min_flow_g}")


def load_flows_csv(
    path: str | os.PathLike[str] | io.StringIO, source: str | None = None
) -> pd.DataFrame:
    """Read and validate a flows CSV (format in the module docstring).

    Args:
        path: The file (or a text buffer).
        source: Name used in messages; defaults to the path.

    Returns:
        Numeric columns (flows, optional ``price`` and token features) on a DatetimeIndex
        named ``date``, with ``attrs["source"]``.

    Raises:
        DataValidationError: Missing file or column, bad date or number (row given), dates out
            of order or repeated.
    """
    where = source or str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except FileNotFoundError as exc:
        raise DataValidationError(where, "no such file") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise DataValidationError(where, f"not a readable CSV file: {exc}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    if "date" not in raw.columns:
        raise DataValidationError(where, f"no 'date' column; columns are {list(raw.columns)}")
    flows = [c for c in FLOW_COLUMNS if c in raw.columns]
    if not flows:
        raise DataValidationError(
            where,
            f"no flow column: need {' and/or '.join(FLOW_COLUMNS)}; columns are {list(raw.columns)}",
        )
    if raw.empty:
        raise DataValidationError(where, "no data rows")
    dates = pd.to_datetime(raw["date"].str.strip(), errors="coerce", format="ISO8601")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        raise DataValidationError(
            where, f"date {raw['date'].iloc[bad[0]]!r} is not an ISO 8601 date", int(bad[0]) + 1
        )
    dates = pd.DatetimeIndex(dates).normalize()
    if not dates.is_unique:
        dup = int(np.flatnonzero(dates.duplicated())[0])
        raise DataValidationError(where, f"date {dates[dup]:%Y-%m-%d} appears twice", dup + 1)
    down = np.flatnonzero(np.diff(dates.asi8) < 0)
    if down.size:
        raise DataValidationError(where, "dates must be ascending", int(down[0]) + 2)
    columns = flows + [c for c in ("price", *FLOW_TOKEN_COLUMNS) if c in raw.columns]
    out = pd.DataFrame(index=pd.DatetimeIndex(dates, name="date"))
    for name in columns:
        text = raw[name].str.strip()
        if name in flows:
            text = text.replace("", "0")  # an empty flow cell means no flow
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            cell = raw[name].iloc[bad[0]]
            raise DataValidationError(
                where, f"{name} {cell!r} is not a finite number", int(bad[0]) + 1
            )
        if name == "price" and np.any(values <= 0):
            row = int(np.flatnonzero(values <= 0)[0])
            raise DataValidationError(where, f"price {values[row]} is not positive", row + 1)
        out[name] = values
    out.attrs["source"] = where
    return out


def flow_labels(flows: pd.DataFrame, rule: FlowLabelRule | None = None) -> np.ndarray:
    """Action codes of daily flows: the dominant flow, or hold on ordinary days.

    Args:
        flows: Columns ``net_buy_g`` and/or ``net_mint_g``.
        rule: Thresholds of a hold day.

    Returns:
        int64 action codes.
    """
    rule = rule or FlowLabelRule()
    zero = np.zeros(len(flows))
    buy = flows["net_buy_g"].to_numpy() if "net_buy_g" in flows else zero
    mint = flows["net_mint_g"].to_numpy() if "net_mint_g" in flows else zero
    by_action = np.column_stack(
        [zero, np.maximum(buy, 0) + np.maximum(mint, 0), np.maximum(-buy, 0), np.maximum(-mint, 0)]
    )
    codes = by_action.argmax(axis=1).astype(np.int64)
    size = by_action.max(axis=1)
    cut = max(float(np.quantile(size, rule.hold_quantile)), rule.min_flow_g)
    codes[(size <= cut) | (size < rule.min_flow_g)] = 0
    return codes


def flow_training_set(
    flows: pd.DataFrame,
    prices: pd.Series | None = None,
    rule: FlowLabelRule | None = None,
    *,
    token_mode: TokenMode = "zeros",
    augmentation: TokenAugmentation | None = None,
    seed: int = 0,
) -> TrainingSet:
    """Labelled rows from daily flows and the gold prices around them.

    Args:
        flows: A validated flows table (see :func:`load_flows_csv`).
        prices: Gold prices; needed unless ``flows`` has a ``price`` column.
        rule: How flows become actions.
        token_mode: How to fill the token features the flows do not carry.
        augmentation: Synthetic distributions for ``"augment"``.
        seed: Seed of the synthetic draws.

    Returns:
        One row per flow date.

    Raises:
        DataValidationError: No gold price for a flow date, or too few rows.
    """
    source = str(flows.attrs.get("source", "flows"))
    if "price" in flows:
        gold = flows["price"].rename("price")
        gold.attrs["source"] = source
    elif prices is None:
        raise DataValidationError(
            source, "no 'price' column: pass a gold price series covering the flows' dates"
        )
    else:
        gold = prices
    market = market_features(gold).iloc[WARMUP_ROWS:]
    gold_dates = market.index
    pos = gold_dates.searchsorted(flows.index, side="right") - 1  # last gold date <= flow date
    known = pos >= 0
    gap = np.full(len(flows), np.inf)
    gap[known] = (flows.index[known] - gold_dates[pos[known]]).days
    stale = np.flatnonzero(gap > MAX_PRICE_GAP_DAYS)
    if "price" in flows:
        # Flows carrying their own prices lose their first WARMUP_ROWS rows to the feature window.
        keep = gap <= MAX_PRICE_GAP_DAYS
    else:
        if stale.size:
            d = flows.index[stale[0]]
            raise DataValidationError(
                source,
                f"no gold price within {MAX_PRICE_GAP_DAYS} days before {d:%Y-%m-%d} after a "
                f"{WARMUP_ROWS}-row warm-up (gold data: {gold.index[0]:%Y-%m-%d} to "
                f"{gold.index[-1]:%Y-%m-%d})",
                int(stale[0]) + 1,
            )
        keep = np.ones(len(flows), dtype=bool)
    kept = flows.loc[keep]
    if len(kept) < 2 * MIN_TRAIN_ROWS:
        raise DataValidationError(
            source,
            f"{len(kept)} flow days with gold features; at least {2 * MIN_TRAIN_ROWS} needed",
        )
    X = market.iloc[pos[keep]].set_axis(kept.index)
    gold_values = gold.to_numpy(dtype=np.float64)
    rows = gold.index.get_indexer(gold_dates[pos[keep]])
    token = token_features(gold_values, rows, token_mode, augmentation, np.random.default_rng(seed))
    for k, name in enumerate(TOKEN_FEATURES):
        X[name] = kept[name].to_numpy() if name in kept else token[:, k]
    y = flow_labels(kept, rule)
    labelling = {
        "kind": "observed_flows",
        **asdict(rule or FlowLabelRule()),
        "flow_columns": [c for c in FLOW_COLUMNS if c in flows],
        "token_columns": [c for c in FLOW_TOKEN_COLUMNS if c in flows],
        "token_mode": token_mode,
        "seed": seed,
    }
    return TrainingSet(X[list(FEATURES)], y, source, gap=1, labelling=labelling)


def is_flows_csv(path: str | os.PathLike[str]) -> bool:
    """Whether a CSV's header names a flow column (so it is flows, not gold prices).

    Args:
        path: The CSV file.

    Returns:
        True when a column of :data:`FLOW_COLUMNS` is in the header.

    Raises:
        DataValidationError: The file cannot be read.
    """
    try:
        with open(path, encoding="utf-8-sig") as fh:
            header = fh.readline()
    except OSError as exc:
        raise DataValidationError(str(path), f"cannot read the file: {exc}") from exc
    names = {c.strip().strip('"') for c in header.strip().split(",")}
    return any(c in names for c in FLOW_COLUMNS)
