"""The calm-market mechanisms one at a time: the dealers' basis, their weekend widening, their
unloading only where it pays, the liquidity flow's demand waves and its heavy-tailed order sizes,
and the deviation holders are used to."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gramabm.agents.financing import TokenLoan
from gramabm.agents.liquidity_traders import LiquidityFlow
from gramabm.agents.market_makers import MarketMaker
from gramabm.config import LiquidityTraderConfig, MarketMakerConfig, load_config
from gramabm.errors import ConfigError
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.primary import Kind
from gramabm.model import GramModel
from tests.agents.conftest import GOLD_G, observation
from tests.model.paths import gold_path


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


def _violent_hour_maker(market, **cfg) -> MarketMaker:
    # A basis that learns next to nothing within the test (a half-life of a million hours: about
    # 1e-8 of a 2% gap an hour) isolates what the absorption puts in it.
    cfg = {"absorb_cap_bp": 4_000.0, **cfg}  # a cap no test hour reaches unless it sets one
    return _maker(
        market, levels=1, inventory_skew_bp=0, basis_half_life_h=1e6, pass_through_bp=30, **cfg
    )


def test_a_dealer_carries_the_stated_share_of_a_violent_hour_in_its_basis(market, reports):
    mm = _violent_hour_maker(market, excess_absorbed=0.5)
    mm.step(observation(0), reports)
    jump = GOLD_G * math.exp(100 / 1e4)  # gold up 100 bp in an hour: 70 beyond the pass-through
    mm.step(observation(1, gold_g=jump, last_price=jump), reports)
    assert mm.basis == pytest.approx(-0.5 * 70 / 1e4, rel=1e-6)
    bid, ask = _inner(market)
    assert (bid + ask) / 2 == pytest.approx(jump * (1 - 0.0035), rel=2e-4)  # 35 bp below gold
    fall = jump * math.exp(-100 / 1e4)  # and back down: the basis returns to zero
    mm.step(observation(2, gold_g=fall, last_price=fall), reports)
    assert mm.basis == pytest.approx(0.0, abs=1e-6)


def test_a_dealer_follows_ordinary_hours_in_full(market, reports):
    mm = _violent_hour_maker(market, excess_absorbed=0.5)
    for t, bp in enumerate((0, 29, 0, -29, 0, 20)):  # every hour's move within the 30 bp
        mm.step(observation(t, gold_g=GOLD_G * math.exp(bp / 1e4)), reports)
    assert mm.basis == pytest.approx(0.0, abs=1e-6)  # (the basis learning's own trace: 1e-8)


def test_a_dealer_absorbs_nothing_while_gold_is_shut_nor_without_the_setting(market, reports):
    shut = _violent_hour_maker(market, excess_absorbed=0.5)
    shut.step(observation(0, gold_open=False), reports)
    shut.step(observation(1, gold_open=False, info_g=GOLD_G * 1.02), reports)
    assert shut.basis == 0.0
    plain = _violent_hour_maker(market, excess_absorbed=0.0)
    plain.step(observation(2), reports)
    plain.step(observation(3, gold_g=GOLD_G * 1.02), reports)
    assert plain.basis == pytest.approx(0.0, abs=1e-6)


def test_the_absorbed_basis_stops_at_the_cap_and_a_basis_past_it_stays(market, reports):
    mm = _violent_hour_maker(market, excess_absorbed=0.5, absorb_cap_bp=50)
    mm.step(observation(0), reports)
    price = GOLD_G
    for t in range(1, 6):  # five hours of gold falling 100 bp: 35 bp each absorbed, up to 50
        price *= math.exp(-100 / 1e4)
        mm.step(observation(t, gold_g=price, last_price=price), reports)
    assert mm.basis == pytest.approx(0.005, abs=1e-6)
    # The trades carried it past the cap: a further fall adds nothing and takes nothing.
    mm.basis = 0.008
    price *= math.exp(-100 / 1e4)
    mm.step(observation(6, gold_g=price, last_price=price), reports)
    assert mm.basis == pytest.approx(0.008, abs=1e-6)
    price *= math.exp(100 / 1e4)  # a rise absorbs the other way, from where it stands
    mm.step(observation(7, gold_g=price, last_price=price), reports)
    assert mm.basis == pytest.approx(0.008 - 0.0035, abs=1e-6)


def _hourly(vol_annual: float) -> float:
    return vol_annual / math.sqrt(365 * 24)


def test_a_turbulent_market_stops_the_absorption_and_a_calm_one_has_no_cap(market, reports):
    mm = _violent_hour_maker(market, excess_absorbed=0.5, absorb_cap_bp=None, absorb_max_vol=0.3)
    mm.step(observation(0), reports)
    price = GOLD_G
    for t in range(1, 4):  # calm (20%/yr): three falls of 100 bp, 35 bp each, no cap
        price *= math.exp(-100 / 1e4)
        mm.step(observation(t, gold_g=price, last_price=price, vol_hourly=_hourly(0.2)), reports)
    assert mm.basis == pytest.approx(0.0105, abs=1e-6)
    for t in range(4, 7):  # turbulent (40%/yr, under the 60% withdrawal): gold followed in full
        price *= math.exp(-100 / 1e4)
        mm.step(observation(t, gold_g=price, last_price=price, vol_hourly=_hourly(0.4)), reports)
    assert mm.active
    assert mm.basis == pytest.approx(0.0105, abs=1e-6)
    # Calm again: the hour is measured from the last one seen, not from the turbulence's start.
    price *= math.exp(-100 / 1e4)
    mm.step(observation(7, gold_g=price, last_price=price, vol_hourly=_hourly(0.2)), reports)
    assert mm.basis == pytest.approx(0.014, abs=1e-6)


def test_absorbing_violent_hours_without_a_basis_or_a_bound_is_refused():
    with pytest.raises(ValueError, match="basis_half_life_h"):
        MarketMakerConfig(excess_absorbed=0.5, absorb_cap_bp=50)
    with pytest.raises(ValueError, match=r"absorb_cap_bp.*absorb_max_vol"):
        MarketMakerConfig(excess_absorbed=0.5, basis_half_life_h=24)
    assert MarketMakerConfig(excess_absorbed=0.5, basis_half_life_h=24, absorb_max_vol=0.3)
    with pytest.raises(ConfigError, match="basis_half_life_h"):
        load_config(None).with_updates(
            {"market_makers.excess_absorbed": 0.5, "market_makers.absorb_cap_bp": 50.0}
        )


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


@pytest.mark.parametrize(
    ("tilt", "sd", "half_life", "steps"),
    [("demand", 0.2, 50.0, 200_000), ("burst", 0.3, 6.0, 100_000)],
)
def test_each_tilt_has_the_stated_spread_and_half_life(market, tilt, sd, half_life, steps):
    flow = _flow(market, **{f"{tilt}_sd": sd, f"{tilt}_half_life_h": half_life})
    advance = getattr(flow, f"_advance_{tilt}")
    path = np.empty(steps)
    for i in range(steps):
        advance()
        path[i] = getattr(flow, tilt)
    assert path.std() == pytest.approx(sd, rel=0.1)
    lag = int(half_life)
    lagged = np.corrcoef(path[:-lag], path[lag:])[0, 1]
    assert lagged == pytest.approx(0.5, abs=0.08)  # half the tilt left after one half-life
    other = "burst" if tilt == "demand" else "demand"
    assert getattr(flow, other) == 0.0  # the two tilts are separate processes


def test_the_wave_and_the_burst_add_up_in_the_buy_odds(market):
    flow = _flow(market, demand_sd=0.2, burst_sd=0.2, inventory_reversion=0.0)
    flow.demand, flow.burst = 0.1, -0.25
    assert flow.buy_probability() == pytest.approx(0.35)


def test_a_demand_wave_tilts_the_buy_odds_and_they_stay_odds(market):
    flow = _flow(market, demand_sd=0.2, inventory_reversion=0.0)
    assert flow.buy_probability() == 0.5
    flow.demand = 0.15
    assert flow.buy_probability() == pytest.approx(0.65)
    flow.demand = 5.0
    assert flow.buy_probability() == 0.98


def test_tokens_the_pool_lent_to_a_dealer_still_count_as_its_inventory(market):
    flow = _flow(market, demand_sd=0.0, inventory_reversion=0.3)
    dealer = market.ledger.open_account("short_dealer")
    market.ledger.transfer(market.market.gold_market, dealer, Asset.USD, 10**12)
    loan = TokenLoan(market.ledger, dealer, flow.account, limit_mg=10**9)
    flow.loans = (loan,)
    loan.rebalance(4_000_000, GOLD_G)  # 4 of its 10 kg lent out
    assert market.ledger.balance(flow.account, Asset.TOKEN) == 6_000_000
    assert flow.buy_probability() == 0.5  # no urge to buy back what it only lent
    market.ledger.transfer(flow.account, dealer, Asset.TOKEN, 2_000_000)  # it sold 2 kg
    assert flow.buy_probability() == pytest.approx(0.5 + 0.3 * 0.2)


def test_without_demand_waves_the_flow_draws_nothing_for_them(market):
    flow = _flow(market, seed=9)

    def refuse() -> None:
        raise AssertionError("a demand wave was drawn with demand_sd = 0")

    flow._advance_demand = refuse  # type: ignore[method-assign]
    flow._advance_burst = refuse  # type: ignore[method-assign]
    for t in range(24):
        flow.step(observation(t))
    assert flow.demand == 0.0
    assert flow.burst == 0.0


def _orders_at(market, when: str, steps: int, **cfg) -> int:
    flow = _flow(market, orders_per_hour=6.0, **cfg)
    now = pd.Timestamp(when)
    for t in range(steps):  # the same UTC hour every step: only the day of the week differs
        flow.step(observation(t, now=now))
    return flow.orders


def test_the_flow_sends_the_stated_share_of_a_weekdays_orders_at_weekends(market):
    weekday = _orders_at(market, "2024-01-10 12:00", 3_000, weekend_activity=0.5)  # a Wednesday
    saturday = _orders_at(market, "2024-01-13 12:00", 3_000, weekend_activity=0.5)
    sunday = _orders_at(market, "2024-01-14 12:00", 3_000, weekend_activity=0.5)
    assert weekday > 10_000
    assert saturday / weekday == pytest.approx(0.5, abs=0.04)
    assert sunday / weekday == pytest.approx(0.5, abs=0.04)


def test_by_default_the_flow_trades_weekends_like_weekdays(market):
    weekday = _orders_at(market, "2024-01-10 12:00", 2_000)
    saturday = _orders_at(market, "2024-01-13 12:00", 2_000)
    assert saturday / weekday == pytest.approx(1.0, abs=0.06)


@pytest.mark.parametrize("share", [0.0, 1.5])
def test_a_weekend_activity_outside_zero_to_one_is_refused(share):
    with pytest.raises(ConfigError, match="weekend_activity"):
        load_config("calibrated").with_updates({"liquidity_traders.weekend_activity": share})


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
    assert cfg.market_makers.unload_rule == "cheaper"
    assert cfg.holders.usual_basis_half_life_h > 0
    # It absorbs gold's violent hours only while calm: a crash is followed in full.
    assert cfg.market_makers.excess_absorbed > 0
    assert cfg.market_makers.absorb_max_vol is not None
    assert cfg.market_makers.absorb_max_vol < cfg.market_makers.withdraw_vol


def _long_maker(market, rule: str) -> MarketMaker:
    """A maker 15 kg over its 20 kg target: beyond its 10 kg unload band."""
    mm = _maker(market, levels=1, inventory_skew_bp=0, unload_rule=rule)
    market.ledger.mint_tokens(mm.account, 15_000_000)
    return mm


@pytest.mark.parametrize(
    ("rule", "discount_bp", "unloads"),
    [
        ("band", 0.0, True),  # the band alone decides
        ("cheaper", 0.0, False),  # the book sells at par: the fee would be a loss
        ("cheaper", 40.0, False),  # 15 kg is about $965k: the 50 bp tier beats a 40 bp discount
        ("cheaper", 60.0, True),
    ],
)
def test_a_maker_redeems_its_excess_only_where_the_fee_beats_the_books_discount(
    market, reports, rule, discount_bp, unloads
):
    mm = _long_maker(market, rule)
    market.primary.authorise(mm.account)
    mm.step(observation(0, last_price=GOLD_G * (1 - discount_bp / 1e4)), reports)
    # (what the small test market's custodians can pay out caps the amount, not the rule)
    assert (market.primary.pending_mg(Kind.REDEEM, mm.account) > 0) == unloads


def test_at_its_inventory_limit_a_maker_unloads_whatever_the_price(market, reports):
    mm = _maker(market, levels=1, inventory_skew_bp=0, unload_rule="cheaper", max_inventory=2.0)
    market.ledger.mint_tokens(mm.account, 25_000_000)  # 45 kg: past twice the 20 kg target
    market.primary.authorise(mm.account)
    mm.step(observation(0), reports)
    assert market.primary.pending_mg(Kind.REDEEM, mm.account) > 0


def test_a_short_maker_mints_only_against_a_premium_above_the_fee(market, reports):
    mm = _maker(market, levels=1, inventory_skew_bp=0, unload_rule="cheaper")
    market.ledger.burn_tokens(mm.account, 15_000_000)  # 5 kg left of a 20 kg target
    market.primary.authorise(mm.account)
    mm.step(observation(0, last_price=GOLD_G * 1.002), reports)
    assert market.primary.pending_mg(Kind.MINT, mm.account) == 0
    mm.step(observation(1, last_price=GOLD_G * 1.006), reports)
    assert market.primary.pending_mg(Kind.MINT, mm.account) > 0


def _short_maker(market, **cfg) -> MarketMaker:
    """A maker that sold all of its 20 kg target at par, able to borrow from a 50 kg pool."""
    ledger = market.ledger
    pool = ledger.open_account("lending_pool")
    ledger.mint_tokens(pool, 50_000_000)
    ledger.transfer(market.market.gold_market, pool, Asset.USD, 2_000_000 * 10**6)
    mm = _maker(market, **cfg)
    mm.token_loan = TokenLoan(ledger, mm.account, pool, round(mm.cfg.token_loan_g * 1000))
    ledger.transfer(mm.account, pool, Asset.TOKEN, 20_000_000)
    ledger.transfer(pool, mm.account, Asset.USD, round(20_000 * GOLD_G * 10**6))
    return mm


def test_a_maker_out_of_tokens_borrows_a_full_ladder_of_offers_and_leans_up(market, reports):
    weekend = observation(0, primary_open=False, oracle_stale=True, gold_open=False)
    mm = _short_maker(market, levels=4, level_size_g=500, inventory_skew_bp=50)
    mm.step(weekend, reports)
    asks = market.book.levels(SELL, 10)
    assert len(asks) == 4
    assert sum(q for _, q in asks) == 2_000_000  # four levels of 500 g, all borrowed
    assert mm.token_loan.loan_mg == 2_000_000
    assert mm.own_tokens() == 0
    bid, ask = _inner(market)
    assert (bid + ask) / 2 > GOLD_G * (1 + 45e-4)  # a whole target short: about 50 bp higher
    market.ledger.check()
    # without a lender it has nothing to offer
    market.venue.cancel_all(mm.account)
    dry = _maker(market, levels=4, level_size_g=500)
    market.ledger.burn_tokens(dry.account, 20_000_000)
    dry.step(weekend, reports)
    assert dry.token_loan is None
    assert market.book.levels(SELL, 10) == []


def test_a_borrowing_maker_covers_by_minting_as_soon_as_the_primary_opens(market, reports):
    mm = _short_maker(market, levels=1, inventory_skew_bp=0, unload_rule="cheaper")
    mm.step(observation(0, primary_open=False), reports)
    assert mm.token_loan.loan_mg > 0
    market.primary.authorise(mm.account)
    mm.step(observation(1), reports)  # at par: no premium pays the fee, the loan does
    assert market.primary.pending_mg(Kind.MINT, mm.account) >= 20_000_000


def _holders(**cfg) -> GramModel:
    updates = {f"holders.{k}": v for k, v in cfg.items()}
    return GramModel(
        rng=1, path=gold_path(48, level=2000.0, vol_annual=0.0), steps=48, holders=20, **updates
    )


def test_holders_read_the_whole_deviation_without_a_usual_basis():
    holders = _holders().holders
    assert [holders.unusual_deviation_bp(-100.0) for _ in range(3)] == [-100.0] * 3


def test_a_lasting_deviation_becomes_usual_at_the_stated_half_life():
    holders = _holders(usual_basis_half_life_h=10.0).holders
    seen = [holders.unusual_deviation_bp(-100.0) for _ in range(11)]
    assert seen[0] == -100.0  # the first hour is all news
    assert holders.usual_basis_bp == pytest.approx(-100.0 * (1 - 0.5 ** (11 / 10)))
    assert seen[10] == pytest.approx(-50.0)  # after one half-life, half of it is usual


def test_a_deep_deviation_never_becomes_usual_beyond_the_cap():
    holders = _holders(usual_basis_half_life_h=5.0, usual_basis_cap_bp=150.0).holders
    for _ in range(500):
        seen = holders.unusual_deviation_bp(-2_000.0)
    assert holders.usual_basis_bp == -150.0
    assert seen == pytest.approx(-1_850.0)
