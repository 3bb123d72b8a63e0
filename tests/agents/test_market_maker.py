"""A market maker alone: its ladder, skew, widening with volatility, withdrawal and return."""

from __future__ import annotations

import pytest

from gramabm.agents.market_makers import MarketMaker
from gramabm.config import MarketMakerConfig
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from tests.agents.conftest import GOLD_G, observation


def _maker(market, **cfg) -> MarketMaker:
    ledger = market.ledger
    account = ledger.open_account("mm_under_test")
    ledger.transfer(market.market.gold_market, account, Asset.USD, 5_000_000 * 10**6)
    ledger.mint_tokens(account, 20_000_000)  # 20 kg
    return MarketMaker(market, account, MarketMakerConfig(**cfg), GOLD_G, "mm")


def _quotes(market) -> tuple[list[int], list[int]]:
    book = market.book
    return [p for p, _ in book.levels(BUY, 20)], [p for p, _ in book.levels(SELL, 20)]


def test_quotes_a_ladder_of_levels_around_fair_value(market, reports) -> None:
    mm = _maker(market, levels=4, half_spread_bp=10, level_step_bp=5, inventory_skew_bp=0)
    mm.step(observation(), reports)
    bids, asks = _quotes(market)
    assert len(bids) == len(asks) == 4
    assert max(bids) < GOLD_G * 1000 < min(asks)
    inner = (min(asks) - max(bids)) / (GOLD_G * 1000) * 1e4
    assert 19 < inner < 21  # twice the half-spread
    assert (sorted(asks)[1] - sorted(asks)[0]) / (GOLD_G * 1000) * 1e4 > 4.5  # level step


def test_long_inventory_skews_the_ladder_down(market, reports) -> None:
    flat = _maker(market, levels=1, inventory_skew_bp=50)
    flat.step(observation(), reports)
    mid_flat = sum(x[0] for x in _quotes(market)) / 2
    market.venue.cancel_all(flat.account)
    long = _maker(market, levels=1, inventory_skew_bp=50)
    market.ledger.mint_tokens(long.account, 20_000_000)  # twice its target inventory
    long.step(observation(), reports)
    mid_long = sum(x[0] for x in _quotes(market)) / 2
    assert mid_long < mid_flat * (1 - 40e-4)  # about 50 bp lower


def test_spread_widens_with_volatility(market, reports) -> None:
    mm = _maker(market, levels=1, vol_widening=0.3, withdraw_vol=10.0)
    mm.step(observation(), reports)
    bids, asks = _quotes(market)
    calm = asks[0] - bids[0]
    mm.step(observation(1, vol_hourly=0.003), reports)
    bids, asks = _quotes(market)
    assert asks[0] - bids[0] > calm + 0.3 * 0.003 * 2 * GOLD_G * 1000 * 0.9


def test_withdraws_on_volatility_and_returns_when_calm(market, reports) -> None:
    mm = _maker(market, withdraw_vol=0.6, cooldown_steps=5)
    mm.step(observation(), reports)
    assert _quotes(market) != ([], [])
    wild = 0.7 / (24 * 365) ** 0.5  # 70% a year, per hourly step
    mm.step(observation(1, vol_hourly=wild), reports)
    assert not mm.active
    assert _quotes(market) == ([], [])
    assert reports.events[-1][1:3] == ("mm", "withdraw")
    mm.step(observation(3), reports)
    assert not mm.active  # cooldown not over
    mm.step(observation(6, vol_hourly=0.5 * wild), reports)
    assert not mm.active  # still not calm enough (needs half the limit)
    mm.step(observation(7), reports)
    assert mm.active
    assert reports.events[-1][2] == "return"
    assert _quotes(market) != ([], [])


def test_withdraws_on_trading_loss(market, reports) -> None:
    mm = _maker(market, withdraw_loss=0.05, withdraw_vol=10.0)
    mm.step(observation(), reports)
    market.ledger.transfer(
        mm.account, market.market.gold_market, Asset.USD, 1_000_000 * 10**6
    )  # a loss
    mm.step(observation(1), reports)
    assert not mm.active
    assert "trading loss" in reports.events[-1][3]


def test_stays_out_while_trading_is_halted(market, reports) -> None:
    mm = _maker(market)
    mm.step(observation(trading_halted=True), reports)
    assert _quotes(market) == ([], [])


def _hedged_maker(market, **cfg) -> MarketMaker:
    ledger = market.ledger
    account = ledger.open_account("hedged_mm")
    ledger.transfer(market.market.gold_market, account, Asset.USD, 2_000_000 * 10**6)
    ledger.mint_tokens(account, 20_000_000)  # its 20 kg target
    return MarketMaker(
        market, account, MarketMakerConfig(**cfg), GOLD_G, "mm", market.market.gold_market
    )


def test_at_its_inventory_limit_keeps_one_far_bid_financed_on_the_hedged_tokens(
    market, reports
) -> None:
    mm = _hedged_maker(market, levels=5, level_size_g=500, max_inventory=4.0, far_bid_bp=300)
    market.ledger.mint_tokens(mm.account, 60_000_000)  # 80 kg: four times its target
    mm.step(observation(), reports)
    bids, asks = _quotes(market)
    assert len(bids) == 1
    assert len(asks) == 5
    assert bids[0] < GOLD_G * 1000 * (1 - 300e-4)
    assert market.book.levels(BUY, 1)[0][1] == 5 * 500_000  # it takes what the ladder gave up
    # the 60 kg beyond the target are hedged and 80% of their gold value is lent against them
    assert mm.hedge is not None
    assert mm.hedge.position_g == pytest.approx(-60_000)
    assert mm.financing is not None
    assert mm.financing.loan_micro == pytest.approx(0.8 * 60_000 * GOLD_G * 1e6, rel=1e-9)
    # a loan is not a gain: the risk measure sees only the tokens it was given
    assert mm.trading_pnl(observation()) == pytest.approx(60_000 * GOLD_G, rel=1e-9)


def test_far_bid_stops_at_the_hedged_limit_and_needs_a_hedge(market, reports) -> None:
    full = _hedged_maker(market, hedged_limit=4.0)
    market.ledger.mint_tokens(full.account, 60_000_000)
    full.step(observation(), reports)
    assert _quotes(market)[0] == []
    market.venue.cancel_all(full.account)
    unhedged = _hedged_maker(market, hedge=False)
    market.ledger.mint_tokens(unhedged.account, 60_000_000)
    unhedged.step(observation(), reports)
    assert _quotes(market)[0] == []
    assert unhedged.financing is None


def test_below_its_limit_quotes_no_far_bid(market, reports) -> None:
    mm = _hedged_maker(market, levels=3)
    mm.step(observation(), reports)
    bids, _ = _quotes(market)
    assert len(bids) == 3
    assert mm.financing is not None
    assert mm.financing.loan_micro == 0


def _seller(market, grams: int) -> int:
    account = market.ledger.open_account("burst_seller")
    market.ledger.mint_tokens(account, grams * 1000)
    return account


def test_a_swept_bid_side_comes_back_within_the_hour_lower_for_the_inventory_taken(
    market, reports
) -> None:
    mm = _maker(market, levels=3, level_size_g=1000, inventory_skew_bp=20)
    mm.step(observation(), reports)
    best_bid_before = max(_quotes(market)[0])
    seller = _seller(market, 5_000)
    market.venue.market(seller, SELL, 5_000_000)  # more than the 3 kg the ladder bids
    assert _quotes(market)[0] == []  # the burst took every bid
    mm.replenish(observation())
    bids, asks = _quotes(market)
    assert len(bids) == len(asks) == 3
    # 3 kg more on a 20 kg target: the centre moves 20 bp x 0.15 = 3 bp lower
    assert max(bids) < best_bid_before
    assert max(bids) == pytest.approx(best_bid_before * (1 - 3e-4), rel=0.5e-4)


def test_a_ladder_with_each_side_still_quoted_is_left_until_the_next_hour(market, reports) -> None:
    mm = _maker(market, levels=3, level_size_g=1000)
    mm.step(observation(), reports)
    seller = _seller(market, 1_000)
    market.venue.market(seller, SELL, 1_000_000)  # the inner bid only
    before = _quotes(market)
    mm.replenish(observation())
    assert _quotes(market) == before
    assert len(before[0]) == 2


@pytest.mark.parametrize("why", ["withdrawn", "halted"])
def test_no_refill_while_withdrawn_or_halted(market, reports, why: str) -> None:
    mm = _maker(market, levels=2, level_size_g=1000)
    mm.step(observation(), reports)
    seller = _seller(market, 3_000)
    market.venue.market(seller, SELL, 3_000_000)
    if why == "withdrawn":
        mm.withdraw(observation(), "test", reports)
    mm.replenish(observation(trading_halted=why == "halted"))
    assert _quotes(market)[0] == []
