"""The configuration refuses impossible or unknown input with a message naming the field."""

from __future__ import annotations

import pytest

from gramabm.config import HolderCountWarning, ModelConfig, build_config, load_config
from gramabm.errors import ConfigError


@pytest.mark.parametrize(
    ("flat", "named"),
    [
        ({"holders": -5}, "holders.n"),
        ({"arbitrageurs": -1}, "arbitrageurs.n"),
        ({"steps": 0}, "steps"),
        ({"mint_fee_bp": 10_000}, "primary.mint_fee_bp"),
        ({"redeem_fee_bp": -1}, "primary.redeem_fee_bp"),
        ({"preset": "bitgold"}, "primary.preset"),
        ({"holders.activity": 0}, "holders.activity"),
        ({"market_makers.withdraw_loss": 2}, "market_makers.withdraw_loss"),
        ({"tick_usd_oz": -1}, "tick_usd_oz"),
        ({"tick_changes": {"2021-09-31": 1.0}}, "tick change '2021-09-31' is not a YYYY-MM-DD day"),
        ({"tick_changes": {"2021-09-01": -1.0}}, "tick of 2021-09-01 must be 0 to 1,000 USD"),
    ],
)
def test_impossible_values_are_refused(flat: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        build_config(None, **flat)


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown configuration key 'holderz'"):
        build_config(None, holderz=3)
    with pytest.raises(ConfigError, match=r"holders\.size.*Extra inputs"):
        build_config({"holders": {"size": 3}})


def test_toml_round_trip_and_overrides(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('steps = 48\nscenario = "adverse"\n[holders]\nn = 300\nherding = 0.9\n')
    cfg = load_config(path, preset="xaut")
    assert (cfg.steps, cfg.scenario, cfg.holders.n, cfg.holders.herding) == (
        48,
        "adverse",
        300,
        0.9,
    )
    assert cfg.primary.preset == "xaut"
    assert cfg.market_makers == ModelConfig().market_makers  # untouched sections keep defaults


def test_bad_toml_names_the_file(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("steps = = 3")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_fees_are_quantised_to_the_primary_markets_unit() -> None:
    cfg = build_config(None, mint_fee_bp=3.14159, redeem_fee_bp=12.345678)
    assert (cfg.primary.mint_fee_bp, cfg.primary.redeem_fee_bp) == (3.14, 12.35)


def test_governance_fee_cuts_stay_valid_fees() -> None:
    """Halving 6.25 bp gives 3.125 bp, which the primary market's 0.01 bp unit cannot hold."""
    from gramabm.model import GramModel
    from tests.model.paths import gold_path

    path = gold_path(24 * 6, fall=0.25, fall_at=24)
    model = GramModel(
        rng=1,
        path=path,
        steps=path.n_steps,
        holders=300,
        arbitrageurs=0,
        redeem_fee_bp=6.25,
        # nobody arbitrages the primary (makers unload through it when authorised), and no
        # liquidity flow outweighs these 300 holders' selling: the deviation must persist
        **{
            "liquidity_traders.orders_per_hour": 0.0,
            "governance.voting_delay_steps": 2,
            "governance.trigger_steps": 2,
            "market_makers.authorised": False,
        },
    )
    result = model.run()
    passed = result.events[result.events["kind"] == "vote_passed"]
    assert len(passed) >= 2  # 6.25 -> 3.13 -> 1.56 ...
    assert model.primary.terms.redeem_fee_bp < 3.2


def test_preset_names_are_declared_once() -> None:
    from typing import get_args

    from gramabm.api.schemas import SimulateRequest
    from gramabm.config import PrimaryConfig
    from gramabm.market.presets import PRESET_NAMES, PRESETS

    assert tuple(PRESETS) == PRESET_NAMES
    assert get_args(PrimaryConfig.model_fields["preset"].annotation) == PRESET_NAMES
    assert set(PRESET_NAMES) <= set(
        str(SimulateRequest.model_json_schema()["properties"]["preset"]).split("'")
    )


def test_parameter_roles_come_from_the_configuration() -> None:
    from gramabm.config import parameter_role
    from gramabm.errors import ConfigError

    assert parameter_role("primary.redeem_fee_bp") == "lever"
    assert parameter_role("governance.circuit_breaker_bp") == "lever"
    assert parameter_role("arbitrageurs.n") == "lever"
    assert parameter_role("arbitrageurs.capital_usd") == "uncertainty"
    assert parameter_role("market_makers.withdraw_vol") == "uncertainty"
    assert parameter_role("holders.herding") == "uncertainty"
    assert parameter_role("scenario_params.severity") == "uncertainty"
    with pytest.raises(ConfigError, match=r"primary\.fee"):
        parameter_role("primary.fee")


def test_another_population_for_a_fitted_configuration_is_said(recwarn) -> None:
    # calibrated sets holders.n = 10,000, the population its parameters were fitted at.
    with pytest.warns(HolderCountWarning, match=r"holders.n = 10,000.*with 1,000 the holders"):
        assert load_config("calibrated", holders=1000).holders.n == 1000
    recwarn.clear()
    load_config("calibrated")
    load_config("calibrated", holders=10_000)
    load_config(None, holders=1000)  # the defaults fix no population
    assert not [w for w in recwarn if issubclass(w.category, HolderCountWarning)]
