"""What each pool read must return, stated exactly: the mid price of both pools, the price impact
of a trade (the quote's average price against the mid, either direction), the most liquidity a
pair of amounts can pay for, and quotes that are exactly what the swap then does."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.market.amm.concentrated import FEE_TIERS, ConcentratedPool
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.amm.depth import price_impact
from gramabm.market.amm.tick_math import MAX_TICK, MIN_TICK, Q96, sqrt_price_of, sqrt_ratio_at_tick
from gramabm.market.chain import AmmError
from gramabm.market.ledger import Asset, InsufficientBalanceError
from tests.market.amm_world import World, make_world

TIERS = st.sampled_from(sorted(FEE_TIERS))


def cp_pool(x: int, y: int, fee: int = 3_000) -> tuple[World, ConstantProductPool]:
    """A GRAM (3 decimals) / XAUT (6 decimals) pool with ``x`` GRAM and ``y`` XAUT base units."""
    w = make_world(2, xaut=10**15, gram=10**15)
    pool = ConstantProductPool(w.gram, w.xaut, w.contract, fee_pips=fee)
    pool.add_liquidity(w.users[0], x, y)
    return w, pool


def v3_pool(sqrt_price: int, fee: int = 3_000) -> tuple[World, ConcentratedPool]:
    w = make_world(2, xaut=10**15, gram=10**15)
    return w, ConcentratedPool(w.gram, w.xaut, w.contract, sqrt_price, fee_pips=fee)


# ---------------------------------------------------------------------------------- prices


def test_the_mid_price_is_whole_token1_per_whole_token0() -> None:
    _, pool = cp_pool(4 * 10**6, 3 * 10**9)  # 4,000 GRAM against 3,000 XAUT
    assert pool.price() == pytest.approx(0.75, rel=1e-15)
    empty = ConstantProductPool(pool.tokens[0], pool.tokens[1], 99)
    assert math.isnan(empty.price())
    for tick in (-6_000, 0, 4_321):
        _, v3 = v3_pool(sqrt_ratio_at_tick(tick))
        # 1.0001**tick XAUT base units per GRAM base unit; a GRAM is 1,000 of them, a XAUT 10**6.
        assert v3.price() == pytest.approx(1.0001**tick * 10**3 / 10**6, rel=1e-12)


@given(
    x=st.integers(10**4, 10**12),
    y=st.integers(10**4, 10**12),
    share=st.floats(1e-6, 2.0),
    zero_for_one=st.booleans(),
)
def test_price_impact_is_one_less_the_quotes_price_over_the_mid(x, y, share, zero_for_one) -> None:
    _, pool = cp_pool(x, y)
    amount = max(1, int((x if zero_for_one else y) * share))
    out = pool.quote_exact_in(zero_for_one, amount)
    mid = y / x if zero_for_one else x / y  # output base units per input base unit
    assert price_impact(pool, zero_for_one, amount) == pytest.approx(
        1 - out / amount / mid, rel=1e-12, abs=1e-15
    )


def test_price_impact_of_a_concentrated_pool_and_its_refusals() -> None:
    w, pool = v3_pool(sqrt_price_of(2.0), fee=500)
    with pytest.raises(AmmError, match="empty pool"):
        price_impact(ConstantProductPool(w.gram, w.xaut, 99), True, 10)
    pool.add_liquidity(w.users[0], -60_000, 60_000, 10**12)
    for zero_for_one in (True, False):
        q = pool.quote_exact_in(zero_for_one, 10**6)
        mid = 2.0 if zero_for_one else 0.5
        mid = (pool.sqrt_price / 2**96) ** 2 if zero_for_one else (2**96 / pool.sqrt_price) ** 2
        assert price_impact(pool, zero_for_one, 10**6) == pytest.approx(
            1 - q.amount_out / q.amount_in / mid, rel=1e-12
        )
    assert price_impact(pool, True, 10**15) == 1.0  # beyond the range: cannot fill in full
    # A bad amount is refused, not reported as an impact of 1 (an unfillable trade).
    for bad in (0, -5):
        with pytest.raises(AmmError, match="must be > 0"):
            price_impact(pool, True, bad)


# ------------------------------------------------------------------- liquidity for amounts


def ranges(spacing: int) -> st.SearchStrategy[tuple[int, int]]:
    top = 20_000 // spacing
    return st.tuples(st.integers(-top, top), st.integers(1, top)).map(
        lambda t: (t[0] * spacing, (t[0] + t[1]) * spacing)
    )


@given(
    data=st.data(),
    fee=TIERS,
    tick=st.integers(-25_000, 25_000),
    at_tick=st.booleans(),
    amount0=st.integers(0, 10**12),
    amount1=st.integers(0, 10**12),
)
def test_liquidity_for_amounts_is_the_most_the_amounts_pay_for(
    data, fee, tick, at_tick, amount0, amount1
) -> None:
    spacing = FEE_TIERS[fee]
    lower, upper = data.draw(ranges(spacing))
    if at_tick:  # the price exactly on the range's lower tick, where it needs token0 only
        tick = lower
    sp = sqrt_ratio_at_tick(tick) + (0 if at_tick else data.draw(st.integers(0, 10**12)))
    _, pool = v3_pool(sp, fee)
    liq = pool.liquidity_for_amounts(lower, upper, amount0, amount1)
    assert liq >= 0
    need0, need1 = pool.amounts_for_liquidity(lower, upper, liq, True)
    assert need0 <= amount0
    assert need1 <= amount1
    more0, more1 = pool.amounts_for_liquidity(lower, upper, liq + 1, True)
    assert more0 > amount0 or more1 > amount1


def test_liquidity_for_amounts_on_known_ranges() -> None:
    w, pool = v3_pool(sqrt_ratio_at_tick(0))
    assert pool.liquidity_for_amounts(-600, 600, 0, 0) == 0
    assert pool.liquidity_for_amounts(-600, 600, 10**9, 0) == 0  # in range: both tokens needed
    liq = pool.liquidity_for_amounts(-600, 600, 10**9, 10**9)
    a0, a1 = pool.add_liquidity(w.users[0], -600, 600, liq)
    assert max(a0, a1) == 10**9  # symmetric at tick 0: each side needs the same
    assert pool.liquidity_for_amounts(600, 1200, 10**9, 0) > 0  # above: token0 only
    assert pool.liquidity_for_amounts(600, 1200, 0, 10**9) == 0
    assert pool.liquidity_for_amounts(-1200, -600, 0, 10**9) > 0  # below: token1 only
    assert pool.liquidity_for_amounts(-1200, -600, 10**9, 0) == 0
    for lower, upper in ((60, 60), (30, 90), (MIN_TICK - 60, 0), (0, MAX_TICK + 60)):
        with pytest.raises(AmmError):
            pool.liquidity_for_amounts(lower, upper, 10**9, 10**9)


# ---------------------------------------------------------------------------------- quotes


@given(
    fee=TIERS,
    price=st.floats(0.05, 20.0),
    share=st.floats(1e-6, 1.5),
    zero_for_one=st.booleans(),
    exact_in=st.booleans(),
    limit_ticks=st.one_of(st.none(), st.integers(1, 3_000)),
)
def test_a_quote_is_exactly_what_the_swap_then_does(
    fee, price, share, zero_for_one, exact_in, limit_ticks
) -> None:
    w, pool = v3_pool(sqrt_price_of(price), fee)
    s = pool.spacing
    base = pool.tick // s * s
    pool.add_liquidity(w.users[0], base - 100 * s, base + 100 * s, 10**11)
    pool.add_liquidity(w.users[0], base - 10 * s, base + 20 * s, 10**12)  # ticks to cross
    limit = None
    if limit_ticks is not None:
        step = -limit_ticks if zero_for_one else limit_ticks + 1
        limit = sqrt_ratio_at_tick(pool.tick + step)
    amount = max(1, int(10**9 * share))
    quote = pool.quote_exact_in if exact_in else pool.quote_exact_out
    swap = pool.swap_exact_in if exact_in else pool.swap_exact_out
    before = (pool.sqrt_price, pool.tick, pool.liquidity, list(pool.growth))
    q = quote(zero_for_one, amount, limit)
    assert (pool.sqrt_price, pool.tick, pool.liquidity, list(pool.growth)) == before
    try:
        r = swap(w.users[1], zero_for_one, amount, sqrt_price_limit=limit)
    except AmmError:  # the ranges cannot fill it without a limit
        assert limit is None
        assert (q.amount_in if exact_in else q.amount_out) < amount
        return
    assert (r.amount_in, r.amount_out, r.fee) == (q.amount_in, q.amount_out, q.fee)
    pool.check()
    w.check()


# ------------------------------------------------------------------------- swap batches


def balances(w: World) -> tuple:
    return tuple(
        tuple(led.balances(a).tolist() for a in Asset) for led in (w.xaut_ledger, w.gram_ledger)
    )


@given(
    pair=st.sampled_from(["gram/xaut", "xaut/usd", "usd/xaut"]),
    with_chain=st.booleans(),
    fee=st.sampled_from([0, 3_000, 10_000]),
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.booleans(), st.integers(1, 3 * 10**6)),
        min_size=1,
        max_size=40,
    ),
)
def test_a_constant_product_batch_is_one_swap_per_row(pair, with_chain, fee, rows) -> None:
    # Gas may come out of the input token's own balance (a USD pool) or another one; holders
    # run short of the input, the gas or both, and rows that would pay nothing are skipped.
    results = []
    for batch in (False, True):
        w = make_world(6, xaut=4 * 10**6, gram=4 * 10**6, usd=4 * 10**6)
        tokens = {"gram": w.gram, "xaut": w.xaut, "usd": w.usd}
        t0, t1 = (tokens[s] for s in pair.split("/"))
        chain = w.chain(5, 3_000) if with_chain else None
        pool = ConstantProductPool(t0, t1, w.contract, fee_pips=fee, chain=chain)
        for t in (t0, t1):
            t.ledger.genesis(w.treasury, t.asset, 10**9)
        w.xaut_ledger.genesis(w.treasury, Asset.USD, 10**8)  # the provider's gas money
        pool.add_liquidity(w.treasury, 10**9, 10**8)
        accounts = [r[0] for r in rows]
        dirs = [r[1] for r in rows]
        amounts = [r[2] for r in rows]
        if batch:
            out = pool.swap_batch(np.array(accounts), np.array(dirs), np.array(amounts)).tolist()
        else:
            out = []
            for a, d, q in rows:
                try:
                    out.append(pool.swap_exact_in(a, d, q).amount_out)
                except (InsufficientBalanceError, AmmError):
                    out.append(0)
        gas = chain.gas_paid if chain is not None else 0
        results.append((out, list(pool.reserves), list(pool.fees_earned), gas, balances(w)))
        pool.check()
        w.check()
    assert results[0] == results[1]


@pytest.mark.parametrize("make", ["cp", "v3"])
def test_a_batch_refuses_bad_columns_before_any_row(make: str) -> None:
    w = make_world(2, xaut=10**9, gram=10**9)
    if make == "cp":
        pool = ConstantProductPool(w.gram, w.xaut, w.contract)
        pool.add_liquidity(w.users[0], 10**8, 10**8)
    else:
        pool = ConcentratedPool(w.gram, w.xaut, w.contract, Q96)
        pool.add_liquidity(w.users[0], -600, 600, 10**10)
    before = balances(w)
    with pytest.raises(AmmError, match="columns of one length"):
        pool.swap_batch(np.array([0, 1]), np.array([True]), np.array([5, 5]))
    with pytest.raises(AmmError, match="columns of one length"):
        pool.swap_batch(np.array([0]), np.array([True]), np.array([5, 5]))
    for bad in (0, -1):
        with pytest.raises(AmmError, match="amounts must be > 0"):
            pool.swap_batch(np.array([0, 1]), np.array([True, False]), np.array([5, bad]))
    assert balances(w) == before
    assert pool.swap_batch(np.array([], int), np.array([], bool), np.array([], int)).size == 0
    assert pool.swap_batch(np.array([1]), np.array([True]), np.array([1])).tolist() == [
        pool.quote_exact_in(True, 1) if make == "cp" else 0
    ]
