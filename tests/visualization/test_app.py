"""The browser view's controls and live run, without a page: parsing, configuration, stepping."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gramabm.errors import ConfigError
from gramabm.model import GramModel
from visualization.app import (
    Controls,
    LiveRun,
    base_config,
    control_spec,
    model_config,
    parse_fee,
    parse_seed,
    parse_severity,
    scenario_names,
)
from visualization.components import STATE_LABELS

from .conftest import SMALL


@pytest.mark.parametrize(
    ("text", "seed"), [("7", 7), (" 42 ", 42), ("1_000", 1000), (3, 3), ("0", 0)]
)
def test_seed_text_becomes_an_int(text: str | int, seed: int) -> None:
    assert parse_seed(text) == seed
    assert type(parse_seed(text)) is int


@pytest.mark.parametrize("text", ["abc", "-1", "4.5", "", "  ", True, -3])
def test_bad_seed_is_refused_with_its_name(text: object) -> None:
    with pytest.raises(ConfigError, match="seed must be a whole number"):
        parse_seed(text)  # type: ignore[arg-type]


def test_fee_text() -> None:
    assert parse_fee("", "mint fee") is None
    assert parse_fee("  ", "mint fee") is None
    assert parse_fee(" 12.5 ", "mint fee") == 12.5
    with pytest.raises(ConfigError, match="redeem fee must be a number"):
        parse_fee("ten", "redeem fee")


def test_severity_text() -> None:
    assert parse_severity("") is None
    assert parse_severity("0.2") == 0.2
    assert parse_severity(" 20% ") == "20%"
    assert parse_severity("1-in-100y-5d") == "1-in-100y-5d"


def test_controls_become_the_configuration() -> None:
    controls = Controls(
        holders=1234,
        arbitrageurs=5,
        market_makers=2,
        preset="xaut",
        mint_fee_bp="10",
        redeem_fee_bp="",
        primary_always_open=True,
        scenario="drop",
        severity="25%",
        herding=1.5,
        steps=240,
    )
    cfg = model_config(controls)
    assert cfg.holders.n == 1234
    assert cfg.arbitrageurs.n == 5
    assert cfg.market_makers.n == 2
    assert cfg.primary.preset == "xaut"
    assert cfg.primary.mint_fee_bp == 10.0
    assert cfg.primary.redeem_fee_bp is None  # blank: the preset's fee
    assert cfg.primary.always_open is True
    assert cfg.scenario == "drop"
    assert cfg.scenario_params == {"severity": "25%"}
    assert cfg.holders.herding == 1.5
    assert cfg.steps == 240


def test_defaults_match_the_configuration_defaults() -> None:
    cfg = model_config(Controls())
    assert cfg.holders.n == 10_000
    assert cfg.primary.mint_fee_bp is None
    assert cfg.scenario == "adverse"
    assert cfg.scenario_params == {}


def test_severity_for_a_calm_scenario_is_refused() -> None:
    with pytest.raises(ConfigError, match="'baseline' has no shock severity"):
        model_config(Controls(scenario="baseline", severity="20%"))


def test_impossible_value_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"primary\.mint_fee_bp"):
        model_config(Controls(mint_fee_bp="10000"))


def test_every_control_has_a_widget_showing_its_value() -> None:
    controls = Controls(holders=2500, seed="9", severity="20%")
    spec = control_spec(controls)
    assert set(spec) == {f.name for f in dataclasses.fields(Controls)}
    for name, options in spec.items():
        assert options["value"] == getattr(controls, name), name
        assert options["type"] in {"SliderInt", "SliderFloat", "Select", "Checkbox", "InputText"}
    assert spec["holders"]["label"] == "Holders: 2,500"
    assert spec["seed"]["type"] == "InputText"  # typed, then parsed by parse_seed
    assert "adverse" in spec["scenario"]["values"]
    assert set(scenario_names()) >= {"baseline", "adverse", "severely_adverse", "drop"}


def test_seed_typed_as_text_gives_the_same_run_as_the_int_seed() -> None:
    run = LiveRun(dataclasses.replace(SMALL, seed=" 7 "))
    assert run.seed == 7
    run.advance(30)
    config = model_config(SMALL)
    model = GramModel(config, rng=7)  # the model resolves the configured policy itself
    for _ in range(30):
        model.step()
    expected = model.recorder.to_frame()
    pd.testing.assert_frame_equal(run.snapshot.timeseries, expected)


def test_snapshots_are_copies_that_later_steps_leave_alone() -> None:
    run = LiveRun(SMALL)
    first = run.advance(6)
    assert first.step == 6
    assert len(first.timeseries) == 6
    second = run.advance(6)
    assert second.step == 12
    assert len(first.timeseries) == 6  # the earlier snapshot still shows step 6
    assert first.key != second.key
    assert second.step_seconds > 0.0
    assert second.sample_states.shape == run.sample.nodes.shape
    assert set(np.unique(second.sample_states)) <= set(range(len(STATE_LABELS)))


def test_run_ends_with_its_metrics_and_stops_stepping() -> None:
    run = LiveRun(SMALL)
    mid = run.advance(50)
    assert mid.metrics is None
    assert not mid.finished
    end = run.advance(100)  # more than remain: stops at the end
    assert end.step == SMALL.steps
    assert end.finished
    assert run.finished
    assert end.metrics is not None
    assert end.metrics["n_steps"] == SMALL.steps
    assert end.metrics["shock_step"] == 48
    again = run.advance(5)
    assert again.step == SMALL.steps  # nothing more happens


def test_advance_needs_at_least_one_step() -> None:
    run = LiveRun(SMALL)
    with pytest.raises(ConfigError, match="steps per update must be >= 1"):
        run.advance(0)


def test_missing_policy_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="neither 'rule_based', 'default' nor a policy file"):
        LiveRun(dataclasses.replace(SMALL, policy="/nonexistent/policy.skops"))


def test_run_shorter_than_its_shock_still_gets_a_summary() -> None:
    run = LiveRun(dataclasses.replace(SMALL, steps=48))  # the adverse shock starts at step 48
    end = run.advance(48)
    assert end.finished
    assert end.metrics is not None
    assert end.metrics["shock_step"] is None


@pytest.mark.parametrize("configuration", ["calibrated", "defaults"])
def test_every_slider_can_hold_the_configured_value(configuration: str) -> None:
    # A slider snaps its value to its step on the page: a value between two steps would silently
    # become another one (and the page would ask for a reset nobody made).
    controls = Controls(configuration=configuration)
    if configuration == "defaults":
        controls = dataclasses.replace(controls, herding=base_config("defaults").holders.herding)
    for name, spec in control_spec(controls).items():
        if spec["type"] in ("SliderInt", "SliderFloat"):
            steps = (spec["value"] - spec["min"]) / spec["step"]
            assert steps == pytest.approx(round(steps), abs=1e-6), (name, spec)
            assert spec["min"] <= spec["value"] <= spec["max"], (name, spec)
