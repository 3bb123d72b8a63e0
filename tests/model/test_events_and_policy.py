"""Scenario events are refused when misspelt; the model runs the policy its configuration names."""

from __future__ import annotations

import numpy as np
import pytest

from gramabm.config import ModelConfig, load_config
from gramabm.errors import ConfigError
from gramabm.model import GramModel
from gramabm.policies.factory import policy_for
from gramabm.policies.rule_based import RuleBasedPolicy
from gramabm.scenarios import get_scenario
from gramabm.scenarios.base import Event
from gramabm.scenarios.events import EVENT_TYPES, parse_event
from tests.model.paths import gold_path


def test_misspelt_custodian_loss_is_refused_naming_the_keys() -> None:
    with pytest.raises(ConfigError) as err:
        Event(3, "custodian_loss", {"custodain": 1, "sahre": 0.5})
    message = str(err.value)
    assert "custodian_loss" in message
    assert "'custodain'" in message
    assert "'sahre'" in message
    assert "custodian (int" in message
    assert "share (float" in message


def test_misspelt_governance_lever_key_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"governance_action.*'levr'.*mint_fee_bp"):
        Event(3, "governance_action", {"levr": "mint_fee_bp", "value": 5})


@pytest.mark.parametrize(
    ("kind", "params", "key"),
    [
        ("custodian_loss", {"share": 1.5}, "share"),
        ("custodian_loss", {"custodian": -1}, "custodian"),
        ("custodian_freeze", {"hours": "72"}, "hours"),
        ("custodian_slowdown", {"extra_hours": -1}, "extra_hours"),
        ("mm_withdrawal", {"steps": 2.5}, "steps"),
        ("oracle_outage", {"steps": 0}, "steps"),
        ("safe_haven_demand", {"strength": float("nan")}, "strength"),
        ("governance_action", {"lever": "leverage", "value": 1}, "lever"),
        ("governance_action", {"lever": "suspend_mints", "value": 1}, "value"),
        ("governance_action", {"lever": "mint_fee_bp", "value": -3}, "value"),
        ("governance_action", {"lever": "mint_fee_bp"}, "value"),
    ],
)
def test_wrong_type_or_out_of_range_is_refused(kind: str, params: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"{kind}.*{key}"):
        parse_event(kind, params)


def test_every_kind_builds_with_its_defaults_and_round_trips() -> None:
    for kind, cls in EVENT_TYPES.items():
        if kind == "governance_action":
            continue  # lever and value are required
        event = parse_event(kind, {})
        assert isinstance(event, cls)
        assert parse_event(kind, event.to_params()) == event


def test_a_scenario_with_a_misspelt_event_is_refused_when_built() -> None:
    with pytest.raises(ConfigError, match="sahre"):
        get_scenario("drop", events=[(0, "custodian_loss", {"sahre": 0.5})])


def test_a_custodian_the_model_does_not_have_is_refused() -> None:
    path = gold_path(48, events=(Event(5, "custodian_loss", {"custodian": 7}),))
    with pytest.raises(ConfigError, match="custodian=7"):
        GramModel(rng=1, path=path, steps=48, holders=50)


def test_a_custodian_loss_strikes_the_named_custodian_by_the_named_share() -> None:
    path = gold_path(48, events=(Event(5, "custodian_loss", {"custodian": 1, "share": 0.5}),))
    model = GramModel(rng=1, path=path, steps=48, holders=50, **{"custody.n": 3})
    before = [c.actual_mg for c in model.custodians]
    for _ in range(6):
        model.step()
    after = [c.actual_mg for c in model.custodians]
    assert after[0] == before[0]
    assert after[2] == before[2]
    assert after[1] == pytest.approx(before[1] * 0.5, rel=1e-3)


def test_calibrated_config_runs_its_named_default_policy() -> None:
    cfg = load_config("calibrated").with_updates({"holders.n": 200, "steps": 24})
    assert cfg.holders.policy == "default"
    model = GramModel(cfg, rng=1)
    assert not isinstance(model.holders.policy, RuleBasedPolicy)
    expected = policy_for(cfg.holders)
    assert type(model.holders.policy) is type(expected)
    X = np.zeros((3, 9))
    np.testing.assert_allclose(
        model.holders.policy.predict_proba(X), expected.predict_proba(X), rtol=0, atol=0
    )


def test_an_estimator_passed_in_wins_over_the_configured_name() -> None:
    cfg = load_config("calibrated").with_updates({"holders.n": 200, "steps": 24})
    mine = RuleBasedPolicy(risk_aversion=3.0)
    assert GramModel(cfg, rng=1, policy=mine).holders.policy is mine


def test_default_config_runs_rule_based_with_its_parameters() -> None:
    cfg = ModelConfig().with_updates({"holders.risk_aversion": 2.5, "holders.n": 50})
    policy = GramModel(cfg, rng=1, steps=24).holders.policy
    assert isinstance(policy, RuleBasedPolicy)
    assert policy.risk_aversion == 2.5
