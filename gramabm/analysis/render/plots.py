"""Figures of one collected run: price, deviation, reserves, liquidity, flows, holder states.

Each ``plot_*`` function takes the per-step ``timeseries`` of one run (index = step) and returns a
:class:`matplotlib.figure.Figure`; :func:`save_figure` writes one as PNG and
:func:`save_run_plots` writes all six. Figures are built with the object-oriented API on an Agg
canvas, never through ``pyplot``: no global figure registry to leak memory, no GUI backend
needed, safe on a server or in a worker thread. Every series is drawn as one artist (lines, filled
areas, ``stairs`` for bars), so 10,000 steps draw as fast as 100.

PNGs are written without the ``Software`` metadata chunk, so identical runs give identical bytes
whatever the matplotlib build.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gramabm import run_columns
from gramabm.analysis.runs.metrics import validate_timeseries

GOLD = "#b8860b"
TOKEN = "#1f4e79"
ACTUAL = "#2e7d32"
REPORTED = "#c62828"
SHOCK = "#6a1b9a"
PNG_METADATA: dict[str, str | None] = {"Software": None}
"""PNG text chunks: the matplotlib version stamp removed, for byte-stable files."""

FIG_SIZE = (10.0, 4.0)
FIG_SIZE_TWO_PANELS = (10.0, 6.0)
DPI = 100


def plot_price(
    timeseries: pd.DataFrame, *, shock_step: int | None = None, band_bp: float = 50.0
) -> Figure:
    """Gold value of one token against the token's mid (and last) price, with a ±band.

    Args:
        timeseries: Per-step frame with ``gold_value_usd``, ``token_mid``, ``token_last``.
        shock_step: Step of the shock, marked with a vertical line; None for none.
        band_bp: Half-width of the shaded band around gold value, bp.

    Returns:
        The figure (USD per token against step).

    Raises:
        DataValidationError: If a column is missing or the index is not integer steps.
    """
    validate_timeseries(timeseries, ("gold_value_usd", "token_mid", "token_last"))
    x = _steps(timeseries)
    gold = _col(timeseries, "gold_value_usd")
    fig, ax = _figure()
    ax.fill_between(
        x,
        gold * (1 - band_bp / 1e4),
        gold * (1 + band_bp / 1e4),
        color=GOLD,
        alpha=0.2,
        linewidth=0,
        label=f"gold value ±{band_bp:g} bp",
    )
    ax.plot(x, gold, color=GOLD, linewidth=1.2, label="gold value (1 g)")
    ax.plot(
        x,
        _col(timeseries, "token_last"),
        color=TOKEN,
        linewidth=0.6,
        alpha=0.4,
        label=_label("token_last"),
    )
    ax.plot(x, _col(timeseries, "token_mid"), color=TOKEN, linewidth=1.0, label=_label("token_mid"))
    _finish(ax, shock_step, title="Token price against gold value", ylabel="USD per token")
    return fig


def plot_deviation(
    timeseries: pd.DataFrame,
    *,
    shock_step: int | None = None,
    bands_bp: tuple[float, ...] = (50.0, 100.0),
) -> Figure:
    """Peg deviation in bp with dashed ±band lines and the shock marked.

    Args:
        timeseries: Per-step frame with ``deviation_bp``.
        shock_step: Step of the shock, or None.
        bands_bp: Bands drawn as horizontal lines at ±each value, bp.

    Returns:
        The figure (bp against step).

    Raises:
        DataValidationError: If a column is missing or the index is not integer steps.
    """
    validate_timeseries(timeseries, ("deviation_bp",))
    x = _steps(timeseries)
    fig, ax = _figure()
    widest = max(bands_bp) if bands_bp else 0.0
    if bands_bp:
        ax.axhspan(-min(bands_bp), min(bands_bp), color="0.92", zorder=0)
    for band, style in zip(sorted(bands_bp), itertools.cycle(("--", ":", "-.")), strict=False):
        ax.axhline(band, color="0.4", linestyle=style, linewidth=0.8, label=f"±{band:g} bp")
        ax.axhline(-band, color="0.4", linestyle=style, linewidth=0.8)
    ax.axhline(0.0, color="0.2", linewidth=0.6)
    ax.plot(
        x,
        _col(timeseries, "deviation_bp"),
        color=TOKEN,
        linewidth=1.0,
        label=_label("deviation_bp"),
    )
    dev = _col(timeseries, "deviation_bp")
    shown = dev
    if "last_deviation_bp" in timeseries and "trades" in timeseries:
        # Where one side of the book is empty there is no mid: show the prices actually paid.
        traded = _col(timeseries, "last_deviation_bp")
        gap = ~np.isfinite(dev) & (_col(timeseries, "trades") > 0) & np.isfinite(traded)
        if gap.any():
            ax.scatter(
                x[gap], traded[gap], s=6, color=TOKEN, alpha=0.6, label="trades, one-sided book"
            )
            shown = np.where(gap, traded, dev)
    if widest and np.isfinite(shown).any():
        # Keep the bands in view even in a calm run whose deviation is tiny.
        top = max(float(np.nanmax(np.abs(shown))), widest) * 1.1
        ax.set_ylim(-top, top)
    _finish(ax, shock_step, title="Peg deviation", ylabel="deviation (bp)")
    return fig


def plot_reserves(timeseries: pd.DataFrame, *, shock_step: int | None = None) -> Figure:
    """Reported against actual reserve ratio (top) and reserves by custodian with supply (bottom).

    The bottom panel stacks the ``reserves_g_<custodian>`` columns when there are any, else draws
    ``reserves_actual_g``; supply is drawn over it (one token is one gram).

    Args:
        timeseries: Per-step frame with ``reserve_ratio_actual``, ``reserve_ratio_reported``,
            ``reserves_actual_g``, ``supply_tokens`` and optionally ``reserves_g_*``.
        shock_step: Step of the shock, or None.

    Returns:
        The figure.

    Raises:
        DataValidationError: If a column is missing or the index is not integer steps.
    """
    validate_timeseries(
        timeseries,
        ("reserve_ratio_actual", "reserve_ratio_reported", "reserves_actual_g", "supply_tokens"),
    )
    x = _steps(timeseries)
    fig, top, bottom = _figure_two()
    top.axhline(1.0, color="0.4", linewidth=0.8, linestyle="--", label="full reserve")
    top.plot(
        x,
        _col(timeseries, "reserve_ratio_actual"),
        color=ACTUAL,
        label=_label("reserve_ratio_actual"),
    )
    top.plot(
        x,
        _col(timeseries, "reserve_ratio_reported"),
        color=REPORTED,
        drawstyle="steps-post",
        label="reported",
    )
    _finish(
        top,
        shock_step,
        title="Reserve ratio: reported against actual",
        ylabel="ratio",
        xlabel=False,
    )
    custodians = [c for c in timeseries.columns if str(c).startswith("reserves_g_")]
    if custodians:
        stacks = [np.nan_to_num(_col(timeseries, c)) for c in custodians]
        labels = [str(c).removeprefix("reserves_g_") for c in custodians]
        bottom.stackplot(x, *stacks, labels=labels, alpha=0.7)
    else:
        bottom.plot(
            x,
            _col(timeseries, "reserves_actual_g"),
            color=ACTUAL,
            label=_label("reserves_actual_g"),
        )
    bottom.plot(
        x,
        _col(timeseries, "supply_tokens"),
        color="0.1",
        linewidth=1.0,
        label=_label("supply_tokens"),
    )
    _finish(bottom, shock_step, title="Reserves by custodian", ylabel="grams", xlabel=True)
    return fig


def plot_liquidity(timeseries: pd.DataFrame, *, shock_step: int | None = None) -> Figure:
    """Order-book depth within ±1% and ±2% of mid (top) and the quoted spread (bottom).

    Args:
        timeseries: Per-step frame with ``depth_1pct_usd``, ``depth_2pct_usd``, ``spread_bp``.
        shock_step: Step of the shock, or None.

    Returns:
        The figure.

    Raises:
        DataValidationError: If a column is missing or the index is not integer steps.
    """
    validate_timeseries(timeseries, ("depth_1pct_usd", "depth_2pct_usd", "spread_bp"))
    x = _steps(timeseries)
    fig, top, bottom = _figure_two()
    top.plot(
        x,
        _col(timeseries, "depth_2pct_usd"),
        color=ACTUAL,
        alpha=0.7,
        label=_label("depth_2pct_usd"),
    )
    top.plot(x, _col(timeseries, "depth_1pct_usd"), color=TOKEN, label=_label("depth_1pct_usd"))
    top.set_ylim(bottom=0)
    _finish(top, shock_step, title="Depth (both sides)", ylabel="USD", xlabel=False)
    bottom.plot(
        x, _col(timeseries, "spread_bp"), color=REPORTED, linewidth=0.9, label=_label("spread_bp")
    )
    bottom.set_ylim(bottom=0)
    _finish(bottom, shock_step, title="Bid-ask spread", ylabel="bp", xlabel=True)
    return fig


def plot_flows(timeseries: pd.DataFrame, *, shock_step: int | None = None) -> Figure:
    """Settled mints (up) and redemptions (down) per step as bars, with the pending queues.

    Args:
        timeseries: Per-step frame with ``mints_g``, ``redemptions_g``, ``mint_queue_g``,
            ``redemption_queue_g``.
        shock_step: Step of the shock, or None.

    Returns:
        The figure (grams).

    Raises:
        DataValidationError: If a column is missing or the index is not integer steps.
    """
    validate_timeseries(
        timeseries, ("mints_g", "redemptions_g", "mint_queue_g", "redemption_queue_g")
    )
    x = _steps(timeseries)
    # One bar per step: a filled staircase over the step edges is a single artist.
    edges = np.append(x - 0.5, x[-1] + 0.5)
    fig, top, bottom = _figure_two()
    top.stairs(
        np.nan_to_num(_col(timeseries, "mints_g")), edges, fill=True, color=ACTUAL, label="mints"
    )
    top.stairs(
        -np.nan_to_num(_col(timeseries, "redemptions_g")),
        edges,
        fill=True,
        color=REPORTED,
        label="redemptions (−)",
    )
    top.axhline(0.0, color="0.2", linewidth=0.6)
    _finish(top, shock_step, title="Primary market: settled per step", ylabel="grams", xlabel=False)
    bottom.plot(x, _col(timeseries, "mint_queue_g"), color=ACTUAL, label=_label("mint_queue_g"))
    bottom.plot(
        x,
        _col(timeseries, "redemption_queue_g"),
        color=REPORTED,
        label=_label("redemption_queue_g"),
    )
    bottom.set_ylim(bottom=0)
    _finish(bottom, shock_step, title="Pending queues", ylabel="grams", xlabel=True)
    return fig


HOLDER_STATES: tuple[str, ...] = ("holders_hold", "holders_buy", "holders_sell", "holders_redeem")
"""Holder-state columns stacked in :func:`plot_holder_states` (labels from the contract)."""


def plot_holder_states(timeseries: pd.DataFrame, *, shock_step: int | None = None) -> Figure:
    """Holders by last action as a stacked area, with the number panicked as a line.

    Args:
        timeseries: Per-step frame with ``holders_hold``, ``holders_buy``, ``holders_sell``,
            ``holders_redeem`` and ``holders_panicked``.
        shock_step: Step of the shock, or None.

    Returns:
        The figure (holder counts).

    Raises:
        DataValidationError: If a column is missing or the index is not integer steps.
    """
    validate_timeseries(timeseries, [*HOLDER_STATES, "holders_panicked"])
    x = _steps(timeseries)
    fig, ax = _figure()
    ax.stackplot(
        x,
        *[np.nan_to_num(_col(timeseries, c)) for c in HOLDER_STATES],
        labels=[_label(c) for c in HOLDER_STATES],
        colors=("#90a4ae", ACTUAL, REPORTED, SHOCK),
        alpha=0.75,
    )
    ax.plot(
        x,
        _col(timeseries, "holders_panicked"),
        color="0.05",
        linewidth=1.0,
        label=_label("holders_panicked"),
    )
    ax.set_ylim(bottom=0)
    _finish(ax, shock_step, title="Holders by last action", ylabel="holders")
    return fig


RUN_PLOTS: dict[str, Callable[..., Figure]] = {
    "price": plot_price,
    "deviation": plot_deviation,
    "reserves": plot_reserves,
    "liquidity": plot_liquidity,
    "flows": plot_flows,
    "holders": plot_holder_states,
}
"""The six run figures by name, in report order."""


def run_figures(timeseries: pd.DataFrame, *, shock_step: int | None = None) -> dict[str, Figure]:
    """All six run figures, keyed as in :data:`RUN_PLOTS`.

    Raises:
        DataValidationError: If a column a figure needs is missing.
    """
    return {name: plot(timeseries, shock_step=shock_step) for name, plot in RUN_PLOTS.items()}


def figure_png(fig: Figure, *, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (no ``Software`` stamp, so identical figures give identical bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata=PNG_METADATA)
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | Path, *, dpi: int = DPI) -> Path:
    """Write the figure as a PNG file, creating the parent directory.

    Args:
        fig: The figure.
        path: Target file (``.png`` is the format whatever the suffix).
        dpi: Resolution.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_png(fig, dpi=dpi))
    return path


def save_run_plots(
    timeseries: pd.DataFrame, out_dir: str | Path, *, shock_step: int | None = None
) -> dict[str, Path]:
    """Write the six run figures as ``<out_dir>/<name>.png``.

    Args:
        timeseries: The per-step frame of one run.
        out_dir: Directory to write into (created if missing).
        shock_step: Step of the shock, or None.

    Returns:
        Paths by figure name (``price``, ``deviation``, ``reserves``, ``liquidity``, ``flows``,
        ``holders``).

    Raises:
        DataValidationError: If a column a figure needs is missing.
    """
    out = Path(out_dir)
    return {
        name: save_figure(fig, out / f"{name}.png")
        for name, fig in run_figures(timeseries, shock_step=shock_step).items()
    }


# --- helpers -----------------------------------------------------------------------------------


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=FIG_SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _figure_two() -> tuple[Figure, Axes, Axes]:
    """A figure with two stacked panels sharing the step axis."""
    fig = Figure(figsize=FIG_SIZE_TWO_PANELS, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    top = fig.add_subplot(2, 1, 1)
    bottom = fig.add_subplot(2, 1, 2, sharex=top)
    top.tick_params(labelbottom=False)
    return fig, top, bottom


def _steps(timeseries: pd.DataFrame) -> np.ndarray:
    return timeseries.index.to_numpy(dtype=np.float64)


def _label(name: str) -> str:
    """A series' legend label, from the run-column contract."""
    return run_columns.label(name, with_unit=False)


def _col(timeseries: pd.DataFrame, name: str) -> np.ndarray:
    return pd.to_numeric(timeseries[name], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def _finish(
    ax: Axes, shock_step: int | None, *, title: str, ylabel: str, xlabel: bool = True
) -> None:
    if shock_step is not None:
        ax.axvline(shock_step, color=SHOCK, linestyle="--", linewidth=1.0, label="shock")
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel("step")
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.legend(loc="upper left", fontsize=8, ncols=3, framealpha=0.8)
