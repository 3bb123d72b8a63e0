"""The two-tier ``gram`` preset in the model: GRAM tracks XAUT x rate within the band the mint fee,
the pool fee and gas set; a 2% XAUT discount passes through to GRAM; a frozen wrapper breaks the
backing and the run's notes say so; the Gram events are refused on a bad key and outside the
preset; conservation in every ledger and no negative balance under random Gram shocks; one seed,
one run."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.amm.constant_product import PIPS
from gramabm.market.chain import GAS_UNITS
from gramabm.market.wrapper import FEE_BASIS_POINTS
from gramabm.market.xaut_bridge import mg_to_micro_oz, micro_oz_for_mg, micro_oz_to_mg
from gramabm.model import GramModel
from gramabm.scenarios.base import Event
from gramabm.scenarios.events import TIER_EVENTS, parse_event

HOLDERS = 400


def run(scenario: str = "baseline", steps: int = 160, seed: int = 3, **params: object):
    model = GramModel(
        rng=seed, preset="gram", scenario=scenario, steps=steps, holders=HOLDERS, **params
    )
    result = model.run()
    model.check_invariants()
    return model, result


@pytest.fixture(scope="module")
def calm():
    return run()


def test_healthy_xaut_keeps_gram_within_the_fee_and_gas_band(calm) -> None:
    model, result = calm
    ts = result.timeseries
    cfg = model.config.tiers
    # A loop that gains g on a constant-product side of X dollars earns at most about X g^2 / 4,
    # so it pays its gas G only while g > 2 sqrt(G / X): the band beyond the fees.
    side = ts["gram_pool_depth_usd"] / 2
    per_gas = ts["gas_usd_per_swap"] / GAS_UNITS["v2_swap"]
    mint_gas = per_gas * (GAS_UNITS["v2_swap"] + GAS_UNITS["wrap"])
    burn_gas = per_gas * (GAS_UNITS["v2_swap"] + GAS_UNITS["unwrap"])
    pool_fee_bp = cfg.gram_pool_fee_pips / PIPS * 1e4
    upper = FEE_BASIS_POINTS + pool_fee_bp + 1e4 * 2 * np.sqrt(mint_gas / side)
    lower = -(pool_fee_bp + 1e4 * 2 * np.sqrt(burn_gas / side))
    gap = ts["gram_xaut_gap_bp"]
    assert (gap <= upper * 1.1 + 0.5).all(), gap[gap > upper * 1.1 + 0.5]
    assert (gap >= lower * 1.1 - 0.5).all(), gap[gap < lower * 1.1 - 0.5]
    # GRAM's dollar price is the GRAM/XAUT price times XAUT's pool price, no more.
    both = (1 + ts["gram_xaut_gap_bp"] / 1e4) * (1 + ts["xaut_pool_dev_bp"] / 1e4) - 1
    assert np.allclose(1e4 * both, ts["gram_dev_bp"], atol=1e-6)
    assert (ts["backing_redeemable"] >= 1.0).all()


def test_a_gas_spike_widens_the_band_and_arbitrage_stops_inside_it(calm) -> None:
    model, _ = calm
    market = model.tiers.tier.market
    base = market.chain.gas_cost("v2_swap")
    model.tiers.tier.set_gas_multiplier(50.0)
    assert market.chain.gas_cost("v2_swap") == pytest.approx(50 * base, rel=1e-6)
    model.tiers.tier.set_gas_multiplier(1.0)
    assert market.chain.gas_cost("v2_swap") == base


@pytest.fixture(scope="module")
def discount():
    events = [(24, "xaut_sell_pressure", {"discount": 0.02, "steps": 48, "oz": 40_000.0})]
    return run("xaut_discount", steps=144, scenario_params={"events": events})


def test_a_two_percent_xaut_discount_passes_through_to_gram(discount) -> None:
    model, result = discount
    ts = result.timeseries
    tiers = model.metrics(result).to_dict()
    assert tiers["xaut_worst_dev_bp"] <= -150
    assert tiers["gram_worst_dev_bp"] <= -150
    # XAUT's deviation reaches GRAM, through the pools and the wrapper's arbitrage (in full or
    # more: GRAM's price is XAUT's thinner on-chain price)...
    assert tiers["pass_through_share"] >= 0.5
    assert tiers["pass_through_half_hours"] is not None
    # ...while GRAM stays near XAUT x rate: the discount is XAUT's, carried, not GRAM's own.
    window = ts.loc[24:72]
    assert window["gram_xaut_gap_bp"].abs().max() < 60
    assert window["unwrapped_gram_mg"].sum() > 0  # cheap GRAM was bought and unwrapped


def test_a_frozen_wrapper_breaks_the_backing_and_the_run_says_so() -> None:
    model, result = run("wrapper_freeze", steps=96)
    metrics = model.metrics(result)
    values = metrics.to_dict()
    assert values["min_backing_redeemable"] == 0.0
    assert result.timeseries["backing_redeemable"].iloc[:48].min() >= 1.0
    assert (result.timeseries["backing_redeemable"].iloc[48:] == 0.0).all()
    assert any("backing broke" in note for note in metrics.notes)
    assert model.tiers.tier.market.wrapper.frozen
    kinds = set(result.events["kind"])
    assert {"wrapper_freeze", "gas_spike", "lp_exit", "gas_spike_end"} <= kinds


def test_an_issuer_incident_halts_redemptions_and_loses_gold() -> None:
    events = [(10, "xaut_issuer_incident", {"loss_share": 0.1, "halt_steps": 20})]
    model, result = run("xaut_discount", steps=60, scenario_params={"events": events})
    ts = result.timeseries
    assert ts["reserve_ratio_actual"].iloc[-1] == pytest.approx(0.9, abs=0.01)
    assert ts["backing_gold"].iloc[-1] < 0.95
    assert not model.primary.is_suspended("redeem")  # resumed after 20 steps
    assert "xaut_redemption_halt_end" in set(result.events["kind"])


def test_migration_moves_the_chosen_holders_out_after_the_delay() -> None:
    events = [(5, "gram_migration", {"delay_steps": 10, "take_up": 0.5, "steps": 10})]
    model, result = run("xaut_discount", steps=40, scenario_params={"events": events})
    holders = model.tiers.holders
    assert holders.migrated.sum() == round(0.5 * holders.gram.size)
    supply = result.timeseries["gram_supply_g"]
    assert supply.iloc[14] == pytest.approx(supply.iloc[4], rel=0.05)
    assert supply.iloc[-1] < supply.iloc[4] * 0.8  # their GRAM was unwrapped


@pytest.mark.parametrize("kind", [t.kind for t in TIER_EVENTS])
def test_each_gram_event_refuses_a_misspelt_key(kind: str) -> None:
    with pytest.raises(ConfigError, match="bogus"):
        parse_event(kind, {"bogus": 1})


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("xaut_sell_pressure", {"discount": 0.0}),
        ("xaut_issuer_incident", {"insolvent": 2}),
        ("wrapper_freeze", {"steps": -1}),
        ("gas_spike", {"multiple": 0.5}),
        ("lp_exit", {"share": 1.5}),
        ("gram_migration", {"take_up": 0.0}),
    ],
)
def test_each_gram_event_refuses_a_value_out_of_range(kind: str, params: dict) -> None:
    with pytest.raises(ConfigError, match=next(iter(params))):
        parse_event(kind, params)


def test_a_gram_event_in_a_single_tier_run_is_refused_at_build() -> None:
    events = [(5, "wrapper_freeze", {})]
    with pytest.raises(ConfigError, match="two-tier"):
        GramModel(
            rng=0,
            preset="xaut",
            scenario="xaut_discount",
            steps=20,
            holders=100,
            scenario_params={"events": events},
        )


def test_one_seed_one_run() -> None:
    _, a = run(steps=60, seed=11)
    _, b = run(steps=60, seed=11)
    _, c = run(steps=60, seed=12)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert not a.timeseries["gram_dev_bp"].equals(c.timeseries["gram_dev_bp"])


_EVENT = st.one_of(
    st.tuples(
        st.just("xaut_sell_pressure"),
        st.fixed_dictionaries(
            {
                "discount": st.floats(0.005, 0.2),
                "steps": st.integers(1, 20),
                "oz": st.floats(100, 50_000),
            }
        ),
    ),
    st.tuples(
        st.just("xaut_issuer_incident"),
        st.fixed_dictionaries(
            {
                "loss_share": st.floats(0, 0.5),
                "insolvent": st.integers(0, 1),
                "halt_steps": st.integers(0, 20),
            }
        ),
    ),
    st.tuples(st.just("wrapper_freeze"), st.fixed_dictionaries({"steps": st.integers(0, 20)})),
    st.tuples(
        st.just("gas_spike"),
        st.fixed_dictionaries({"multiple": st.floats(1, 500), "steps": st.integers(1, 20)}),
    ),
    st.tuples(st.just("lp_exit"), st.fixed_dictionaries({"share": st.floats(0.01, 1.0)})),
    st.tuples(
        st.just("gram_migration"),
        st.fixed_dictionaries(
            {
                "delay_steps": st.integers(0, 10),
                "take_up": st.floats(0.01, 1.0),
                "steps": st.integers(1, 10),
            }
        ),
    ),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(st.tuples(st.integers(0, 30), _EVENT), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_conservation_and_no_negative_balance_under_any_gram_shocks(events, seed) -> None:
    """Tokens, cash, gold, XAUT (both ledgers) and GRAM are conserved after every step."""
    scheduled = [(step, kind, params) for step, (kind, params) in events]
    model = GramModel(
        rng=seed,
        preset="gram",
        scenario="xaut_discount",
        steps=40,
        holders=150,
        scenario_params={"events": scheduled},
    )
    tier = model.tiers.tier
    for _ in range(40):
        model.step()
        model.check_invariants()  # world ledger, both chain ledgers, contracts, bridge, holders
        assert (model.tiers.holders.gram >= 0).all()
        assert (model.tiers.holders.usd >= 0).all()
        # Gold: the vaults hold what was bought (less what a loss moved to its sink), never more.
        assert tier.bridge.locked_mg >= micro_oz_to_mg(tier.market.xaut_ledger.supply)
        # GRAM: every unit outstanding came out of the wrapper.
        assert tier.market.gram_ledger.supply == tier.market.wrapper.supply


@given(st.integers(0, 10**15))
def test_the_bridge_conversion_never_creates_xaut(mg: int) -> None:
    assert micro_oz_to_mg(mg_to_micro_oz(mg)) <= mg
    need = micro_oz_for_mg(mg)
    assert micro_oz_to_mg(need) >= mg
    assert need == 0 or micro_oz_to_mg(need - 1) < mg
    # Ten thousand troy ounces are exactly 311,034,768 mg: ten billion micro-ounces.
    assert mg_to_micro_oz(311_034_768) == 10_000_000_000
    assert micro_oz_to_mg(10_000_000_000) == 311_034_768
    assert mg_to_micro_oz(mg) == math.floor(Fraction(mg) * 10**10 / 311_034_768)


def test_scenario_events_are_typed_when_built() -> None:
    with pytest.raises(ConfigError, match="discont"):
        Event(3, "xaut_sell_pressure", {"discont": 0.02})


def test_cli_run_of_the_gram_preset_prints_and_writes_the_tiers(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from gramabm.cli import app

    out = tmp_path / "gram"
    args = ["run", "--preset", "gram", "--scenario", "wrapper_freeze", "--steps", "72"]
    result = CliRunner().invoke(app, [*args, "--holders", "200", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "per tier" in result.output
    assert "min_backing_redeemable" in result.output
    metrics = json.loads((out / "summary.json").read_text())["metrics"]
    assert metrics["min_backing_redeemable"] == 0.0
    assert any("backing broke" in n for n in metrics["notes"])


def test_the_stress_set_of_the_gram_preset_adds_the_gram_shocks() -> None:
    from gramabm.scenarios.catalogue import GRAM_SET
    from gramabm.simulation import stress_scenarios

    gram = stress_scenarios(preset="gram")
    paxg = stress_scenarios(preset="paxg")
    assert set(GRAM_SET) <= set(gram)
    assert not set(GRAM_SET) & set(paxg)


@pytest.mark.parametrize("sell_gram", [True, False])
def test_closed_form_wrap_step_matches_the_searched_best_loop(sell_gram: bool) -> None:
    import copy

    from gramabm.market.amm.arbitrage import wrap_arbitrage
    from gramabm.market.tier_arbitrage import Arbitrageur, wrap_step

    model = GramModel(rng=1, preset="gram", steps=5, holders=100)
    tier = model.tiers.tier
    market = tier.market
    g, x = market.gram_pool.reserves
    # Knock GRAM 2% off its rate (GRAM holders sell) or on it (another arbitrageur buys).
    amount = g // 100 if sell_gram else x // 100
    mover = tier.holders_account if sell_gram else tier.wrap_arbs[1]
    market.gram_pool.swap_exact_in(mover, sell_gram, amount)
    trader = tier.wrap_arbs[0]
    price = round(market.xaut_pool_usd_oz() * 1e6)
    cap = market.xaut.available(trader)
    searched, closed = copy.deepcopy(market), copy.deepcopy(market)
    plan = wrap_arbitrage(searched.gram_pool, searched.wrapper, cap, price, searched.chain)
    trade = wrap_step(closed, Arbitrageur(trader, cap, 0), price)
    assert plan is not None
    assert trade is not None
    assert trade.route == plan.route.value
    assert trade.expected_usd == pytest.approx(plan.profit_usd, rel=1e-3)


def test_a_provider_that_cannot_pay_the_exit_gas_stays_in_the_pool() -> None:
    # A provider that put all but a little of its dollars back into the pools, then a gas spike:
    # removing liquidity now costs more dollars than it holds, so it stays (no error, nothing
    # moves) instead of failing mid-step; with the gas back to normal it can leave again.
    model = GramModel(rng=1, preset="gram", scenario="xaut_discount", steps=8, holders=150)
    model.step()
    tier = model.tiers.tier
    market = tier.market
    provider, other = list(model.tiers.providers)[:2]
    keep = 10 * market.chain.gas_cost("v2_remove_liquidity")
    market.usd.transfer(
        provider.account, other.account, market.usd.available(provider.account) - keep
    )
    tier.set_gas_multiplier(100.0)
    shares = {id(pool): pool.shares.get(provider.account, 0) for pool in provider.pools()}
    provider.withdraw_share(1.0)
    assert {id(pool): pool.shares.get(provider.account, 0) for pool in provider.pools()} == shares
    model.check_invariants()
    tier.set_gas_multiplier(1.0)
    provider.withdraw_share(1.0)
    assert not provider.active
    model.check_invariants()
