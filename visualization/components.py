"""Views of a live stress run: what the browser shows, drawn from one immutable :class:`Snapshot`.

The stepping thread takes a snapshot of the model after each batch of steps (under the run's
lock); the views below only read snapshots, so drawing never races the model. Charts are inline
SVG built from the data (:mod:`visualization.live_charts`): a few milliseconds per chart where a
matplotlib raster took 0.15-0.45 s, sharp on any screen, and nothing fetched from the internet.

For large populations the network view draws a snowball sample of the social graph
(:func:`sample_network`, 300 holders by default) laid out once per run; only the colours change
from one snapshot to the next.
"""

# Solara components are named in CapWords, as Solara and Mesa name theirs.

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import networkx as nx
import numpy as np
import pandas as pd
import solara

from gramabm import run_columns
from gramabm.analysis.runs.metrics import HEADLINE_METRICS, metric_label, metric_unit
from gramabm.market.orderbook import BUY, SELL
from gramabm.units import ticks_to_price, units_to_grams
from visualization import live_charts

if TYPE_CHECKING:
    from gramabm.model import GramModel

LADDER_LEVELS = 10
"""Price levels per side shown in the order-book ladder."""

NETWORK_SAMPLE = 300
"""Holders drawn in the network view (a snowball sample when the population is larger)."""

PANIC_THRESHOLD = 0.5
"""A holder counts as panicked above this panic level (the model's ``holders_panicked``)."""

STATE_LABELS: tuple[str, ...] = ("hold", "buy", "sell", "redeem", "panicked")
"""Holder states the network is coloured by: the last action (codes 0-3), or panicked (4)."""

STATE_COLOURS: tuple[str, ...] = (
    "#90a4ae",
    live_charts.ACTUAL,
    live_charts.REPORTED,
    live_charts.SHOCK,
    "#000000",
)
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
        times: Timestamp of every step of the run (the x axis of the charts).
        settings: What the running model was built with, as ``(name, value)`` text pairs
            (configuration, preset, fees, policy...), shown above the charts.
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
    times: pd.DatetimeIndex = dataclasses.field(default_factory=lambda: pd.DatetimeIndex([]))
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[int, int]:
        """Identity of the snapshot's data for caches: ``(run_id, step)``."""
        return (self.run_id, self.step)

    def last(self, column: str) -> float:
        """The latest value of a per-step column, NaN before the first step."""
        if self.timeseries.empty:
            return math.nan
        return float(self.timeseries[column].iloc[-1])

    def last_finite(self, column: str) -> tuple[int, float] | None:
        """The latest step with a finite value of a column and that value, or None."""
        if self.timeseries.empty or column not in self.timeseries.columns:
            return None
        values = pd.to_numeric(self.timeseries[column], errors="coerce").to_numpy(dtype=float)
        ok = np.flatnonzero(np.isfinite(values))
        return None if ok.size == 0 else (int(ok[-1]), float(values[ok[-1]]))

    def time_of(self, step: int) -> str:
        """The timestamp of a step as text (``Tue 05 Jan 14:00``), or ``step N`` without one."""
        if 0 <= step < len(self.times):
            return self.times[step].strftime("%a %d %b %H:%M")
        return f"step {step}"


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
    settings: tuple[tuple[str, str], ...] = (),
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
        settings: What the model was built with, as text pairs (see :class:`Snapshot`).

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
        times=pd.DatetimeIndex(model.path.timestamps),
        settings=settings,
    )


# --- what the book says in words -------------------------------------------------------------------


@dataclass(frozen=True)
class EmptySide:
    """A side of the order book that is empty at the latest step.

    Attributes:
        side: ``"bid"`` or ``"ask"`` (``"both"`` when the book is empty).
        since: First step of the current stretch without that side.
    """

    side: str
    since: int


def empty_side(snapshot: Snapshot) -> EmptySide | None:
    """Which side of the book is empty now and since when, from the recorded best bid and ask."""
    frame = snapshot.timeseries
    if frame.empty or "token_bid" not in frame.columns:
        return None
    bid = np.isfinite(pd.to_numeric(frame["token_bid"], errors="coerce").to_numpy(dtype=float))
    ask = np.isfinite(pd.to_numeric(frame["token_ask"], errors="coerce").to_numpy(dtype=float))
    if bid[-1] and ask[-1]:
        return None
    side = "both" if not (bid[-1] or ask[-1]) else ("bid" if not bid[-1] else "ask")
    missing = ~bid & ~ask if side == "both" else (~bid if side == "bid" else ~ask)
    present = np.flatnonzero(~missing)
    since = int(present[-1] + 1) if present.size else 0
    return EmptySide(side, since)


def empty_side_words(snapshot: Snapshot) -> str:
    """A sentence for an empty side of the book: since when, and what traded meanwhile; or ``""``."""
    empty = empty_side(snapshot)
    if empty is None:
        return ""
    hours = (snapshot.step - empty.since) * _step_hours(snapshot)
    what = {
        "bid": "Bid side empty: no buyer in the book",
        "ask": "Ask side empty: no seller in the book",
        "both": "Bid and ask sides empty: no buyer and no seller in the book",
    }[empty.side]
    text = f"{what} since {snapshot.time_of(empty.since)} ({hours:,.0f} h); no mid price."
    traded = snapshot.last_finite("token_last")
    if traded is not None and traded[0] >= empty.since:
        step, price = traded
        dev = snapshot.timeseries["last_deviation_bp"].iloc[step]
        shown = f" ({dev:+,.0f} bp against gold)" if math.isfinite(dev) else ""
        text += f" Last trade {price:,.3f} USD{shown} at {snapshot.time_of(step)}."
    else:
        text += " No trade since."
    return text


def _step_hours(snapshot: Snapshot) -> float:
    times = snapshot.times
    if len(times) < 2:
        return 1.0
    return float((times[1] - times[0]) / pd.Timedelta(hours=1))


# --- views ---------------------------------------------------------------------------------------


@solara.component
def SvgChart(svg: str, name: str) -> None:
    """An SVG chart in the page (class ``gram-chart gram-chart-<name>``).

    Args:
        svg: The chart's SVG text.
        name: Its name.
    """
    solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["gram-chart", f"gram-chart-{name}"])


@solara.component
def RunChart(snapshot: Snapshot, name: str) -> None:
    """One time chart of :data:`visualization.live_charts.TIME_CHARTS`, or a placeholder.

    Args:
        snapshot: The data.
        name: Chart name (``price``, ``deviation``, ``reserves``, ``custody``, ``flows``,
            ``queues``, ``liquidity``, ``spread``, ``holders``).
    """
    if snapshot.timeseries.empty:
        solara.Info(f"{name}: press Step or Play to start the run.", dense=True)
        return
    note = empty_side_words(snapshot) if name in ("price", "deviation") else ""
    # Built on each render: a few ms, and the chart re-renders only for a new snapshot.
    svg = live_charts.time_chart_svg(
        name, snapshot.timeseries, snapshot.times, snapshot.events, snapshot.shock_step, note=note
    )
    SvgChart(svg, name)


def _fmt(value: float, spec: str, unit: str = "") -> str:
    return "n/a" if not math.isfinite(value) else f"{value:{spec}}{unit}"


def status_items(snapshot: Snapshot) -> list[tuple[str, str]]:
    """The status bar's ``(label, value)`` pairs; an empty book side is said in words."""
    empty = empty_side(snapshot)
    no_mid = (
        "none: " + ("book empty" if empty and empty.side == "both" else f"{empty.side} side empty")
        if empty
        else ""
    )
    traded = snapshot.last_finite("token_last")
    return [
        ("step", f"{snapshot.step:,} / {snapshot.n_steps:,}"),
        ("time", snapshot.time_of(max(snapshot.step - 1, 0))),
        ("seed", str(snapshot.seed)),
        ("gold value", _fmt(snapshot.last("gold_value_usd"), ",.3f", " USD")),
        ("token mid", no_mid or _fmt(snapshot.last("token_mid"), ",.3f", " USD")),
        ("last trade", "none yet" if traded is None else f"{traded[1]:,.3f} USD"),
        ("deviation", no_mid or _fmt(snapshot.last("deviation_bp"), "+,.1f", " bp")),
        ("spread", no_mid or _fmt(snapshot.last("spread_bp"), ",.1f", " bp")),
        ("reserve ratio reported", _fmt(snapshot.last("reserve_ratio_reported"), ".4f")),
        ("reserve ratio actual", _fmt(snapshot.last("reserve_ratio_actual"), ".4f")),
        ("holders panicked", _fmt(snapshot.last("holders_panicked"), ",.0f")),
        ("last update took", f"{1000 * snapshot.step_seconds:,.0f} ms"),
    ]


@solara.component
def StatusBar(snapshot: Snapshot) -> None:
    """The run's vital signs, and a sentence when a side of the book is empty.

    Args:
        snapshot: The data.
    """
    with solara.Row(classes=["gram-status"], style={"flex-wrap": "wrap", "gap": "4px 16px"}):
        for label, value in status_items(snapshot):
            slug = label.replace(" ", "-")
            solara.Text(f"{label}: {value}", classes=[f"gram-status-{slug}"])
    words = empty_side_words(snapshot)
    if words:
        solara.Warning(words, dense=True, classes=["gram-empty-side"])


@solara.component
def SettingsLine(snapshot: Snapshot) -> None:
    """What the running model was built with (configuration, preset, fees, policy...).

    Args:
        snapshot: The data.
    """
    items = list(snapshot.settings)
    for name, column in (("mint fee", "mint_fee_bp"), ("redeem fee", "redeem_fee_bp")):
        value = snapshot.last(column) if column in snapshot.timeseries.columns else math.nan
        if math.isfinite(value):  # the fee in force, once the run has started
            items = [(k, f"{value:g} bp in force" if k == name else v) for k, v in items]
    text = "; ".join(f"{k}: {v}" for k, v in items)
    solara.Text(text, classes=["gram-settings"], style={"color": "#424242"})


@solara.component
def OrderBookView(snapshot: Snapshot) -> None:
    """The current ladder, and depth and spread over time.

    Args:
        snapshot: The data.
    """
    gold = snapshot.last("gold_value_usd")
    svg = solara.use_memo(
        lambda: live_charts.ladder_svg(
            snapshot.bids, snapshot.asks, gold, note=empty_side_words(snapshot)
        ),
        [snapshot.key],
    )
    SvgChart(svg, "ladder")
    RunChart(snapshot, "liquidity")
    RunChart(snapshot, "spread")


@solara.component
def HoldersView(snapshot: Snapshot) -> None:
    """Holders by state over time, and the (sampled) social graph coloured by state.

    Args:
        snapshot: The data.
    """
    RunChart(snapshot, "holders")
    sample = snapshot.sample
    shown = len(sample.nodes)
    what = "all" if shown == sample.population else "sample of"
    svg = solara.use_memo(
        lambda: live_charts.network_svg(
            sample.xy,
            sample.edges,
            snapshot.sample_states,
            STATE_LABELS,
            STATE_COLOURS,
            title=f"Holder network: {what} {shown:,} of {sample.population:,} holders",
        ),
        [snapshot.key],
    )
    SvgChart(svg, "network")


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
    """Summary metrics as a table of labels, readable values and units, the headline ones first.

    Args:
        metrics: ``RunMetrics.to_dict()``.

    Returns:
        A frame with ``metric`` (label), ``value`` (text, rounded) and ``unit`` columns, and the
        raw ``key`` last.
    """
    scalars = {k: v for k, v in metrics.items() if not isinstance(v, dict | list | tuple)}
    order = [k for k in SUMMARY_FIRST if k in scalars]
    order += sorted(k for k in scalars if k not in order)
    units = [metric_unit(k) for k in order]
    return pd.DataFrame(
        {
            "metric": [metric_label(k) for k in order],
            "value": [format_metric(scalars[k], u) for k, u in zip(order, units, strict=True)],
            "unit": ["%" if u == "fraction" else u for u in units],
            "key": order,
        },
    )


def format_metric(value: Any, unit: str = "") -> str:
    """A metric value as text: fractions in %, about four significant digits, thousands separated."""
    if value is None:
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        if unit == "fraction":
            return f"{100 * value:,.2f}"
        if unit in ("bp", "h") or abs(value) >= 1e4:
            return f"{value:,.1f}" if abs(value) < 1e4 else f"{value:,.0f}"
        return f"{value:,.4g}"
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
        for note in notes:  # one line each (solara.Text is inline)
            solara.Text(f"note: {note}", style={"display": "block"}, classes=["gram-summary-note"])
        solara.DataFrame(summary_rows(snapshot.metrics).drop(columns="key"), items_per_page=20)


# --- comparing finished runs -----------------------------------------------------------------------

COMPARE_COLOURS = ("#1f4e79", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f")
"""One colour per compared run."""


def run_name(snapshot: Snapshot) -> str:
    """A short name of a finished run: its number and the settings that tell runs apart."""
    settings = dict(snapshot.settings)
    parts = [f"run {snapshot.run_id + 1}", snapshot.scenario, settings.get("preset", "")]
    for key in ("mint fee", "redeem fee"):
        if settings.get(key, "preset's") != "preset's":
            parts.append(f"{key} {settings[key]}")
    parts.append(f"seed {snapshot.seed}")
    return ", ".join(p for p in parts if p)


def compare_svg(runs: Sequence[Snapshot], column: str, name: str, title: str) -> str:
    """One column of several finished runs overlaid on one chart (x: time since each run's start)."""
    from visualization.svgchart import Chart, HLine, Series, render

    longest = max(runs, key=lambda r: len(r.timeseries))
    n = len(longest.timeseries)
    series = []
    for i, run in enumerate(runs):
        values = np.full(n, np.nan)
        got = pd.to_numeric(run.timeseries[column], errors="coerce").to_numpy(dtype=float)
        values[: len(got)] = got[:n]
        series.append(Series(run_name(run), values, COMPARE_COLOURS[i % len(COMPARE_COLOURS)]))
    refs = [HLine(1.0, "full reserve")] if column.startswith("reserve_ratio") else []
    if column == "deviation_bp":
        refs = [HLine(0.0, "peg", "#424242", "")]
    unit = run_columns.column(column).unit
    chart = Chart(
        name,
        title,
        unit or run_columns.label(column, with_unit=False),
        longest.times[:n],
        series,
        hlines=refs,
        y_symmetric=column == "deviation_bp",
    )
    return render(chart)


def compare_table(runs: Sequence[Snapshot]) -> pd.DataFrame:
    """The headline metrics of several finished runs side by side (one column per run)."""
    table = pd.DataFrame({"metric": [metric_label(k) for k in HEADLINE_METRICS]})
    table["unit"] = [
        "%" if metric_unit(k) == "fraction" else metric_unit(k) for k in HEADLINE_METRICS
    ]
    for run in runs:
        metrics = run.metrics or {}
        table[run_name(run)] = [
            format_metric(metrics.get(k), metric_unit(k)) for k in HEADLINE_METRICS
        ]
    return table


@solara.component
def CompareView(finished: Sequence[Snapshot]) -> None:
    """Finished runs of this session side by side: deviation and reserves overlaid, summaries.

    Args:
        finished: The finished runs kept in the session, oldest first.
    """
    names = [run_name(r) for r in finished]
    chosen, set_chosen = solara.use_state(cast(list[str], []))
    if not finished:
        solara.Info(
            "Finished runs are kept here to compare: play a run to its end, change a setting "
            "(a fee, a preset), press Reset and play again.",
            dense=True,
        )
        return
    picked = [n for n in chosen if n in names] or names[-2:]
    solara.SelectMultiple("Runs to compare", values=picked, all_values=names, on_value=set_chosen)
    runs = [r for r in finished if run_name(r) in picked]
    if not runs:
        return
    SvgChart(
        compare_svg(runs, "deviation_bp", "compare-deviation", "Peg deviation"), "compare-deviation"
    )
    SvgChart(
        compare_svg(runs, "reserve_ratio_actual", "compare-reserves", "Reserve ratio (actual)"),
        "compare-reserves",
    )
    solara.DataFrame(compare_table(runs), items_per_page=20)
