"""The live views: network sample, figures and Solara components rendered with ``solara.render``."""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets as widgets
import networkx as nx
import numpy as np
import pytest
import solara

from gramabm.agents.holders import build_social_graph
from gramabm.config import HolderConfig
from visualization.app import LiveRun
from visualization.components import (
    NETWORK_SAMPLE,
    STATE_LABELS,
    EventLogView,
    HoldersView,
    OrderBookView,
    RunChart,
    StatusBar,
    SummaryView,
    events_frame,
    holder_states,
    ladder_figure,
    network_figure,
    sample_network,
    summary_rows,
)

from .conftest import SMALL, find_all, texts


@pytest.fixture(scope="module")
def played() -> LiveRun:
    """A quick run stepped to its end (the shock, the withdrawal and the metrics are in it)."""
    run = LiveRun(SMALL)
    run.advance(SMALL.steps)
    return run


# --- pure pieces -----------------------------------------------------------------------------------


def test_network_sample_of_a_large_graph_keeps_its_edges() -> None:
    graph = build_social_graph(HolderConfig(n=10_000), 3)
    sample = sample_network(graph, NETWORK_SAMPLE, seed=5)
    assert sample.population == 10_000
    assert sample.nodes.size == NETWORK_SAMPLE
    assert np.unique(sample.nodes).size == NETWORK_SAMPLE
    assert sample.xy.shape == (NETWORK_SAMPLE, 2)
    assert np.isfinite(sample.xy).all()
    # A uniform sample of 300 of 10,000 keeps ~25 edges; the snowball keeps the neighbourhoods.
    assert sample.edges.shape[0] > NETWORK_SAMPLE
    for a, b in sample.edges[:50]:
        assert graph.has_edge(int(sample.nodes[a]), int(sample.nodes[b]))
    again = sample_network(graph, NETWORK_SAMPLE, seed=5)
    np.testing.assert_array_equal(sample.nodes, again.nodes)
    np.testing.assert_allclose(sample.xy, again.xy)
    other = sample_network(graph, NETWORK_SAMPLE, seed=6)
    assert not np.array_equal(np.sort(sample.nodes), np.sort(other.nodes))


def test_network_sample_of_a_small_graph_is_the_graph() -> None:
    graph = nx.path_graph(20)
    sample = sample_network(graph, NETWORK_SAMPLE, seed=0)
    assert sorted(sample.nodes.tolist()) == list(range(20))
    assert sample.edges.shape == (19, 2)


def test_holder_states_mark_the_panicked() -> None:
    states = holder_states(np.array([0, 1, 2, 3, 1]), np.array([0.1, 0.9, 0.0, 0.2, 0.51]))
    assert states.tolist() == [0, 4, 2, 3, 4]
    assert STATE_LABELS[4] == "panicked"


def test_ladder_figure_shows_the_spread() -> None:
    fig = ladder_figure([(100.0, 5.0), (99.9, 3.0)], [(100.1, 4.0)], 100.05)
    ax = fig.axes[0]
    assert "spread 10.0 bp" in ax.get_title(loc="left")
    assert "gold value 100.050 $" in ax.get_title(loc="left")
    assert len(ax.patches) == 3  # one bar per level
    # Asks above bids, highest price on top.
    labels = [t.get_text() for t in ax.get_yticklabels()]
    tops = [t.get_position()[1] for t in ax.get_yticklabels()]
    assert [label for _, label in sorted(zip(tops, labels, strict=True))] == [
        "99.900",
        "100.000",
        "100.100",
    ]
    empty = ladder_figure([], [])
    assert "empty" in empty.axes[0].get_title(loc="left")


def test_network_figure_counts_states_in_its_legend() -> None:
    graph = nx.cycle_graph(10)
    sample = sample_network(graph, 10, seed=1)
    fig = network_figure(sample, np.array([0, 0, 1, 2, 3, 4, 4, 4, 0, 1]))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["hold (3)", "buy (2)", "sell (1)", "redeem (1)", "panicked (3)"]
    assert "all 10 of 10 holders" in fig.axes[0].get_title(loc="left")


def test_events_newest_first() -> None:
    frame = events_frame([(1, "scenario", "a", "x"), (5, "governance", "b", "y")])
    assert frame["step"].tolist() == [5, 1]
    assert list(frame.columns) == ["step", "source", "kind", "detail"]


def test_summary_rows_put_the_headline_first(played: LiveRun) -> None:
    metrics = played.snapshot.metrics
    assert metrics is not None
    rows = summary_rows(metrics)
    assert rows["metric"].iloc[0] == "worst_premium_bp"
    assert "mm_withdrew" in rows["metric"].tolist()
    assert "notes" not in rows["metric"].tolist()  # lists are shown apart
    shown = dict(zip(rows["metric"], rows["value"], strict=True))
    assert shown["n_steps"] == "96"
    assert shown["mm_withdrew"] in {"yes", "no"}


# --- components ------------------------------------------------------------------------------------


def test_charts_wait_for_the_first_step() -> None:
    run = LiveRun(SMALL)
    _, rc = solara.render(RunChart(run.snapshot, "price"), handle_error=False)
    assert find_all(rc, v.Alert, children=["price: press Step or Play to start the run."])
    assert not find_all(rc, widgets.Image)


def test_run_chart_is_a_png_named_after_its_figure(played: LiveRun) -> None:
    _, rc = solara.render(RunChart(played.snapshot, "deviation"), handle_error=False)
    (image,) = find_all(rc, widgets.Image)
    assert "gram-chart-deviation" in image._dom_classes
    assert image.format == "png"
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_status_bar_shows_the_latest_values(played: LiveRun) -> None:
    snap = played.snapshot
    _, rc = solara.render(StatusBar(snap), handle_error=False)
    assert texts(rc, "gram-status-step") == ["step: 96 / 96"]
    dev = snap.timeseries["deviation_bp"].iloc[-1]
    assert texts(rc, "gram-status-deviation") == [f"deviation: {dev:+,.1f} bp"]
    assert texts(rc, "gram-status-seed") == ["seed: 0"]


def test_order_book_and_holder_views_draw(played: LiveRun) -> None:
    snap = played.snapshot
    _, rc = solara.render(OrderBookView(snap), handle_error=False)
    classes = {c for w in find_all(rc, widgets.Image) for c in w._dom_classes}
    assert {"gram-chart-ladder", "gram-chart-liquidity"} <= classes
    _, rc = solara.render(HoldersView(snap), handle_error=False)
    classes = {c for w in find_all(rc, widgets.Image) for c in w._dom_classes}
    assert {"gram-chart-holders", "gram-chart-network"} <= classes


def test_event_log_filters_governance(played: LiveRun) -> None:
    snap = played.snapshot
    assert any(source == "scenario" for _, source, _, _ in snap.events)
    _, rc = solara.render(EventLogView(snap), handle_error=False)
    assert not find_all(rc, v.Alert)  # the scenario's events are listed
    (only,) = find_all(rc, v.Checkbox, label="governance only")
    only.v_model = True
    if not any(source == "governance" for _, source, _, _ in snap.events):
        assert find_all(rc, v.Alert, children=["No events yet."])


def test_summary_only_when_the_run_has_ended(played: LiveRun) -> None:
    fresh = LiveRun(SMALL).snapshot
    _, rc = solara.render(SummaryView(fresh), handle_error=False)
    assert not find_all(rc, v.Card)
    _, rc = solara.render(SummaryView(played.snapshot), handle_error=False)
    assert len(find_all(rc, v.Card, "gram-summary")) == 1
