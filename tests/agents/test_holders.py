"""The holder population alone: order sizing, safe-haven buying, redemption access, cost basis."""

from __future__ import annotations

import copy

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from gramabm.agents.holders import HolderPopulation, _send, neighbour_average_matrix
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.model import GramModel
from gramabm.policies.base import FEATURE_INDEX, Action
from tests.agents.conftest import GOLD_G, observation
from tests.model.paths import gold_path


class _Always:
    """A policy that always picks one action."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        proba = np.zeros((X.shape[0], len(Action)))
        proba[:, self.action] = 1.0
        return proba


def _population(market, action: Action, **cfg) -> HolderPopulation:
    pop = market.holders
    pop.policy = _Always(action)
    pop.cfg = pop.cfg.model_copy(update={"activity": 1.0, **cfg})
    return pop


def test_buyers_spend_their_trade_fraction_of_free_cash(market) -> None:
    pop = _population(market, Action.BUY, trade_fraction=0.3)
    actions = pop.decide({}, 0.0, GOLD_G)
    assert (actions == Action.BUY).all()
    owners, sides, _prices, qtys, _ = pop.orders(actions, None, GOLD_G, GOLD_G)
    cash = pop.available(Asset.USD)[owners - pop.first_account]
    assert (sides == BUY).all()
    np.testing.assert_array_equal(qtys, np.floor(cash * 0.3 / (GOLD_G * 1000)).astype(np.int64))
    assert (qtys >= 1000).all()  # nothing under one token


def test_sellers_sell_their_fraction_or_everything_when_the_rest_is_dust(market) -> None:
    pop = _population(market, Action.SELL, trade_fraction=0.5)
    tokens = pop.available(Asset.TOKEN)
    actions = pop.decide({}, 0.0, GOLD_G)
    owners, sides, _, qtys, _ = pop.orders(actions, GOLD_G, None, GOLD_G)
    assert (sides == SELL).all()
    held = tokens[owners - pop.first_account]
    half = np.floor(held * 0.5).astype(np.int64)
    expected = np.where(held - half < 1000, held, half)
    np.testing.assert_array_equal(qtys, expected)


def test_wealth_sized_trades_are_the_same_share_of_wealth_either_way(market) -> None:
    # After a rally the same holders are worth more in tokens: with trades sized on wealth a
    # purchase and a sale move the same dollars, so the population does not sell the rally.
    price = GOLD_G * 1.3
    ticks = price * 1000
    cash = market.holders.available(Asset.USD).astype(float)
    tokens = market.holders.available(Asset.TOKEN).astype(float)
    wealth = cash + tokens * ticks
    buyers = _population(market, Action.BUY, trade_fraction=0.2, trade_size="wealth")
    actions = buyers.decide({}, 0.0, price)
    owners, _, _, buy_qty, _ = buyers.orders(actions, None, price, price)
    i = owners - buyers.first_account
    expected = np.floor(np.minimum(0.2 * wealth[i], cash[i]) / ticks).astype(np.int64)
    np.testing.assert_array_equal(buy_qty, expected)
    sellers = _population(market, Action.SELL, trade_fraction=0.2, trade_size="wealth")
    owners, _, _, sell_qty, _ = sellers.orders(actions * 0 + Action.SELL, price, None, price)
    j = owners - sellers.first_account
    raw = np.floor(np.minimum(0.2 * wealth[j] / ticks, tokens[j])).astype(np.int64)
    np.testing.assert_array_equal(sell_qty, np.where(tokens[j] - raw < 1000, tokens[j], raw))
    # A holder with both cash and tokens to spare trades the same dollars either way.
    both = np.intersect1d(i, j)
    room = both[(0.2 * wealth[both] <= cash[both]) & (0.2 * wealth[both] / ticks <= tokens[both])]
    assert room.size > 0
    by_owner_buy = dict(zip(i, buy_qty, strict=True))
    by_owner_sell = dict(zip(j, sell_qty, strict=True))
    for k in room[:50]:
        assert abs(by_owner_buy[k] - by_owner_sell[k]) <= 1


def test_holdings_sized_trades_sell_more_dollars_than_they_buy_after_a_rally(market) -> None:
    price = GOLD_G * 1.3
    buyers = _population(market, Action.BUY, trade_fraction=0.2)
    actions = buyers.decide({}, 0.0, price)
    _, _, _, buy_qty, _ = buyers.orders(actions, None, price, price)
    sellers = _population(market, Action.SELL, trade_fraction=0.2)
    _, _, _, sell_qty, _ = sellers.orders(actions * 0 + Action.SELL, price, None, price)
    # Each side is a share of its own holding: the dollars sold over the dollars bought are the
    # tokens' value over the cash, which a rally raises (a constant-mix rebalancer).
    ticks = price * 1000
    cash = buyers.available(Asset.USD).astype(float).sum()
    token_value = sellers.available(Asset.TOKEN).astype(float).sum() * ticks
    ratio = (sell_qty.sum() * ticks) / (buy_qty.sum() * ticks)
    assert ratio == pytest.approx(token_value / cash, rel=0.02)


def test_an_unknown_trade_size_is_refused() -> None:
    from gramabm.config import load_config
    from gramabm.errors import ConfigError

    with pytest.raises(ConfigError, match="trade_size"):
        load_config("calibrated").with_updates({"holders.trade_size": "weath"})


def test_only_institutional_holders_redeem_the_others_sell(market) -> None:
    pop = _population(market, Action.REDEEM)
    actions = pop.decide({}, 0.0, GOLD_G)
    assert (actions[pop.institutional] == Action.REDEEM).all()
    assert (actions[~pop.institutional] == Action.SELL).all()


def test_redemptions_go_to_the_primary_market_only_when_it_is_open(market) -> None:
    pop = _population(market, Action.REDEEM)
    pop.observe_oracle(market.oracle.observed_prices(), 24)
    market.primary.nav_ratio = lambda: 1.0
    stats = pop.step(observation(primary_open=False), 0.0, market.venue, market.primary)
    assert stats.redeem_requests_mg == 0
    stats = pop.step(observation(1), 0.0, market.venue, market.primary)
    assert stats.redeem_requests_mg > 0
    redeemers = {int(a) for a in pop.accounts[pop.institutional]}
    assert {t.account for t in market.primary.pending()} <= redeemers


@pytest.mark.parametrize("rush", [False, True])
def test_safe_haven_rush_turns_idle_holders_into_buyers(market, rush: bool) -> None:
    pop = _population(market, Action.HOLD, activity=0.0, market_order_share=1.0)
    pop.observe_oracle(market.oracle.observed_prices(), 24)
    if rush:
        pop.start_safe_haven(until=5, strength=24.0)  # every idle holder, each step
    seller = market.ledger.open_account("seller")
    market.ledger.mint_tokens(seller, 10_000_000)
    market.venue.limit(seller, SELL, round(GOLD_G * 1000), 10_000_000)
    pop.step(observation(best_ask=GOLD_G), 0.0, market.venue, market.primary)
    sold = 10_000_000 - market.ledger.balance(seller, Asset.TOKEN)
    assert (sold > 0) is rush


def test_cost_basis_averages_in_new_tokens_at_the_price_paid(market) -> None:
    pop = market.holders
    before = pop.tokens_mg().copy()
    basis0 = pop.cost_basis.copy()
    account = int(pop.accounts[0])
    market.ledger.mint_tokens(account, int(before[0]) or 1000)
    pop.update_cost_basis(before, basis0[0] * 2)
    new = pop.tokens_mg()[0]
    expected = (before[0] * basis0[0] + (new - before[0]) * basis0[0] * 2) / new
    assert pop.cost_basis[0] == pytest.approx(expected)
    assert pop.cost_basis[1] == basis0[1]


def test_cost_basis_of_some_holders_matches_the_update_of_all(market) -> None:
    pop = market.holders
    before = pop.tokens_mg().copy()
    basis0 = pop.cost_basis.copy()
    rows = np.array([0, 2])
    for i in rows:
        market.ledger.mint_tokens(int(pop.accounts[i]), 5_000)
    pop.update_cost_basis(before, basis0[0] * 2)
    every = pop.cost_basis.copy()
    pop.cost_basis[:] = basis0
    pop.update_cost_basis(before[rows], basis0[0] * 2, rows)
    np.testing.assert_array_equal(pop.cost_basis, every)


def test_holders_become_mesa_agents_only_when_asked(market) -> None:
    n_before = len(market.agents)
    agents = market.holder_agents()
    assert len(market.agents) == n_before + market.holders.n
    assert agents.to_list()[3].usd_micro == int(market.holders.usd_micro()[3])


@pytest.mark.parametrize(
    "graph",
    [
        nx.watts_strogatz_graph(500, 6, 0.2, seed=1),
        nx.barabasi_albert_graph(500, 3, seed=2),
        nx.complete_graph(2),
    ],
)
def test_neighbour_matrix_is_exactly_networkx_row_normalised_adjacency(graph) -> None:
    n = graph.number_of_nodes()
    adj = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr").astype(float)
    degree = np.asarray(adj.sum(axis=1)).ravel()
    expected = sp.csr_array(sp.diags_array(1.0 / degree) @ adj)
    got = neighbour_average_matrix(graph)
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_array_equal(got.data, expected.data)  # same order: bit-identical sums


class _WorriedByDrawdown:
    """Sells a fifth of the time when calm, always when gold is in a drawdown."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        from gramabm.policies.base import FEATURE_INDEX

        sell = np.where(X[:, FEATURE_INDEX["drawdown"]] > 0, 1.0, 0.2)
        proba = np.zeros((X.shape[0], len(Action)))
        proba[:, Action.SELL] = sell
        proba[:, Action.HOLD] = 1.0 - sell
        return proba


def test_panic_is_the_fear_beyond_the_calm_propensity(market) -> None:
    pop = _population(market, Action.HOLD, activity=0.0, panic_memory=0.9)
    pop.policy = _WorriedByDrawdown()
    pop.panic[:] = 0.0
    for _ in range(50):  # ordinary selling, however long, is no worry
        pop.decide({"drawdown": 0.0, "vol_20d": 0.15}, 0.0, GOLD_G)
    assert pop.calm_fear() == pytest.approx(0.2)
    assert (pop.panic == 0.0).all()
    for _ in range(50):  # a drawdown that makes everyone want out is
        pop.decide({"drawdown": 0.1, "vol_20d": 0.15}, 0.0, GOLD_G)
    np.testing.assert_allclose(pop.panic, 1 - 0.9**50)


class _TakesProfitAndFearsDiscounts:
    """Sells more at a premium (profit-taking) and far more at a deep discount (worry)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        dev = X[:, FEATURE_INDEX["deviation_bp"]]
        sell = 0.1 + np.clip(dev, 0, 200) / 1000 + np.clip(-dev - 500, 0, 500) / 1000
        proba = np.zeros((X.shape[0], len(Action)))
        proba[:, Action.SELL] = sell
        proba[:, Action.HOLD] = 1.0 - sell
        return proba


def test_selling_into_a_premium_is_profit_taking_not_panic(market) -> None:
    pop = _population(market, Action.HOLD, activity=0.0, panic_memory=0.9)
    pop.policy = _TakesProfitAndFearsDiscounts()
    pop.panic[:] = 0.0
    assert pop.profit_taking(100.0) == pytest.approx(0.1)
    assert pop.profit_taking(0.4) == 0.0
    for _ in range(200):  # weeks at a 100 bp premium: more selling, no worry
        pop.decide({"deviation_bp": 100.0, "vol_20d": 0.15}, 0.0, GOLD_G)
    assert (pop.panic == 0.0).all()
    for _ in range(50):  # a 1,000 bp discount is worry, as before
        pop.decide({"deviation_bp": -1000.0, "vol_20d": 0.15}, 0.0, GOLD_G)
    assert (pop.panic > 0.5).all()


def test_the_profit_taking_cache_follows_the_policy(market) -> None:
    pop = _population(market, Action.HOLD, activity=0.0)
    pop.policy = _TakesProfitAndFearsDiscounts()
    assert pop.profit_taking(150.0) == pytest.approx(0.15)
    pop.policy = _Always(Action.HOLD)
    assert pop.profit_taking(150.0) == 0.0


def test_holders_send_their_orders_as_the_venue_batch_would_apply_them() -> None:
    # A market with dealers quoting, mid-run; half the holders buy and half sell, some by market
    # order, some by immediate-or-cancel limit: the venue ends in the same state either way.
    model = GramModel(rng=3, path=gold_path(40, level=2000.0), steps=40, holders=60)
    for _ in range(20):
        model.step()
    pop = model.holders
    # Limits at the mid fill nothing, market orders do: a mix-up of the kinds would show.
    pop.cfg = pop.cfg.model_copy(update={"limit_offset_bp": 0.0, "market_order_share": 0.5})
    actions = np.where(np.arange(pop.n) % 2 == 0, Action.BUY, Action.SELL).astype(np.int8)
    bid, ask = model.venue.book.best_bid, model.venue.book.best_ask
    assert bid is not None
    assert ask is not None
    mid = (bid + ask) / 2000.0
    orders = pop.orders(actions, bid / 1000.0, ask / 1000.0, mid)
    assert orders[0].size > 10
    assert len(set(orders[4].tolist())) == 2
    batched, sent = copy.deepcopy(model.venue), copy.deepcopy(model.venue)  # with ledger, book
    batched.submit_batch(*orders)
    _send(sent, *(column.tolist() for column in orders))
    for asset in Asset:
        np.testing.assert_array_equal(batched.ledger.balances(asset), sent.ledger.balances(asset))
        np.testing.assert_array_equal(
            batched.ledger.reserved_array(asset), sent.ledger.reserved_array(asset)
        )
    for side in (BUY, SELL):
        assert batched.book.levels(side, 100) == sent.book.levels(side, 100)
    assert batched.step_stats() == sent.step_stats()
    assert sent.step_stats().trades > 0
