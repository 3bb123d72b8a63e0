"""The live page rendered with ``solara.render``: step, play, change a control, reset, errors."""

from __future__ import annotations

import dataclasses
import time

import ipyvuetify as v
import pytest
import solara
import solara.widgets

from visualization.app import DEFAULT_STEPS_PER_UPDATE, Controls, LiveRun

from .conftest import SMALL, InLayout, find_all, texts


def _button(rc, label: str) -> v.Btn:
    (button,) = find_all(rc, v.Btn, children=[label])
    return button


def _type(rc, label: str, text: str) -> None:
    """Type into a text field and press Enter (Solara commits text on Enter or focus loss)."""
    (field,) = find_all(rc, v.TextField, label=label)
    field.v_model = text
    field.fire_event("keyup.enter", {})


def _chart_png(rc, name: str) -> str:
    """The SVG text of a chart (the name is kept from when charts were PNGs)."""
    import solara.widgets

    (chart,) = find_all(rc, solara.widgets.HTML, f"gram-chart-{name}")
    return chart.unsafe_innerHTML


def _wait(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the page")
        time.sleep(0.05)


def test_step_draws_new_data_each_time() -> None:
    _, rc = solara.render(InLayout(SMALL), handle_error=False)
    assert texts(rc, "gram-status-step") == ["step: 0 / 96"]
    step = _button(rc, "Step")
    pngs = []
    for press in range(1, 4):
        step.click()
        done = press * DEFAULT_STEPS_PER_UPDATE
        assert texts(rc, "gram-status-step") == [f"step: {done} / 96"]
        pngs.append((_chart_png(rc, "price"), _chart_png(rc, "deviation")))
    assert len({p for p, _ in pngs}) == 3  # the price chart changed on every press
    assert len({d for _, d in pngs}) == 3
    assert not find_all(rc, v.Alert, type="error")


def test_changed_control_waits_for_reset_then_applies_with_a_typed_seed() -> None:
    _, rc = solara.render(InLayout(SMALL), handle_error=False)
    _button(rc, "Step").click()
    assert not find_all(rc, v.Alert, type="warning")
    _type(rc, "Seed", " 7 ")
    (warning,) = find_all(rc, v.Alert, type="warning")
    assert "press Reset" in warning.children[0]
    assert texts(rc, "gram-status-seed") == ["seed: 0"]  # not applied before Reset
    _button(rc, "Reset").click()
    assert texts(rc, "gram-status-seed") == ["seed: 7"]
    assert texts(rc, "gram-status-step") == ["step: 0 / 96"]
    assert not find_all(rc, v.Alert, type="warning")
    assert not find_all(rc, v.Alert, type="error")


def test_slider_control_changes_the_next_run_on_an_open_holders_tab() -> None:
    _, rc = solara.render(InLayout(SMALL), handle_error=False)
    _button(rc, "Step").click()
    (tabs,) = find_all(rc, v.Tabs)
    tabs.v_model = 4  # the network drawn while the population changes under it
    (holders,) = find_all(rc, v.Slider, label="Holders: 300")
    holders.v_model = 200
    assert find_all(rc, v.Slider, label="Holders: 200")
    _button(rc, "Reset").click()
    assert find_all(rc, v.Html, "gram-run-title", children=["scenario adverse, 200 holders"])
    _button(rc, "Step").click()
    assert len(find_all(rc, solara.widgets.HTML, "gram-chart-network")) == 1
    assert not find_all(rc, v.Alert, "gram-error")


def test_a_failing_step_is_shown_in_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    _, rc = solara.render(InLayout(SMALL), handle_error=False)

    def broken(self, steps: int) -> None:
        raise RuntimeError("the order book caught fire")

    monkeypatch.setattr(LiveRun, "advance", broken)
    _button(rc, "Step").click()
    (error,) = find_all(rc, v.Alert, "gram-error")
    assert error.children[0] == "step failed: the order book caught fire"
    assert texts(rc, "gram-status-step") == ["step: 0 / 96"]


def test_bad_input_is_shown_and_the_run_kept() -> None:
    _, rc = solara.render(InLayout(SMALL), handle_error=False)
    _button(rc, "Step").click()
    _type(rc, "Seed", "abc")
    _button(rc, "Reset").click()
    (error,) = find_all(rc, v.Alert, "gram-error")
    assert "seed must be a whole number >= 0, got 'abc'" in error.children[0]
    assert texts(rc, "gram-status-step") == [f"step: {DEFAULT_STEPS_PER_UPDATE} / 96"]
    _type(rc, "Seed", "3")
    _button(rc, "Reset").click()
    assert not find_all(rc, v.Alert, "gram-error")
    assert texts(rc, "gram-status-seed") == ["seed: 3"]


def test_play_runs_to_the_end_and_shows_the_summary() -> None:
    short = dataclasses.replace(SMALL, steps=48)
    _, rc = solara.render(InLayout(short), handle_error=False)
    (per_update,) = find_all(rc, v.Slider, label=f"Steps per update: {DEFAULT_STEPS_PER_UPDATE}")
    per_update.v_model = 12
    _button(rc, "Play").click()
    _wait(lambda: texts(rc, "gram-status-step") == ["step: 48 / 48"])
    _wait(lambda: bool(find_all(rc, v.Btn, children=["Play"])))  # back to Play at the end
    assert _button(rc, "Play").disabled
    assert _button(rc, "Step").disabled
    assert len(find_all(rc, v.Card, "gram-summary")) == 1
    assert not find_all(rc, v.Alert, "gram-error")


def test_pause_stops_playing() -> None:
    long = dataclasses.replace(SMALL, steps=2_160)
    _, rc = solara.render(InLayout(long), handle_error=False)
    _button(rc, "Play").click()
    _wait(lambda: texts(rc, "gram-status-step") != ["step: 0 / 2,160"])
    _button(rc, "Pause").click()
    time.sleep(0.5)  # a batch under way may still land
    stopped = texts(rc, "gram-status-step")
    time.sleep(0.5)
    assert texts(rc, "gram-status-step") == stopped
    assert not _button(rc, "Step").disabled


@pytest.mark.parametrize(
    ("tab", "charts"),
    [
        (0, {"price", "deviation"}),
        (1, {"reserves", "custody"}),
        (2, {"flows", "queues"}),
        (3, {"ladder", "liquidity", "spread"}),
        (4, {"holders", "network"}),
    ],
)
def test_each_tab_draws_its_views(tab: int, charts: set[str]) -> None:
    _, rc = solara.render(InLayout(SMALL), handle_error=False)
    _button(rc, "Step").click()
    (tabs,) = find_all(rc, v.Tabs)
    tabs.v_model = tab
    shown = {
        c.removeprefix("gram-chart-")
        for w in find_all(rc, solara.widgets.HTML)
        for c in w.attributes.get("class", "").split()
        if c.startswith("gram-chart-")
    }
    assert shown == charts  # lazy tabs: only the open one is drawn


def test_step_with_ten_thousand_holders_stays_interactive() -> None:
    """The default page (10,000 holders): one Step press, model and redraw, well under a second
    on a free core; the bound is loose for a busy CI machine."""
    _, rc = solara.render(InLayout(Controls()), handle_error=False)
    assert find_all(rc, v.Html, "gram-run-title", children=["scenario adverse, 10,000 holders"])
    settings = texts(rc, "gram-settings")[0]
    # The default run is what `make demo` runs: the calibrated configuration, the learned policy.
    assert "configuration: calibrated" in settings
    assert "policy: default" in settings
    assert "preset: " in settings
    step = _button(rc, "Step")
    step.click()  # the first press pays for first-use costs
    times = []
    for _ in range(3):
        start = time.perf_counter()
        step.click()
        times.append(time.perf_counter() - start)
    print(f"10,000 holders, {DEFAULT_STEPS_PER_UPDATE} steps + redraw: {min(times):.3f} s")
    assert min(times) < 3.0
