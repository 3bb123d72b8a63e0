"""Scenario summaries and figures: pure functions from generated paths to a table and a plot.

The statistics come from :mod:`gramabm.analysis.history.stylised` on the path's daily fixes (the prices a
holder or an oracle would see once a day), except the drawdown, which is taken on every model step
so that an intraday trough counts. Moves and drawdowns are signed simple returns, as in
:mod:`gramabm.analysis.history.stylised` (-0.12 = the price ends 12% lower).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gramabm.scenarios.base import ScenarioPath

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SUMMARY_COLUMNS: tuple[str, ...] = (
    "scenario",
    "n_steps",
    "start",
    "end",
    "start_price",
    "end_price",
    "min_price",
    "worst_1d",
    "worst_5d",
    "max_drawdown",
    "ann_vol",
    "n_events",
    "events",
)
"""Columns of :func:`summary_table`, in order."""


def events_text(path: ScenarioPath) -> str:
    """Events as ``"kind@step"`` joined by ``"; "`` (empty if none)."""
    return "; ".join(f"{e.kind}@{e.step}" for e in path.events)


def summarise_path(path: ScenarioPath) -> dict[str, Any]:
    """One row of the summary table.

    Args:
        path: A generated scenario path.

    Returns:
        A dict keyed by :data:`SUMMARY_COLUMNS`: prices in USD/oz; ``worst_1d``/``worst_5d`` the worst
        fix-to-fix simple return over 1 and 5 business days, ``max_drawdown`` the deepest
        peak-to-trough simple return over all steps (negative fractions; NaN when the path is too
        short); ``ann_vol`` the annualised volatility of the daily fix log returns.
    """
    from gramabm.analysis.history.stylised import annualised_volatility, max_drawdown, worst_return

    daily = path.daily()
    steps = pd.Series(path.gold_usd_oz, index=path.timestamps, name="price")
    steps.index.name = "date"
    fix_returns = np.diff(np.log(daily.to_numpy()))

    def worst(horizon: int) -> float:
        if len(daily) <= horizon:
            return math.nan
        # worst_return gives a log return; the table shows simple returns like the drawdown.
        return math.expm1(worst_return(daily, horizon).value)

    return {
        "scenario": path.name,
        "n_steps": path.n_steps,
        "start": path.timestamps[0],
        "end": path.timestamps[-1],
        "start_price": float(path.gold_usd_oz[0]),
        "end_price": float(path.gold_usd_oz[-1]),
        "min_price": float(path.gold_usd_oz.min()),
        "worst_1d": worst(1),
        "worst_5d": worst(5),
        "max_drawdown": max_drawdown(steps).value if path.n_steps > 1 else math.nan,
        "ann_vol": float(annualised_volatility(fix_returns)) if len(fix_returns) > 1 else math.nan,
        "n_events": len(path.events),
        "events": events_text(path),
    }


def summary_table(paths: Sequence[ScenarioPath]) -> pd.DataFrame:
    """Per-scenario summary: one row per path, columns :data:`SUMMARY_COLUMNS`."""
    return pd.DataFrame([summarise_path(p) for p in paths], columns=list(SUMMARY_COLUMNS))


def _days(path: ScenarioPath) -> np.ndarray:
    """Elapsed days of each step since the path's start."""
    return np.asarray((path.timestamps - path.timestamps[0]) / pd.Timedelta(days=1), dtype=float)


def plot_paths(
    paths: Sequence[ScenarioPath], *, title: str = "Gold scenarios", rebase: bool = True
) -> Figure:
    """All paths in one figure: price against days since each path's start, events marked.

    Generated scenarios (days to weeks long) and historical replays (weeks to years) get a panel
    each, one above the other, so neither squeezes the other's time axis.

    Args:
        paths: The paths to draw.
        title: Figure title.
        rebase: Plot each path as an index (start = 100) so that different levels compare; else USD/oz.

    Returns:
        A matplotlib Figure drawn on the Agg canvas (no GUI, no global pyplot state).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    replays = [p for p in paths if p.meta.get("generator") == "Replay"]
    generated = [p for p in paths if p.meta.get("generator") != "Replay"]
    panels = [(t, g) for t, g in (("scenarios", generated), ("replays", replays)) if g]
    fig = Figure(figsize=(11, 4.5 * max(1, len(panels))), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(max(1, len(panels)), 1, squeeze=False)[:, 0]
    for ax, (label, group) in zip(axes, panels, strict=False):
        for path in group:
            days = _days(path)
            y = path.gold_usd_oz / path.gold_usd_oz[0] * 100.0 if rebase else path.gold_usd_oz
            (line,) = ax.plot(days, y, lw=1.0, label=path.name)
            if path.events:
                steps = np.array([e.step for e in path.events])
                ax.scatter(
                    days[steps], y[steps], marker="v", s=36, color=line.get_color(), zorder=3
                )
        ax.set_title(label, fontsize=10, loc="left")
        ax.set_xlabel("days since start")
        ax.set_ylabel("gold price (start = 100)" if rebase else "gold price (USD/oz)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, ncol=2 if len(group) > 6 else 1)
    fig.suptitle(title + ("  (▼ = non-gold event)" if any(p.events for p in paths) else ""))
    return fig


def plot_path(path: ScenarioPath) -> Figure:
    """One path in USD/oz against time, fixes dotted, events as labelled vertical lines.

    Args:
        path: The path to draw.

    Returns:
        A matplotlib Figure on the Agg canvas.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(path.timestamps, path.gold_usd_oz, lw=1.0, label="gold (model steps)")
    ax.plot(
        path.timestamps[path.is_fix],
        path.gold_usd_oz[path.is_fix],
        ".",
        ms=3,
        label="daily fix",
    )
    for event in path.events:
        ax.axvline(path.timestamps[event.step], color="tab:red", lw=0.8, ls="--")
        ax.annotate(
            event.kind,
            (path.timestamps[event.step], 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            color="tab:red",
        )
    ax.set_ylabel("gold price (USD/oz)")
    ax.set_title(f"{path.name} (seed {path.seed})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return fig


def save_figure(fig: Figure, target: str | Path, *, dpi: int = 120) -> Path:
    """Write a figure as PNG (creating the folder) and return its path."""
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, format="png")
    return out
