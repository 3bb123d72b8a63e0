"""Recommendations: lever settings ranked by their effect on the stability metrics.

A **lever** is a parameter the issuer or its governance controls (primary-market fees and terms,
governance thresholds, arbitrage access, custody set-up); the rest of a sweep's parameters (shock
severity, holder behaviour, market makers' limits) are **uncertainties** the levers must cope with.
The roles come from the configuration's declaration, as the sweep recorded them
(:mod:`gramabm.analysis.sweeps.roles`), never from a column's name. For each lever, each of
its settings is compared with a **reference setting** (by default the base configuration's value, or
the middle of the grid) on each stability metric:

* **effect** = mean metric at the setting − mean metric at the reference. On a grid the comparison is
  *matched*: it is made within each combination of the other parameters and the scenario (a
  stratum) and then averaged over the strata, so a lever is never credited with another parameter's
  effect. Its 95% interval combines the strata's Welch variances (``s²/n`` of both groups) with
  Welch–Satterthwaite degrees of freedom when each design point has replications; without
  replications it is the paired t interval of the per-stratum differences. Where settings never
  share a stratum (random or Latin-hypercube designs), the comparison is the plain Welch difference of
  the two groups of runs (confounding averages out over a random design), and a lever with more than
  ``max_levels`` distinct values is first cut into ``bins`` quantile bins.
* **improvement** = effect signed so that positive is better (a shallower worst discount, fewer hours
  outside the band, a higher reserve ratio; see :data:`STABILITY_METRICS`), and the **standardised
  improvement** divides it by the metric's standard deviation over the whole sweep, so metrics in bp,
  hours and ratios can be averaged.
* **verdict**: ``better`` or ``worse`` when the interval excludes zero, ``unclear`` otherwise.

Settings are ranked by their **score**, the mean standardised improvement over the metrics, and each
gets a plain-language sentence. Pure functions of the result table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gramabm.analysis.runs.metrics import direction
from gramabm.analysis.sweeps.aggregate import (
    design_columns,
    metric_column,
    metric_name,
    numeric,
    ok_runs,
)
from gramabm.analysis.sweeps.discovery import param_label
from gramabm.analysis.sweeps.roles import role_of, varying_levers
from gramabm.errors import ConfigError


@dataclass(frozen=True)
class MetricSense:
    """How to word a stability metric (which way is better is the metric's own declaration).

    Attributes:
        label: Name in sentences.
        unit: Unit suffix in sentences (``" bp"``, ``" h"``, ``""``).
        digits: Decimals shown.
    """

    label: str
    unit: str
    digits: int = 1


STABILITY_METRICS: dict[str, MetricSense] = {
    "worst_discount_bp": MetricSense("worst discount", " bp"),
    "worst_premium_bp": MetricSense("worst premium", " bp"),
    "worst_traded_discount_bp": MetricSense("worst traded discount", " bp"),
    "worst_traded_premium_bp": MetricSense("worst traded premium", " bp"),
    "mean_abs_deviation_bp": MetricSense("mean absolute deviation", " bp"),
    "median_abs_deviation_bp": MetricSense("median absolute deviation", " bp"),
    "hours_outside_50bp": MetricSense("hours outside ±50 bp", " h"),
    "hours_outside_100bp": MetricSense("hours outside ±100 bp", " h"),
    "time_to_recover_hours": MetricSense("time to recover", " h"),
    "half_life_hours": MetricSense("deviation half-life", " h"),
    "min_reserve_ratio_actual": MetricSense("lowest actual reserve ratio", "", 4),
    "min_reserve_ratio_reported": MetricSense("lowest reported reserve ratio", "", 4),
    "share_initial_supply_redeemed": MetricSense("share of supply redeemed", "", 3),
    "max_redemption_queue_g": MetricSense("largest redemption queue", " g", 0),
    "holders_mean_excess_return": MetricSense("holders' return against gold", "", 4),
    "token_hold_excess_return_worst": MetricSense("worst token-vs-gold return", "", 4),
    "min_depth_1pct_ratio": MetricSense("lowest depth (share of calm depth)", "", 3),
    "max_spread_bp": MetricSense("widest spread", " bp"),
}
"""Wording of the metrics recommendations know; each has a direction (:func:`better_sign`)."""

DEFAULT_METRICS: tuple[str, ...] = (
    "worst_discount_bp",
    "hours_outside_100bp",
    "mean_abs_deviation_bp",
    "min_reserve_ratio_actual",
)
"""Metrics used when none are named (those present in the table)."""

EFFECT_COLUMNS: tuple[str, ...] = (
    "lever",
    "setting",
    "reference",
    "metric",
    "effect",
    "ci_low",
    "ci_high",
    "improvement",
    "std_improvement",
    "verdict",
    "n_setting",
    "n_reference",
    "strata",
    "method",
    "sentence",
)
RANKING_COLUMNS: tuple[str, ...] = (
    "rank",
    "lever",
    "setting",
    "reference",
    "score",
    "better",
    "worse",
    "unclear",
    "sentence",
)


@dataclass(frozen=True)
class Recommendations:
    """Effects of every lever setting, and the settings ranked.

    Attributes:
        effects: One row per lever, setting and metric (columns :data:`EFFECT_COLUMNS`).
        ranking: One row per lever setting other than the reference, best score first (columns
            :data:`RANKING_COLUMNS`).
        level: Confidence level of the intervals.
    """

    effects: pd.DataFrame
    ranking: pd.DataFrame
    level: float

    def sentences(self) -> list[str]:
        """The ranking's sentences, best first."""
        return list(self.ranking["sentence"])


def better_sign(metric: str) -> int:
    """+1 if higher is better, -1 if lower is better (:data:`~gramabm.analysis.runs.metrics.DIRECTIONS`).

    Raises:
        ConfigError: A metric without a declared direction.
    """
    better = direction(metric)
    if better is None:
        raise ConfigError(f"metric {metric!r} has no declared better direction")
    return 1 if better == "higher" else -1


def default_levers(results: pd.DataFrame, roles: Mapping[str, str] | None = None) -> list[str]:
    """The varying parameter columns whose role is ``lever``.

    Args:
        results: The result table.
        roles: Column → role as the sweep recorded it (``experiment.json``'s ``roles``); a column
            not in it takes the configuration's default role.
    """
    return varying_levers(results, roles)


def reference_from_config(base_config: Mapping[str, Any], levers: Sequence[str]) -> dict[str, Any]:
    """Each lever's value in a nested base configuration (levers it does not set are left out)."""
    out: dict[str, Any] = {}
    for col in levers:
        node: Any = base_config
        for part in param_label(col).split("."):
            if not isinstance(node, Mapping) or part not in node:
                node = None
                break
            node = node[part]
        if node is not None:
            out[col] = node
    return out


def _levels(series: pd.Series, max_levels: int, bins: int) -> tuple[pd.Series, bool]:
    """The lever's settings per run, binned into quantile ranges if it has too many values."""
    if series.nunique(dropna=True) <= max_levels or not pd.api.types.is_numeric_dtype(series):
        return series, False
    cut = pd.qcut(series.astype(float), q=bins, duplicates="drop")
    labels = cut.map(lambda iv: f"[{iv.left:.4g}, {iv.right:.4g}]").astype(str)
    return labels, True


def _pick_reference(levels: pd.Series, wanted: Any, binned: bool, raw: pd.Series) -> Any:
    values = list(pd.unique(levels.dropna()))
    if wanted is not None:
        if binned:
            # The bin holding the wanted value (the run nearest to it).
            nearest = (raw.astype(float) - float(wanted)).abs().idxmin()
            return levels.loc[nearest]
        for v in values:
            if v == wanted:
                return v
    try:
        ordered = sorted(values)
    except TypeError:
        ordered = sorted(values, key=str)
    return ordered[(len(ordered) - 1) // 2]


def _welch(a: np.ndarray, b: np.ndarray, level: float) -> tuple[float, float, float]:
    """Difference of means ``a - b`` with Welch's interval."""
    diff = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return diff, float("nan"), float("nan")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 == 0:
        return diff, diff, diff
    df = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * np.sqrt(se2))
    return diff, diff - half, diff + half


def _matched(
    y: np.ndarray, strata: np.ndarray, is_set: np.ndarray, is_ref: np.ndarray, level: float
) -> tuple[float, float, float, int, str] | None:
    """Stratified effect over the strata holding both settings; None if there are none."""
    diffs, var_terms, df_terms = [], [], []
    replicated = True
    for s in np.unique(strata[is_set]):
        a = y[is_set & (strata == s)]
        b = y[is_ref & (strata == s)]
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if a.size == 0 or b.size == 0:
            continue
        diffs.append(a.mean() - b.mean())
        if a.size < 2 or b.size < 2:
            replicated = False
            continue
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        var_terms.append(va + vb)
        df_terms.append(va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    k = len(diffs)
    if k == 0:
        return None
    d = np.asarray(diffs)
    effect = float(d.mean())
    if replicated:
        se2 = float(np.sum(var_terms)) / k**2
        if se2 == 0:
            return effect, effect, effect, k, "matched"
        df = float(np.sum(var_terms)) ** 2 / float(np.sum(df_terms))
        half = float(stats.t.ppf(0.5 + level / 2, df) * np.sqrt(se2))
        return effect, effect - half, effect + half, k, "matched"
    if k >= 2:
        half = float(stats.t.ppf(0.5 + level / 2, k - 1) * d.std(ddof=1) / np.sqrt(k))
        return effect, effect - half, effect + half, k, "matched-paired"
    return effect, float("nan"), float("nan"), k, "matched"


def _fmt_value(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def _signed(value: float, sense: MetricSense) -> str:
    return f"{value:+.{sense.digits}f}{sense.unit}"


def effect_sentence(row: Mapping[str, Any], level: float = 0.95) -> str:
    """One plain-language sentence for one effect row."""
    sense = STABILITY_METRICS.get(row["metric"], MetricSense(row["metric"], ""))
    lever = param_label(row["lever"])
    head = (
        f"{lever} = {_fmt_value(row['setting'])} instead of {_fmt_value(row['reference'])}: "
        f"{sense.label}"
    )
    effect, lo, hi = row["effect"], row["ci_low"], row["ci_high"]
    if np.isnan(lo):
        return f"{head} changes by {_signed(effect, sense)} (no interval: too few runs)."
    ci = f"{level:.0%} CI {_signed(lo, sense)} to {_signed(hi, sense)}"
    if row["verdict"] == "unclear":
        return f"{head}: no clear change ({_signed(effect, sense)}, {ci})."
    word = "improves" if row["verdict"] == "better" else "worsens"
    return f"{head} {word} by {_signed(effect, sense)} ({ci})."


def recommend(
    results: pd.DataFrame,
    *,
    levers: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    reference: Mapping[str, Any] | None = None,
    roles: Mapping[str, str] | None = None,
    level: float = 0.95,
    max_levels: int = 10,
    bins: int = 3,
) -> Recommendations:
    """Rank lever settings by their effect on the stability metrics.

    Args:
        results: The result table.
        levers: Lever columns (``p_*``); default :func:`default_levers`.
        metrics: Metric names; default the :data:`DEFAULT_METRICS` present in the table. Each must
            be in :data:`STABILITY_METRICS` (its better direction must be known).
        reference: Lever column → reference value (see :func:`reference_from_config`); a lever not
            given takes the middle of its sorted settings.
        roles: Column → role as the sweep recorded it (default: the configuration's roles).
        level: Confidence level.
        max_levels: Levers with more distinct values are binned.
        bins: Quantile bins of a binned lever.

    Returns:
        The effects and the ranking.

    Raises:
        ConfigError: No lever, a named lever that is an uncertainty, unknown metric, or no
            successful run.
    """
    if not 0.0 < level < 1.0:
        raise ConfigError(f"level must be in (0, 1), got {level}")
    ok = ok_runs(results).reset_index(drop=True)
    if ok.empty:
        raise ConfigError("no successful runs to compare")
    lever_cols = list(levers) if levers is not None else default_levers(ok, roles)
    if not lever_cols:
        raise ConfigError(
            "no lever varies in this sweep (only uncertainties such as shock severity, holder "
            "behaviour or market makers' limits); a sweep spec may declare role = 'lever'"
        )
    missing = [c for c in lever_cols if c not in ok.columns]
    if missing:
        raise ConfigError(f"lever column(s) {missing} not in the results")
    not_levers = [param_label(c) for c in lever_cols if role_of(c, roles) != "lever"]
    if not_levers:
        raise ConfigError(
            f"{', '.join(not_levers)} cannot be set by governance (role: uncertainty): "
            "not recommended as a lever"
        )
    names = (
        [metric_name(metric_column(m)) for m in metrics]
        if metrics is not None
        else [m for m in DEFAULT_METRICS if metric_column(m) in ok.columns]
    )
    unknown = [m for m in names if m not in STABILITY_METRICS]
    if unknown:
        raise ConfigError(
            f"metric(s) {unknown} have no known better direction; known: "
            f"{', '.join(STABILITY_METRICS)}"
        )
    absent = [m for m in names if metric_column(m) not in ok.columns]
    if absent or not names:
        raise ConfigError(f"metric(s) {absent or 'none'} not in the results")
    values = {m: numeric(ok[metric_column(m)]) for m in names}
    spread = {
        m: float(np.nanstd(v, ddof=1)) if np.sum(~np.isnan(v)) > 1 else 0.0
        for m, v in values.items()
    }
    reference = dict(reference or {})

    rows: list[dict[str, Any]] = []
    for lever in lever_cols:
        levels, binned = _levels(ok[lever], max_levels, bins)
        ref = _pick_reference(levels, reference.get(lever), binned, ok[lever])
        others = [c for c in design_columns(ok) if c != lever]
        strata = (
            ok[others].astype(str).agg("|".join, axis=1).to_numpy()
            if others
            else np.zeros(len(ok), dtype=object)
        )
        is_ref = (levels == ref).to_numpy()
        settings = [v for v in _sorted_unique(levels) if v != ref]
        for setting in settings:
            is_set = (levels == setting).to_numpy()
            for m in names:
                y = values[m]
                res = None if binned else _matched(y, strata, is_set, is_ref, level)
                if res is None:
                    a, b = y[is_set], y[is_ref]
                    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
                    if a.size == 0 or b.size == 0:
                        continue
                    effect, lo, hi = _welch(a, b, level)
                    k, method = 0, "marginal"
                else:
                    effect, lo, hi, k, method = res
                improvement = better_sign(m) * effect
                if np.isnan(lo) or lo <= 0 <= hi:
                    verdict = "unclear"
                else:
                    verdict = "better" if improvement > 0 else "worse"
                row = {
                    "lever": lever,
                    "setting": setting,
                    "reference": ref,
                    "metric": m,
                    "effect": effect,
                    "ci_low": lo,
                    "ci_high": hi,
                    "improvement": improvement,
                    "std_improvement": improvement / spread[m] if spread[m] > 0 else 0.0,
                    "verdict": verdict,
                    "n_setting": int(np.sum(is_set & ~np.isnan(y))),
                    "n_reference": int(np.sum(is_ref & ~np.isnan(y))),
                    "strata": k,
                    "method": method,
                }
                row["sentence"] = effect_sentence(row, level)
                rows.append(row)
    effects = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    return Recommendations(effects, _rank(effects), level)


def _sorted_unique(levels: pd.Series) -> list[Any]:
    values = list(pd.unique(levels.dropna()))
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _rank(effects: pd.DataFrame) -> pd.DataFrame:
    if effects.empty:
        return pd.DataFrame(columns=list(RANKING_COLUMNS))
    rows = []
    for (lever, setting), grp in effects.groupby(["lever", "setting"], sort=False):
        ref = grp["reference"].iloc[0]
        better = grp[grp["verdict"] == "better"]
        worse = grp[grp["verdict"] == "worse"]
        unclear = int((grp["verdict"] == "unclear").sum())
        rows.append(
            {
                "lever": lever,
                "setting": setting,
                "reference": ref,
                "score": float(grp["std_improvement"].mean()),
                "better": len(better),
                "worse": len(worse),
                "unclear": unclear,
                "sentence": _summary_sentence(lever, setting, ref, better, worse, unclear),
            }
        )
    ranking = pd.DataFrame(rows)
    ranking = ranking.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
    return ranking[list(RANKING_COLUMNS)]


def _summary_sentence(
    lever: str, setting: Any, ref: Any, better: pd.DataFrame, worse: pd.DataFrame, unclear: int
) -> str:
    def listed(frame: pd.DataFrame) -> str:
        parts = []
        for _, r in frame.iterrows():
            sense = STABILITY_METRICS[r["metric"]]
            parts.append(f"{sense.label} {_signed(r['effect'], sense)}")
        return "; ".join(parts)

    head = f"Setting {param_label(lever)} to {_fmt_value(setting)} (reference {_fmt_value(ref)})"
    if better.empty and worse.empty:
        return f"{head} makes no clear difference to any metric ({unclear} unclear)."
    pieces = []
    if not better.empty:
        pieces.append(f"is better on {len(better)} metric(s) ({listed(better)})")
    if not worse.empty:
        pieces.append(f"worse on {len(worse)} ({listed(worse)})")
    tail = f"; {unclear} unclear" if unclear else ""
    return f"{head} " + " and ".join(pieces) + tail + "."
