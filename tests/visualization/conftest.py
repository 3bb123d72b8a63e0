"""Shared helpers of the browser-view tests: small runs, the live page in a layout, widget lookup."""

# Solara components are named in CapWords, as Solara and Mesa name theirs.

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
import solara

from visualization.app import Controls, LivePage

SMALL = Controls(holders=300, steps=96, scenario="adverse")
"""A quick run: 300 holders, four days, the adverse shock at step 48."""


@solara.component
def InLayout(start: Controls | None = None) -> None:
    """The live page inside Solara's app layout, as the server shows it (the sidebar needs it)."""
    with solara.AppLayout():
        LivePage(start)


def _classes(widget: widgets.Widget) -> list[str]:
    text = getattr(widget, "class_", None) or ""
    attributes = getattr(widget, "attributes", None)
    if isinstance(attributes, dict):
        text += " " + str(attributes.get("class", ""))
    return [*text.split(), *getattr(widget, "_dom_classes", ())]


def find_all(rc: Any, kind: type = widgets.Widget, cls: str | None = None, **attrs: Any) -> list:
    """Every widget of a type under the render's root, nested ones included (reacton's ``find``
    stops at the first match on a branch and compares classes as a whole string).

    Args:
        rc: The render context of ``solara.render``.
        kind: Widget class.
        cls: A CSS class the widget must have among its classes.
        **attrs: Traits the widget must have with these values.
    """
    found = []
    queue = list(rc.find().widgets)
    seen = {id(w) for w in queue}
    while queue:
        widget = queue.pop(0)
        if (
            isinstance(widget, kind)
            and (cls is None or cls in _classes(widget))
            and all(getattr(widget, k, object()) == v for k, v in attrs.items())
        ):
            found.append(widget)
        for name in widget.keys:
            value = getattr(widget, name)
            items = value if isinstance(value, list | tuple) else [value]
            for item in items:
                if isinstance(item, widgets.Widget) and id(item) not in seen:
                    seen.add(id(item))
                    queue.append(item)
    return found


def texts(rc: Any, cls: str) -> list[str]:
    """The text children of the HTML elements with a CSS class."""
    import ipyvuetify as v

    return [c for w in find_all(rc, v.Html, cls) for c in w.children if isinstance(c, str)]


SWEEP = {
    "name": "viz_test",
    "description": "mint fee x drop size, two seeds: a dozen tiny runs for the sweep page",
    "root_seed": 1,
    "replications": 2,
    "scenarios": ["drop"],
    "steps": 48,
    "holders": 100,
    "base": {"scenario_params": {"severity": 0.1, "shock_step": 6}},
    "design": {"kind": "grid"},
    "vary": [
        {"name": "primary.mint_fee_bp", "values": [0.0, 50.0, 100.0]},
        {"name": "scenario_params.severity", "values": [0.02, 0.3]},
    ],
}
"""A real sweep of 12 runs (a few seconds): without a mint fee the token trades below gold."""


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep's results directory, written by the experiments runner."""
    from gramabm.sweeps import parse_spec, run_sweep

    out = tmp_path_factory.mktemp("sweep") / "results"
    summary = run_sweep(parse_spec(SWEEP), out, progress=False)
    assert summary.failed == 0
    return out


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch: pytest.MonkeyPatch):
    """Each test is a new browser session: the pages keep state per session, so the state is
    cleared and the pages a test rendered are closed after it."""
    from visualization.app import LIVE
    from visualization.sweep import SWEEP

    LIVE.clear()
    SWEEP.clear()
    opened = []
    render = solara.render

    def recording(*args, **kwargs):
        result = render(*args, **kwargs)
        opened.append(result[1])
        return result

    monkeypatch.setattr(solara, "render", recording)
    yield
    LIVE.playing.set(False)
    for rc in opened:
        rc.close()
    LIVE.clear()
    SWEEP.clear()
