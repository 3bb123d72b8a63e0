"""The live views: network sample, figures and Solara components rendered with ``solara.render``."""

from __future__ import annotations

import dataclasses
import re

import ipyvuetify as v
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
    empty_side_words,
    events_frame,
    holder_states,
    sample_network,
    status_items,
    summary_rows,
)
from visualization.live_charts import ladder_svg, network_svg

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


def test_ladder_shows_the_spread_quantities_and_caps_a_huge_order() -> None:
    svg = ladder_svg([(100.0, 500.0), (99.9, 60_000.0)], [(100.1, 400.0)], 100.05)
    assert "spread 10.0 bp" in svg
    assert "gold value 100.050 USD" in svg
    # Asks above bids, highest price on top; every level's quantity written.
    assert svg.index("100.100") < svg.index("100.000") < svg.index("99.900")
    assert "60,000" in svg
    assert ">500<" in svg
    assert ">400<" in svg
    widths = [
        float(w)
        for w in re.findall(r"<rect x=\"90\" y=\"[\d.]+\" width=\"([\d.]+)\" height=\"14\"", svg)
    ]
    assert max(widths) < 3 * 3 * min(widths)  # the 60,000 bar does not squash the others
    empty = ladder_svg([], [(100.1, 4.0)], note="Bid side empty")
    assert "one side empty" in empty
    assert "Bid side empty" in empty
    assert "bids" not in empty


def test_network_counts_states_in_its_legend() -> None:
    graph = nx.cycle_graph(10)
    sample = sample_network(graph, 10, seed=1)
    svg = network_svg(
        sample.xy,
        sample.edges,
        np.array([0, 0, 1, 2, 3, 4, 4, 4, 0, 1]),
        STATE_LABELS,
        ("#111", "#222", "#333", "#444", "#555"),
        title="all 10 of 10 holders",
    )
    for label in ["hold (3)", "buy (2)", "sell (1)", "redeem (1)", "panicked (3)"]:
        assert label in svg
    assert svg.count("<circle") == 10 + 5


def test_events_newest_first() -> None:
    frame = events_frame([(1, "scenario", "a", "x"), (5, "governance", "b", "y")])
    assert frame["step"].tolist() == [5, 1]
    assert list(frame.columns) == ["step", "source", "kind", "detail"]


def test_summary_rows_put_the_headline_first(played: LiveRun) -> None:
    metrics = played.snapshot.metrics
    assert metrics is not None
    rows = summary_rows(metrics)
    assert rows["key"].iloc[0] == "worst_premium_bp"
    assert rows["metric"].iloc[0] == "Worst premium"
    assert rows["unit"].iloc[0] == "bp"
    assert "notes" not in rows["key"].tolist()  # lists are shown apart
    # Every metric has a readable label: no snake_case left.
    assert not any("_" in label for label in rows["metric"])
    shown = dict(zip(rows["key"], rows["value"], strict=True))
    assert shown["n_steps"] == "96"
    assert shown["mm_withdrew"] in {"yes", "no"}
    units = dict(zip(rows["key"], rows["unit"], strict=True))
    assert units["hours_outside_50bp"] == "h"
    assert units["share_initial_supply_redeemed"] == "%"
    share = metrics["share_initial_supply_redeemed"]
    assert shown["share_initial_supply_redeemed"] == f"{100 * share:,.2f}"


# --- components ------------------------------------------------------------------------------------


def test_charts_wait_for_the_first_step() -> None:
    run = LiveRun(SMALL)
    _, rc = solara.render(RunChart(run.snapshot, "price"), handle_error=False)
    assert find_all(rc, v.Alert, children=["price: press Step or Play to start the run."])
    assert not charts(rc)


def charts(rc) -> dict[str, str]:
    """The SVG charts rendered, by name."""
    import solara.widgets

    found = {}
    for w in find_all(rc, solara.widgets.HTML):
        for c in w.attributes.get("class", "").split():
            if c.startswith("gram-chart-"):
                found[c.removeprefix("gram-chart-")] = w.unsafe_innerHTML
    return found


def test_run_chart_is_svg_with_labels_from_the_column_contract(played: LiveRun) -> None:
    _, rc = solara.render(RunChart(played.snapshot, "deviation"), handle_error=False)
    svg = charts(rc)["deviation"]
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "Deviation (mid)" in svg
    assert "deviation (bp)" in svg
    assert "shock" in svg  # the shock is marked
    assert "primary market closed" in svg  # closed hours are shaded


def test_status_bar_shows_the_latest_values(played: LiveRun) -> None:
    snap = played.snapshot
    _, rc = solara.render(StatusBar(snap), handle_error=False)
    assert texts(rc, "gram-status-step") == ["step: 96 / 96"]
    dev = snap.timeseries["deviation_bp"].iloc[-1]
    assert texts(rc, "gram-status-deviation") == [f"deviation: {dev:+,.1f} bp"]
    assert texts(rc, "gram-status-seed") == ["seed: 0"]


def test_an_empty_bid_side_is_said_in_words(played: LiveRun) -> None:
    snap = played.snapshot
    frame = snap.timeseries.copy()
    frame.loc[frame.index[-5:], ["token_bid", "token_mid", "deviation_bp", "spread_bp"]] = np.nan
    empty = dataclasses.replace(snap, timeseries=frame)
    words = empty_side_words(empty)
    since = empty.time_of(len(frame) - 5)
    assert words.startswith(f"Bid side empty: no buyer in the book since {since} (5 h)")
    items = dict(status_items(empty))
    assert items["token mid"] == items["deviation"] == "none: bid side empty"
    _, rc = solara.render(RunChart(empty, "price"), handle_error=False)
    assert "bid side empty" in charts(rc)["price"]  # shaded on the chart
    assert empty_side_words(snap) == ""


def test_order_book_and_holder_views_draw(played: LiveRun) -> None:
    snap = played.snapshot
    _, rc = solara.render(OrderBookView(snap), handle_error=False)
    assert {"ladder", "liquidity", "spread"} <= set(charts(rc))
    _, rc = solara.render(HoldersView(snap), handle_error=False)
    assert {"holders", "network"} <= set(charts(rc))


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


def test_finished_runs_compare_side_by_side(played: LiveRun) -> None:
    from visualization.components import CompareView, compare_table, run_name

    other = LiveRun(dataclasses.replace(SMALL, mint_fee_bp="0"), run_id=1)
    other.advance(SMALL.steps)
    runs = [played.snapshot, other.snapshot]
    assert run_name(runs[1]).startswith("run 2, adverse")
    assert "mint fee 0 bp" in run_name(runs[1])
    table = compare_table(runs)
    assert list(table.columns) == ["metric", "unit", run_name(runs[0]), run_name(runs[1])]
    assert table["metric"].iloc[0] == "Worst premium"
    _, rc = solara.render(CompareView(runs), handle_error=False)
    shown = charts(rc)
    assert set(shown) == {"compare-deviation", "compare-reserves"}
    for name in (run_name(r) for r in runs):
        assert name in shown["compare-deviation"]
    _, rc = solara.render(CompareView([]), handle_error=False)
    assert not charts(rc)


def test_a_long_note_on_the_ladder_wraps_inside_the_chart() -> None:
    note = "Bid side empty: no buyer in the book since Fri 04 Jan 19:00 (11 h); no mid price. " * 2
    svg = ladder_svg([], [(49.0, 61_083.0)], 48.6, note=note, width=560)
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    assert len(lines) >= 2
    assert " ".join(lines) == note.strip()
    assert max(len(line) for line in lines) * 6.5 <= 560 - 16
