"""The calm-market mechanisms one at a time: the dealers' basis, their weekend widening, the
liquidity flow's demand waves and its heavy-tailed order sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gramabm.agents.liquidity_traders import LiquidityFlow
from gramabm.agents.market_makers import MarketMaker
from gramabm.config import LiquidityTraderConfig, MarketMakerConfig, load_config
from gramabm.errors import ConfigError
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from tests.agents.conftest import GOLD_G, observation


def _maker(market, **cfg) -> MarketMaker:
    ledger = market.ledger
    account = ledger.open_account("mm_under_test")
    ledger.transfer(market.market.gold_market, account, Asset.USD, 5_000_000 * 10**6)
    ledger.mint_tokens(account, 20_000_000)
    return MarketMaker(market, account, MarketMakerConfig(**cfg), GOLD_G, "mm")


def _inner(market) -> tuple[float, float]:
    book = market.book
    return book.levels(BUY, 1)[0][0] / 1000, book.levels(SELL, 1)[0][0] / 1000


def _flow(market, seed: int = 3, **cfg) -> LiquidityFlow:
    ledger = market.ledger
    account = ledger.open_account("flow_under_test")
    ledger.transfer(market.market.gold_market, account, Asset.USD, 1_000_000 * 10**6)
    ledger.mint_tokens(account, 10_000_000)
    return LiquidityFlow(market, account, LiquidityTraderConfig(**cfg), np.random.default_rng(seed))


def test_without_a_basis_half_life_the_dealer_quotes_around_the_gold_value(market, reports):
    mm = _maker(market, levels=1, inventory_skew_bp=0, basis_half_life_h=0)
    for t in range(30):
        mm.step(observation(t, last_price=GOLD_G * 1.01), reports)
    bid, ask = _inner(market)
    assert mm.basis == 0.0
    assert bid < GOLD_G < ask


def test_the_basis_closes_half_the_gap_to_where_the_token_trades_in_one_half_life(market, reports):
    mm = _maker(market, levels=1, inventory_skew_bp=0, basis_half_life_h=10)
    for t in range(10):  # ten hours of trades 100 bp above the gold value
        mm.step(observation(t, last_price=GOLD_G * 1.01), reports)
    assert mm.basis == pytest.approx(0.005, rel=1e-9)
    bid, ask = _inner(market)
    assert bid > GOLD_G * (1 + 0.005 - 0.002)  # the whole ladder moved up with it
    assert (bid + ask) / 2 == pytest.approx(GOLD_G * 1.005, rel=2e-4)


def test_the_basis_learns_nothing_while_gold_is_shut(market, reports):
    mm = _maker(market, levels=1, inventory_skew_bp=0, basis_half_life_h=5)
    for t in range(20):  # weekend moves are gold's hidden move, not basis
        mm.step(observation(t, last_price=GOLD_G * 0.98, gold_open=False), reports)
    assert mm.basis == 0.0


def test_dealers_quote_wider_by_the_widening_while_gold_is_shut(market, reports):
    mm = _maker(market, levels=1, inventory_skew_bp=0, half_spread_bp=5, unhedged_widening_bp=4)
    mm.step(observation(0), reports)
    bid, ask = _inner(market)
    open_spread = (ask - bid) / GOLD_G * 1e4
    mm.step(observation(1, gold_open=False), reports)
    bid, ask = _inner(market)
    shut_spread = (ask - bid) / GOLD_G * 1e4
    assert open_spread == pytest.approx(10.0, abs=0.2)
    assert shut_spread == pytest.approx(18.0, abs=0.2)


def test_demand_waves_have_the_stated_spread_and_half_life(market):
    flow = _flow(market, demand_sd=0.2, demand_half_life_h=50.0)
    path = np.empty(200_000)
    for i in range(path.size):
        flow._advance_demand()
        path[i] = flow.demand
    assert path.std() == pytest.approx(0.2, rel=0.1)
    lagged = np.corrcoef(path[:-50], path[50:])[0, 1]
    assert lagged == pytest.approx(0.5, abs=0.08)  # half the wave left after one half-life


def test_a_demand_wave_tilts_the_buy_odds_and_they_stay_odds(market):
    flow = _flow(market, demand_sd=0.2, inventory_reversion=0.0)
    assert flow.buy_probability() == 0.5
    flow.demand = 0.15
    assert flow.buy_probability() == pytest.approx(0.65)
    flow.demand = 5.0
    assert flow.buy_probability() == 0.98


def test_without_demand_waves_the_flow_draws_nothing_for_them(market):
    flow = _flow(market, seed=9)

    def refuse() -> None:
        raise AssertionError("a demand wave was drawn with demand_sd = 0")

    flow._advance_demand = refuse  # type: ignore[method-assign]
    for t in range(24):
        flow.step(observation(t))
    assert flow.demand == 0.0


def test_lomax_sizes_keep_the_mean_and_have_the_heavier_tail(market):
    n = 400_000
    heavy = _flow(market, size_tail=2.5, mean_order_usd=5_000)._sizes_usd(n)
    light = _flow(market, mean_order_usd=5_000)._sizes_usd(n)
    assert heavy.mean() == pytest.approx(5_000, rel=0.03)
    assert light.mean() == pytest.approx(5_000, rel=0.02)
    assert np.quantile(heavy, 0.999) > 1.5 * np.quantile(light, 0.999)
    assert heavy.max() <= 100 * 5_000


@pytest.mark.parametrize("tail", [0.5, 1.0])
def test_a_tail_without_a_finite_mean_is_refused(tail):
    with pytest.raises(ConfigError, match="size_tail"):
        load_config("calibrated").with_updates({"liquidity_traders.size_tail": tail})


def test_the_calibrated_configuration_switches_the_mechanisms_on():
    cfg = load_config("calibrated")
    assert cfg.market_makers.basis_half_life_h > 0
    assert cfg.liquidity_traders.demand_sd > 0
    assert math.isfinite(cfg.market_makers.unhedged_widening_bp)
