"""The holders' fast step paths give what the plain vectorised statements give, bit for bit.

Order sizing runs in plain Python over the few movers of a step, the step works on the active
holders' rows instead of an action code per holder, and the action counts avoid a pass per
action: each is checked here against the straightforward numpy statement it replaces.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from gramabm.agents.holders import IDLE, HolderPopulation
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, LIMIT_IOC, MARKET, SELL
from gramabm.policies.base import Action
from tests.agents.conftest import GOLD_G


def _reference_orders(
    pop: HolderPopulation, actions: np.ndarray, ask: float | None, mid: float
) -> tuple[np.ndarray, ...]:
    """The order batch as whole-array numpy statements (the sizing rule, written plainly)."""
    cfg = pop.cfg
    buyers = (actions == Action.BUY).nonzero()[0]
    sellers = (actions == Action.SELL).nonzero()[0]
    buyer_usd = pop.available(Asset.USD, buyers)
    seller_tok = pop.available(Asset.TOKEN, sellers)
    price_ticks_ask = max((ask if ask is not None else mid) * 1000.0, 1.0)
    if cfg.trade_size == "wealth":
        ticks = max(mid * 1000.0, 1.0)
        buyer_wealth = buyer_usd + pop.available(Asset.TOKEN, buyers) * ticks
        seller_wealth = pop.available(Asset.USD, sellers) + seller_tok * ticks
        buy_usd = np.minimum(cfg.trade_fraction * buyer_wealth, buyer_usd)
        sell_mg = np.minimum(cfg.trade_fraction * seller_wealth / ticks, seller_tok)
    else:
        buy_usd = buyer_usd * cfg.trade_fraction
        sell_mg = seller_tok * cfg.trade_fraction
    buy_qty = np.floor(buy_usd / price_ticks_ask).astype(np.int64)
    sell_qty = np.floor(sell_mg).astype(np.int64)
    dust = seller_tok - sell_qty < 1_000
    sell_qty[dust] = seller_tok[dust]
    idx = np.concatenate([buyers, sellers])
    qty = np.concatenate([buy_qty, sell_qty])
    side = np.concatenate([np.full(buyers.size, BUY), np.full(sellers.size, SELL)])
    keep = qty >= 1_000
    idx, qty, side = idx[keep], qty[keep], side[keep].astype(np.int64)
    is_market = pop.rng.random(idx.size) < cfg.market_order_share
    offset = cfg.limit_offset_bp / 1e4
    limit = np.where(side == BUY, mid * (1 + offset), mid * (1 - offset))
    prices = np.maximum(np.rint(limit * 1000.0), 1).astype(np.int64)
    kinds = np.where(is_market, MARKET, LIMIT_IOC).astype(np.int64)
    return pop.accounts[idx], side, prices, qty, kinds


@pytest.mark.parametrize("trade_size", ["holdings", "wealth"])
@pytest.mark.parametrize("seed", range(8))
def test_orders_equal_the_whole_array_sizing(market, trade_size: str, seed: int) -> None:
    pop = market.holders
    rng = np.random.default_rng(seed)
    pop.cfg = pop.cfg.model_copy(
        update={"trade_size": trade_size, "trade_fraction": rng.uniform(0.01, 1.0)}
    )
    for i in rng.choice(pop.n, pop.n // 2, replace=False):  # some dust, some whales
        market.ledger.mint_tokens(int(pop.accounts[i]), int(rng.integers(1, 10**9)))
    actions = rng.choice([IDLE, *Action], pop.n).astype(np.int8)
    mid = GOLD_G * rng.uniform(0.5, 1.5)
    ask = None if seed % 3 == 0 else mid * 1.001
    before = copy.deepcopy(pop.rng)
    got = pop.orders(actions, None, ask, mid)
    pop.rng = before
    expected = _reference_orders(pop, actions, ask, mid)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(g, e)


def test_counts_by_last_action_equal_a_count_per_action(market) -> None:
    pop = market.holders
    pop.last_action[:] = np.random.default_rng(3).choice(4, pop.n).astype(np.int8)
    stats = pop.stats()
    counts = [int((pop.last_action == a).sum()) for a in Action]
    assert [stats.hold, stats.buy, stats.sell, stats.redeem] == counts


def test_a_safe_haven_rush_turns_the_same_idle_holders_into_buyers(market) -> None:
    pop = market.holders
    pop.cfg = pop.cfg.model_copy(update={"activity": 0.3})
    pop.start_safe_haven(until=10, strength=12.0)
    active, chosen = pop._choose({}, 0.0, GOLD_G)
    actions = pop._actions_of(active, chosen)
    before = copy.deepcopy(pop.rng)
    acting, acts = pop._safe_haven_rush(active, chosen)
    pop.rng = before
    idle = (actions == IDLE).nonzero()[0]
    actions[idle[pop.rng.random(idle.size) < 12.0 / 24]] = Action.BUY
    np.testing.assert_array_equal(pop._actions_of(acting, acts), actions)
    assert (acts != IDLE).all()
