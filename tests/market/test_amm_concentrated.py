"""The concentrated-liquidity pool (Uniswap v3) and its tick math: exact tick prices, swaps equal
the whitepaper's closed forms to the unit, fees go to the providers in range in proportion to
their liquidity, the pool can always pay every position, balances are conserved in the ledgers,
round trips lose and no sequence of swaps and liquidity moves by one trader leaves it better off
in both tokens (hypothesis, the market invariants' budget)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.amm.concentrated import FEE_TIERS, ConcentratedPool
from gramabm.market.amm.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q96,
    sqrt_price_of,
    sqrt_ratio_at_tick,
    tick_at_sqrt_ratio,
)
from gramabm.market.chain import AmmError
from gramabm.market.ledger import InsufficientBalanceError
from tests.conftest import INVARIANT_EXAMPLES
from tests.market.amm_world import World, make_world

TIERS = st.sampled_from(sorted(FEE_TIERS))


def floor(q: Fraction) -> int:
    return q.numerator // q.denominator


def ceil(q: Fraction) -> int:
    return -floor(-q)


# ------------------------------------------------------------------------------ tick math


def exact_sqrt_ratio(tick: int) -> int:
    """floor(sqrt(1.0001**tick) * 2**96) from integers alone."""
    p = Fraction(10_001, 10_000) ** tick * 2**192
    return math.isqrt(floor(p))


@settings(max_examples=max(INVARIANT_EXAMPLES // 10, 50))
@given(tick=st.integers(-30_000, 30_000))
def test_tick_prices_are_exact_and_invert(tick: int) -> None:
    s = sqrt_ratio_at_tick(tick)
    assert s == exact_sqrt_ratio(tick)
    assert tick_at_sqrt_ratio(s) == tick
    assert tick_at_sqrt_ratio(sqrt_ratio_at_tick(tick + 1) - 1) == tick
    assert sqrt_ratio_at_tick(tick + 1) > s


def test_tick_range_ends() -> None:
    assert sqrt_ratio_at_tick(0) == Q96
    assert MIN_SQRT_RATIO == exact_sqrt_ratio(MIN_TICK) == 4_295_128_738
    assert tick_at_sqrt_ratio(MAX_SQRT_RATIO) == MAX_TICK
    with pytest.raises(AmmError, match="outside"):
        sqrt_ratio_at_tick(MAX_TICK + 1)
    with pytest.raises(AmmError, match="outside"):
        tick_at_sqrt_ratio(MIN_SQRT_RATIO - 1)


# ---------------------------------------------------------------------------------- pools


def make_pool(fee: int, price: float, n_users: int = 2) -> tuple[World, ConcentratedPool]:
    """A GRAM/XAUT pool at ``price`` XAUT base units per GRAM base unit (users rich in both)."""
    w = make_world(n_users, xaut=10**15, gram=10**15)
    w.xaut_ledger.genesis(w.treasury, 1, 10**15)
    w.gram_ledger.genesis(w.treasury, 1, 10**15)
    pool = ConcentratedPool(w.gram, w.xaut, w.contract, sqrt_price_of(price), fee_pips=fee)
    return w, pool


def full_range(pool: ConcentratedPool) -> tuple[int, int]:
    s = pool.spacing
    return -(MAX_TICK // s) * s, (MAX_TICK // s) * s


@settings(max_examples=INVARIANT_EXAMPLES)
@given(
    fee=TIERS,
    price=st.floats(0.01, 100.0),
    liquidity=st.integers(10**6, 10**13),
    share=st.floats(1e-6, 0.5),
    zero_for_one=st.booleans(),
    exact_in=st.booleans(),
)
def test_one_range_swaps_equal_the_closed_form(
    fee, price, liquidity, share, zero_for_one, exact_in
):
    w, pool = make_pool(fee, price)
    sp = pool.sqrt_price
    lower, upper = full_range(pool)
    a0, a1 = pool.add_liquidity(w.treasury, lower, upper, liquidity)
    L, Q = liquidity, Q96
    g = Fraction(10**6 - fee, 10**6)
    if exact_in:
        amount = max(1, int((a0 if zero_for_one else a1) * share))
        net = floor(amount * g)  # the protocol takes the fee off the input first
        # Whitepaper 6.15/6.13: token0 in moves 1/sqrtP by net/L; token1 in moves sqrtP by net/L.
        if zero_for_one:
            true_sp = Fraction(L * Q * sp, L * Q + net * sp)
            want_sp = ceil(true_sp)
            true_out = L * (sp - true_sp) / Q
        else:
            true_sp = sp + Fraction(net * Q, L)
            want_sp = floor(true_sp)
            true_out = L * Q * (true_sp - sp) / (sp * true_sp)
        try:
            r = pool.swap_exact_in(w.users[0], zero_for_one, amount)
        except AmmError:
            assume(False)
        assert r.amount_in == amount
        assert pool.sqrt_price == want_sp
        # Paid out at the protocol's price: the closed form, rounded down, to the unit.
        assert r.amount_out <= true_out
        assert r.amount_out >= floor(true_out) - 1
    else:
        amount = max(1, int((a1 if zero_for_one else a0) * share))
        if zero_for_one:  # token1 out lowers sqrtP by amount/L
            true_sp = sp - Fraction(amount * Q, L)
            want_sp = floor(true_sp)
            true_in = L * Q * (sp - true_sp) / (sp * true_sp)
        else:  # token0 out raises 1/sqrtP... lowers it by amount/L
            true_sp = Fraction(L * Q * sp, L * Q - amount * sp)
            want_sp = ceil(true_sp)
            true_in = L * (true_sp - sp) / Q
        r = pool.swap_exact_out(w.users[0], zero_for_one, amount)
        assert r.amount_out == amount
        assert pool.sqrt_price == want_sp
        # Charged: the closed form grossed up by the fee, rounded up, to the unit.
        want_in = true_in / g
        assert want_in <= r.amount_in <= ceil(want_in) + 1
    pool.check()
    w.check()


def test_positions_outside_the_price_take_one_token_and_earn_nothing() -> None:
    w, pool = make_pool(3_000, 1.0)
    assert pool.tick == 0
    below = pool.add_liquidity(w.users[0], -1200, -600, 10**9)
    above = pool.add_liquidity(w.users[0], 600, 1200, 10**9)
    assert below[0] == 0
    assert below[1] > 0
    assert above[1] == 0
    assert above[0] > 0
    assert pool.liquidity == 0
    pool.add_liquidity(w.treasury, -60, 60, 10**12)
    pool.swap_exact_in(w.users[1], True, 10**6)
    pool.swap_exact_in(w.users[1], False, 10**6)
    out = pool.remove_liquidity(w.users[0], 600, 1200, 10**9)
    assert out[0] == above[0] - 1 or out[0] == above[0]  # principal back, no fee
    assert out[1] == 0
    pool.check()


def test_fees_go_to_providers_in_range_in_proportion() -> None:
    w, pool = make_pool(3_000, 1.0, n_users=3)
    lp1, lp2, trader = w.users
    pool.add_liquidity(lp1, -600, 600, 10**10)
    pool.add_liquidity(lp2, -600, 600, 3 * 10**10)
    for _ in range(20):
        pool.swap_exact_in(trader, True, 10**7)
        pool.swap_exact_in(trader, False, 10**7)
    f0, f1 = pool.fees_earned
    assert f0 > 0
    assert f1 > 0
    p1 = pool.remove_liquidity(lp1, -600, 600, 0)  # collect fees only
    p2 = pool.remove_liquidity(lp2, -600, 600, 0)
    for i, total in enumerate((f0, f1)):
        assert abs(3 * p1[i] - p2[i]) <= 3
        assert total - 40 <= p1[i] + p2[i] <= total  # dust of rounding stays in the pool
    pool.check()
    w.check()


def test_refusals() -> None:
    w, pool = make_pool(500, 1.0)
    with pytest.raises(ConfigError, match="fee tier"):
        ConcentratedPool(w.gram, w.xaut, w.contract, Q96, fee_pips=2_500)
    with pytest.raises(AmmError, match="tick spacing"):
        pool.add_liquidity(w.users[0], -15, 15, 10**6)
    with pytest.raises(AmmError, match="empty"):
        pool.add_liquidity(w.users[0], 10, 10, 10**6)
    with pytest.raises(AmmError, match="absorbs only"):
        pool.swap_exact_in(w.users[0], True, 10**6)  # no liquidity at all
    pool.add_liquidity(w.users[0], -100, 100, 10**9)
    with pytest.raises(AmmError, match="pays only"):
        pool.swap_exact_out(w.users[0], True, 10**9)
    with pytest.raises(AmmError, match="wrong side"):
        pool.swap_exact_in(w.users[0], True, 10, sqrt_price_limit=pool.sqrt_price + 1)
    with pytest.raises(AmmError, match="cannot remove"):
        pool.remove_liquidity(w.users[1], -100, 100, 1)
    # A price limit stops the swap there and takes only the input it used.
    limit = sqrt_ratio_at_tick(-50)
    r = pool.swap_exact_in(w.users[0], True, 10**9, sqrt_price_limit=limit)
    assert pool.sqrt_price == limit
    assert r.amount_in < 10**9
    pool.check()


def test_batch_equals_one_call_per_holder() -> None:
    n = 200
    results = []
    for batch in (False, True):
        w = make_world(n, xaut=10**6, gram=10**6, usd=10**7)
        w.xaut_ledger.genesis(w.treasury, 1, 10**13)
        w.gram_ledger.genesis(w.treasury, 1, 10**13)
        w.xaut_ledger.genesis(w.treasury, 0, 10**8)
        pool = ConcentratedPool(
            w.gram, w.xaut, w.contract, Q96, fee_pips=500, chain=w.chain(5, 3_000)
        )
        for k in range(5):
            pool.add_liquidity(w.treasury, -100 * (k + 1), 100 * (k + 1), 10**10)
        r = np.random.default_rng(11)
        accounts = r.integers(0, n, 2 * n)
        dirs = r.random(2 * n) < 0.5
        amounts = r.integers(1, 10**6, 2 * n)
        if batch:
            out = pool.swap_batch(accounts, dirs, amounts).tolist()
        else:
            out = []
            for a, d, q in zip(accounts.tolist(), dirs.tolist(), amounts.tolist(), strict=True):
                try:
                    out.append(pool.swap_exact_in(a, d, q).amount_out)
                except (InsufficientBalanceError, AmmError):
                    out.append(0)
        results.append((out, pool.sqrt_price, list(pool.balances), w.usd.balance(w.sink)))
        pool.check()
        w.check()
    assert results[0] == results[1]
    assert 0 in results[0][0]


# ------------------------------------------------------------------- random sequences

OPS = st.lists(
    st.tuples(
        st.sampled_from(["in", "out", "add", "remove"]),
        st.integers(0, 2),  # who
        st.booleans(),  # direction
        st.integers(1, 10**10),  # amount or liquidity
        st.integers(-4, 4),  # range: lower bound in spacing units from the start
        st.integers(1, 4),  # range width in spacings
    ),
    min_size=1,
    max_size=20,
)


def _apply(pool: ConcentratedPool, who: int, op: tuple) -> None:
    kind, _, d, amount, lo, width = op
    s = pool.spacing
    lower, upper = lo * s, (lo + width) * s
    try:
        if kind == "in":
            pool.swap_exact_in(who, d, amount)
        elif kind == "out":
            pool.swap_exact_out(who, d, amount)
        elif kind == "add":
            pool.add_liquidity(who, lower, upper, amount * 1000)
        else:
            mine = [k for k in pool.positions if k[0] == who]
            if mine:
                key = mine[amount % len(mine)]
                held = pool.positions[key].liquidity
                pool.remove_liquidity(who, key[1], key[2], amount % (held + 1))
    except (AmmError, InsufficientBalanceError):
        pass


def seeded(fee: int, n_users: int) -> tuple[World, ConcentratedPool]:
    w, pool = make_pool(fee, 1.0, n_users)
    s = pool.spacing
    pool.add_liquidity(w.treasury, -3 * s, 3 * s, 10**12)
    pool.add_liquidity(w.treasury, -s, 2 * s, 10**12)
    return w, pool


def totals(w: World) -> tuple[int, int]:
    accounts = [*w.users, w.treasury, w.contract]
    return sum(map(w.gram.balance, accounts)), sum(map(w.xaut.balance, accounts))


@settings(max_examples=INVARIANT_EXAMPLES)
@given(fee=TIERS, ops=OPS)
def test_invariants_over_random_sequences(fee, ops) -> None:
    w, pool = seeded(fee, 3)
    start = totals(w)
    for op in ops:
        sp = pool.sqrt_price
        before = pool.balances[:]
        _apply(pool, w.users[op[1]], op)
        if op[0] in ("in", "out") and pool.balances != before:
            d = op[2]
            i, o = (0, 1) if d else (1, 0)
            assert pool.balances[i] > before[i]
            assert pool.balances[o] <= before[o]
            assert (pool.sqrt_price <= sp) if d else (pool.sqrt_price >= sp)
        pool.check()  # books, active liquidity, and every position payable in full
        assert totals(w) == start  # every token conserved, op by op
    w.check()  # both ledgers: conservation of every asset, nothing negative


@settings(max_examples=INVARIANT_EXAMPLES)
@given(fee=TIERS, ops=OPS)
def test_no_sequence_by_one_trader_creates_value(fee, ops) -> None:
    w, pool = seeded(fee, 1)
    me = w.users[0]
    start = (w.gram.balance(me), w.xaut.balance(me))
    for op in ops:
        _apply(pool, me, op)
    for key in [k for k in pool.positions if k[0] == me]:
        pool.remove_liquidity(me, key[1], key[2], pool.positions[key].liquidity)
    end = (w.gram.balance(me), w.xaut.balance(me))
    assert not (end[0] >= start[0] and end[1] >= start[1]) or end == start
    pool.check()


@settings(max_examples=INVARIANT_EXAMPLES)
@given(fee=TIERS, a=st.integers(1, 10**10), d=st.booleans())
def test_a_round_trip_loses(fee, a, d) -> None:
    w, pool = seeded(fee, 1)
    me = w.users[0]
    try:
        out = pool.swap_exact_in(me, d, a).amount_out
        back = pool.swap_exact_in(me, not d, out).amount_out
    except AmmError:
        return
    assert back < a
