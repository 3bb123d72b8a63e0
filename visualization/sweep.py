"""The sweep-results page: open a finished sweep's directory and look at what it found.

A face over :mod:`gramabm.sweeps.store` (the result table and the manifest) and the sweep
analyses (:mod:`~gramabm.analysis.sweeps.aggregate`, :mod:`~gramabm.analysis.sweeps.sensitivity`,
:mod:`~gramabm.analysis.sweeps.discovery`, figures from :mod:`~gramabm.analysis.render.sweep_plots`). Tabs:
the runs, headline metrics per design point with confidence intervals, main effects, global
sensitivity, and scenario discovery for a criterion the user sets (metric, below/above, threshold).

The directory comes from the page's text field, prefilled from ``GRAMABM_SWEEP_DIR`` (which
``gramabm viz --sweep DIR`` sets). Analyses that cannot be done on these results (too few runs,
nothing varies, no run crosses the threshold) say why instead of failing.
"""

# Solara components are named in CapWords, as Solara and Mesa name theirs.

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import solara
from matplotlib.figure import Figure

from gramabm.analysis.render import sweep_plots
from gramabm.analysis.render.plots import figure_png
from gramabm.analysis.render.sweep_report import DEFAULT_CRITERION, REPORT_METRICS
from gramabm.analysis.runs.metrics import metric_label, metric_unit
from gramabm.analysis.sweeps.aggregate import (
    aggregate,
    aggregate_wide,
    failure_summary,
    interval_note,
    metric_column,
    metric_columns,
    metric_name,
    ok_runs,
    param_columns,
)
from gramabm.analysis.sweeps.discovery import discover, param_label
from gramabm.analysis.sweeps.sensitivity import sensitivity
from gramabm.cli.viz import SWEEP_DIR_ENV
from gramabm.errors import ConfigError, GramabmError
from visualization.address import SWEEP as SWEEP_PARAM
from visualization.address import query_params

FIGURE_DPI = 80
"""CSS pixels per inch of figure shown (the PNG itself has twice as many pixels)."""

MAX_EFFECT_PANELS = 4
"""Parameters and metrics drawn at most in the main-effects grid (the report's limit)."""


@dataclass(frozen=True, eq=False)
class SweepData:
    """A sweep's results as read from its directory.

    Attributes:
        path: The results directory.
        results: The result table (one row per finished run).
        manifest: The sweep's ``experiment.json``, or None if it has none.
    """

    path: Path
    results: pd.DataFrame
    manifest: dict[str, Any] | None

    @property
    def ok(self) -> pd.DataFrame:
        """The successful runs."""
        return ok_runs(self.results)

    @property
    def metrics(self) -> list[str]:
        """Names of the numeric metrics, headline ones first."""
        names = [metric_name(c) for c in metric_columns(self.results)]
        first = [m for m in REPORT_METRICS if m in names]
        return first + [m for m in names if m not in first]

    @property
    def headline(self) -> list[str]:
        """The headline metrics the results hold (the sweep report's), else the first four."""
        first = [m for m in REPORT_METRICS if m in self.metrics]
        return first or self.metrics[:MAX_EFFECT_PANELS]

    @property
    def varying(self) -> list[str]:
        """Parameter columns that take more than one value among the successful runs."""
        ok = self.ok
        return [c for c in param_columns(ok) if ok[c].nunique(dropna=True) > 1]


def load_sweep(path: str | Path) -> SweepData:
    """Read a sweep's results directory.

    Args:
        path: The directory ``gramabm sweep --out`` wrote.

    Returns:
        The results and manifest.

    Raises:
        ConfigError: If the path is blank, not a directory, or holds no results.
    """
    from gramabm.sweeps.store import read_manifest, read_results

    text = str(path).strip()
    if not text:
        raise ConfigError("type the path of a sweep's results directory (gramabm sweep --out)")
    folder = Path(text).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such directory")
    return SweepData(folder, read_results(folder), read_manifest(folder))


def overview(data: SweepData) -> pd.DataFrame:
    """The sweep at a glance: experiment, runs, failures, design, scenarios, varied parameters.

    Args:
        data: The sweep.

    Returns:
        A two-column (``item``, ``value``) frame of text.
    """
    results, meta = data.results, data.manifest or {}
    status = results["status"] if "status" in results.columns else pd.Series("ok", results.index)
    scenarios = meta.get("scenarios") or sorted(
        results.get("scenario", pd.Series()).dropna().unique()
    )
    items = [
        ("experiment", meta.get("experiment") or _first(results, "experiment")),
        ("directory", str(data.path)),
        ("runs", len(results)),
        ("successful", int((status == "ok").sum())),
        ("failed", int((status != "ok").sum())),
        ("design", (meta.get("design") or {}).get("kind")),
        ("replications", meta.get("replications")),
        ("scenarios", ", ".join(map(str, scenarios))),
        ("varied", ", ".join(param_label(c) for c in data.varying) or "nothing"),
    ]
    return pd.DataFrame(
        [(k, str(v)) for k, v in items if v not in (None, "")], columns=["item", "value"]
    )


def headline_table(data: SweepData, metrics: list[str]) -> pd.DataFrame:
    """Mean and 95% interval of each metric per design point (over seeds).

    Below three seeds a design point has no interval; its ``note`` says so.

    Args:
        data: The sweep.
        metrics: Metric names.

    Returns:
        One row per design point: its scenario and parameters, ``seeds``, per metric a text
        cell ``mean [low, high]`` (``mean`` alone without an interval), and ``note``.

    Raises:
        ConfigError: If no run succeeded.
    """
    ok = data.ok
    if ok.empty:
        raise ConfigError("no successful run: nothing to aggregate")
    wide = aggregate_wide(aggregate(ok, metrics))
    keys = [c for c in wide.columns if not any(c.startswith(f"{m}_") for m in metrics)]
    shown = wide[keys].copy()
    shown.columns = [param_label(c) for c in keys]
    shown["seeds"] = wide[f"{metrics[0]}_n"].astype(int)
    for m in metrics:
        shown[m] = [
            _mean_ci(r[f"{m}_mean"], r[f"{m}_ci_low"], r[f"{m}_ci_high"])
            for _, r in wide.iterrows()
        ]
    shown["note"] = [interval_note(int(n)) for n in shown["seeds"]]
    return shown


def column_title(column: str) -> str:
    """A result-table column as a person reads it: a metric's label and unit, a parameter's path."""
    if column.startswith("m_"):
        name = metric_name(column)
        unit = metric_unit(name)
        unit = "%" if unit == "fraction" else unit
        return f"{metric_label(name)} ({unit})" if unit else metric_label(name)
    return param_label(column)


def default_run_columns(data: SweepData) -> list[str]:
    """The Runs table's columns shown first: run identity, varied parameters, headline metrics."""
    first = [c for c in ("scenario", "seed", "status") if c in data.results.columns]
    return first + data.varying + [metric_column(m) for m in data.headline]


def runs_table(data: SweepData, columns: list[str]) -> pd.DataFrame:
    """The chosen columns of the result table, titled and rounded for reading.

    Fractions are shown in %, other numbers to four significant digits (the files keep every
    digit).
    """
    table = data.results[[c for c in columns if c in data.results.columns]].copy()
    for c in table.columns:
        if c.startswith("m_") and pd.api.types.is_float_dtype(table[c]):
            factor = 100.0 if metric_unit(metric_name(c)) == "fraction" else 1.0
            table[c] = [
                "n/a" if not math.isfinite(v) else f"{factor * v:,.4g}" for v in table[c] * 1.0
            ]
        elif pd.api.types.is_float_dtype(table[c]):
            table[c] = table[c].map(lambda v: f"{v:.4g}")
    table.columns = [column_title(c) for c in table.columns]
    return table


@solara.component
def RunsView(data: SweepData) -> None:
    """The runs, with the columns the user picks (by their readable titles).

    Args:
        data: The sweep.
    """
    titles = {column_title(c): c for c in data.results.columns}
    chosen, set_chosen = solara.use_state([column_title(c) for c in default_run_columns(data)])
    solara.SelectMultiple("Columns", values=chosen, all_values=list(titles), on_value=set_chosen)
    solara.DataFrame(runs_table(data, [titles[t] for t in chosen]), items_per_page=20)


def main_effects(data: SweepData) -> Figure:
    """Main effects of the varied parameters on the headline metrics (at most four of each).

    Raises:
        ConfigError: If no parameter varies or no run succeeded.
    """
    if not data.varying:
        raise ConfigError("no parameter varies in this sweep")
    return sweep_plots.main_effects_figure(
        data.ok, data.varying[:MAX_EFFECT_PANELS], data.headline[:MAX_EFFECT_PANELS]
    )


def sensitivity_tables(data: SweepData) -> tuple[Figure | None, pd.DataFrame, str]:
    """Global sensitivity of the headline metrics: figure, fit table and the method in words.

    Sobol' indices for a Sobol' design, else permutation importance of a random-forest surrogate.

    Returns:
        The figure (None when no index could be computed), the fit table (R², or why a metric was
        skipped) and a sentence naming the method.

    Raises:
        ConfigError: If no parameter varies.
    """
    if not data.varying:
        raise ConfigError("no parameter varies: nothing to attribute")
    meta = data.manifest or {}
    result = sensitivity(data.ok, data.headline[:MAX_EFFECT_PANELS], manifest=meta)
    method = (
        "Sobol' indices (SALib)"
        if meta.get("salib")
        else "permutation importance of a random-forest surrogate (out-of-sample R² below)"
    )
    figure = None if result.indices.empty else sweep_plots.sensitivity_figure(result.indices)
    return figure, result.fit, method


@dataclass(frozen=True, eq=False)
class Discovery:
    """Scenario discovery for one criterion.

    Attributes:
        summary: One sentence: how many runs crossed the threshold and the first rule.
        rules: PRIM's rules with coverage and density (best first).
        figure: Runs that break and hold with the PRIM box, or None if it cannot be drawn.
    """

    summary: str
    rules: pd.DataFrame
    figure: Figure | None


def discovery(data: SweepData, metric: str, direction: str, threshold: float) -> Discovery:
    """Which parameter ranges make ``metric`` go ``direction`` ``threshold`` (PRIM).

    Args:
        data: The sweep.
        metric: Metric name.
        direction: ``"below"`` or ``"above"``.
        threshold: The level a run must cross to count as a case.

    Returns:
        The rules, a sentence and the figure.

    Raises:
        ConfigError: Unknown metric or direction, no run (or every run) crossing the threshold,
            nothing varying.
    """
    if direction not in ("below", "above"):
        raise ConfigError(f"direction must be 'below' or 'above', got {direction!r}")
    ok = data.ok
    if metric_column(metric) not in ok.columns:
        raise ConfigError(f"the results have no metric {metric!r}")
    values = pd.to_numeric(ok[metric_column(metric)], errors="coerce")
    cases = values < threshold if direction == "below" else values > threshold
    n_cases, n = int(cases.sum()), int(values.notna().sum())
    sign = "<" if direction == "below" else ">"
    if n_cases == 0:
        raise ConfigError(f"no run has {metric} {sign} {threshold:g} (of {n}): nothing breaks")
    if n_cases == n:
        raise ConfigError(f"every run ({n}) has {metric} {sign} {threshold:g}: nothing holds")
    found = discover(ok, metric, threshold, direction=direction)  # type: ignore[arg-type]
    first = found.rules.iloc[0]
    summary = (
        f"{found.n_cases} of {found.n} runs ({found.base_rate:.0%}) have {found.criterion}. "
        f"PRIM box: {first['rule']}; coverage {first['coverage']:.0%} (breaking runs inside), "
        f"density {first['density']:.0%} (runs inside that break)."
    )
    try:
        figure = sweep_plots.discovery_figure(
            ok, metric, threshold, found.boxes[0], direction=direction, trajectory=found.trajectory
        )
    except (GramabmError, ValueError):
        figure = None  # e.g. a box on a categorical parameter only: the rules still say it
    rules = found.rules.drop(columns=["method"], errors="ignore")
    return Discovery(summary, rules, figure)


def _first(frame: pd.DataFrame, column: str) -> Any:
    return frame[column].iloc[0] if column in frame.columns and len(frame) else None


def _mean_ci(mean: float, low: float, high: float) -> str:
    if not math.isfinite(mean):
        return "n/a"
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{mean:,.4g}"
    return f"{mean:,.4g} [{low:,.4g}, {high:,.4g}]"


# --- views -----------------------------------------------------------------------------------------


@solara.component
def Computed(compute: Callable[[], Any], key: Any, show: Callable[[Any], None]) -> None:
    """Run an analysis once per ``key`` and show its result, or why it could not be done.

    Args:
        compute: The analysis (may raise :class:`~gramabm.errors.GramabmError`).
        key: What the result depends on (compared with ``==``: ids, not frames).
        show: Draws the result.
    """

    def run() -> tuple[Any, str | None]:
        try:
            return compute(), None
        except GramabmError as exc:
            return None, str(exc)

    value, problem = solara.use_memo(run, [key])
    if problem is not None:
        solara.Info(f"Not computed: {problem}", dense=True, classes=["gram-sweep-note"])
    else:
        show(value)


def _image(fig: Figure, name: str) -> None:
    # Rasterised at twice the size shown, so the image is sharp on a 2x screen (and no blurrier
    # than the screen on a 1x one): its width in CSS pixels is half its width in pixels.
    css_width = round(fig.get_figwidth() * FIGURE_DPI)
    solara.Image(
        figure_png(fig, dpi=2 * FIGURE_DPI),
        width=f"{css_width}px",
        classes=[f"gram-sweep-{name}", "gram-raster"],
    )


@solara.component
def DiscoveryView(data: SweepData) -> None:
    """Scenario discovery with its criterion controls.

    Args:
        data: The sweep.
    """
    default_metric, default_direction, default_threshold = DEFAULT_CRITERION
    metrics = data.metrics
    metric = solara.use_reactive(default_metric if default_metric in metrics else metrics[0])
    direction = solara.use_reactive(default_direction)
    threshold = solara.use_reactive(f"{default_threshold:g}")
    with solara.Row():
        solara.Select("Metric", values=metrics, value=metric)
        solara.Select("Breaks when", values=["below", "above"], value=direction)
        solara.InputText("Threshold", value=threshold)

    def compute() -> Discovery:
        try:
            level = float(threshold.value)
        except ValueError:
            raise ConfigError(f"threshold must be a number, got {threshold.value!r}") from None
        return discovery(data, metric.value, direction.value, level)

    def show(found: Discovery) -> None:
        solara.Text(found.summary, classes=["gram-sweep-discovery-summary"])
        if found.figure is not None:
            _image(found.figure, "discovery")
        solara.DataFrame(found.rules, items_per_page=10)

    Computed(compute, (id(data), metric.value, direction.value, threshold.value), show)


@solara.component
def SweepView(data: SweepData) -> None:
    """Everything about one opened sweep, in tabs.

    Args:
        data: The sweep.
    """
    solara.DataFrame(overview(data), items_per_page=20)
    fails = failure_summary(data.results)
    if not fails.empty:
        solara.Warning(f"{len(fails)} failed run(s) are left out of every statistic.", dense=True)
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Runs"):
            RunsView(data)
            if not fails.empty:
                solara.DataFrame(fails, items_per_page=10)
        with solara.lab.Tab("Headline metrics"):
            Computed(
                lambda: headline_table(data, data.headline),
                id(data),
                lambda table: solara.DataFrame(table, items_per_page=20),
            )
        with solara.lab.Tab("Main effects"):
            Computed(lambda: main_effects(data), id(data), lambda fig: _image(fig, "effects"))
        with solara.lab.Tab("Sensitivity"):

            def show_sensitivity(found: tuple[Figure | None, pd.DataFrame, str]) -> None:
                figure, fit, method = found
                solara.Text(f"Method: {method}.")
                if figure is not None:
                    _image(figure, "sensitivity")
                solara.DataFrame(fit, items_per_page=10)

            Computed(lambda: sensitivity_tables(data), id(data), show_sensitivity)
        with solara.lab.Tab("Scenario discovery"):
            DiscoveryView(data)


class SweepSession:
    """The sweep page's state for one browser session: the path typed and the opened sweep."""

    def __init__(self) -> None:
        self.path: solara.Reactive[str | None] = solara.reactive(None)
        self.opened: solara.Reactive[SweepData | None] = solara.reactive(None)
        self.error: solara.Reactive[str | None] = solara.reactive(None)
        self.auto_opened = solara.reactive(False)

    def clear(self) -> None:
        """Forget everything (a new session)."""
        self.path.set(None)
        self.opened.set(None)
        self.error.set(None)
        self.auto_opened.set(False)


SWEEP = SweepSession()
"""The sweep page's per-session state."""


@solara.component
def SweepPage() -> None:
    """The sweep-results page: a directory field, then the opened sweep."""
    # Session state (module-level reactives are per browser session): a sweep opened here is
    # still open after a visit to the live page.
    router = solara.use_router()
    if SWEEP.path.value is None:
        # The folder the page's address names (a reload), else the one given on the command line.
        try:
            named = query_params(router.search).get(SWEEP_PARAM)
        except ConfigError as exc:
            named = None
            SWEEP.error.set(f"cannot read the page's address: {exc}")
        SWEEP.path.set(os.environ.get(SWEEP_DIR_ENV, "") if named is None else named)
    path, opened, error = SWEEP.path, SWEEP.opened, SWEEP.error

    def open_sweep() -> None:
        try:
            data = load_sweep(path.value)
        except GramabmError as exc:
            error.set(str(exc))
            return
        error.set(None)
        opened.set(data)

    # Open the directory given on the command line or named by the address at once.
    def open_first() -> None:
        if not SWEEP.auto_opened.value and opened.value is None and path.value:
            SWEEP.auto_opened.set(True)
            open_sweep()

    solara.use_effect(open_first, [])
    solara.Title("Gram sweep results")
    with solara.Column(classes=["gram-sweep"]):
        with solara.Row():
            solara.InputText("Sweep results directory", value=path, style={"min-width": "40em"})
            solara.Button("Open", color="primary", on_click=open_sweep, classes=["gram-open"])
        if error.value:
            solara.Error(error.value, classes=["gram-error"])
        if opened.value is not None:
            SweepView(opened.value)
        elif not error.value:
            solara.Info("Open the directory a sweep wrote (gramabm sweep --out DIR).", dense=True)
