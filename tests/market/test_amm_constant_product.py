"""The constant-product pool (Uniswap v2): swaps equal the whitepaper's closed form to the unit,
the invariant never decreases on a swap, liquidity value per share never decreases, balances are
conserved in the ledgers, round trips lose, and no sequence of swaps and liquidity moves by one
trader leaves it better off in both tokens (hypothesis, the market invariants' budget)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.amm.constant_product import MINIMUM_LIQUIDITY, ConstantProductPool
from gramabm.market.chain import AmmError
from gramabm.market.ledger import InsufficientBalanceError
from tests.conftest import INVARIANT_EXAMPLES
from tests.market.amm_world import World, make_world

FEES = st.sampled_from([0, 500, 3_000, 10_000])


def floor(q: Fraction) -> int:
    return q.numerator // q.denominator


def closed_form_out(a: int, x: int, y: int, fee_pips: int) -> int:
    """Whitepaper: out = a*g*y / (x + a*g), g = 1 - fee, rounded down."""
    g = 1 - Fraction(fee_pips, 10**6)
    return floor(a * g * y / (x + a * g))


def closed_form_in(out: int, x: int, y: int, fee_pips: int) -> int:
    """Whitepaper: in = x*out / ((y - out)*g); v2 charges its floor plus one."""
    g = 1 - Fraction(fee_pips, 10**6)
    return floor(Fraction(x * out) / ((y - out) * g)) + 1


def seeded_pool(
    x: int, y: int, fee_pips: int, *, n_users: int = 2
) -> tuple[World, ConstantProductPool]:
    """A GRAM/XAUT pool seeded with ``x`` GRAM and ``y`` XAUT by the treasury account."""
    w = make_world(n_users, xaut=10**15, gram=10**15)
    w.xaut_ledger.genesis(w.treasury, 1, y)
    w.gram_ledger.genesis(w.treasury, 1, x)
    pool = ConstantProductPool(w.gram, w.xaut, w.contract, fee_pips=fee_pips)
    pool.add_liquidity(w.treasury, x, y)
    return w, pool


RESERVE = st.integers(10**4, 10**15)


@settings(max_examples=INVARIANT_EXAMPLES)
@given(x=RESERVE, y=RESERVE, fee=FEES, a=st.integers(1, 10**15), zero_for_one=st.booleans())
def test_exact_in_matches_the_closed_form(x, y, fee, a, zero_for_one) -> None:
    w, pool = seeded_pool(x, y, fee)
    r_in, r_out = (x, y) if zero_for_one else (y, x)
    expected = closed_form_out(a, r_in, r_out, fee)
    assert pool.quote_exact_in(zero_for_one, a) == expected
    if expected == 0:
        with pytest.raises(AmmError):
            pool.swap_exact_in(w.users[0], zero_for_one, a)
        return
    r = pool.swap_exact_in(w.users[0], zero_for_one, a)
    assert (r.amount_in, r.amount_out) == (a, expected)
    assert r.fee == a * fee // 10**6
    pool.check()
    w.check()


@settings(max_examples=INVARIANT_EXAMPLES)
@given(x=RESERVE, y=RESERVE, fee=FEES, share=st.floats(1e-9, 0.999), zero_for_one=st.booleans())
def test_exact_out_matches_the_closed_form_and_pays_enough(x, y, fee, share, zero_for_one) -> None:
    w, pool = seeded_pool(x, y, fee)
    r_in, r_out = (x, y) if zero_for_one else (y, x)
    out = max(1, int(r_out * share))
    need = closed_form_in(out, r_in, r_out, fee)
    if need > 10**15:
        return  # more than a user holds
    r = pool.swap_exact_out(w.users[0], zero_for_one, out)
    assert (r.amount_in, r.amount_out) == (need, out)
    # The charged input, swapped exactly in, would pay at least the output (the k check).
    assert closed_form_out(need, r_in, r_out, fee) >= out
    pool.check()


def test_known_v2_numbers_and_refusals() -> None:
    w, pool = seeded_pool(10**9, 2 * 10**9, 3_000)
    # 1,000,000 in at 0.3%: 997,000 * 2e9 / (1e9 + 997,000) = 1,992,013.98...
    assert pool.quote_exact_in(True, 10**6) == 1_992_013
    assert pool.total_shares == 1_414_213_562
    assert pool.shares[w.treasury] == 1_414_213_562 - MINIMUM_LIQUIDITY
    with pytest.raises(AmmError, match="cannot pay"):
        pool.quote_exact_out(True, 2 * 10**9)
    with pytest.raises(AmmError, match="minimum"):
        pool.swap_exact_in(w.users[0], True, 10**6, min_out=1_992_014)
    with pytest.raises(AmmError, match="must be > 0"):
        pool.swap_exact_in(w.users[0], True, 0)
    with pytest.raises(AmmError, match="above the limit"):
        pool.swap_exact_out(w.users[0], True, 10**6, max_in=10)
    with pytest.raises(ConfigError, match="fee_pips"):
        ConstantProductPool(w.gram, w.xaut, w.contract, fee_pips=10**6)
    with pytest.raises(ConfigError, match="two different tokens"):
        ConstantProductPool(w.gram, w.gram, w.contract)


def test_gas_is_charged_and_a_trader_short_of_gas_changes_nothing() -> None:
    w = make_world(2, xaut=10**9, gram=10**9, usd=10**9)
    chain = w.chain(gwei=10, eth_usd=2_000)
    pool = ConstantProductPool(w.gram, w.xaut, w.contract, chain=chain)
    pool.add_liquidity(w.users[0], 10**8, 10**8)
    r = pool.swap_exact_in(w.users[0], True, 10**5)
    assert r.gas == 110_000 * 10 * 2_000 // 10**3  # 110,000 gas at 10 gwei, $2,000/ETH: $2.20
    poor = w.users[1]
    w.usd.transfer(poor, w.sink, 10**9)
    before = (w.gram.balance(poor), w.xaut.balance(poor), list(pool.reserves))
    with pytest.raises(InsufficientBalanceError):
        pool.swap_exact_in(poor, True, 10**5)
    assert (w.gram.balance(poor), w.xaut.balance(poor), pool.reserves) == before
    w.check()
    pool.check()


def test_batch_equals_one_call_per_holder() -> None:
    n = 300
    results = []
    for batch in (False, True):
        w = make_world(n, xaut=10**7, gram=10**7, usd=10**8)
        pool = ConstantProductPool(w.gram, w.xaut, w.contract, chain=w.chain(5, 3_000))
        w.xaut_ledger.genesis(w.treasury, 1, 10**10)
        w.gram_ledger.genesis(w.treasury, 1, 10**10)
        w.xaut_ledger.genesis(w.treasury, 0, 10**8)  # the provider's gas money
        pool.add_liquidity(w.treasury, 10**10, 10**10)
        r = np.random.default_rng(7)
        accounts = r.integers(0, n, 2 * n)
        dirs = r.random(2 * n) < 0.5
        amounts = r.integers(1, 3 * 10**6, 2 * n)  # some holders run out of funds
        if batch:
            out = pool.swap_batch(accounts, dirs, amounts)
        else:
            out = []
            for a, d, q in zip(accounts.tolist(), dirs.tolist(), amounts.tolist(), strict=True):
                try:
                    out.append(pool.swap_exact_in(a, d, q).amount_out)
                except (InsufficientBalanceError, AmmError):
                    out.append(0)
        results.append((list(out), list(pool.reserves), w.usd.balance(w.sink)))
        pool.check()
        w.check()
    assert results[0] == results[1]
    assert 0 in results[0][0]  # the refusals were exercised


# ------------------------------------------------------------------- random sequences

OPS = st.lists(
    st.tuples(
        st.sampled_from(["in", "out", "add", "remove"]),
        st.integers(0, 2),  # who
        st.booleans(),  # direction
        st.integers(1, 10**12),
    ),
    min_size=1,
    max_size=25,
)


def _apply(pool: ConstantProductPool, who: int, kind: str, d: bool, amount: int) -> None:
    try:
        if kind == "in":
            pool.swap_exact_in(who, d, amount)
        elif kind == "out":
            pool.swap_exact_out(who, d, amount % max(pool.reserves[1 if d else 0], 1) or 1)
        elif kind == "add":
            pool.add_liquidity(who, amount, amount // 3 + 1 if d else amount * 2)
        else:
            held = pool.shares.get(who, 0)
            if held:
                pool.remove_liquidity(who, amount % held + 1)
    except (AmmError, InsufficientBalanceError):
        pass


@settings(max_examples=INVARIANT_EXAMPLES)
@given(fee=FEES, x=RESERVE, y=RESERVE, ops=OPS)
def test_invariants_over_random_sequences(fee, x, y, ops) -> None:
    w, pool = seeded_pool(x, y, fee, n_users=3)
    for kind, who, d, amount in ops:
        k0 = pool.reserves[0] * pool.reserves[1]
        per_share0 = Fraction(k0, pool.total_shares**2)
        holdings0 = token_totals(w)
        _apply(pool, w.users[who], kind, d, amount)
        k1 = pool.reserves[0] * pool.reserves[1]
        if kind in ("in", "out"):
            assert k1 >= k0  # the invariant never decreases on a swap
        # liquidity value per share never decreases (every rounding favours the pool)
        assert Fraction(k1, pool.total_shares**2) >= per_share0
        assert all(r > 0 for r in pool.reserves)
        pool.check()  # reserves are what the pool's account holds
        # what traders, providers and the pool hold together is unchanged, token by token
        assert token_totals(w) == holdings0
    w.check()  # both ledgers conserve every asset, nothing negative


def token_totals(w: World) -> tuple[int, int]:
    accounts = [*w.users, w.treasury, w.contract]
    return sum(map(w.gram.balance, accounts)), sum(map(w.xaut.balance, accounts))


@settings(max_examples=INVARIANT_EXAMPLES)
@given(fee=FEES, x=RESERVE, y=RESERVE, ops=OPS)
def test_no_sequence_by_one_trader_creates_value(fee, x, y, ops) -> None:
    w, pool = seeded_pool(x, y, fee, n_users=1)
    me = w.users[0]
    start = (w.gram.balance(me), w.xaut.balance(me))
    for kind, _, d, amount in ops:
        _apply(pool, me, kind, d, amount)
    if pool.shares.get(me):
        pool.remove_liquidity(me, pool.shares[me])
    end = (w.gram.balance(me), w.xaut.balance(me))
    gained_both = end[0] >= start[0] and end[1] >= start[1]
    assert not gained_both or end == start


@settings(max_examples=INVARIANT_EXAMPLES)
@given(fee=FEES, x=RESERVE, y=RESERVE, a=st.integers(1, 10**14), d=st.booleans())
def test_a_round_trip_loses(fee, x, y, a, d) -> None:
    w, pool = seeded_pool(x, y, fee)
    me = w.users[0]
    try:
        out = pool.swap_exact_in(me, d, a).amount_out
        back = pool.swap_exact_in(me, not d, out).amount_out
    except AmmError:
        return
    assert back <= a
    if fee:
        assert back < a
