"""The HTML report of a sweep: tables, figures, sensitivity, scenario discovery, recommendations.

:func:`write_sweep_report` writes one self-contained HTML file from a sweep's result table (one row
per run, the experiments contract) and its manifest (``experiment.json``): figures are embedded as
base64 PNG, styles are inline, there is no script and no link out, so the file opens offline and
can be mailed as it is. The per-design-point aggregates are also written beside it as CSV.

Sections: the design and run counts; failed runs; headline metrics per design point (mean and 95%
interval over seeds); main effects of each parameter; a heatmap for two-parameter grids; global
sensitivity (Sobol' or surrogate importance with its R²); scenario discovery for a break criterion
(PRIM box with coverage and density); recommendations (lever settings ranked against a reference,
with effect sizes, intervals and one sentence each). A section that cannot be computed says why
instead of failing the report. No timestamp: the same results give the same file.
"""

from __future__ import annotations

import base64
import html
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gramabm.analysis.render.html_report import PAGE_HEAD
from gramabm.analysis.render.plots import figure_png
from gramabm.analysis.render.sweep_plots import (
    discovery_figure,
    effects_figure,
    heatmap_figure,
    main_effects_figure,
    sensitivity_figure,
)
from gramabm.analysis.runs.metrics import direction as better_direction
from gramabm.analysis.sweeps.aggregate import (
    MIN_INTERVAL_N,
    aggregate,
    aggregate_wide,
    failure_summary,
    metric_column,
    ok_runs,
    param_columns,
)
from gramabm.analysis.sweeps.discovery import discover, param_label
from gramabm.analysis.sweeps.recommend import (
    STABILITY_METRICS,
    default_levers,
    recommend,
    reference_from_config,
)
from gramabm.analysis.sweeps.sensitivity import sensitivity
from gramabm.errors import ConfigError, GramabmError

REPORT_METRICS: tuple[str, ...] = (
    "worst_discount_bp",
    "hours_outside_100bp",
    "mean_abs_deviation_bp",
    "min_reserve_ratio_actual",
    "share_initial_supply_redeemed",
    "time_to_recover_hours",
)
"""Headline metrics of the report (those present in the results)."""

DEFAULT_CRITERION: tuple[str, str, float] = ("worst_discount_bp", "below", -100.0)
"""Scenario discovery's default case: the worst discount beyond -100 bp."""

MAX_TABLE_ROWS = 60
"""Design points shown in the aggregates table (all are in the CSV)."""


def aggregates_csv_path(out_path: str | Path) -> Path:
    """Where the report's aggregates CSV goes: ``<report stem>_aggregates.csv`` beside it."""
    out = Path(out_path)
    return out.with_name(f"{out.stem}_aggregates.csv")


def write_sweep_report(
    results_df: pd.DataFrame,
    out_path: str | Path,
    *,
    spec_meta: Mapping[str, Any] | None,
    metrics: Sequence[str] | None = None,
    criterion: tuple[str, str, float] | None = None,
    title: str | None = None,
) -> Path:
    """Write the sweep's HTML report (and its aggregates CSV) and return the report's path.

    Args:
        results_df: The result table (``gramabm.sweeps.store.read_results``).
        out_path: The HTML file to write (parent directories created).
        spec_meta: The sweep's manifest (``experiment.json``: name, description, design,
            parameters, scenarios, ``salib``, ``base_config``), or None.
        metrics: Headline metrics (default: :data:`REPORT_METRICS` present in the results).
        criterion: ``(metric, "below" | "above", threshold)`` for scenario discovery (default
            :data:`DEFAULT_CRITERION`).
        title: Page title (default ``"Sweep report: <experiment>"``).

    Returns:
        The HTML file's path.

    Raises:
        ConfigError: If the table has no rows.
    """
    if results_df.empty:
        raise ConfigError("the sweep report needs at least one run in the result table")
    meta = dict(spec_meta or {})
    name = str(meta.get("experiment") or _first(results_df, "experiment") or "sweep")
    title = title or f"Sweep report: {name}"
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = ok_runs(results_df)
    chosen = [m for m in (metrics or REPORT_METRICS) if metric_column(m) in results_df.columns]
    parts = [
        PAGE_HEAD.format(title=html.escape(title)),
        f"<h1>{html.escape(title)}</h1>",
        _overview(results_df, meta),
        _failures(results_df),
    ]
    if ok.empty or not chosen:
        parts.append(
            '<p class="note">No successful run with headline metrics: nothing to analyse.</p>'
        )
    else:
        parts += [
            _aggregates(ok, chosen, out),
            _main_effects(ok, chosen),
            _heatmap(ok, chosen),
            _sensitivity(ok, chosen, meta),
            _discovery(ok, criterion or DEFAULT_CRITERION, meta.get("roles")),
            _recommendations(ok, chosen, meta),
        ]
    parts.append(_METHODS)
    parts.append("</body>\n</html>\n")
    out.write_text("\n".join(p for p in parts if p), encoding="utf-8")
    return out


# --- sections ----------------------------------------------------------------------------------


def _overview(results: pd.DataFrame, meta: Mapping[str, Any]) -> str:
    status = results["status"] if "status" in results.columns else pd.Series("ok", results.index)
    design = meta.get("design") or {}
    scenarios = meta.get("scenarios") or sorted(
        results.get("scenario", pd.Series(dtype=str)).unique()
    )
    items = [
        ("experiment", meta.get("experiment") or _first(results, "experiment")),
        ("description", meta.get("description")),
        ("runs", len(results)),
        ("successful", int((status == "ok").sum())),
        ("failed", int((status != "ok").sum())),
        ("design", design.get("kind")),
        ("design points", meta.get("points") or results.get("design_index", pd.Series()).nunique()),
        ("replications", meta.get("replications")),
        ("scenarios", ", ".join(map(str, scenarios))),
        ("root seed", meta.get("root_seed")),
    ]
    parts = ["<h2>Design</h2>", _kv_table([(k, v) for k, v in items if v not in (None, "")])]
    params = meta.get("parameters")
    if params:
        rows = []
        for p in params:
            spec = p.get("values")
            if spec is None:
                spec = f"[{p.get('min')}, {p.get('max')}]" + (
                    f", {p['num']} points" if p.get("num") else ""
                )
                spec += " (log)" if p.get("log") else ""
                spec += " (integer)" if p.get("integer") else ""
            rows.append({"parameter": p.get("name"), "column": p.get("column"), "values": spec})
        parts.append(_table(pd.DataFrame(rows)))
    else:
        cols = param_columns(results)
        if cols:
            rows = [{"parameter": param_label(c), "values": _levels_text(results[c])} for c in cols]
            parts.append(_table(pd.DataFrame(rows)))
    base = meta.get("base_config")
    if base:
        text = json.dumps(base, sort_keys=True, indent=2, default=str)
        parts.append(
            f"<details><summary>base configuration</summary><pre>{html.escape(text)}</pre></details>"
        )
    return "\n".join(parts)


def _failures(results: pd.DataFrame) -> str:
    fails = failure_summary(results)
    if fails.empty:
        return ""
    return "\n".join(
        [
            "<h2>Failed runs</h2>",
            (
                '<p class="note">Failed runs are left out of every statistic below. The full '
                "tracebacks are in the results' <code>error</code> column.</p>"
            ),
            _table(fails.head(MAX_TABLE_ROWS)),
        ]
    )


def _aggregates(ok: pd.DataFrame, metrics: list[str], out: Path) -> str:
    summary = aggregate(ok, metrics)
    wide = aggregate_wide(summary)
    wide.to_csv(aggregates_csv_path(out), index=False, lineterminator="\n")
    keys = [c for c in wide.columns if not any(c.startswith(f"{m}_") for m in metrics)]
    shown = wide[keys].copy()
    for m in metrics:
        shown[m] = [
            _mean_ci(r[f"{m}_mean"], r[f"{m}_ci_low"], r[f"{m}_ci_high"], r.get(f"{m}_n"))
            for _, r in wide.iterrows()
        ]
    shown["seeds"] = wide[f"{metrics[0]}_n"] if f"{metrics[0]}_n" in wide.columns else ""
    shown.columns = [param_label(c) for c in shown.columns]
    note = (
        f" Showing the first {MAX_TABLE_ROWS} of {len(shown)}."
        if len(shown) > MAX_TABLE_ROWS
        else ""
    )
    return "\n".join(
        [
            "<h2>Headline metrics per design point</h2>",
            (
                "<p>Mean over seeds with its 95% interval in brackets: a t interval clipped to "
                "the values the metric can take (a share of runs: Wilson's). With fewer than "
                f"{MIN_INTERVAL_N} seeds no interval is shown: two seeds cannot bound a mean. "
                f"All statistics: <code>{html.escape(aggregates_csv_path(out).name)}</code>."
                f"{note}</p>"
            ),
            _table(shown.head(MAX_TABLE_ROWS)),
        ]
    )


def _varying(ok: pd.DataFrame) -> list[str]:
    return [c for c in param_columns(ok) if ok[c].nunique(dropna=True) > 1]


def _main_effects(ok: pd.DataFrame, metrics: list[str]) -> str:
    params = _varying(ok)[:4]
    if not params:
        return "<h2>Main effects</h2><p>No parameter varies in this sweep.</p>"
    fig = main_effects_figure(ok, params, metrics[:4])
    return "\n".join(
        [
            "<h2>Main effects</h2>",
            _figure(
                fig,
                "Mean of each metric at each level of each parameter, over every other parameter "
                "and seed, with 95% intervals; one line per scenario.",
            ),
        ]
    )


def _heatmap(ok: pd.DataFrame, metrics: list[str]) -> str:
    params = [c for c in _varying(ok) if pd.api.types.is_numeric_dtype(ok[c])]
    if len(params) < 2:
        return ""
    metric = metrics[0]
    scenarios = sorted(ok["scenario"].unique()) if "scenario" in ok.columns else [None]
    figs = [
        _figure(
            heatmap_figure(
                ok,
                params[0],
                params[1],
                metric,
                scenario=s,
                higher_is_better=better_direction(metric) != "lower",
            ),
            f"Mean {metric} over {param_label(params[0])} and {param_label(params[1])}"
            + (f", scenario {s}" if s else "")
            + "; green is better.",
        )
        for s in scenarios[:3]
    ]
    return "\n".join(["<h2>Two-parameter view</h2>", *figs])


def _sensitivity(ok: pd.DataFrame, metrics: list[str], meta: Mapping[str, Any]) -> str:
    head = "<h2>Global sensitivity</h2>"
    if not _varying(ok):
        return head + "<p>No parameter varies: nothing to attribute.</p>"
    try:
        res = sensitivity(ok, metrics[:4], manifest=meta)
    except GramabmError as exc:
        return head + f'<p class="note">Not computed: {html.escape(str(exc))}</p>'
    method = (
        "Sobol' indices (SALib)"
        if meta.get("salib")
        else ("permutation importance of a random-forest surrogate (out-of-sample R² below)")
    )
    parts = [head, f"<p>Method: {method}.</p>"]
    if not res.indices.empty:
        parts.append(
            _figure(
                sensitivity_figure(res.indices),
                "Total Sobol' index or permutation importance of each parameter, with its "
                "confidence half-width or spread over shuffles.",
            )
        )
        table = res.indices.copy()
        table["parameter"] = table["parameter"].map(param_label)
        parts.append(f"<details><summary>indices</summary>{_table(table)}</details>")
    parts.append(_table(res.fit))
    return "\n".join(parts)


def _discovery(
    ok: pd.DataFrame, criterion: tuple[str, str, float], roles: Mapping[str, str] | None
) -> str:
    metric, direction, threshold = criterion
    sign = "<" if direction == "below" else ">"
    head = (
        "<h2>Scenario discovery</h2>"
        f"<p>Which parameter ranges lead to <b>{html.escape(metric)} {sign} {threshold:g}</b>?</p>"
    )
    if metric_column(metric) not in ok.columns:
        return head + f'<p class="note">The results have no metric {html.escape(metric)}.</p>'
    values = pd.to_numeric(ok[metric_column(metric)], errors="coerce")
    cases = (values < threshold) if direction == "below" else (values > threshold)
    n_cases, n = int(cases.sum()), int(values.notna().sum())
    if n_cases == 0:
        return (
            head + f"<p>No run crossed the threshold ({n} runs): the criterion held everywhere.</p>"
        )
    if n_cases == n:
        return head + f"<p>Every run ({n}) crossed the threshold: no region of the sweep holds.</p>"
    try:
        res = discover(ok, metric, threshold, direction=direction, roles=roles)  # type: ignore[arg-type]
    except GramabmError as exc:
        return head + f'<p class="note">Not computed: {html.escape(str(exc))}</p>'
    parts = [
        head,
        (
            f"<p>{res.n_cases} of {res.n} runs ({res.base_rate:.0%}) crossed it. PRIM box: "
            f"<b>{html.escape(res.rules.loc[0, 'rule'])}</b>; coverage "
            f"{res.rules.loc[0, 'coverage']:.0%} (share of the breaking runs inside), density "
            f"{res.rules.loc[0, 'density']:.0%} (share of the runs inside that break).</p>"
        ),
        _table(res.rules.drop(columns=["method"])),
    ]
    try:
        fig = discovery_figure(
            ok, metric, threshold, res.boxes[0], direction=direction, trajectory=res.trajectory
        )
        parts.append(_figure(fig, "Runs that break (red) and hold (grey), with the PRIM box."))
    except (GramabmError, ValueError) as exc:
        parts.append(f'<p class="note">No figure: {html.escape(str(exc))}</p>')
    try:
        tree = discover(ok, metric, threshold, direction=direction, method="tree", roles=roles)  # type: ignore[arg-type]
        if not tree.rules.empty:
            parts.append(
                "<p>Decision-tree rules (leaves where breaking runs are the majority):</p>"
            )
            parts.append(_table(tree.rules.drop(columns=["method"])))
    except GramabmError:
        pass
    return "\n".join(parts)


def _recommendations(ok: pd.DataFrame, metrics: list[str], meta: Mapping[str, Any]) -> str:
    head = "<h2>Recommendations</h2>"
    levers = default_levers(ok, meta.get("roles"))
    if not levers:
        return head + (
            "<p>No lever varies in this sweep (only uncertainties such as shock severity or "
            "holder behaviour): nothing to recommend.</p>"
        )
    usable = [m for m in metrics if m in STABILITY_METRICS]
    reference = reference_from_config(meta.get("base_config") or {}, levers)
    try:
        rec = recommend(
            ok, levers=levers, metrics=usable, reference=reference, roles=meta.get("roles")
        )
    except GramabmError as exc:
        return head + f'<p class="note">Not computed: {html.escape(str(exc))}</p>'
    if rec.ranking.empty:
        return head + "<p>No lever setting could be compared with its reference.</p>"
    items = "".join(f"<li>{html.escape(s)}</li>" for s in rec.sentences())
    table = rec.ranking.drop(columns=["sentence"]).copy()
    table["lever"] = table["lever"].map(param_label)
    effects = rec.effects.drop(columns=["sentence"]).copy()
    effects["lever"] = effects["lever"].map(param_label)
    return "\n".join(
        [
            head,
            (
                "<p>Each lever setting against its reference (the base configuration's value where "
                "it is on the grid, else the middle setting), matched on every other parameter and "
                "the scenario; ranked by the mean standardised improvement over the metrics.</p>"
            ),
            f"<ol>{items}</ol>",
            _table(table),
            _figure(
                effects_figure(rec.effects),
                "Improvement of each setting over its reference "
                "(positive is better) with 95% intervals; green better, red worse, grey unclear.",
            ),
            f"<details><summary>all effects</summary>{_table(effects)}</details>",
        ]
    )


# --- HTML helpers ------------------------------------------------------------------------------

_METHODS = """<h2>Methods</h2>
<ul>
<li>Intervals are 95% Student-t intervals of the mean over the seeds of a design point; failed runs
and missing values are left out.</li>
<li>Sensitivity: Sobol' first-order and total indices (SALib) for Sobol' designs, on the seed-mean of
each design point; otherwise the drop in out-of-sample R² of a random-forest surrogate when one
parameter is shuffled. A low R² means the parameters explain little of the metric.</li>
<li>Scenario discovery: PRIM peeling (5% per step, boxes of at least 5% of the runs), the densest box
covering at least half the breaking runs; and a depth-3 decision tree.</li>
<li>Recommendations: differences of means against a reference setting, matched within every
combination of the other parameters and the scenario, with Welch intervals.</li>
</ul>"""


def _first(frame: pd.DataFrame, column: str) -> Any:
    return frame[column].iloc[0] if column in frame.columns and len(frame) else None


def _levels_text(series: pd.Series) -> str:
    values = series.dropna().unique()
    if len(values) <= 8:
        return ", ".join(_fmt(v) for v in sorted(values, key=str))
    return f"{len(values)} values in [{_fmt(series.min())}, {_fmt(series.max())}]"


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        return "—" if not math.isfinite(v) else f"{v:.4g}"
    return str(value)


def _mean_ci(mean: float, lo: float, hi: float, n: object = None) -> str:
    if not math.isfinite(mean):
        return "—"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        seeds = int(n) if isinstance(n, numbers.Integral) else None
        if seeds is not None and seeds < MIN_INTERVAL_N:
            return f"{mean:.4g} (no interval: {seeds} seed{'s' if seeds != 1 else ''})"
        return f"{mean:.4g}"
    return f"{mean:.4g} [{lo:.4g}, {hi:.4g}]"


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        cells = []
        for v in row:
            cls = ' class="num"' if isinstance(v, int | float | np.integer | np.floating) else ""
            cells.append(f"<td{cls}>{html.escape(_fmt(v))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>"


def _kv_table(items: list[tuple[str, Any]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in items
    )
    return f"<table>{rows}</table>"


def _figure(fig: Any, caption: str) -> str:
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
