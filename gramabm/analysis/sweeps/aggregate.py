"""Aggregates of a sweep's result table across Monte Carlo seeds, with confidence intervals.

A sweep's result table (one row per run; see the experiments contract) has ``p_*`` columns for the
varied parameters, ``m_*`` columns for the per-run metrics, a ``scenario`` and a ``status``. The
functions here are pure functions of that DataFrame: they never run a model.

:func:`aggregate` groups the successful runs by design point (scenario and every ``p_*`` column) and
gives, per metric, the number of runs with a value ``n``, the ``mean``, the sample ``std`` and a
confidence interval for the mean at ``level`` (95% by default):

* ``method="t"``: Student's t interval ``mean ± t_{(1+level)/2, n-1} · std / sqrt(n)``; exact for
  normal outcomes, a fair approximation for the handful of seeds a sweep usually has;
* ``method="bootstrap"``: the percentile interval of ``n_boot`` resampled means (seeded, so the
  same table gives the same interval); better for skewed metrics when ``n`` is not tiny.

**An interval that can be.** Below :data:`MIN_INTERVAL_N` values (three seeds) no interval is
given (NaN; :func:`interval_note` says why): two seeds give a t interval a dozen times wider than
their spread, often reaching values the metric cannot take. A metric with a known range
(:data:`METRIC_RANGES`: a share, a count of hours, a ratio) has its interval clipped to that
range, and a 0/1 metric (``m_mm_withdrew``: its mean is the share of runs) gets the Wilson
interval, which stays inside [0, 1]. A percentile bootstrap interval lies within the values seen.
Missing values (a metric None in a run) are left out of that metric's statistics, so ``n`` may
differ between metrics of one design point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from gramabm.analysis.sweeps.columns import (
    is_metric_column,
    is_param_column,
    metric_column,
    metric_name,
)
from gramabm.errors import ConfigError

__all__ = ["metric_column", "metric_name"]  # re-exported: the naming lives in columns

STAT_COLUMNS: tuple[str, ...] = ("n", "mean", "std", "ci_low", "ci_high")
"""The statistics :func:`aggregate` gives per design point and metric."""

CIMethod = Literal["t", "bootstrap"]

MIN_INTERVAL_N = 3
"""Fewest values (seeds) an interval is given for."""

_HOURS = (0.0, math.inf)
METRIC_RANGES: dict[str, tuple[float, float]] = {
    "worst_discount_bp": (-10_000.0, math.inf),  # a price cannot fall below zero
    "worst_traded_discount_bp": (-10_000.0, math.inf),
    "mean_abs_deviation_bp": (0.0, math.inf),
    "hours_outside_50bp": _HOURS,
    "hours_outside_100bp": _HOURS,
    "hours_ask_side_empty": _HOURS,
    "hours_bid_side_empty": _HOURS,
    "half_life_hours": _HOURS,
    "time_to_recover_hours": _HOURS,
    "min_reserve_ratio_actual": (0.0, math.inf),
    "min_reserve_ratio_reported": (0.0, math.inf),
    "share_initial_supply_redeemed": (0.0, math.inf),
    "mm_withdrew": (0.0, 1.0),
    "max_spread_bp": (0.0, math.inf),
    "governance_actions_count": (0.0, math.inf),
}
"""The values each run metric can take (by name, without ``m_``); intervals are clipped to them.
A metric not named here is clipped to nothing but the sample-size rule."""


def interval_note(n: int) -> str:
    """Why a sample of ``n`` values has no interval ("" when it has one)."""
    if n >= MIN_INTERVAL_N:
        return ""
    return f"{n} seed{'s' if n != 1 else ''}: too few for an interval (needs {MIN_INTERVAL_N})"


def param_columns(results: pd.DataFrame) -> list[str]:
    """The varied-parameter columns (``p_*``) of a result table, in table order."""
    return [c for c in results.columns if is_param_column(c)]


def metric_columns(results: pd.DataFrame, *, numeric_only: bool = True) -> list[str]:
    """The metric columns (``m_*``) of a result table, in table order.

    Args:
        results: The result table.
        numeric_only: Keep only numeric and boolean metrics (drop text such as the half-life flag
            or JSON-encoded lists).
    """
    cols = [c for c in results.columns if is_metric_column(c)]
    if not numeric_only:
        return cols
    keep = []
    for c in cols:
        series = results[c]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            keep.append(c)
        elif series.dropna().map(lambda v: isinstance(v, bool | int | float)).all():
            # An object column of numbers and Nones (a metric None in some runs).
            keep.append(c)
    return keep


def ok_runs(results: pd.DataFrame) -> pd.DataFrame:
    """The successful runs (``status == "ok"``; every row if the table has no ``status``)."""
    if "status" not in results.columns:
        return results
    return results[results["status"] == "ok"]


def numeric(series: pd.Series) -> np.ndarray:
    """A metric column as float64 (booleans as 0/1, None as NaN)."""
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Student's t confidence interval for the mean of ``values`` (NaNs dropped).

    Returns:
        ``(low, high)``; NaN for fewer than two values. A zero spread gives ``(mean, mean)``.
    """
    _check_level(level)
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size < 2:
        return _nan_pair()
    mean = float(x.mean())
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return mean - half, mean + half


def bootstrap_interval(
    values: np.ndarray,
    level: float = 0.95,
    *,
    n_boot: int = 2000,
    rng: np.random.Generator | int | None = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of ``values`` (NaNs dropped).

    Args:
        values: The sample.
        level: Confidence level in (0, 1).
        n_boot: Resamples.
        rng: Generator or seed of the resampling (fixed by default: same data, same interval).

    Returns:
        ``(low, high)``; NaN for fewer than two values.
    """
    _check_level(level)
    if n_boot < 10:
        raise ConfigError(f"n_boot must be at least 10, got {n_boot}")
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size < 2:
        return _nan_pair()
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    # One (n_boot, n) index draw: vectorised, the means in a single reduction.
    means = x[gen.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, [0.5 - level / 2, 0.5 + level / 2])
    return float(lo), float(hi)


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a share ``successes / n`` (e.g. the share of runs breaking).

    Returns:
        ``(low, high)`` in [0, 1]; NaN when ``n`` is 0.

    Raises:
        ConfigError: If ``successes`` is outside ``[0, n]``.
    """
    _check_level(level)
    if n == 0:
        return _nan_pair()
    if not 0 <= successes <= n:
        raise ConfigError(f"successes must be in [0, n={n}], got {successes}")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def _nan_pair() -> tuple[float, float]:
    """``(nan, nan)``: the interval of a sample too small to have one."""
    return float("nan"), float("nan")


def describe(
    values: np.ndarray,
    *,
    level: float = 0.95,
    method: CIMethod = "t",
    n_boot: int = 2000,
    rng: np.random.Generator | int | None = 0,
    bounds: tuple[float, float] | None = None,
) -> dict[str, float]:
    """``n``, ``mean``, ``std`` (ddof 1) and the interval of one sample (NaNs dropped).

    Args:
        values: The sample (one value per seed).
        level: Confidence level.
        method: ``"t"`` or ``"bootstrap"``; a 0/1 sample within ``bounds`` (0, 1) gets Wilson's.
        n_boot: Bootstrap resamples.
        rng: Bootstrap generator or seed.
        bounds: The values the metric can take; the interval is clipped to them.

    Returns:
        The statistics; the interval is NaN below :data:`MIN_INTERVAL_N` values.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else float("nan")
    std = float(x.std(ddof=1)) if n > 1 else float("nan")
    if method not in ("t", "bootstrap"):
        raise ConfigError(f"method must be 't' or 'bootstrap', got {method!r}")
    if n < MIN_INTERVAL_N:
        lo, hi = _nan_pair()
    elif bounds == (0.0, 1.0) and np.isin(x, (0.0, 1.0)).all():
        lo, hi = wilson_interval(int(x.sum()), n, level)
    elif method == "t":
        lo, hi = t_interval(x, level)
    else:
        lo, hi = bootstrap_interval(x, level, n_boot=n_boot, rng=rng)
    if bounds is not None and not math.isnan(lo):
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return {"n": n, "mean": mean, "std": std, "ci_low": lo, "ci_high": hi}


def design_columns(results: pd.DataFrame) -> list[str]:
    """The columns that identify a design point: ``scenario`` (if present) and every ``p_*``."""
    lead = ["scenario"] if "scenario" in results.columns else []
    return [*lead, *param_columns(results)]


def aggregate(
    results: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    by: Sequence[str] | None = None,
    level: float = 0.95,
    method: CIMethod = "t",
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Statistics per design point and metric across the successful runs (tidy: one row each).

    Args:
        results: The result table.
        metrics: Metric names (``worst_discount_bp`` or ``m_worst_discount_bp``); default every
            numeric ``m_*`` column.
        by: Grouping columns; default :func:`design_columns` (scenario and every parameter).
        level: Confidence level of the interval.
        method: ``"t"`` or ``"bootstrap"`` (see the module docstring).
        n_boot: Bootstrap resamples.
        seed: Seed of the bootstrap; each group uses its own stream spawned from it, in group
            order, so the answer does not depend on which metrics are asked for.

    Returns:
        Columns: the ``by`` columns, ``metric`` (name without ``m_``), ``n``, ``mean``, ``std``,
        ``ci_low``, ``ci_high``; sorted by the ``by`` columns then the metric's order.

    Raises:
        ConfigError: A named metric or grouping column is missing, or no run succeeded.
    """
    _check_level(level)
    ok = ok_runs(results)
    if ok.empty:
        raise ConfigError(
            "no successful runs to aggregate (every run failed or the table is empty)"
        )
    cols = _resolve_metrics(ok, metrics)
    keys = list(by) if by is not None else design_columns(ok)
    missing = [k for k in keys if k not in ok.columns]
    if missing:
        raise ConfigError(f"grouping column(s) {missing} not in the result table")

    rows: list[dict[str, object]] = []
    groups = ok.groupby(keys, sort=True, dropna=False) if keys else [((), ok)]
    for g, (key, frame) in enumerate(groups):
        key_t = key if isinstance(key, tuple) else (key,)
        base = dict(zip(keys, key_t, strict=True))
        streams = np.random.SeedSequence([seed, g]).spawn(len(cols))
        for col, stream in zip(cols, streams, strict=True):
            stat = describe(
                numeric(frame[col]),
                level=level,
                method=method,
                n_boot=n_boot,
                rng=np.random.default_rng(stream),
                bounds=METRIC_RANGES.get(metric_name(col)),
            )
            rows.append({**base, "metric": metric_name(col), **stat})
    out = pd.DataFrame(rows, columns=[*keys, "metric", *STAT_COLUMNS])
    out["n"] = out["n"].astype(np.int64)
    return out


def aggregate_wide(
    summary: pd.DataFrame, *, statistics: Sequence[str] = STAT_COLUMNS
) -> pd.DataFrame:
    """Turn :func:`aggregate`'s tidy table into one row per design point.

    Columns become ``<metric>_<stat>`` (``worst_discount_bp_mean``, ``..._ci_low``).
    """
    keys = [c for c in summary.columns if c not in ("metric", *STAT_COLUMNS)]
    order = list(dict.fromkeys(summary["metric"]))
    wide = summary.pivot_table(
        index=keys or None, columns="metric", values=list(statistics), aggfunc="first", dropna=False
    )
    wide.columns = [f"{m}_{s}" for s, m in wide.columns]
    ordered = [f"{m}_{s}" for m in order for s in statistics if f"{m}_{s}" in wide.columns]
    return wide[ordered].reset_index() if keys else wide[ordered]


def failure_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Failed runs per design point with the last line of the first traceback.

    Returns:
        Columns: the design columns, ``failed``, ``runs``, ``first_error``; only design points
        with at least one failure.
    """
    if "status" not in results.columns:
        return pd.DataFrame(columns=["failed", "runs", "first_error"])
    keys = design_columns(results)
    failed = results["status"] != "ok"
    errors = results.get("error", pd.Series("", index=results.index)).fillna("").astype(str)
    frame = results.assign(_failed=failed, _error=errors.map(_last_line))
    if not keys:
        frame = frame.assign(_all="all")
        keys = ["_all"]
    grouped = frame.groupby(keys, sort=True, dropna=False)
    out = grouped.agg(
        failed=("_failed", "sum"),
        runs=("_failed", "size"),
        first_error=("_error", lambda s: next((e for e in s if e), "")),
    ).reset_index()
    out = out[out["failed"] > 0].reset_index(drop=True)
    out["failed"] = out["failed"].astype(np.int64)
    return out.drop(columns=["_all"], errors="ignore")


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def _resolve_metrics(results: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    if metrics is None:
        cols = metric_columns(results)
        if not cols:
            raise ConfigError("the result table has no numeric metric (m_*) columns")
        return cols
    cols = [metric_column(m) for m in metrics]
    missing = [c for c in cols if c not in results.columns]
    if missing:
        known = ", ".join(metric_name(c) for c in metric_columns(results))
        raise ConfigError(
            f"metric(s) {[metric_name(c) for c in missing]} not in the results; known: {known}"
        )
    return cols


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ConfigError(f"confidence level must be in (0, 1), got {level!r}")
