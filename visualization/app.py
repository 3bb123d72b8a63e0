"""The browser view: watch a Gram stress test step by step (``gramabm viz`` serves it).

A Solara app of two pages: the live run (here) and a finished sweep's results
(:mod:`visualization.sweep`, at ``/sweep``). On the live page the sidebar holds the run controls
(play, step, reset, steps per update) and the model's main parameters, drawn by Mesa's
:func:`~mesa.visualization.solara_viz.UserInputs` from a Mesa-style parameter spec; the main area
shows the live views of :mod:`visualization.components`.

It does not use Mesa's whole ``SolaraViz`` page: SolaraViz rebuilds the model straight from the
widget values on reset, so text typed in the page (a seed, a fee, a shock severity) reaches the
model unparsed and a typo ends in a traceback instead of a message. Here every control value goes
through :func:`model_config` and :func:`parse_seed` first, and what is wrong is shown in the page.

Threads: *Play* runs a loop in a worker thread (``solara.use_thread``) that steps the model a
batch at a time; *Step* steps one batch in the event handler. Both go through
:meth:`LiveRun.advance`, which holds the run's lock while it steps and copies a
:class:`~visualization.components.Snapshot` out; the views only ever read snapshots.
"""

# Solara components are named in CapWords, as Solara and Mesa name theirs.

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import ipyvuetify
import solara
import traitlets
from mesa.visualization.solara_viz import UserInputs

from gramabm.config import ModelConfig, load_config
from gramabm.errors import ConfigError, GramabmError
from gramabm.market.presets import PRESET_NAMES
from gramabm.model import GramModel
from visualization.address import SWEEP as SWEEP_PARAM
from visualization.address import encode, query_params, read_address, run_params
from visualization.components import (
    NETWORK_SAMPLE,
    CompareView,
    EventLogView,
    HoldersView,
    OrderBookView,
    RunChart,
    SettingsLine,
    Snapshot,
    StatusBar,
    SummaryView,
    sample_network,
    take_snapshot,
)
from visualization.sweep import SWEEP, SweepPage

CONFIGURATIONS: tuple[str, ...] = ("calibrated", "defaults")
"""Base configurations the view offers: the shipped calibrated one (what ``make demo`` runs,
with the learned default policy) and the model's uncalibrated defaults."""


def base_config(name: str) -> ModelConfig:
    """The base configuration of that name (``defaults``: the model's own defaults).

    Raises:
        ConfigError: If the name is not one of :data:`CONFIGURATIONS`.
    """
    if name not in CONFIGURATIONS:
        raise ConfigError(f"configuration must be one of {', '.join(CONFIGURATIONS)}, got {name!r}")
    return load_config(None if name == "defaults" else name)


_DEFAULTS = base_config("calibrated")
logger = logging.getLogger(__name__)

PLAY_PAUSE_SECONDS = 0.01
"""Pause between two updates while playing, so clicks get through between batches."""

DEFAULT_STEPS_PER_UPDATE = 6
"""Steps between two updates: at 10,000 holders about ten updates a second, and the default run
watched to its end in about the time the CLI takes for it."""

PRESETS: tuple[str, ...] = PRESET_NAMES
"""Primary-market presets the preset control offers."""


@dataclass(frozen=True)
class Controls:
    """What the parameter controls hold, as the widgets give it (seed, fees, severity as text).

    Blank fee and severity fields mean "the preset's fee" and "the scenario's own severity".
    The view starts on ``adverse`` rather than the configuration's calm ``baseline``: it exists to
    watch what a shock does. The other fields start at the calibrated configuration's values
    (what ``make demo`` runs).
    """

    configuration: str = "calibrated"
    holders: int = _DEFAULTS.holders.n
    arbitrageurs: int = _DEFAULTS.arbitrageurs.n
    market_makers: int = _DEFAULTS.market_makers.n
    preset: str = _DEFAULTS.primary.preset
    mint_fee_bp: str = ""
    redeem_fee_bp: str = ""
    primary_always_open: bool = _DEFAULTS.primary.always_open
    scenario: str = "adverse"
    severity: str = ""
    herding: float = _DEFAULTS.holders.herding
    policy: str = _DEFAULTS.holders.policy
    steps: int = _DEFAULTS.steps
    seed: str = "0"


def parse_seed(text: str | int) -> int:
    """A seed from the text typed in the page (Mesa models refuse a string seed).

    Args:
        text: The text (surrounding blanks and ``_`` digit separators allowed) or an int.

    Returns:
        The seed, a whole number >= 0.

    Raises:
        ConfigError: If the text is not a whole number >= 0.
    """
    if isinstance(text, bool):
        raise ConfigError(f"seed must be a whole number >= 0, got {text!r}")
    if isinstance(text, int):
        value = text
    else:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise ConfigError(f"seed must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise ConfigError(f"seed must be a whole number >= 0, got {text!r}")
    return value


def parse_fee(text: str, name: str) -> float | None:
    """A fee override in bp from a text field; blank means the preset's own fee.

    Args:
        text: The text typed.
        name: The field's name, for the message.

    Raises:
        ConfigError: If the text is not a number.
    """
    text = str(text).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of bp or blank, got {text!r}") from None


def parse_severity(text: str) -> float | str | None:
    """A shock severity from a text field: blank (the scenario's own), a fraction, or text.

    ``"0.2"`` becomes the fraction 0.2; ``"20%"`` and ``"1-in-100y-5d"`` pass through to the
    scenario, which checks them.
    """
    text = str(text).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


@functools.cache
def scenario_names() -> tuple[str, ...]:
    """The scenarios the built-in gold history supports, in catalogue order."""
    from gramabm.scenarios.catalogue import available_scenarios, default_prices

    return tuple(available_scenarios(default_prices()))


def _accepts_severity(scenario: str) -> bool:
    from gramabm.scenarios.catalogue import REGISTRY

    entry = REGISTRY.get(scenario)
    return entry is not None and "severity" in entry.params


def model_config(controls: Controls) -> ModelConfig:
    """The validated configuration the controls describe.

    Args:
        controls: The control values.

    Returns:
        The configuration.

    Raises:
        ConfigError: Naming the control whose value is impossible (a fee that is not a number, a
            severity for a scenario without one, any field the configuration refuses).
    """
    params: dict[str, Any] = {}
    severity = parse_severity(controls.severity)
    if severity is not None:
        if not _accepts_severity(controls.scenario):
            raise ConfigError(
                f"scenario {controls.scenario!r} has no shock severity; clear the severity field "
                "or pick a shocked scenario (adverse, severely_adverse, drop, v_shape, slow_bear)"
            )
        params["severity"] = severity
    if controls.configuration not in CONFIGURATIONS:
        raise ConfigError(
            f"configuration must be one of {', '.join(CONFIGURATIONS)}, got {controls.configuration!r}"
        )
    return load_config(
        None if controls.configuration == "defaults" else controls.configuration,
        holders=controls.holders,
        arbitrageurs=controls.arbitrageurs,
        market_makers=controls.market_makers,
        preset=controls.preset,
        mint_fee_bp=parse_fee(controls.mint_fee_bp, "mint fee"),
        redeem_fee_bp=parse_fee(controls.redeem_fee_bp, "redeem fee"),
        primary_always_open=controls.primary_always_open,
        herding=controls.herding,
        policy=str(controls.policy).strip() or None,
        steps=controls.steps,
        scenario=controls.scenario,
        scenario_params=params,
    )


def control_spec(controls: Controls) -> dict[str, dict[str, Any]]:
    """The parameter controls in Mesa's ``model_params`` format, showing the current values.

    Args:
        controls: Current values.

    Returns:
        ``{name: {"type": ..., "label": ..., "value": ..., ...}}`` for Mesa's ``UserInputs``.
    """
    c = controls

    def slider(label: str, value: float, lo: float, hi: float, step: float, kind: str):
        # Mesa's sliders show no number: the label carries the current value.
        shown = f"{value:,}" if kind == "SliderInt" else f"{value:g}"
        return {
            "type": kind,
            "label": f"{label}: {shown}",
            "value": value,
            "min": lo,
            "max": hi,
            "step": step,
        }

    return {
        "configuration": {
            "type": "Select",
            "label": "Configuration",
            "value": c.configuration,
            "values": list(CONFIGURATIONS),
        },
        "holders": slider("Holders", c.holders, 100, 50_000, 100, "SliderInt"),
        "arbitrageurs": slider("Arbitrageurs", c.arbitrageurs, 0, 20, 1, "SliderInt"),
        "market_makers": slider("Market makers", c.market_makers, 0, 10, 1, "SliderInt"),
        "preset": {"type": "Select", "label": "Preset", "value": c.preset, "values": PRESETS},
        "mint_fee_bp": {
            "type": "InputText",
            "label": "Mint fee, bp (blank: preset's)",
            "value": c.mint_fee_bp,
        },
        "redeem_fee_bp": {
            "type": "InputText",
            "label": "Redeem fee, bp (blank: preset's)",
            "value": c.redeem_fee_bp,
        },
        "primary_always_open": {
            "type": "Checkbox",
            "label": "Primary market open 24/7",
            "value": c.primary_always_open,
        },
        "scenario": {
            "type": "Select",
            "label": "Scenario",
            "value": c.scenario,
            "values": list(scenario_names()),
        },
        "severity": {
            "type": "InputText",
            "label": "Severity (blank: scenario's)",
            "value": c.severity,
        },
        # Fine steps: a slider snaps its value to its step, so a coarser one would silently
        # turn the calibrated herding (three decimals) into another value.
        "herding": slider("Herding", c.herding, 0.0, 5.0, 0.001, "SliderFloat"),
        "policy": {
            "type": "InputText",
            "label": "Policy: default, rule_based or a file",
            "value": c.policy,
        },
        "steps": slider("Steps (hours)", c.steps, 24, 2_160, 24, "SliderInt"),
        "seed": {"type": "InputText", "label": "Seed", "value": c.seed},
    }


class LiveRun:
    """One model being watched: stepped in batches under a lock, read through snapshots.

    Args:
        controls: The control values to build the model from.
        run_id: Id of this run (the page counts resets).
        network_sample: Holders drawn in the network view.

    Raises:
        ConfigError: If the controls describe an impossible model (the message names the control).
    """

    def __init__(
        self, controls: Controls, run_id: int = 0, *, network_sample: int = NETWORK_SAMPLE
    ) -> None:
        self.controls = controls
        self.run_id = run_id
        self.seed = parse_seed(controls.seed)
        self.config = model_config(controls)
        self.model = GramModel(self.config, rng=self.seed)
        self.sample = sample_network(self.model.network, network_sample, seed=self.seed)
        self._lock = threading.Lock()
        self._metrics: dict[str, Any] | None = None
        self.snapshot = self._snap(0.0)

    @property
    def finished(self) -> bool:
        """Whether the run has taken all its steps."""
        model = self.model
        return not model.running or model.recorder.rows >= model.n_steps

    def advance(self, steps: int) -> Snapshot:
        """Step the model up to ``steps`` times (fewer at the end) and take a snapshot.

        Args:
            steps: Steps to take (>= 1).

        Returns:
            The new snapshot (also kept as :attr:`snapshot`).

        Raises:
            ConfigError: If ``steps`` is below 1.
        """
        if steps < 1:
            raise ConfigError(f"steps per update must be >= 1, got {steps}")
        with self._lock:
            start = time.perf_counter()
            for _ in range(steps):
                if self.finished:
                    break
                self.model.step()
            elapsed = time.perf_counter() - start
            if self.finished and self._metrics is None:
                self._metrics = self._run_metrics()
            self.snapshot = self._snap(elapsed)
            return self.snapshot

    def _run_metrics(self) -> dict[str, Any]:
        from gramabm.analysis.runs.metrics import run_metrics

        result = self.model.result()
        shock = result.meta.get("shock_step")
        if shock is not None and shock >= len(result.timeseries):
            shock = None  # the run ended before its shock: measured as a run without one
        return run_metrics(
            result.timeseries,
            shock_step=shock,
            step_hours=self.config.step_hours,
            events=result.events,
            holders=result.holders,
        ).to_dict()

    def _snap(self, elapsed: float) -> Snapshot:
        return take_snapshot(
            self.model,
            self.sample,
            run_id=self.run_id,
            seed=self.seed,
            metrics=self._metrics,
            step_seconds=elapsed,
            settings=self.settings,
        )

    @property
    def settings(self) -> tuple[tuple[str, str], ...]:
        """What this model was built with, as text pairs for the page."""
        cfg = self.config
        return (
            ("configuration", self.controls.configuration),
            ("scenario", cfg.scenario),
            ("holders", f"{cfg.holders.n:,}"),
            ("preset", cfg.primary.preset),
            ("mint fee", _fee_text(cfg.primary.mint_fee_bp)),
            ("redeem fee", _fee_text(cfg.primary.redeem_fee_bp)),
            ("policy", cfg.holders.policy),
            ("seed", str(self.seed)),
        )


class LiveSession:
    """The live page's state for one browser session, kept while the user visits other pages.

    Module-level :func:`solara.reactive` values are per session (per kernel) on a Solara server,
    so switching to the sweep page and back finds the same run, at the same step, with the same
    settings typed in the sidebar.
    """

    def __init__(self) -> None:
        self.start: solara.Reactive[Controls | None] = solara.reactive(None)
        self.run: solara.Reactive[LiveRun | None] = solara.reactive(None)
        self.snapshot: solara.Reactive[Snapshot | None] = solara.reactive(None)
        self.controls: solara.Reactive[Controls] = solara.reactive(Controls())
        self.playing = solara.reactive(False)
        self.per_update = solara.reactive(DEFAULT_STEPS_PER_UPDATE)
        self.error: solara.Reactive[str | None] = solara.reactive(None)
        self.tab = solara.reactive(0)
        self.finished: solara.Reactive[tuple[Snapshot, ...]] = solara.reactive(())
        # Orders the worker's updates against a reset, so an old run never draws late.
        self.guard = threading.Lock()

    def begin(self, start: Controls, step: int = 0) -> None:
        """Start the session on a first run (the page's first visit), taken to ``step``.

        Raises:
            ConfigError: If the controls describe an impossible model or the step is beyond the
                run's end.
        """
        first = LiveRun(start)
        if step > first.model.n_steps:
            raise ConfigError(f"step {step} is beyond the run's {first.model.n_steps} steps")
        if step:
            first.advance(step)
        self.start.set(start)
        self.run.set(first)
        self.snapshot.set(first.snapshot)
        self.controls.set(first.controls)
        self.playing.set(False)
        self.error.set(None)
        self.finished.set(())

    def begin_from_address(self, start: Controls, search: str | None) -> None:
        """Start the session on the run the page's address names, else on ``start``.

        An address that cannot be read or names an impossible run starts ``start`` instead and
        says so in the page, naming what is wrong.

        Args:
            start: The run to start when the address names none.
            search: The address's query string (without ``?``).
        """
        try:
            address = read_address(search, Controls)
            if address.controls is not None:
                self.begin(address.controls, address.step)
                return
        except (GramabmError, ValueError) as exc:
            # ValueError: the model's own checks (e.g. a gold path too short for the steps).
            self.begin(start)
            self.error.set(
                f"cannot restore the run from the page's address: {exc}. "
                "The default run is shown instead."
            )
            return
        self.begin(start)

    def keep(self, snap: Snapshot) -> None:
        """Keep a finished run for comparison (once per run, the latest :data:`KEEP_RUNS`)."""
        kept = [s for s in self.finished.value if s.run_id != snap.run_id]
        self.finished.set((*kept, snap)[-KEEP_RUNS:])

    def clear(self) -> None:
        """Forget everything (a new session)."""
        self.run.set(None)
        self.snapshot.set(None)
        self.start.set(None)
        self.finished.set(())
        self.playing.set(False)
        self.error.set(None)
        self.tab.set(0)
        self.per_update.set(DEFAULT_STEPS_PER_UPDATE)


KEEP_RUNS = 6
"""Finished runs kept in a session for comparison."""

LIVE = LiveSession()
"""The live page's per-session state."""


def _fee_text(fee: float | None) -> str:
    return "preset's" if fee is None else f"{fee:g} bp"


@solara.component
def RunControls(
    playing: solara.Reactive[bool],
    per_update: solara.Reactive[int],
    finished: bool,
    on_step: Any,
    on_reset: Any,
    pending: bool,
) -> None:
    """Play/pause, step and reset buttons and the steps-per-update slider.

    Args:
        playing: Whether the run is playing.
        per_update: Steps between two redraws (also what one *Step* press takes).
        finished: Whether the run has ended (play and step are disabled then).
        on_step: Called by *Step*.
        on_reset: Called by *Reset*.
        pending: Whether the controls differ from the running model's (apply on reset).
    """
    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=on_reset, classes=["gram-reset"])
        solara.Button(
            "Pause" if playing.value else "Play",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=finished,
            classes=["gram-play"],
        )
        solara.Button(
            "Step",
            color="primary",
            on_click=on_step,
            disabled=finished or playing.value,
            classes=["gram-step"],
        )
    # No value bubble: the label shows the value, and the bubble of a focused slider at a high
    # value would cover the Step button above it.
    solara.SliderInt(
        f"Steps per update: {per_update.value}",
        value=per_update,
        min=1,
        max=168,
        thumb_label=False,
    )
    if pending:
        solara.Warning("Parameters changed: press Reset to apply them.", dense=True)


@solara.component
def LivePage(start: Controls | None = None) -> None:
    """The live page: controls in the sidebar, views of the running model in the main area.

    Args:
        start: The parameters of the first run (default: :class:`Controls` defaults).
    """
    session = LIVE
    router = solara.use_router()
    if session.run.value is None or session.snapshot.value is None:
        session.begin_from_address(start or Controls(), router.search)
    run, snapshot, controls = session.run, session.snapshot, session.controls
    playing, per_update, error, tab = (
        session.playing,
        session.per_update,
        session.error,
        session.tab,
    )
    guard = session.guard

    def show(current: LiveRun, snap: Snapshot) -> None:
        with guard:
            if run.value is current:
                snapshot.set(snap)
            if snap.finished:
                session.keep(snap)

    def failed(exc: Exception) -> None:
        if not isinstance(exc, GramabmError):  # a bug, not a bad input: keep its traceback
            logger.exception("step failed")
        error.set(f"step failed: {exc}")

    def step() -> None:
        try:
            show(run.value, run.value.advance(per_update.value))
        except Exception as exc:  # shown in the page rather than lost in the server's log
            failed(exc)

    def reset() -> None:
        playing.set(False)
        try:
            new = LiveRun(controls.value, run_id=run.value.run_id + 1)
        except (GramabmError, ValueError) as exc:
            # ValueError: the model's own checks (e.g. a gold path too short for the steps).
            error.set(f"cannot build the model: {exc}")
            return
        with guard:
            error.set(None)
            run.set(new)
            snapshot.set(new.snapshot)

    def play_loop(cancel: threading.Event) -> None:
        if not playing.value:
            return
        current = run.value
        try:
            while not cancel.is_set() and not current.finished:
                snap = current.advance(per_update.value)
                if cancel.is_set():
                    return
                show(current, snap)
                cancel.wait(PLAY_PAUSE_SECONDS)
        except Exception as exc:  # the worker thread has no caller: show what went wrong
            failed(exc)
        if not cancel.is_set():
            playing.set(False)

    solara.use_thread(
        play_loop, dependencies=[playing.value, run.value.run_id], intrusive_cancel=False
    )

    def on_change(name: str, value: Any) -> None:
        controls.set(dataclasses.replace(controls.value, **{name: value}))

    snap = snapshot.value
    solara.Title("Gram stress test")
    with solara.AppBarTitle():
        solara.Text("Gram stress test: live")
    with solara.Sidebar():
        with solara.Card("Run"):
            RunControls(
                playing,
                per_update,
                snap.finished,
                step,
                reset,
                pending=controls.value != run.value.controls,
            )
        with solara.Card("Parameters"):
            UserInputs(control_spec(controls.value), on_change=on_change)

    with solara.Column(classes=["gram-live"]):
        if error.value:
            solara.Error(error.value, classes=["gram-error"])
        solara.Text(
            f"scenario {snap.scenario}, {snap.holders:,} holders",
            classes=["gram-run-title"],
        )
        SettingsLine(snap)
        StatusBar(snap)
        if snap.finished:
            solara.Success("The run has ended: its summary is below.", dense=True)
        with solara.lab.Tabs(value=tab, lazy=True):
            with solara.lab.Tab("Peg"):
                RunChart(snap, "price")
                RunChart(snap, "deviation")
            with solara.lab.Tab("Reserves"):
                RunChart(snap, "reserves")
                RunChart(snap, "custody")
            with solara.lab.Tab("Mints & redemptions"):
                RunChart(snap, "flows")
                RunChart(snap, "queues")
            with solara.lab.Tab("Order book"):
                OrderBookView(snap)
            with solara.lab.Tab("Holders"):
                HoldersView(snap)
            with solara.lab.Tab("Events"):
                EventLogView(snap)
            with solara.lab.Tab("Compare runs"):
                CompareView(session.finished.value)
        SummaryView(snap)


def page_query(search: str | None) -> str | None:
    """The query the page's address should hold now: the live run and the open sweep.

    Parameters of a page not visited yet in this session are kept as the address has them.

    Args:
        search: The address's query string now (without ``?``).

    Returns:
        The query string, or None while the run plays (the address follows on pause, rather
        than at every update).
    """
    try:
        params = query_params(search)
    except ConfigError:
        params = {}
    run, snap = LIVE.run.value, LIVE.snapshot.value
    if run is not None and snap is not None:
        if LIVE.playing.value:
            return None
        params = {k: v for k, v in params.items() if k == SWEEP_PARAM}
        params.update(run_params(run.controls, snap.step))
    opened = SWEEP.opened.value
    if opened is not None:
        params[SWEEP_PARAM] = str(opened.path)
    return encode(params)


class AddressWidget(ipyvuetify.VuetifyTemplate):
    """Writes its ``query`` into the browser's address in place (``history.replaceState``).

    In place rather than pushed: pushing an entry at every pause would fill the history, and
    *Back* would bring an old query that the page at once overwrites again. Solara's router keeps
    the query it loaded with; pages read it only on their first visit in a session.
    """

    template = traitlets.Unicode(
        """
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() { this.write(this.query); },
  watch: { query(value) { this.write(value); } },
  methods: {
    write(value) {
      if (value === null || value === undefined) { return; }
      const url = new URL(window.location.href);
      const search = value ? "?" + value : "";
      if (url.search !== search) {
        url.search = search;
        window.history.replaceState(window.history.state, "", url.href);
      }
    },
  },
};
</script>
"""
    ).tag(sync=True)
    query = traitlets.Unicode(None, allow_none=True).tag(sync=True)


@solara.component
def AddressSync() -> None:
    """Keeps the page's address naming the live run (settings and step) and the open sweep."""
    router = solara.use_router()
    AddressWidget.element(query=page_query(router.search))


def _route_path(route: solara.Route) -> str:
    return "/" if route.path == "/" else f"/{route.path}"


@solara.component
def Layout(children: list | None = None) -> None:
    """Solara's app layout with navigation tabs named by the routes' labels.

    (Solara's own tabs are named after the routes' paths.) Switching pages keeps the address's
    query, so the run and the sweep stay named in it.

    Args:
        children: The page.
    """
    route, siblings = solara.use_route(peek=True)
    router = solara.use_router()
    index = siblings.index(route) if route in siblings else 0

    def go(position: int) -> None:
        query = page_query(router.search)
        if query is None:  # playing: the address as loaded, brought up to date on pause
            query = router.search or ""
        router.push(_route_path(siblings[position]) + (f"?{query}" if query else ""))

    with solara.AppLayout(children=list(children or [])), solara.AppBar():
        with solara.lab.Tabs(value=index, on_value=go, align="center"):
            for page in siblings:
                solara.lab.Tab(page.label, classes=[f"gram-nav-{page.path.strip('/') or 'live'}"])
        AddressSync()


routes = [
    solara.Route(path="/", component=LivePage, label="Live run", layout=Layout),
    solara.Route(path="sweep", component=SweepPage, label="Sweep results"),
]
"""The app's pages, named in the navigation by their labels: the live run, and a finished
sweep's results."""
