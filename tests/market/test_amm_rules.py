"""What each pool read must return, stated exactly: the mid price of both pools, the price impact
of a trade (the quote's average price against the mid, either direction), the most liquidity a
pair of amounts can pay for, and quotes that are exactly what the swap then does."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.amm import tick_math
from gramabm.market.amm.concentrated import FEE_TIERS, ConcentratedPool
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.amm.depth import price_impact
from gramabm.market.amm.tick_math import (
    MAX_TICK,
    MIN_TICK,
    Q96,
    sqrt_price_of,
    sqrt_ratio_at_tick,
    tick_at_sqrt_ratio,
)
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
    def world() -> Any:
        return make_world(6, xaut=4 * 10**6, gram=4 * 10**6, usd=4 * 10**6)

    batch_against_loop(world, pair, with_chain, rows, fee=fee)


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
    with pytest.raises(AmmError, match=r"^swap_batch needs columns of one length$"):
        pool.swap_batch(np.array([0, 1]), np.array([True]), np.array([5, 5]))
    with pytest.raises(AmmError, match=r"^swap_batch needs columns of one length$"):
        pool.swap_batch(np.array([0]), np.array([True]), np.array([5, 5]))
    for bad in (0, -1):
        with pytest.raises(AmmError, match=r"^swap_batch amounts must be > 0$"):
            pool.swap_batch(np.array([0, 1]), np.array([True, False]), np.array([5, bad]))
    assert balances(w) == before
    assert pool.swap_batch(np.array([], int), np.array([], bool), np.array([], int)).size == 0
    assert pool.swap_batch(np.array([1]), np.array([True]), np.array([1])).tolist() == [
        pool.quote_exact_in(True, 1) if make == "cp" else 0
    ]


# --------------------------------------------------------------------------- tick math


@pytest.mark.parametrize("tick", [-7, -1, 1, 7, -50_000, 50_000])
def test_the_exact_square_root_ratio_on_both_sides_of_tick_zero(tick: int) -> None:
    want = math.isqrt((Fraction(10_001, 10_000) ** tick * 2**192).__floor__())
    assert tick_math._exact_sqrt_ratio(tick) == want
    assert sqrt_ratio_at_tick(tick) == want


def test_prices_outside_the_tick_range_or_not_finite_are_refused() -> None:
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(AmmError, match="positive and finite"):
            sqrt_price_of(bad)
    for far in (1e-40, 1e40):
        with pytest.raises(AmmError, match="outside the tick range"):
            sqrt_price_of(far)
    assert sqrt_price_of(1.0) == Q96
    assert tick_math.MIN_SQRT_RATIO < sqrt_price_of(1e-38) < sqrt_price_of(1e38)
    assert tick_at_sqrt_ratio(tick_math.MIN_SQRT_RATIO) == MIN_TICK
    with pytest.raises(AmmError, match="outside the tick range"):
        tick_at_sqrt_ratio(tick_math.MAX_SQRT_RATIO + 1)
    with pytest.raises(AmmError, match="outside"):
        sqrt_ratio_at_tick(MIN_TICK - 1)
    # The range ends, exact (test_tick_range_ends derives the lower one from 1.0001**MIN_TICK).
    assert sqrt_ratio_at_tick(MIN_TICK) == tick_math.MIN_SQRT_RATIO == 4_295_128_738
    assert sqrt_ratio_at_tick(MAX_TICK) == tick_math.MAX_SQRT_RATIO
    assert (
        tick_math.MAX_SQRT_RATIO
        == 1_461_446_703_485_210_103_244_672_773_810_124_308_346_321_380_902
    )
    assert tick_at_sqrt_ratio(tick_math.MAX_SQRT_RATIO) == MAX_TICK
    assert tick_at_sqrt_ratio(tick_math.MAX_SQRT_RATIO - 1) == MAX_TICK - 1


@given(
    a=st.integers(2**80, 2**110),
    b=st.integers(2**80, 2**110),
    liquidity=st.integers(0, 10**18),
    up=st.booleans(),
)
def test_amount_deltas_do_not_depend_on_the_order_of_the_prices(a, b, liquidity, up) -> None:
    lo, hi = min(a, b), max(a, b)
    d0 = Fraction(liquidity * 2**96 * (hi - lo), lo * hi)
    d1 = Fraction(liquidity * (hi - lo), 2**96)
    for x, y in ((a, b), (b, a)):
        assert tick_math.amount0_delta(x, y, liquidity, up) == (
            math.ceil(d0) if up else math.floor(d0)
        )
        assert tick_math.amount1_delta(x, y, liquidity, up) == (
            math.ceil(d1) if up else math.floor(d1)
        )


def test_an_output_the_liquidity_cannot_pay_is_refused_at_its_exact_limit() -> None:
    # Token1 out lowers sqrtP by ceil(a * 2**96 / L): at a = L it reaches zero.
    out = tick_math.next_sqrt_price_from_output
    assert out(Q96, 10, 9, True) == Q96 - math.ceil(Fraction(9 * Q96, 10))
    with pytest.raises(AmmError, match="cannot pay 10 of token1"):
        out(Q96, 10, 10, True)
    # Token0 out divides by L*2**96 - a*sqrtP: at a = L (sqrtP = 2**96) it is zero.
    assert out(Q96, 10, 9, False) == 10 * Q96
    with pytest.raises(AmmError, match="cannot pay 10 of token0"):
        out(Q96, 10, 10, False)


@given(
    sp=st.integers(2**90, 2**100),
    move=st.integers(-(2**94), 2**94).filter(bool),
    liquidity=st.integers(1, 10**15),
    remaining=st.integers(1, 10**15),
    fee=st.sampled_from([0, 100, 3_000, 10_000]),
    exact_in=st.booleans(),
)
def test_a_swap_step_never_spends_or_pays_more_than_remains(
    sp, move, liquidity, remaining, fee, exact_in
) -> None:
    target = sp + move
    assume(target > 0)  # a price, however low, is positive
    nxt, a_in, a_out, f = tick_math.swap_step(sp, target, liquidity, remaining, fee, exact_in)
    assert min(sp, target) <= nxt <= max(sp, target)
    assert min(a_in, a_out, f) >= 0
    if exact_in:
        assert a_in + f <= remaining
        if nxt != target:  # stopped short: the whole input is spent, the rest as fee
            assert a_in + f == remaining
        else:
            assert f == -(-a_in * fee // (10**6 - fee))
    else:
        assert a_out <= remaining
        if nxt != target:
            assert a_out == remaining


# ------------------------------------------------------------------ refusals and checks


def test_constant_product_refusals_name_the_limit_and_change_nothing() -> None:
    w, pool = cp_pool(10**6, 10**6)
    u = w.users[1]
    assert ConstantProductPool(w.gram, w.xaut, 99).quote_exact_in(True, 10) == 0  # empty
    before = balances(w)
    with pytest.raises(AmmError, match="cannot pay 1000000"):
        pool.quote_exact_out(True, 10**6)  # the whole reserve
    assert pool.quote_exact_out(True, 10**6 - 1) > 0
    with pytest.raises(AmmError, match=r"holds 0 shares, cannot burn 1"):
        pool.remove_liquidity(u, 1)
    held = pool.shares[w.users[0]]
    with pytest.raises(AmmError, match=rf"holds {held} shares, cannot burn {held + 1}"):
        pool.remove_liquidity(w.users[0], held + 1)
    need = pool.quote_exact_out(True, 1_000)
    with pytest.raises(AmmError, match=rf"needs {need} in, above the limit {need - 1}"):
        pool.swap_exact_out(u, True, 1_000, max_in=need - 1)
    with pytest.raises(AmmError, match=r"pays 0 out \(minimum 1\)"):
        pool.swap_exact_in(u, True, 1)
    out = pool.quote_exact_in(True, 10_000)
    with pytest.raises(AmmError, match=rf"pays {out} out \(minimum {out + 1}\)"):
        pool.swap_exact_in(u, True, 10_000, min_out=out + 1)
    assert balances(w) == before
    assert pool.swap_exact_out(u, True, 1_000, max_in=need).amount_in == need
    assert pool.swap_exact_in(u, True, 10_000, min_out=pool.quote_exact_in(True, 10_000)).amount_out
    a0, a1 = pool.remove_liquidity(w.users[0], held)  # the whole position
    assert w.users[0] not in pool.shares
    assert (a0, a1) != (0, 0)
    pool.check()


def test_constant_product_check_names_what_does_not_hold() -> None:
    w, pool = cp_pool(10**6, 10**6)
    pool.check()
    w.gram_ledger.genesis(w.contract, Asset.TOKEN, 5)  # tokens the books do not know of
    with pytest.raises(AmmError, match=r"^pool holds 1000005 GRAM, reserve says 1000000$"):
        pool.check()
    pool.reserves[0] += 5
    pool.check()
    pool.shares[w.users[1]] = 1
    with pytest.raises(AmmError, match=r"^liquidity shares do not add up to the total$"):
        pool.check()


def test_concentrated_refusals_name_the_limit() -> None:
    w, pool = v3_pool(Q96, fee=500)
    with pytest.raises(ConfigError, match="GRAM twice"):
        ConcentratedPool(w.gram, w.gram, w.contract, Q96)
    for sp in (tick_math.MIN_SQRT_RATIO - 1, tick_math.MAX_SQRT_RATIO):
        with pytest.raises(ConfigError, match=rf"initial sqrt price {sp} outside"):
            ConcentratedPool(w.gram, w.xaut, w.contract, sp)
    ConcentratedPool(w.gram, w.xaut, w.contract, tick_math.MIN_SQRT_RATIO)  # the lowest is fine
    pool.add_liquidity(w.users[0], -100, 100, 10**9)
    q = pool.quote_exact_out(True, 1_000)
    with pytest.raises(AmmError, match=rf"needs {q.amount_in} in, above {q.amount_in - 1}"):
        pool.swap_exact_out(w.users[1], True, 1_000, max_in=q.amount_in - 1)
    assert pool.swap_exact_out(w.users[1], True, 1_000, max_in=q.amount_in).amount_in == q.amount_in
    with pytest.raises(AmmError, match=r"swap pays 0 out \(minimum 1\)"):
        pool.swap_exact_in(w.users[1], True, 1)
    r = pool.quote_exact_in(False, 10**5)
    with pytest.raises(AmmError, match=rf"pays {r.amount_out} out \(minimum {r.amount_out + 1}\)"):
        pool.swap_exact_in(w.users[1], False, 10**5, min_out=r.amount_out + 1)
    pool.check()


def test_concentrated_check_names_what_does_not_hold() -> None:
    w, pool = v3_pool(Q96, fee=500)
    pool.add_liquidity(w.users[0], -100, 100, 10**9)
    pool.check()
    pool.balances[1] += 1
    with pytest.raises(AmmError, match=r"^pool holds \d+ XAUT, books say \d+$"):
        pool.check()
    pool.balances[1] -= 1
    pool.liquidity += 1
    with pytest.raises(
        AmmError, match=rf"^active liquidity {10**9 + 1} != positions in range {10**9}$"
    ):
        pool.check()
    pool.liquidity -= 1
    w.xaut_ledger.transfer(w.contract, w.users[1], Asset.TOKEN, pool.balances[1])  # drain it
    pool.balances[1] = 0
    with pytest.raises(AmmError, match=r"^positions claim \(\d+, \d+\) but the pool holds"):
        pool.check()


@given(
    with_chain=st.booleans(),
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.booleans(), st.integers(1, 3 * 10**6)),
        min_size=1,
        max_size=30,
    ),
)
def test_a_concentrated_batch_is_one_swap_per_row(with_chain, rows) -> None:
    # Holders short of the input or the gas, and rows the ranges cannot fill in full, are
    # skipped with 0; every other row pays what one swap would, in the given order.
    results = []
    for batch in (False, True):
        w = make_world(6, xaut=2 * 10**6, gram=2 * 10**6, usd=3 * 10**6)
        chain = w.chain(5, 3_000) if with_chain else None
        pool = ConcentratedPool(w.gram, w.xaut, w.contract, Q96, fee_pips=500, chain=chain)
        w.xaut_ledger.genesis(w.treasury, Asset.TOKEN, 10**12)
        w.gram_ledger.genesis(w.treasury, Asset.TOKEN, 10**12)
        w.xaut_ledger.genesis(w.treasury, Asset.USD, 10**8)
        pool.add_liquidity(w.treasury, -200, 200, 10**9)
        if batch:
            out = pool.swap_batch(
                np.array([r[0] for r in rows]),
                np.array([r[1] for r in rows]),
                np.array([r[2] for r in rows]),
            ).tolist()
        else:
            out = one_call_per_row(pool, rows)
        gas = chain.gas_paid if chain is not None else 0
        results.append((out, pool.sqrt_price, list(pool.balances), gas, balances(w)))
        pool.check()
        w.check()
    assert results[0] == results[1]


# ------------------------------------------------------------ exact rows, limits and claims


def one_call_per_row(pool: Any, rows) -> list[int]:
    """Each row as its own exact-input swap; a refused row pays 0 (as the batch skips it)."""
    out = []
    for a, d, q in rows:
        try:
            out.append(pool.swap_exact_in(a, d, q).amount_out)
        except (InsufficientBalanceError, AmmError):
            out.append(0)
    return out


def batch_against_loop(
    new_world: Callable[[], Any], pair: str, with_chain: bool, rows, *, fee: int | None = None
) -> list[int]:
    """Run ``rows`` as one batch and one call at a time on two equal worlds; check both agree.

    The pool holds 10**9 of its first token and 10**8 of its second and charges ``fee`` (pips;
    default: the pool's own); returns each row's output.
    """
    results = []
    for batch in (False, True):
        w = new_world()
        tokens = {"gram": w.gram, "xaut": w.xaut, "usd": w.usd}
        t0, t1 = (tokens[s] for s in pair.split("/"))
        chain = w.chain(5, 3_000) if with_chain else None
        fees = {} if fee is None else {"fee_pips": fee}
        pool = ConstantProductPool(t0, t1, w.contract, chain=chain, **fees)
        for t in (t0, t1):
            t.ledger.genesis(w.treasury, t.asset, 10**9)
        w.xaut_ledger.genesis(w.treasury, Asset.USD, 10**8)  # the provider's gas money
        pool.add_liquidity(w.treasury, 10**9, 10**8)
        accounts, dirs, amounts = ([r[k] for r in rows] for k in range(3))
        if batch:
            out = pool.swap_batch(np.array(accounts), np.array(dirs), np.array(amounts)).tolist()
        else:
            out = one_call_per_row(pool, rows)
        gas = chain.gas_paid if chain is not None else 0
        results.append((out, list(pool.reserves), list(pool.fees_earned), gas, balances(w)))
        pool.check()
        w.check()
    assert results[0] == results[1]
    return results[0][0]


def cp_batch_outs(pair: str, with_chain: bool, holdings: list[dict[str, int]], rows) -> list[int]:
    """:func:`batch_against_loop` where holder ``i`` starts with ``holdings[i]`` (per symbol)."""

    def world() -> Any:
        w = make_world(len(holdings))
        tokens = {"gram": w.gram, "xaut": w.xaut, "usd": w.usd}
        for u, held in zip(w.users, holdings, strict=True):
            for symbol, amount in held.items():
                tokens[symbol].ledger.genesis(u, tokens[symbol].asset, amount)
        return w

    return batch_against_loop(world, pair, with_chain, rows)


V2_GAS = 110_000 * 5 * 3_000 // 10**3  # a v2 swap at 5 gwei and $3,000 an ether, micro-dollars


def test_a_usd_pool_batch_takes_input_and_gas_from_one_balance_to_the_unit() -> None:
    a = 10**6
    holdings = [{"usd": a + V2_GAS}, {"usd": a + V2_GAS - 1}, {"usd": 10**9}]
    rows = [
        (2, True, 1),  # pays 0 out: skipped
        (2, True, 11),  # pays exactly 1
        (1, True, a),  # one unit short of the swap and its gas together: skipped
        (0, True, a),  # exactly the swap and its gas
        (2, True, a),
    ]
    out = cp_batch_outs("usd/xaut", True, holdings, rows)
    assert out[:3] == [0, 1, 0]
    assert out[3] > 0
    assert out[4] > 0


def test_a_batch_takes_input_and_gas_from_two_balances_to_the_unit() -> None:
    a = 10**6
    holdings = [
        {"gram": a, "usd": V2_GAS},  # exactly enough of both
        {"gram": a - 1, "usd": 10**9},  # one unit short of the input
        {"gram": 10**9, "usd": V2_GAS - 1},  # one micro-dollar short of the gas
        {"gram": 10**9, "usd": 10**9},
    ]
    rows = [(1, True, a), (3, True, a), (2, True, a), (3, True, a), (0, True, a)]
    out = cp_batch_outs("gram/xaut", True, holdings, rows)
    assert [o > 0 for o in out] == [False, True, False, True, True]


def test_a_batch_without_gas_takes_exactly_the_input() -> None:
    a = 10**6
    holdings = [{"gram": a}, {"gram": a - 1}]
    out = cp_batch_outs("gram/xaut", False, holdings, [(1, True, a), (0, True, a), (1, True, 1)])
    assert out[0] == 0
    assert out[1] > 0
    assert out[2] == 0  # a unit of GRAM buys no whole XAUT unit here


def test_withdrawing_from_a_constant_product_pool_pays_its_gas() -> None:
    w = make_world(2, xaut=10**9, gram=10**9, usd=10**7)
    chain = w.chain(5, 3_000)
    pool = ConstantProductPool(w.gram, w.xaut, w.contract, chain=chain)
    rich, poor = w.users
    pool.add_liquidity(rich, 10**8, 10**8)
    pool.add_liquidity(poor, 10**6, 10**6)
    gas = chain.gas_cost("v2_remove_liquidity")
    assert gas == 130_000 * 5 * 3_000 // 10**3  # $1.95
    w.usd.transfer(poor, w.sink, w.usd.balance(poor) - gas + 1)
    before = balances(w)
    with pytest.raises(InsufficientBalanceError, match=f"needs {gas} USD"):
        pool.remove_liquidity(poor, pool.shares[poor])
    assert balances(w) == before
    usd, sink, paid = w.usd.balance(rich), w.usd.balance(w.sink), chain.gas_paid
    a0, a1 = pool.remove_liquidity(rich, pool.shares[rich] // 2)
    assert (w.usd.balance(rich), w.usd.balance(w.sink)) == (usd - gas, sink + gas)
    assert chain.gas_paid == paid + gas
    assert a0 > 0
    assert a1 > 0
    pool.check()
    w.check()


def test_every_refusal_of_a_non_positive_amount_names_the_amount() -> None:
    w, cp = cp_pool(10**6, 10**6)
    _, v3 = v3_pool(Q96, fee=500)
    u = w.users[0]
    cases = [
        (lambda: cp.quote_exact_out(True, 0), "amount out", 0),
        (lambda: cp.remove_liquidity(u, -1), "shares", -1),
        (lambda: v3.quote_exact_in(True, 0), "amount in", 0),
        (lambda: v3.quote_exact_out(False, -2), "amount out", -2),
        (lambda: v3.swap_exact_in(u, True, 0), "amount in", 0),
        (lambda: v3.swap_exact_out(u, True, 0), "amount out", 0),
    ]
    for call, name, amount in cases:
        with pytest.raises(AmmError, match=rf"^{name} must be > 0, got {amount}$"):
            call()


def test_a_concentrated_swap_pays_its_gas_and_its_fee_is_the_rest_of_the_input() -> None:
    w = make_world(2, xaut=10**9, gram=10**9, usd=10**8)
    chain = w.chain(5, 3_000)
    pool = ConcentratedPool(w.gram, w.xaut, w.contract, Q96, fee_pips=500, chain=chain)
    pool.add_liquidity(w.users[0], -100, 100, 10**9)
    u = w.users[1]
    gas = chain.gas_cost("v3_swap")
    assert gas == 140_000 * 5 * 3_000 // 10**3  # $2.10
    usd, sink = w.usd.balance(u), w.usd.balance(w.sink)
    sp = pool.sqrt_price
    r = pool.swap_exact_in(u, True, 10**4)
    # Inside one range an exact input stops short of the next tick: the fee is what the
    # price move did not use.
    moved = tick_math.amount0_delta(pool.sqrt_price, sp, 10**9, True)
    assert (r.amount_in, r.fee, r.gas) == (10**4, 10**4 - moved, gas)
    assert pool.fees_earned == [r.fee, 0]
    r2 = pool.swap_exact_out(u, False, 10**3)
    assert r2.gas == gas
    assert (w.usd.balance(u), w.usd.balance(w.sink)) == (usd - 2 * gas, sink + 2 * gas)
    pool.check()
    w.check()


def test_a_price_limit_must_lie_strictly_between_the_price_and_the_range_end() -> None:
    w, pool = v3_pool(Q96, fee=500)
    pool.add_liquidity(w.users[0], -100, 100, 10**9)
    lo, hi = tick_math.MIN_SQRT_RATIO, tick_math.MAX_SQRT_RATIO
    for zero_for_one, limit in ((True, lo), (True, Q96), (False, Q96), (False, hi)):
        with pytest.raises(AmmError, match=rf"^price limit {limit} is on the wrong side of {Q96}$"):
            pool.quote_exact_in(zero_for_one, 1, limit)
    assert pool.quote_exact_in(True, 10**4, lo + 1).amount_in == 10**4
    assert pool.quote_exact_in(False, 10**4, hi - 1).amount_in == 10**4
    assert pool.quote_exact_in(True, 10**4, Q96 - 1).amount_in < 10**4  # stops one unit down


def test_without_a_limit_a_swap_walks_to_one_unit_inside_the_range_ends() -> None:
    # The only liquidity sits on the lowest (highest) tick; a quote larger than it can absorb
    # takes the price to MIN_SQRT_RATIO + 1 (MAX_SQRT_RATIO - 1) and no further.
    lo, hi = tick_math.MIN_SQRT_RATIO, tick_math.MAX_SQRT_RATIO
    w, pool = v3_pool(lo + 10**5, fee=100)
    pool.add_liquidity(w.users[0], MIN_TICK, MIN_TICK + 1, 1)
    q = pool.quote_exact_in(True, 10**17)
    a = tick_math.amount0_delta(lo + 1, lo + 10**5, 1, True)
    assert (q.amount_in, q.fee) == (a + -(-a * 100 // 999_900), -(-a * 100 // 999_900))
    w, pool = v3_pool(sqrt_ratio_at_tick(MAX_TICK - 1), fee=100)
    pool.add_liquidity(w.users[0], MAX_TICK - 1, MAX_TICK, 2**96)
    q = pool.quote_exact_in(False, 10**50)
    a = tick_math.amount1_delta(pool.sqrt_price, hi - 1, 2**96, True)
    assert (q.amount_in, q.fee) == (a + -(-a * 100 // 999_900), -(-a * 100 // 999_900))
    assert q.amount_out == tick_math.amount0_delta(pool.sqrt_price, hi - 1, 2**96, False)


def test_concentrated_swaps_at_exactly_one_unit_out_and_exactly_the_minimum() -> None:
    w, pool = v3_pool(Q96, fee=500)
    pool.add_liquidity(w.users[0], -100, 100, 10**9)
    u = w.users[1]
    a = next(a for a in range(1, 100) if pool.quote_exact_in(True, a).amount_out == 1)
    assert pool.swap_batch(np.array([u]), np.array([True]), np.array([a])).tolist() == [1]
    assert pool.swap_exact_in(u, True, a).amount_out == 1
    q = pool.quote_exact_in(False, 10**5)
    assert pool.swap_exact_in(u, False, 10**5, min_out=q.amount_out).amount_out == q.amount_out
    pool.check()


def test_an_exact_output_swap_stops_at_its_limit_or_is_refused_if_it_pays_nothing() -> None:
    w, pool = v3_pool(Q96, fee=500)
    pool.add_liquidity(w.users[0], -100, 100, 10**9)
    u = w.users[1]
    limit = sqrt_ratio_at_tick(-20)
    q = pool.quote_exact_out(True, 10**9, limit)
    assert 0 < q.amount_out < 10**9  # the limit comes first
    r = pool.swap_exact_out(u, True, 10**9, sqrt_price_limit=limit)
    assert (r.amount_in, r.amount_out, pool.sqrt_price) == (q.amount_in, q.amount_out, limit)
    # No liquidity between the price and the limit: nothing to pay, refused, nothing moves.
    w, pool = v3_pool(Q96, fee=500)
    pool.add_liquidity(w.users[0], 600, 1200, 10**9)
    before = (pool.sqrt_price, pool.tick, balances(w))
    with pytest.raises(AmmError, match=r"^swap pays nothing out$"):
        pool.swap_exact_out(u, False, 10**3, sqrt_price_limit=sqrt_ratio_at_tick(300))
    assert (pool.sqrt_price, pool.tick, balances(w)) == before


def test_a_tick_is_dropped_exactly_when_no_position_is_bounded_by_it() -> None:
    w, pool = v3_pool(Q96, fee=3_000)
    pool.add_liquidity(w.users[0], -120, 120, 10**6)
    pool.add_liquidity(w.users[1], 0, 120, 1)
    assert pool.initialized == [-120, 0, 120]
    pool.remove_liquidity(w.users[0], -120, 120, 10**6)
    assert pool.initialized == [0, 120]  # 120 still bounds a position of liquidity 1
    assert sorted(pool.ticks) == [0, 120]
    assert pool.ticks[120].gross == 1


def test_every_fee_reaches_the_providers_across_ticks_crossed_both_ways() -> None:
    # Fees are credited per unit of active liquidity and each crossed tick flips its outside
    # growth; after trades that cross the inner range's ticks several times in both
    # directions, withdrawing every position leaves only rounding dust in the pool.
    w, pool = v3_pool(Q96, fee=3_000)
    pool.add_liquidity(w.users[0], -6_000, 6_000, 10**10)
    pool.add_liquidity(w.users[1], -60, 60, 10**10)
    trader = w.users[1]
    for zero_for_one, amount in ((True, 3 * 10**8), (False, 6 * 10**8), (True, 6 * 10**8)):
        pool.swap_exact_in(trader, zero_for_one, amount)
        pool.check()
    pool.swap_exact_in(trader, False, 3 * 10**8)
    assert min(pool.fees_earned) > 10**5
    for (owner, lower, upper), pos in list(pool.positions.items()):
        pool.remove_liquidity(owner, lower, upper, pos.liquidity)
    assert pool.balances[0] <= 20
    assert pool.balances[1] <= 20
    pool.check()
    w.check()


def test_concentrated_check_holds_at_exactly_the_claims_of_every_position() -> None:
    w, pool = v3_pool(Q96, fee=500)
    pool.check()  # nothing deposited, nothing claimed
    pool.add_liquidity(w.users[0], -100, 100, 10**9)
    pool.add_liquidity(w.users[1], -50, 150, 10**9)
    for zero_for_one, amount in ((True, 10**6), (False, 3 * 10**6), (True, 10**6)):
        pool.swap_exact_in(w.users[0], zero_for_one, amount)
    pool.add_liquidity(w.users[0], -100, 100, 10**8)  # moves its fees so far into what it is owed
    topped = pool.positions[(w.users[0], -100, 100)]
    assert min(topped.owed0, topped.owed1) > 0
    for zero_for_one, amount in ((False, 10**6), (True, 10**6)):
        pool.swap_exact_in(w.users[1], zero_for_one, amount)
    # What the pool owes: what every position would be paid if all withdrew now.
    ghost_world, ghost = copy.deepcopy((w, pool))
    claims = [0, 0]
    for (owner, lower, upper), pos in list(ghost.positions.items()):
        paid = ghost.remove_liquidity(owner, lower, upper, pos.liquidity)
        claims = [claims[0] + paid[0], claims[1] + paid[1]]
    ghost_world.check()
    for i, token in enumerate(pool.tokens):
        surplus = pool.balances[i] - claims[i]
        assert surplus >= 0
        token.transfer(w.contract, w.treasury, surplus)  # leave exactly the claims
        pool.balances[i] -= surplus
        pool.check()
        token.transfer(w.contract, w.treasury, 1)
        pool.balances[i] -= 1
        with pytest.raises(AmmError, match=r"^positions claim"):
            pool.check()
        token.transfer(w.treasury, w.contract, 1)
        pool.balances[i] += 1


def test_liquidity_for_amounts_at_the_range_ends_and_at_any_size() -> None:
    big = 10**30
    for sp, amounts in (
        (sqrt_ratio_at_tick(600), (0, big)),  # exactly on the upper tick: token1 only
        (sqrt_ratio_at_tick(-600) + 10**6, (big, big)),  # on the lower tick, above its price
        (sqrt_ratio_at_tick(-600) + 10**6, (big, 10**9)),  # token1 binds
        (sqrt_ratio_at_tick(-900), (big, 0)),  # below the range: token0 only
    ):
        _, pool = v3_pool(sp)
        liq = pool.liquidity_for_amounts(-600, 600, *amounts)
        assert type(liq) is int
        assert liq > 0
        need = pool.amounts_for_liquidity(-600, 600, liq, True)
        assert need[0] <= amounts[0]
        assert need[1] <= amounts[1]
        more = pool.amounts_for_liquidity(-600, 600, liq + 1, True)
        assert more[0] > amounts[0] or more[1] > amounts[1]


def test_an_output_that_leaves_one_unit_of_price_is_still_paid() -> None:
    out = tick_math.next_sqrt_price_from_output
    assert out(Q96, Q96, Q96 - 1, True) == 1  # ceil((2**96 - 1) * 2**96 / 2**96) below 2**96
    with pytest.raises(AmmError, match="cannot pay"):
        out(Q96, Q96, Q96, True)
    # L * 2**96 - a * sqrtP = 2**192 - (2**96 - 1)(2**96 + 1) = 1: one unit of room left.
    assert out(Q96 + 1, Q96, Q96 - 1, False) == 2**192 * (Q96 + 1)
    with pytest.raises(AmmError, match="cannot pay"):
        out(Q96 + 1, Q96, Q96, False)


@given(price=st.floats(1e-30, 1e30))
def test_the_square_root_price_is_the_exact_floor(price: float) -> None:
    sp = sqrt_price_of(price)
    scaled = Fraction(price) * 2**192
    assert sp**2 <= scaled < (sp + 1) ** 2


def test_the_square_root_price_at_exact_roots_and_at_the_lowest_tick() -> None:
    for k in ((2**26 + 1) << 40, (2**26 - 3) << 60, Q96):
        assert sqrt_price_of(k * k / 2**192) == k
    lowest = math.nextafter(float(Fraction(tick_math.MIN_SQRT_RATIO**2, 2**192)), math.inf)
    assert sqrt_price_of(lowest) == tick_math.MIN_SQRT_RATIO
    with pytest.raises(AmmError, match="outside the tick range"):
        sqrt_price_of(math.nextafter(lowest, 0.0) / 2)


def test_liquidity_changes_pay_their_gas_and_name_their_refusals() -> None:
    w = make_world(2, xaut=10**9, gram=10**9, usd=10**8)
    chain = w.chain(5, 3_000)
    v3 = ConcentratedPool(w.gram, w.xaut, w.contract, Q96, fee_pips=500, chain=chain)
    u, other = w.users
    with pytest.raises(AmmError, match=r"^liquidity must be > 0, got 0$"):
        v3.add_liquidity(u, -100, 100, 0)
    with pytest.raises(AmmError, match=r"off the tick spacing 10"):
        v3.add_liquidity(u, 0, 105, 10**6)  # one bound off the grid is enough
    add, remove = chain.gas_cost("v3_add_liquidity"), chain.gas_cost("v3_remove_liquidity")
    assert (add, remove) == (200_000 * 15, 170_000 * 15)  # at 5 gwei and $3,000 an ether
    usd = w.usd.balance(u)
    v3.add_liquidity(u, -100, 100, 10**9)
    assert w.usd.balance(u) == usd - add
    with pytest.raises(AmmError, match=r"^position \(1, -100, 100\) holds 0 liquidity, cannot"):
        v3.remove_liquidity(other, -100, 100, 1)
    with pytest.raises(AmmError, match=rf"holds {10**9} liquidity, cannot remove {10**9 + 1}$"):
        v3.remove_liquidity(u, -100, 100, 10**9 + 1)
    v3.remove_liquidity(u, -100, 100, 10**9 // 2)
    assert w.usd.balance(u) == usd - add - remove
    assert w.usd.balance(w.sink) == add + remove == chain.gas_paid
    v3.check()
    # A constant-product deposit pays its gas too.
    cp = ConstantProductPool(w.gram, w.xaut, w.treasury, chain=chain)
    usd = w.usd.balance(u)
    cp.add_liquidity(u, 10**6, 10**6)
    assert w.usd.balance(u) == usd - chain.gas_cost("v2_add_liquidity")
    assert ConstantProductPool(w.gram, w.xaut, w.treasury).fee_pips == 3_000  # v2's fee


def test_constant_product_deposits_at_the_pools_ratio_to_the_unit() -> None:
    w = make_world(1, xaut=10**9, gram=10**9)
    pool = ConstantProductPool(w.gram, w.xaut, w.contract)
    u = w.users[0]
    for name, args in (("amount0", (0, 5)), ("amount1", (5, -1))):
        with pytest.raises(AmmError, match=rf"^{name} must be > 0, got {min(args)}$"):
            pool.add_liquidity(u, *args)
    ConstantProductPool(w.gram, w.xaut, w.treasury).check()  # an empty pool's books hold
    fees = ConstantProductPool(w.gram, w.xaut, w.treasury)
    assert fees.fees_earned == [0, 0]
    fees.add_liquidity(u, 10**6, 10**6)
    r = fees.swap_exact_in(u, False, 10**3)
    assert fees.fees_earned == [0, r.fee] == [0, 3]  # 0.3% of the input, rounded down
    pool.add_liquidity(u, 3 * 10**6, 2 * 10**6)
    total = math.isqrt(6 * 10**12)
    assert pool.total_shares == total
    # token1 exactly at the ratio: both amounts used as given, a single share.
    assert pool.add_liquidity(u, 2, 1) == (2, 1, 1)
    # token1 binds: token0 cut to the ratio.
    x, y, t = *pool.reserves, pool.total_shares
    assert pool.add_liquidity(u, 10**6, 2) == (2 * x // y, 2, min(2 * x // y * t // x, 2 * t // y))
    before = balances(w)
    with pytest.raises(AmmError, match=r"^deposit of 1 and 1 would mint no shares$"):
        pool.add_liquidity(u, 1, 1)
    assert balances(w) == before
    pool.check()


def test_a_tick_keeps_the_net_liquidity_of_every_position_bounded_by_it() -> None:
    w, pool = v3_pool(Q96, fee=3_000)
    pool.add_liquidity(w.users[0], -120, 120, 10**6)
    pool.add_liquidity(w.users[1], 0, 120, 7)
    assert (pool.ticks[-120].net, pool.ticks[0].net, pool.ticks[120].net) == (
        10**6,
        7,
        -(10**6 + 7),
    )
    assert pool.ticks[120].gross == 10**6 + 7


def test_crossing_down_onto_a_tick_leaves_the_pool_one_tick_below_it() -> None:
    w, pool = v3_pool(Q96, fee=3_000)
    pool.add_liquidity(w.users[0], -600, 600, 10**12)
    pool.add_liquidity(w.users[0], -60, 60, 10**12)
    pool.swap_exact_in(w.users[1], True, 10**12, sqrt_price_limit=sqrt_ratio_at_tick(-60))
    assert (pool.sqrt_price, pool.tick, pool.liquidity) == (sqrt_ratio_at_tick(-60), -61, 10**12)
    pool.swap_exact_in(w.users[1], False, 10**12, sqrt_price_limit=sqrt_ratio_at_tick(60))
    assert (pool.sqrt_price, pool.tick, pool.liquidity) == (sqrt_ratio_at_tick(60), 60, 10**12)
    pool.check()


def test_a_swap_across_ticks_charges_the_fee_on_every_step() -> None:
    w, pool = v3_pool(Q96, fee=3_000)
    pool.add_liquidity(w.users[0], -6_000, 6_000, 10**10)
    pool.add_liquidity(w.users[0], -60, 60, 10**12)
    r = pool.swap_exact_in(w.users[1], True, 5 * 10**9)
    assert pool.tick < -60  # crossed the inner range's lower tick
    # Each full step pays ceil(in * 0.3% / 99.7%) and the last the rest of its input: the
    # total is 0.3% of the input to a unit per step.
    assert abs(r.fee - r.amount_in * 3_000 // 10**6) <= 2
    assert pool.fees_earned == [r.fee, 0]


def test_fees_of_a_position_whose_upper_tick_is_the_current_tick() -> None:
    # The price ends exactly on the inner range's upper tick (the range is then out of range):
    # its fees of both tokens are counted with the growth outside that tick, and withdrawing
    # every position leaves only rounding dust.
    w, pool = v3_pool(Q96, fee=3_000)
    pool.add_liquidity(w.users[0], -600, 600, 10**10)
    pool.add_liquidity(w.users[1], -60, 60, 10**10)
    pool.swap_exact_in(w.users[1], True, 10**7)  # token0 fees, inside the inner range
    pool.swap_exact_in(w.users[1], False, 10**9, sqrt_price_limit=sqrt_ratio_at_tick(60))
    assert pool.tick == 60
    pool.remove_liquidity(w.users[1], -60, 60, 0)  # collect only
    for (owner, lower, upper), pos in list(pool.positions.items()):
        pool.remove_liquidity(owner, lower, upper, pos.liquidity)
    assert min(pool.fees_earned) > 10**4
    assert max(pool.balances) <= 20
    pool.check()
    w.check()


def test_a_swap_step_reaches_its_target_with_exactly_the_amount_it_needs() -> None:
    sp, down, up = Q96, sqrt_ratio_at_tick(-10), sqrt_ratio_at_tick(10)
    for liquidity in (1, 10**6, 10**12):
        need0 = tick_math.amount0_delta(down, sp, liquidity, True)
        got = tick_math.swap_step(sp, down, liquidity, need0, 0, True)
        assert got == (down, need0, tick_math.amount1_delta(down, sp, liquidity, False), 0)
        need1 = tick_math.amount1_delta(sp, up, liquidity, True)
        assert tick_math.swap_step(sp, up, liquidity, need1, 0, True)[:2] == (up, need1)
        out1 = tick_math.amount1_delta(down, sp, liquidity, False)
        if out1:
            assert tick_math.swap_step(sp, down, liquidity, out1, 500, False)[:3] == (
                down,
                need0,
                out1,
            )
        out0 = tick_math.amount0_delta(sp, up, liquidity, False)
        if out0:
            assert tick_math.swap_step(sp, up, liquidity, out0, 500, False)[:3] == (up, need1, out0)
    # With more than 2**96 of liquidity one unit of price is worth more than a unit out: an
    # exact output never pays more than asked.
    assert tick_math.swap_step(Q96, sqrt_ratio_at_tick(-100), 2**100, 1, 500, False)[2] == 1


def test_a_constant_product_quote_names_a_non_positive_amount() -> None:
    _, pool = cp_pool(10**6, 10**6)
    with pytest.raises(AmmError, match=r"^amount in must be > 0, got 0$"):
        pool.quote_exact_in(False, 0)


def test_a_swap_step_one_unit_short_of_its_target_stops_short_and_spends_exactly_the_input() -> (
    None
):
    # The input a step needs to reach its target is rounded up: an input one unit below that
    # (the rounded-down amount) stops short of the target and spends exactly what was given.
    sp, down, up = Q96, sqrt_ratio_at_tick(-10), sqrt_ratio_at_tick(10)
    for liquidity in (10**6, 10**12):
        short0 = tick_math.amount0_delta(down, sp, liquidity, False)
        assert short0 < tick_math.amount0_delta(down, sp, liquidity, True)
        nxt, a_in, _, fee = tick_math.swap_step(sp, down, liquidity, short0, 0, True)
        assert nxt != down
        assert a_in + fee == short0
        short1 = tick_math.amount1_delta(sp, up, liquidity, False)
        assert short1 < tick_math.amount1_delta(sp, up, liquidity, True)
        nxt, a_in, _, fee = tick_math.swap_step(sp, up, liquidity, short1, 0, True)
        assert nxt != up
        assert a_in + fee == short1
