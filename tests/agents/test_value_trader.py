"""A discount buyer alone: its ladder deepening with the discount, its hedge and its financing."""

from __future__ import annotations

import itertools

import pytest

from gramabm.agents.value_traders import ValueTrader
from gramabm.config import ValueTraderConfig
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from tests.agents.conftest import GOLD_G, observation


def _buyer(market, usd: float = 1_000_000.0, **cfg) -> ValueTrader:
    ledger = market.ledger
    account = ledger.open_account("vt_under_test")
    ledger.transfer(market.market.gold_market, account, Asset.USD, round(usd * 1e6))
    return ValueTrader(market, account, ValueTraderConfig(**cfg), market.market.gold_market)


def test_bids_more_the_deeper_the_discount_down_to_ten_percent(market) -> None:
    vt = _buyer(market)
    vt.step(observation())
    levels = market.book.levels(BUY, 20)
    prices = [p for p, _ in levels]
    assert len(levels) == 6
    assert min(prices) == pytest.approx(GOLD_G * 1000 * 0.9, abs=1)  # 1,000 bp below gold
    assert max(prices) <= GOLD_G * 1000 * (1 - 75e-4)
    usd = [p * q for p, q in sorted(levels, reverse=True)]  # from the shallowest level down
    assert all(a < b for a, b in itertools.pairwise(usd))


def test_what_it_buys_is_hedged_financed_and_offered_back_at_the_gold_value(market) -> None:
    vt = _buyer(market, financing_advance=0.8, credit_usd=10_000_000)
    market.ledger.mint_tokens(vt.account, 10_000_000)  # as if it had bought 10 kg
    spent = market.ledger.balance(vt.account, Asset.USD)
    vt.step(observation())
    assert vt.hedge.position_g == pytest.approx(-10_000)
    assert vt.financing.loan_micro == pytest.approx(0.8 * 10_000 * GOLD_G * 1e6, rel=1e-9)
    # the credit is cash to bid with: the ladder is sized on cash plus the loan
    bid_usd = sum(p * q for p, q in market.book.levels(BUY, 20))
    assert bid_usd > spent * 0.97 * 1.5
    asks = market.book.levels(SELL, 5)
    assert asks == [(pytest.approx(GOLD_G * 1000, abs=1), 10_000_000)]


def test_credit_stops_at_its_limit(market) -> None:
    vt = _buyer(market, credit_usd=100_000)
    market.ledger.mint_tokens(vt.account, 10_000_000)
    vt.step(observation())
    assert vt.financing.loan_micro == 100_000 * 10**6


def test_steps_back_in_a_fast_market(market) -> None:
    vt = _buyer(market, withdraw_vol=0.4)
    vt.step(observation())
    assert market.book.levels(BUY, 1)
    vt.step(observation(1, vol_hourly=0.5 / (24 * 365) ** 0.5))
    assert market.book.levels(BUY, 1) == []
