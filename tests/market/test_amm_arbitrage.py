"""The wrap/unwrap arbitrage calculator: no trade at parity, the right loop off parity, the best
size (against an exhaustive search), predictions equal to what executing the trade pays, gas
and a frozen wrapper respected, and the trade pulls the pool back towards the wrapper's rate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.market.amm.arbitrage import (
    Route,
    best_loop,
    best_size,
    book_leg,
    burn_leg,
    loop_profit,
    mint_leg,
    pool_leg,
    wrap_arbitrage,
)
from gramabm.market.amm.concentrated import ConcentratedPool
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.amm.tick_math import sqrt_price_of
from gramabm.market.chain import AmmError, Token
from gramabm.market.orderbook import BUY, SELL, OrderBook
from gramabm.market.wrapper import GramWrapper, burn_amount
from tests.conftest import INVARIANT_EXAMPLES
from tests.market.amm_world import World, make_world

PARITY = 10**6 / 31_103.4768  # XAUT base units (millionths of an ounce) per mg of gold
XAUT_USD = 3_100 * 10**6  # micro-dollars per whole XAUT


def setup(
    gram_reserve: int, discount: float, fee: int = 3_000
) -> tuple[World, ConstantProductPool, GramWrapper]:
    """A v2 GRAM/XAUT pool pricing GRAM ``discount`` below the wrapper's rate, and the wrapper."""
    w = make_world(1, xaut=10**12, usd=10**10)
    xaut_reserve = round(gram_reserve * PARITY * (1 - discount))
    w.gram_ledger.genesis(w.treasury, 1, gram_reserve)
    w.xaut_ledger.genesis(w.treasury, 1, xaut_reserve)
    pool = ConstantProductPool(w.gram, w.xaut, w.contract, fee_pips=fee)
    pool.add_liquidity(w.treasury, gram_reserve, xaut_reserve)
    wrapper_account = w.xaut_ledger.open_account("wrapper")
    w.gram_ledger.open_account("wrapper")
    wrapper = GramWrapper(w.xaut, w.gram, wrapper_account, w.treasury)
    wrapper.mint(w.users[0], 10**9)  # the wrapper holds XAUT for burns
    return w, pool, wrapper


def test_no_trade_inside_the_band() -> None:
    _, pool, wrapper = setup(10**9, 0.0)
    assert wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD) is None


def test_a_discount_is_bought_and_burned_and_the_prediction_is_what_execution_pays() -> None:
    w, pool, wrapper = setup(10**9, 0.02)
    me = w.users[0]
    plan = wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD, chain=w.chain())
    assert plan is not None
    assert plan.route is Route.BUY_AND_BURN
    start = w.xaut.balance(me)
    gram = pool.swap_exact_in(me, False, plan.xaut_in).amount_out  # XAUT in, GRAM out
    wrapper.burn(me, gram)
    assert w.xaut.balance(me) - start == plan.profit_xaut
    # After the trade the pool sits at the edge of the band: one more unit would not gain.
    assert wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD) is None or (
        wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD).profit_xaut <= 2  # type: ignore[union-attr]
    )
    gram_price = pool.reserves[1] / pool.reserves[0]
    assert gram_price == pytest.approx(PARITY, rel=0.004)  # within the 0.3% fee band


def test_a_premium_is_minted_and_sold() -> None:
    _, pool, wrapper = setup(10**9, -0.02)
    plan = wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD)
    assert plan is not None
    assert plan.route is Route.MINT_AND_SELL


def test_gas_decides_whether_a_small_gap_is_worth_trading() -> None:
    w, pool, wrapper = setup(10**7, 0.006)  # a thin pool, 0.6% off: a few dollars to gain
    assert wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD) is not None
    spike = w.chain(gwei=500, eth_usd=3_000)
    assert wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD, chain=spike) is None


def test_a_frozen_wrapper_cannot_be_burned_into() -> None:
    _, pool, wrapper = setup(10**9, 0.02)
    wrapper.frozen = True
    assert wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD) is None


def test_capital_limits_the_size() -> None:
    _, pool, wrapper = setup(10**9, 0.02)
    free = wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD)
    plan = wrap_arbitrage(pool, wrapper, 10**7, XAUT_USD)
    assert free is not None
    assert plan is not None
    assert free.xaut_in > 10**8
    # At the cap, up to the wrapper's milligram steps (32 XAUT units) of rounding.
    assert 10**7 - 5_000 <= plan.xaut_in <= 10**7


def test_a_pool_of_other_tokens_is_refused() -> None:
    w, _, wrapper = setup(10**6, 0.0)
    other = ConstantProductPool(w.gram, w.usd, w.contract)
    with pytest.raises(AmmError, match="not the wrapper's"):
        wrap_arbitrage(other, wrapper, 10, XAUT_USD)


def test_a_concentrated_pool_works_the_same_way() -> None:
    w = make_world(1, xaut=10**12, gram=10**12)
    pool = ConcentratedPool(w.gram, w.xaut, w.contract, sqrt_price_of(PARITY * 0.98), fee_pips=500)
    lo, hi = -460_000 // 10 * 10, 460_000 // 10 * 10
    pool.add_liquidity(w.users[0], lo, hi, 10**9)
    acct = w.xaut_ledger.open_account("wrapper")
    w.gram_ledger.open_account("wrapper")
    wrapper = GramWrapper(w.xaut, w.gram, acct, w.treasury)
    wrapper.mint(w.users[0], 10**10)
    plan = wrap_arbitrage(pool, wrapper, 10**12, XAUT_USD)
    assert plan is not None
    assert plan.route is Route.BUY_AND_BURN
    gram = pool.swap_exact_in(w.users[0], False, plan.xaut_in).amount_out
    assert burn_amount(gram) - plan.xaut_in == plan.profit_xaut


@settings(max_examples=max(INVARIANT_EXAMPLES // 20, 25))
@given(
    gram=st.integers(10**3, 10**5),
    discount=st.floats(-0.2, 0.2),
    fee=st.sampled_from([0, 3_000, 10_000]),
    cap=st.integers(1, 5_000),
)
def test_the_search_finds_the_best_size(gram, discount, fee, cap) -> None:
    _, pool, wrapper = setup(gram, discount, fee)
    for legs in (
        (mint_leg(wrapper), pool_leg(pool, True)),
        (pool_leg(pool, False), burn_leg(wrapper)),
    ):
        size, profit = best_size(legs, cap)
        exhaustive = max([0, *(loop_profit(legs, x) for x in range(1, cap + 1))])
        assert profit == exhaustive
        assert profit == (loop_profit(legs, size) if size else 0)


# ------------------------------------------------------------------ cross-venue loops


def test_book_leg_walks_the_levels_whole_units_and_fees() -> None:
    asks = [(100, 5), (101, 10)]
    assert book_leg(asks, buy=True)(1_000) == 9  # 5 at 100, then 4 at 101 (404 of 500 left)
    assert book_leg(asks, buy=True, fee_pips=10_000)(1_000) == 9  # 505, then 4 x 102.01
    assert book_leg(asks, buy=True)(10_000) == 0  # more cash than the book can take
    bids = [(99, 5), (98, 10)]
    assert book_leg(bids, buy=False)(8) == 5 * 99 + 3 * 98
    assert book_leg(bids, buy=False, fee_pips=10_000)(8) == (5 * 99 + 3 * 98) * 99 // 100
    assert book_leg(bids, buy=False)(16) == 0


def test_cross_venue_loop_buys_on_the_cheap_book_and_sells_in_the_pool() -> None:
    w = make_world(1, xaut=10**9, usd=10**12)
    # A XAUT/USD pool at $3,100 an ounce: 3,100 micro-dollars per XAUT base unit.
    pool = ConstantProductPool(w.xaut, w.usd, w.contract, fee_pips=3_000)
    pool.add_liquidity(w.users[0], 10**8, 3_100 * 10**8)
    book = OrderBook()
    for k in range(10):  # asks 2% under the pool, $1/oz apart, 50,000 units each
        book.limit(1, SELL, 3_038 + k, 50_000)
    asks = book.levels(SELL, 10)
    to_pool = pool_leg(pool, zero_for_one=True)  # XAUT in, USD out
    loops = {
        "book_to_pool": ((book_leg(asks, buy=True), to_pool), 0),
        "pool_to_book": (
            (pool_leg(pool, zero_for_one=False), book_leg(book.levels(BUY, 10), buy=False)),
            0,
        ),
    }
    found = best_loop(loops, 10**10, 1, 1)
    assert found is not None
    name, size, profit, net = found
    assert name == "book_to_pool"
    assert profit > 0
    assert net == profit
    # Against every size on a grid, nothing does better (the profit is concave here).
    legs = loops["book_to_pool"][0]
    assert all(loop_profit(legs, x) <= profit for x in range(10_000, 10**10, 10**7))
    # Executing the pool leg pays what the plan predicted.
    xaut = book_leg(asks, buy=True)(size)
    assert pool.swap_exact_in(w.users[0], True, xaut).amount_out - size == profit


def test_a_plan_reports_its_loops_gas_and_its_profit_after_gas_exactly() -> None:
    w, pool, wrapper = setup(10**9, 0.02)
    chain = w.chain()
    plan = wrap_arbitrage(pool, wrapper, 10**7, XAUT_USD, chain=chain)
    assert plan is not None
    gas = chain.gas_cost("v2_swap") + chain.gas_cost("unwrap")
    assert (plan.route, plan.gas) == (Route.BUY_AND_BURN, gas)
    assert plan.profit_usd == plan.profit_xaut * XAUT_USD // 10**6 - gas
    free = wrap_arbitrage(pool, wrapper, 10**7, XAUT_USD)
    assert free is not None
    assert (free.xaut_in, free.gas) == (plan.xaut_in, 0)
    assert free.profit_usd == free.profit_xaut * XAUT_USD // 10**6
    # The same reserves with XAUT as token0: the same trade, bought the other way round.
    acct = w.xaut_ledger.open_account("flipped")
    w.gram_ledger.open_account("flipped")
    flipped = ConstantProductPool(w.xaut, w.gram, acct)
    w.gram_ledger.genesis(w.treasury, 1, pool.reserves[0])
    w.xaut_ledger.genesis(w.treasury, 1, pool.reserves[1])
    flipped.add_liquidity(w.treasury, pool.reserves[1], pool.reserves[0])
    again = wrap_arbitrage(flipped, wrapper, 10**7, XAUT_USD)
    assert again == free
    # A premium is minted and sold: a swap and a wrap.
    _, dear, wrapper2 = setup(10**9, -0.02)
    mint = wrap_arbitrage(dear, wrapper2, 10**7, XAUT_USD, chain=chain)
    assert mint is not None
    assert (mint.route, mint.gas) == (Route.MINT_AND_SELL, 6_600_000 + 4_800_000)


def test_a_concentrated_plan_pays_a_v3_swap() -> None:
    w = make_world(1, xaut=10**12, gram=10**12)
    pool = ConcentratedPool(w.gram, w.xaut, w.contract, sqrt_price_of(PARITY * 0.98), fee_pips=500)
    pool.add_liquidity(w.users[0], -460_000, 460_000, 10**9)
    acct = w.xaut_ledger.open_account("wrapper")
    w.gram_ledger.open_account("wrapper")
    wrapper = GramWrapper(w.xaut, w.gram, acct, w.treasury)
    wrapper.mint(w.users[0], 10**10)
    chain = w.chain(gwei=1)
    plan = wrap_arbitrage(pool, wrapper, 10**7, XAUT_USD, chain=chain)
    assert plan is not None
    assert plan.gas == chain.gas_cost("v3_swap") + chain.gas_cost("unwrap") == 600_000


def test_the_best_loop_is_the_first_with_the_largest_gain_after_gas() -> None:
    def gain(k: int) -> object:
        return lambda x: x + k

    # Profit 3 base units at a size of one unit, worth 3 * 7 // 2 = 10 micro-dollars.
    one = {"one": ([gain(3)], 0)}
    assert best_loop(one, 1, 7, 2) == ("one", 1, 3, 10)
    assert best_loop({"one": ([gain(3)], 9)}, 1, 7, 2) == ("one", 1, 3, 1)
    assert best_loop({"one": ([gain(3)], 10)}, 1, 7, 2) is None  # gas eats it all
    tie = {"a": ([gain(3)], 4), "b": ([gain(3)], 4), "c": ([gain(2)], 2)}
    assert best_loop(tie, 1, 7, 2) == ("a", 1, 3, 6)
    assert best_loop({"none": ([gain(-1)], 0)}, 5, 7, 2) is None


def test_legs_quote_a_single_unit_and_refuse_a_negative_one() -> None:
    w = make_world(1, xaut=10**12, gram=10**12)
    pool = ConstantProductPool(w.gram, w.xaut, w.contract)
    pool.add_liquidity(w.users[0], 10**6, 10**9)  # a milligram of GRAM is ~1,000 XAUT units
    assert pool_leg(pool, True)(1) == pool.quote_exact_in(True, 1) > 0
    # At GRAM's 18 decimals one XAUT unit mints GRAM; at 0 decimals one gram burns into XAUT.
    fine = GramWrapper(w.xaut, Token("G18", w.gram_ledger, 1, 18), w.contract, w.treasury)
    assert mint_leg(fine)(1) == fine.quote_mint(1)[2] > 0
    assert mint_leg(fine)(-(10**6)) == 0
    coarse = GramWrapper(w.xaut, Token("G0", w.gram_ledger, 1, 0), w.contract, w.treasury)
    assert burn_leg(coarse)(1) == coarse.quote_burn(1) == 32_150
    assert burn_leg(coarse)(-1) == 0


def test_a_loop_goes_on_through_a_leg_that_pays_one_unit() -> None:
    assert loop_profit([lambda x: 1, lambda x: 50], 10) == 40
    assert loop_profit([lambda x: 0, lambda x: 50], 10) == -10


def test_the_search_considers_every_size_from_one_to_the_capital() -> None:
    def only_one(x: int) -> int:
        return x + 3 if x == 1 else 0

    assert best_size([only_one], 1) == (1, 3)
    assert best_size([only_one], 5) == (1, 3)
    assert best_size([lambda x: x + 3 if x == 5 else 0], 5) == (5, 3)
    assert best_size([only_one], 0) == (0, 0)


def test_the_search_takes_the_smallest_best_size_and_never_more_than_the_capital() -> None:
    assert best_size([lambda x: x + 3], 5) == (1, 3)  # every size gains 3: the least capital
    assert best_size([lambda x: 2 * x], 5) == (5, 5)  # more is better, up to the capital
    assert best_size([lambda x: 2 * x], 2_000) == (2_000, 2_000)


def test_a_capital_of_six_windows_or_less_is_searched_unit_by_unit() -> None:
    # Profits that are not concave: a spike at one unit and a smaller one far above it. Up to
    # six windows above 1 (961 units) every size is tried, so the spike is found.
    def spikes(x: int) -> int:
        return x + 100 if x == 1 else x + 5 if x == 700 else x

    assert best_size([spikes], 961) == (1, 100)
