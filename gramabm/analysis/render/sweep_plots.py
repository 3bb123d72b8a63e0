"""Figures of a sweep: main effects with confidence intervals, heatmaps, sensitivity, discovery.

Each function takes tables built by :mod:`~gramabm.analysis.sweeps.aggregate`,
:mod:`~gramabm.analysis.sweeps.sensitivity` or :mod:`~gramabm.analysis.sweeps.discovery` (or the result table
itself) and returns a :class:`matplotlib.figure.Figure` drawn on an Agg canvas without ``pyplot``
(no global state; safe in workers). :func:`gramabm.analysis.render.plots.figure_png` and
:func:`~gramabm.analysis.render.plots.save_figure` turn them into byte-stable PNGs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike

from gramabm.analysis.runs.metrics import direction
from gramabm.analysis.sweeps.aggregate import (
    METRIC_RANGES,
    describe,
    metric_column,
    metric_name,
    numeric,
    ok_runs,
)
from gramabm.analysis.sweeps.columns import is_param_column
from gramabm.analysis.sweeps.discovery import Box, case_labels, param_label
from gramabm.errors import ConfigError

MAX_LEVELS = 12
"""A parameter with more distinct values is shown in quantile bins."""

COLOURS = ("#1f4e79", "#c62828", "#2e7d32", "#b8860b", "#6a1b9a", "#00838f", "#5d4037")


def new_figure(width: float, height: float) -> Figure:
    """An empty figure on an Agg canvas, with constrained layout."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def parameter_levels(values: pd.Series, max_levels: int = MAX_LEVELS) -> tuple[pd.Series, bool]:
    """The values as plotted: themselves, or the midpoints of quantile bins when there are many.

    Returns:
        The plotted level of each row, and whether the values were binned.
    """
    if values.nunique(dropna=True) <= max_levels or not pd.api.types.is_numeric_dtype(values):
        return values, False
    cut = pd.qcut(values.astype(float), q=min(8, max_levels), duplicates="drop")
    return cut.map(lambda iv: float(iv.mid)).astype(float), True


def marginal_means(
    results: pd.DataFrame,
    parameter: str,
    metric: str,
    *,
    level: float = 0.95,
    by_scenario: bool = True,
) -> pd.DataFrame:
    """Mean of a metric at each level of one parameter, over every other parameter and seed.

    Returns:
        Columns ``scenario``, ``level``, ``n``, ``mean``, ``std``, ``ci_low``, ``ci_high`` (t
        interval over the runs at that level); levels sorted.
    """
    ok = ok_runs(results)
    col = metric_column(metric)
    levels, _ = parameter_levels(ok[parameter])
    y = numeric(ok[col])
    scen = (
        ok["scenario"] if by_scenario and "scenario" in ok.columns else pd.Series("all", ok.index)
    )
    rows = []
    frame = pd.DataFrame({"scenario": scen.to_numpy(), "level": levels.to_numpy(), "y": y})
    for (s, lv), grp in frame.groupby(["scenario", "level"], sort=True):
        stat = describe(
            grp["y"].to_numpy(), level=level, bounds=METRIC_RANGES.get(metric_name(col))
        )
        rows.append({"scenario": s, "level": lv, **stat})
    return pd.DataFrame(
        rows, columns=["scenario", "level", "n", "mean", "std", "ci_low", "ci_high"]
    )


def interval_line(
    ax: Axes,
    x: ArrayLike,
    mean: ArrayLike,
    low: ArrayLike,
    high: ArrayLike,
    *,
    color: str,
    label: str | None = None,
    markersize: float = 4,
) -> None:
    """Means joined by a line, each with its confidence interval as an error bar.

    An undefined bound (NaN: too few runs for an interval) draws no bar; a bound on the wrong
    side of the mean (rounding) draws none either.
    """
    m = np.asarray(mean, dtype=float)
    yerr = np.vstack([m - np.asarray(low, dtype=float), np.asarray(high, dtype=float) - m])
    ax.errorbar(
        x,
        m,
        yerr=np.nan_to_num(yerr).clip(min=0),
        marker="o",
        markersize=markersize,
        capsize=3,
        color=color,
        label=label,
    )


def _positions(levels: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """X positions: the values if numeric, else 0..k-1 with the labels as ticks."""
    if pd.api.types.is_numeric_dtype(levels):
        return levels.to_numpy(dtype=float), None
    labels = [str(v) for v in levels]
    return np.arange(len(labels), dtype=float), labels


def main_effects_figure(
    results: pd.DataFrame,
    parameters: Sequence[str],
    metrics: Sequence[str],
    *,
    level: float = 0.95,
) -> Figure:
    """A grid of panels (metrics × parameters): each metric's marginal mean per parameter level.

    One line per scenario; error bars are the ``level`` confidence intervals of the mean over the
    runs at that level (all other parameters and seeds pooled).

    Raises:
        ConfigError: No parameter or metric.
    """
    if not parameters or not metrics:
        raise ConfigError("main effects need at least one parameter and one metric")
    nr, nc = len(metrics), len(parameters)
    fig = new_figure(3.2 * nc + 0.8, 2.4 * nr + 0.6)
    axes = fig.subplots(nr, nc, squeeze=False)
    for i, metric in enumerate(metrics):
        for j, param in enumerate(parameters):
            ax = axes[i][j]
            table = marginal_means(results, param, metric, level=level)
            for k, (scen, grp) in enumerate(table.groupby("scenario", sort=True)):
                x, labels = _positions(grp["level"])
                interval_line(
                    ax,
                    x,
                    grp["mean"],
                    grp["ci_low"],
                    grp["ci_high"],
                    color=COLOURS[k % len(COLOURS)],
                    label=str(scen),
                    markersize=3,
                )
                if labels is not None:
                    ax.set_xticks(x, labels, rotation=30, fontsize=7)
            if i == nr - 1:
                ax.set_xlabel(param_label(param), fontsize=8)
            if j == 0:
                ax.set_ylabel(metric_name(metric), fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, linewidth=0.3, alpha=0.6)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if len(handles) > 1:
        fig.legend(
            handles, labels, loc="outside upper center", ncols=min(6, len(handles)), fontsize=8
        )
    return fig


def draw_heatmap(
    ax: Axes,
    results: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    *,
    scenario: str | None = None,
    cmap: str = "RdYlGn",
    higher_is_better: bool = True,
) -> AxesImage:
    """Draw the mean of a metric over a two-parameter grid on ``ax``, each cell annotated.

    Other parameters and seeds are pooled. Returns the image (for a colour bar).

    Args:
        ax: Axes to draw on.
        results: The result table.
        x: Parameter on the x axis.
        y: Parameter on the y axis.
        metric: Metric to colour by.
        scenario: Keep this scenario only (default: all runs).
        cmap: Colour map; reversed when ``higher_is_better`` is False so green means good.
        higher_is_better: Direction of the metric.

    Raises:
        ConfigError: If no successful run is left.
    """
    ok = ok_runs(results)
    if scenario is not None:
        ok = ok[ok["scenario"] == scenario]
    if ok.empty:
        raise ConfigError(f"no successful runs for scenario {scenario!r}")
    frame = pd.DataFrame(
        {
            "x": parameter_levels(ok[x])[0].to_numpy(),
            "y": parameter_levels(ok[y])[0].to_numpy(),
            "v": numeric(ok[metric_column(metric)]),
        }
    )
    grid = frame.pivot_table(index="y", columns="x", values="v", aggfunc="mean")
    data = grid.to_numpy(dtype=float)
    image = ax.imshow(
        data, origin="lower", aspect="auto", cmap=cmap if higher_is_better else f"{cmap}_r"
    )
    ax.set_xticks(range(grid.shape[1]), [_tick(v) for v in grid.columns], fontsize=8)
    ax.set_yticks(range(grid.shape[0]), [_tick(v) for v in grid.index], fontsize=8)
    finite = data[np.isfinite(data)]
    mid = float(np.mean([finite.min(), finite.max()])) if finite.size else 0.0
    spread = float(np.ptp(finite)) if finite.size else 1.0
    for (r, c), v in np.ndenumerate(data):
        if np.isfinite(v):
            # Dark text on the pale middle of the colour map, white on its saturated ends.
            colour = "black" if abs(v - mid) < 0.35 * (spread or 1.0) else "white"
            ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_xlabel(param_label(x))
    ax.set_ylabel(param_label(y))
    title = f"mean {metric_name(metric)}" + (f" ({scenario})" if scenario else "")
    ax.set_title(title, fontsize=10, loc="left")
    return image


def _tick(value: object) -> str:
    return f"{value:g}" if isinstance(value, float | np.floating) else str(value)


def heatmap_figure(
    results: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    *,
    scenario: str | None = None,
    cmap: str = "RdYlGn",
    higher_is_better: bool = True,
) -> Figure:
    """One heatmap (see :func:`draw_heatmap`) with its colour bar, as a figure."""
    fig = new_figure(6.4, 4.2)
    ax = fig.add_subplot()
    image = draw_heatmap(
        ax, results, x, y, metric, scenario=scenario, cmap=cmap, higher_is_better=higher_is_better
    )
    fig.colorbar(image, ax=ax, shrink=0.9)
    return fig


def sensitivity_figure(indices: pd.DataFrame) -> Figure:
    """Horizontal bars per metric: total Sobol' index (or permutation importance) of each parameter.

    Args:
        indices: :attr:`~gramabm.analysis.sweeps.sensitivity.SensitivityResult.indices`.

    Raises:
        ConfigError: If the table is empty.
    """
    sel = indices[indices["index"].isin(["ST", "importance"])]
    if sel.empty:
        raise ConfigError("no sensitivity indices to plot")
    panels = list(dict.fromkeys(zip(sel["scenario"], sel["metric"], strict=True)))
    ncol = min(3, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig = new_figure(4.0 * ncol, 0.4 + 0.35 * sel["parameter"].nunique() * nrow + 0.9 * nrow)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for k, (scen, metric) in enumerate(panels):
        ax = axes[k // ncol][k % ncol]
        p = sel[(sel["scenario"] == scen) & (sel["metric"] == metric)].sort_values("value")
        labels = [param_label(v) for v in p["parameter"]]
        ax.barh(
            labels, p["value"], xerr=p["conf"].fillna(0).clip(lower=0), color=COLOURS[0], capsize=2
        )
        kind = "total Sobol' index" if (p["index"] == "ST").all() else "permutation importance"
        ax.set_title(f"{metric} · {scen}", fontsize=9, loc="left")
        ax.set_xlabel(kind, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, axis="x", linewidth=0.3, alpha=0.6)
    for k in range(len(panels), nrow * ncol):
        axes[k // ncol][k % ncol].set_visible(False)
    return fig


def discovery_figure(
    results: pd.DataFrame,
    metric: str,
    threshold: float,
    box: Box,
    *,
    direction: str = "below",
    trajectory: pd.DataFrame | None = None,
) -> Figure:
    """Runs in the plane of the box's two main parameters, cases marked, with the box drawn.

    With a PRIM trajectory, a second panel shows its coverage against density, the chosen box
    circled.
    """
    frame, labels, _ = case_labels(results, metric, threshold, direction)  # type: ignore[arg-type]
    dims = [c for c in box.limits if pd.api.types.is_numeric_dtype(frame[c])]
    numeric_params = [
        c
        for c in frame.columns
        if is_param_column(c) and pd.api.types.is_numeric_dtype(frame[c]) and frame[c].nunique() > 1
    ]
    dims += [c for c in numeric_params if c not in dims]
    panels = 2 if trajectory is not None and not trajectory.empty else 1
    fig = new_figure(5.2 * panels, 4.0)
    ax = fig.add_subplot(1, panels, 1)
    rng = np.random.default_rng(0)  # fixed jitter: grid points would hide each other
    if len(dims) >= 1:
        xs = frame[dims[0]].to_numpy(dtype=float)
        ys = frame[dims[1]].to_numpy(dtype=float) if len(dims) > 1 else np.zeros(len(frame))
        jx = 0.01 * (np.ptp(xs) or 1) * rng.standard_normal(len(xs))
        jy = 0.01 * (np.ptp(ys) or 1) * rng.standard_normal(len(ys))
        ax.scatter(
            xs[~labels] + jx[~labels],
            ys[~labels] + jy[~labels],
            s=8,
            c="#9e9e9e",
            label="holds",
            alpha=0.6,
        )
        ax.scatter(
            xs[labels] + jx[labels],
            ys[labels] + jy[labels],
            s=10,
            c=COLOURS[1],
            label="breaks",
            alpha=0.8,
        )
        lo_x, hi_x = box.limits.get(dims[0], (-np.inf, np.inf))
        lo_y, hi_y = (
            box.limits.get(dims[1], (-np.inf, np.inf)) if len(dims) > 1 else (-np.inf, np.inf)
        )
        pad_x, pad_y = 0.03 * (np.ptp(xs) or 1), 0.03 * (np.ptp(ys) or 1)
        x0 = max(lo_x, xs.min()) - pad_x
        x1 = min(hi_x, xs.max()) + pad_x
        y0 = max(lo_y, ys.min()) - pad_y
        y1 = min(hi_y, ys.max()) + pad_y
        ax.add_patch(
            Rectangle(
                (x0, y0), x1 - x0, y1 - y0, fill=False, ec=COLOURS[4], lw=1.5, ls="--", label="box"
            )
        )
        ax.set_xlabel(param_label(dims[0]))
        if len(dims) > 1:
            ax.set_ylabel(param_label(dims[1]))
    sign = "<" if direction == "below" else ">"
    ax.set_title(
        f"runs with {metric_name(metric_column(metric))} {sign} {threshold:g}",
        fontsize=9,
        loc="left",
    )
    ax.legend(fontsize=7, loc="best")
    ax.grid(True, linewidth=0.3, alpha=0.6)
    if panels == 2 and trajectory is not None:
        ax2 = fig.add_subplot(1, 2, 2)
        ax2.plot(trajectory["coverage"], trajectory["density"], marker=".", color=COLOURS[0])
        ax2.scatter(
            [box.coverage],
            [box.density],
            s=80,
            facecolors="none",
            edgecolors=COLOURS[1],
            label="chosen box",
        )
        ax2.set_xlabel("coverage")
        ax2.set_ylabel("density")
        ax2.set_title("PRIM peeling trajectory", fontsize=9, loc="left")
        ax2.legend(fontsize=7)
        ax2.grid(True, linewidth=0.3, alpha=0.6)
    return fig


def effects_figure(effects: pd.DataFrame) -> Figure:
    """Standardised improvement of each lever setting per metric, with its interval.

    Args:
        effects: :attr:`~gramabm.analysis.sweeps.recommend.Recommendations.effects`.
    """
    if effects.empty:
        raise ConfigError("no effects to plot")
    metrics = list(dict.fromkeys(effects["metric"]))
    ncol = min(3, len(metrics))
    nrow = int(np.ceil(len(metrics) / ncol))
    per_row = max(2.0, 0.9 + 0.32 * effects.groupby(["lever", "setting"]).ngroups)
    fig = new_figure(4.6 * ncol + 1.2, per_row * nrow)
    grid = fig.subplots(nrow, ncol, squeeze=False)
    axes = [grid[i // ncol][i % ncol] for i in range(len(metrics))]
    for k in range(len(metrics), nrow * ncol):
        grid[k // ncol][k % ncol].set_visible(False)
    for ax, metric in zip(axes, metrics, strict=True):
        e = effects[effects["metric"] == metric]
        labels = [
            f"{param_label(lv)} = {s}" for lv, s in zip(e["lever"], e["setting"], strict=True)
        ]
        # The interval of the improvement: the effect's interval signed by the better direction.
        better = -1 if direction(metric) == "lower" else 1
        lo = np.minimum(e["ci_low"] * better, e["ci_high"] * better).to_numpy()
        hi = np.maximum(e["ci_low"] * better, e["ci_high"] * better).to_numpy()
        imp = e["improvement"].to_numpy()
        colours = [
            COLOURS[2] if v == "better" else COLOURS[1] if v == "worse" else "#9e9e9e"
            for v in e["verdict"]
        ]
        ypos = np.arange(len(e))
        ax.errorbar(
            imp,
            ypos,
            xerr=np.nan_to_num(np.vstack([imp - lo, hi - imp]).clip(min=0)),
            fmt="none",
            ecolor="#555",
            capsize=2,
        )
        ax.scatter(imp, ypos, c=colours, zorder=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(ypos, labels, fontsize=7)
        ax.set_title(f"{metric} (improvement)", fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
        ax.grid(True, axis="x", linewidth=0.3, alpha=0.6)
    return fig


def draw_reverse(
    ax: Axes,
    evaluations: pd.DataFrame,
    *,
    metric: str,
    threshold: float,
    label: str,
    bracket: tuple[float | None, float | None],
    severity_label: str = "severity",
) -> None:
    """Draw a reverse stress test on ``ax``: every seed's metric at every severity, and the bracket.

    Args:
        ax: Axes to draw on.
        evaluations: One row per severity and seed, with ``severity``, ``seed``, ``value`` and
            ``broke``.
        metric: The criterion's metric (axis label).
        threshold: The criterion's level (a horizontal line).
        label: The criterion in words (title).
        bracket: ``(largest severity that held, smallest that broke)``; either may be None.
        severity_label: Name of the severity axis.
    """
    ev = evaluations.sort_values(["severity", "seed"])
    x = ev["severity"].to_numpy(dtype=float)
    y = pd.to_numeric(ev["value"], errors="coerce").to_numpy(dtype=float)
    broke = ev["broke"].to_numpy(dtype=bool)
    ax.scatter(x[~broke], y[~broke], s=14, c="#9e9e9e", label="seed holds", zorder=3)
    ax.scatter(x[broke], y[broke], s=14, c=COLOURS[1], label="seed breaks", zorder=3)
    values = pd.to_numeric(ev["value"], errors="coerce")
    means = values.groupby(ev["severity"].to_numpy()).mean()
    ax.plot(means.index, means.to_numpy(), color=COLOURS[0], lw=1.2, label="mean over seeds")
    ax.axhline(threshold, color="black", lw=0.8, ls="--", label=f"criterion {threshold:g}")
    lo, hi = bracket
    if lo is not None and hi is not None:
        ax.axvspan(lo, hi, color=COLOURS[3], alpha=0.3, label=f"threshold in [{lo:.4g}, {hi:.4g}]")
    elif hi is not None:
        ax.axvline(hi, color=COLOURS[3], lw=1.5, label=f"breaks from {hi:.4g}")
    ax.set_xlabel(severity_label)
    ax.set_ylabel(metric)
    ax.set_title(f"Reverse stress test: {label}", fontsize=10, loc="left")
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.legend(fontsize=7, loc="best")


def reverse_figure(
    evaluations: pd.DataFrame,
    *,
    metric: str,
    threshold: float,
    label: str,
    bracket: tuple[float | None, float | None],
    severity_label: str = "severity",
) -> Figure:
    """One reverse stress test (see :func:`draw_reverse`) as a figure."""
    fig = new_figure(7.5, 4.2)
    draw_reverse(
        fig.add_subplot(),
        evaluations,
        metric=metric,
        threshold=threshold,
        label=label,
        bracket=bracket,
        severity_label=severity_label,
    )
    return fig
