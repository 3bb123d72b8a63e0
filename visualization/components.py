"""Views of a live stress run: what the browser shows, drawn from one immutable :class:`Snapshot`.

The stepping thread takes a snapshot of the model after each batch of steps (under the run's
lock); the views below only read snapshots, so drawing never races the model. Charts are
matplotlib figures from :mod:`gramabm.analysis.render.plots` (plus the order-book ladder and the holder
network drawn here), turned into PNG bytes once per snapshot and shown as images: no JavaScript
charting library, so the page needs nothing from the internet.

For large populations the network view draws a snowball sample of the social graph
(:func:`sample_network`, 300 holders by default) laid out once per run; only the colours change
from one snapshot to the next.
"""

# Solara components are named in CapWords, as Solara and Mesa name theirs.

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gramabm.analysis.render import plots
from gramabm.analysis.runs.metrics import HEADLINE_METRICS
from gramabm.market.orderbook import BUY, SELL
from gramabm.units import ticks_to_price, units_to_grams

if TYPE_CHECKING:
    from gramabm.model import GramModel

CHART_DPI = 80
"""Resolution of the live charts: lighter than the report's, sharp enough on a screen."""

LADDER_LEVELS = 10
"""Price levels per side shown in the order-book ladder."""

NETWORK_SAMPLE = 300
"""Holders drawn in the network view (a snowball sample when the population is larger)."""

PANIC_THRESHOLD = 0.5
"""A holder counts as panicked above this panic level (the model's ``holders_panicked``)."""

STATE_LABELS: tuple[str, ...] = ("hold", "buy", "sell", "redeem", "panicked")
"""Holder states the network is coloured by: the last action (codes 0-3), or panicked (4)."""

STATE_COLOURS: tuple[str, ...] = ("#90a4ae", plots.ACTUAL, plots.REPORTED, plots.SHOCK, "#000000")
"""One colour per :data:`STATE_LABELS` entry (the holder-state chart's colours, panic black)."""

SUMMARY_FIRST: tuple[str, ...] = HEADLINE_METRICS
"""Summary metrics listed first, in this order (the rest follow alphabetically)."""


# --- data the views read -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NetworkSample:
    """A drawable sample of the holders' social graph.

    Attributes:
        nodes: Holder indices in the sample.
        xy: Layout position of each sampled holder, shape ``(len(nodes), 2)``.
        edges: Edges between sampled holders as pairs of positions in ``nodes``, shape ``(m, 2)``.
        population: Number of holders in the whole graph.
    """

    nodes: np.ndarray
    xy: np.ndarray
    edges: np.ndarray
    population: int


@dataclass(frozen=True, eq=False)  # compared by identity: a new snapshot is new data
class Snapshot:
    """What the views show at one moment of a run (copied out of the model, never shared).

    Attributes:
        run_id: Which run this is (increments on every reset), so cached images never mix runs.
        step: Steps done so far.
        n_steps: Steps the run will take.
        seed: The model seed.
        scenario: Scenario name.
        holders: Number of holders.
        timeseries: The per-step frame so far (index = step).
        shock_step: Step the scenario's shock starts, or None.
        bids: Best bid levels as ``(USD per token, tokens)``, best first.
        asks: Best ask levels as ``(USD per token, tokens)``, best first.
        events: The event log so far as ``(step, source, kind, detail)`` rows.
        sample: The network sample drawn for this run (fixed for the run).
        sample_states: State code (index into :data:`STATE_LABELS`) of each sampled holder.
        finished: Whether the run has taken all its steps.
        metrics: The run's summary metrics (``RunMetrics.to_dict()``) once it has finished.
        step_seconds: Wall time the last batch of steps took.
    """

    run_id: int
    step: int
    n_steps: int
    seed: int
    scenario: str
    holders: int
    timeseries: pd.DataFrame
    shock_step: int | None
    bids: tuple[tuple[float, float], ...]
    asks: tuple[tuple[float, float], ...]
    events: tuple[tuple[int, str, str, str], ...]
    sample: NetworkSample
    sample_states: np.ndarray
    finished: bool
    metrics: dict[str, Any] | None = None
    step_seconds: float = 0.0

    @property
    def key(self) -> tuple[int, int]:
        """Identity of the snapshot's data for caches: ``(run_id, step)``."""
        return (self.run_id, self.step)

    def last(self, column: str) -> float:
        """The latest value of a per-step column, NaN before the first step."""
        if self.timeseries.empty:
            return math.nan
        return float(self.timeseries[column].iloc[-1])


def sample_network(graph: nx.Graph, size: int = NETWORK_SAMPLE, seed: int = 0) -> NetworkSample:
    """A snowball sample of the social graph with a fixed layout.

    A uniform sample of a sparse graph of 10,000 nodes keeps almost no edges, so the sample grows
    breadth-first from a few random holders instead: each holder drawn comes with its neighbours,
    which is what herding travels along.

    Args:
        graph: The holders' graph (nodes ``0..n-1``).
        size: Holders to keep (all of them when the graph is smaller).
        seed: Seed of the start holders and of the layout.

    Returns:
        The sample with positions in the unit square.
    """
    rng = np.random.default_rng(seed)
    n = graph.number_of_nodes()
    if n <= size:
        chosen = list(graph.nodes)
    else:
        seen: dict[int, None] = {}  # insertion-ordered set: the sample is deterministic
        starts = rng.permutation(n)
        for start in starts[: max(1, size // 50)]:
            frontier = [int(start)]
            while frontier and len(seen) < size:
                node = frontier.pop(0)
                if node in seen:
                    continue
                seen[node] = None
                frontier.extend(int(v) for v in sorted(graph.adj[node]) if v not in seen)
            if len(seen) >= size:
                break
        chosen = list(seen)[:size]
    sub = graph.subgraph(chosen)
    pos = nx.spring_layout(sub, seed=seed, iterations=40) if chosen else {}
    nodes = np.asarray(chosen, dtype=np.int64)
    where = {int(v): i for i, v in enumerate(nodes)}
    xy = np.array([pos[v] for v in chosen], dtype=float).reshape(len(chosen), 2)
    edges = np.array([(where[a], where[b]) for a, b in sub.edges], dtype=np.int64).reshape(-1, 2)
    return NetworkSample(nodes=nodes, xy=xy, edges=edges, population=n)


def holder_states(last_action: np.ndarray, panic: np.ndarray) -> np.ndarray:
    """State codes of holders: the last action (0-3), or 4 when panicked.

    Args:
        last_action: Last action per holder (``Action`` codes).
        panic: Panic level per holder (0..1).

    Returns:
        Codes indexing :data:`STATE_LABELS`.
    """
    states = np.asarray(last_action, dtype=np.int64).copy()
    states[np.asarray(panic) > PANIC_THRESHOLD] = len(STATE_LABELS) - 1
    return states


def take_snapshot(
    model: GramModel,
    sample: NetworkSample,
    *,
    run_id: int,
    seed: int,
    metrics: dict[str, Any] | None = None,
    step_seconds: float = 0.0,
    ladder_levels: int = LADDER_LEVELS,
) -> Snapshot:
    """Copy what the views need out of a model (call it while no step runs).

    Args:
        model: The running model.
        sample: The network sample drawn for this run.
        run_id: The run's id.
        seed: The run's seed.
        metrics: Summary metrics, once the run has finished.
        step_seconds: Wall time of the last batch of steps.
        ladder_levels: Price levels per side to copy from the book.

    Returns:
        The snapshot.
    """
    holders = model.holders

    def side(levels: list[tuple[int, int]]) -> tuple[tuple[float, float], ...]:
        return tuple((ticks_to_price(p), units_to_grams(q)) for p, q in levels)

    return Snapshot(
        run_id=run_id,
        step=int(model.recorder.rows),
        n_steps=int(model.n_steps),
        seed=seed,
        scenario=str(model.path.name),
        holders=int(holders.n),
        timeseries=model.recorder.to_frame(),
        shock_step=model.path.meta.get("shock_step"),
        bids=side(model.book.levels(BUY, ladder_levels)),
        asks=side(model.book.levels(SELL, ladder_levels)),
        events=tuple(model.event_log),
        sample=sample,
        sample_states=holder_states(holders.last_action[sample.nodes], holders.panic[sample.nodes]),
        finished=not model.running or model.recorder.rows >= model.n_steps,
        metrics=metrics,
        step_seconds=step_seconds,
    )


# --- figures -------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=CHART_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def ladder_figure(
    bids: Sequence[tuple[float, float]],
    asks: Sequence[tuple[float, float]],
    gold_value: float = math.nan,
) -> Figure:
    """The order-book ladder: one row per price level, asks above bids, as a trading screen shows it.

    Rows are evenly spaced whatever the price gaps, so a thin level next to a wide gap stays
    readable; the spread and the gold value are in the title.

    Args:
        bids: ``(USD per token, tokens)`` levels, best first.
        asks: ``(USD per token, tokens)`` levels, best first.
        gold_value: Gold value of one token (USD); NaN for unknown.

    Returns:
        The figure.
    """
    fig, ax = _figure(6.0, 4.0)
    rows = [*reversed(asks), *bids]  # highest price on top
    y = np.arange(len(rows))[::-1]
    colours = [plots.REPORTED] * len(asks) + [plots.ACTUAL] * len(bids)
    if rows:
        ax.barh(y, [q for _, q in rows], height=0.8, color=colours)
        ax.set_yticks(y, labels=[f"{p:,.3f}" for p, _ in rows], fontsize=8)
    if bids and asks:
        ax.axhline(len(bids) - 0.5, color="0.3", linewidth=0.8, linestyle="--")
        spread = 1e4 * (asks[0][0] - bids[0][0]) / ((asks[0][0] + bids[0][0]) / 2)
        title = f"Order book: spread {spread:,.1f} bp"
    elif rows:
        title = "Order book: one side empty"
    else:
        title = "Order book: empty"
        ax.text(0.5, 0.5, "no resting orders", ha="center", va="center", transform=ax.transAxes)
    if math.isfinite(gold_value):
        title += f", gold value {gold_value:,.3f} $"
    ax.legend(
        handles=[
            Line2D([], [], color=plots.REPORTED, linewidth=6, label="asks"),
            Line2D([], [], color=plots.ACTUAL, linewidth=6, label="bids"),
        ],
        loc="lower right",
        fontsize=8,
    )
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("tokens resting")
    ax.set_ylabel("USD per token")
    ax.grid(True, axis="x", linewidth=0.3, alpha=0.6)
    return fig


def network_figure(sample: NetworkSample, states: np.ndarray) -> Figure:
    """The sampled holders on their social graph, coloured by state.

    Args:
        sample: The network sample (positions and edges).
        states: State code of each sampled holder (see :data:`STATE_LABELS`).

    Returns:
        The figure.
    """
    fig, ax = _figure(6.0, 4.5)
    if sample.edges.size:
        segments = sample.xy[sample.edges]
        ax.add_collection(LineCollection(segments, colors="0.75", linewidths=0.4, zorder=1))
    colours = np.asarray(STATE_COLOURS)[np.asarray(states, dtype=np.int64)]
    ax.scatter(sample.xy[:, 0], sample.xy[:, 1], c=colours, s=14, linewidths=0, zorder=2)
    counts = np.bincount(np.asarray(states, dtype=np.int64), minlength=len(STATE_LABELS))
    ax.legend(
        handles=[
            Line2D([], [], marker="o", linestyle="", color=c, label=f"{label} ({k})")
            for label, c, k in zip(STATE_LABELS, STATE_COLOURS, counts, strict=True)
        ],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        frameon=False,
    )
    shown = len(sample.nodes)
    what = "all" if shown == sample.population else "sample of"
    ax.set_title(
        f"Holder network: {what} {shown:,} of {sample.population:,} holders",
        fontsize=10,
        loc="left",
    )
    ax.set_axis_off()
    ax.autoscale()
    return fig


# --- views ---------------------------------------------------------------------------------------


@solara.component
def FigureImage(make: Callable[[], Figure], key: Any, name: str, width: str = "100%") -> None:
    """A matplotlib figure shown as a PNG image, redrawn only when ``key`` changes.

    Args:
        make: Builds the figure.
        key: Identity of the data drawn (e.g. :attr:`Snapshot.key`).
        name: CSS class suffix: the image gets class ``gram-chart-<name>``.
        width: CSS width of the image.
    """
    png = solara.use_memo(lambda: plots.figure_png(make(), dpi=CHART_DPI), [key, name])
    solara.Image(png, width=width, classes=["gram-chart", f"gram-chart-{name}"])


@solara.component
def RunChart(snapshot: Snapshot, name: str) -> None:
    """One of the run figures of :data:`gramabm.analysis.render.plots.RUN_PLOTS`, or a placeholder.

    Args:
        snapshot: The data.
        name: Figure name (``price``, ``deviation``, ``reserves``, ``liquidity``, ``flows``,
            ``holders``).
    """
    if snapshot.timeseries.empty:
        solara.Info(f"{name}: press Step or Play to start the run.", dense=True)
        return
    plot = plots.RUN_PLOTS[name]
    FigureImage(
        lambda: plot(snapshot.timeseries, shock_step=_shock_in_view(snapshot)),
        snapshot.key,
        name,
    )


def _shock_in_view(snapshot: Snapshot) -> int | None:
    # The shock line is drawn once the run has reached it; before that it would squash the axis.
    shock = snapshot.shock_step
    return shock if shock is not None and shock < snapshot.step else None


def _fmt(value: float, spec: str, unit: str = "") -> str:
    return "n/a" if not math.isfinite(value) else f"{value:{spec}}{unit}"


@solara.component
def StatusBar(snapshot: Snapshot) -> None:
    """The run's vital signs: step, gold value, token mid, deviation, spread, reserves, holders.

    Args:
        snapshot: The data.
    """
    items = [
        ("step", f"{snapshot.step:,} / {snapshot.n_steps:,}"),
        ("seed", str(snapshot.seed)),
        ("gold value", _fmt(snapshot.last("gold_value_usd"), ",.3f", " $")),
        ("token mid", _fmt(snapshot.last("token_mid"), ",.3f", " $")),
        ("deviation", _fmt(snapshot.last("deviation_bp"), "+,.1f", " bp")),
        ("spread", _fmt(snapshot.last("spread_bp"), ",.1f", " bp")),
        ("reserve ratio reported", _fmt(snapshot.last("reserve_ratio_reported"), ".4f")),
        ("reserve ratio actual", _fmt(snapshot.last("reserve_ratio_actual"), ".4f")),
        ("holders panicked", _fmt(snapshot.last("holders_panicked"), ",.0f")),
        ("last batch took", f"{1000 * snapshot.step_seconds:,.0f} ms"),
    ]
    with solara.Row(classes=["gram-status"], style={"flex-wrap": "wrap", "gap": "4px 16px"}):
        for label, value in items:
            slug = label.replace(" ", "-")
            solara.Text(f"{label}: {value}", classes=[f"gram-status-{slug}"])


@solara.component
def OrderBookView(snapshot: Snapshot) -> None:
    """The current ladder and spread, and depth and spread over time.

    Args:
        snapshot: The data.
    """
    gold = snapshot.last("gold_value_usd")
    FigureImage(
        lambda: ladder_figure(snapshot.bids, snapshot.asks, gold), snapshot.key, "ladder", "60%"
    )
    RunChart(snapshot, "liquidity")


@solara.component
def HoldersView(snapshot: Snapshot) -> None:
    """Holders by state over time, and the (sampled) social graph coloured by state.

    Args:
        snapshot: The data.
    """
    RunChart(snapshot, "holders")
    FigureImage(
        lambda: network_figure(snapshot.sample, snapshot.sample_states),
        snapshot.key,
        "network",
        "60%",
    )


def events_frame(events: Sequence[tuple[int, str, str, str]], *, newest_first: bool = True):
    """The event log as a DataFrame (``step``, ``source``, ``kind``, ``detail``).

    Args:
        events: Rows of the model's event log.
        newest_first: Whether the latest event comes first.

    Returns:
        The frame.
    """
    frame = pd.DataFrame(list(events), columns=["step", "source", "kind", "detail"])
    return frame.iloc[::-1].reset_index(drop=True) if newest_first else frame


@solara.component
def EventLogView(snapshot: Snapshot, governance_only: bool = False) -> None:
    """The governance and scenario event log, newest first.

    Args:
        snapshot: The data.
        governance_only: Show only governance's own entries.
    """
    only, set_only = solara.use_state(governance_only)
    frame = events_frame(snapshot.events)
    if only:
        frame = frame[frame["source"].str.lower().eq("governance")].reset_index(drop=True)
    solara.Checkbox(label="governance only", value=only, on_value=set_only)
    if frame.empty:
        solara.Info("No events yet.", dense=True)
    else:
        solara.DataFrame(frame, items_per_page=15)


def summary_rows(metrics: dict[str, Any]) -> pd.DataFrame:
    """Summary metrics as a two-column table, the headline ones first.

    Args:
        metrics: ``RunMetrics.to_dict()``.

    Returns:
        A frame with ``metric`` and ``value`` (as text) columns.
    """
    scalars = {k: v for k, v in metrics.items() if not isinstance(v, dict | list | tuple)}
    order = [k for k in SUMMARY_FIRST if k in scalars]
    order += sorted(k for k in scalars if k not in order)
    return pd.DataFrame(
        {"metric": order, "value": [_format_metric(scalars[k]) for k in order]},
    )


def _format_metric(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@solara.component
def SummaryView(snapshot: Snapshot) -> None:
    """The run's summary metrics, once it has ended.

    Args:
        snapshot: The data.
    """
    if snapshot.metrics is None:
        return
    with solara.Card("Run summary", classes=["gram-summary"]):
        notes = snapshot.metrics.get("notes") or ()
        for note in notes:
            solara.Text(f"note: {note}")
        solara.DataFrame(summary_rows(snapshot.metrics), items_per_page=20)
