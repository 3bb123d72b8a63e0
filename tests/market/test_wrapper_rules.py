"""What the GRAM wrapper's reads and the chain's shared helpers must return, stated exactly: the
backing ratio in each state, the quotes equal to the contract's arithmetic, the solvency test at
equality, and funds checked as the sum of every need on one asset."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.amm.arbitrage import best_size, book_leg, burn_leg, mint_leg, pool_leg
from gramabm.market.amm.concentrated import ConcentratedPool
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.amm.tick_math import Q96
from gramabm.market.chain import (
    GAS_UNITS,
    AmmError,
    Chain,
    GasPrice,
    Token,
    gas_need,
    require_funds,
)
from gramabm.market.ledger import Asset, InsufficientBalanceError
from gramabm.market.wrapper import CONVERSION_RATE, GramWrapper, burn_amount, mint_amounts
from tests.market.amm_world import make_world


def test_the_backing_ratio_in_each_state() -> None:
    w = make_world(1, xaut=10**7)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    u = w.users[0]
    assert wrapper.backing_ratio() == 1.0  # nothing held, nothing outstanding
    r = wrapper.mint(u, 10**6)
    # 10**6 micro-ounces back 31,103 mg: 31,103.4768 mg worth of XAUT over 31,103 outstanding.
    want = Fraction(10**6 * CONVERSION_RATE, r.gross * 10**21)
    assert wrapper.backing_ratio() == pytest.approx(float(want), rel=1e-15)
    assert wrapper.backing_ratio() > 1.0
    wrapper.burn(u, r.net)
    w.gram_ledger.transfer(w.treasury, u, Asset.TOKEN, r.fee)
    wrapper.burn(u, r.fee)
    assert wrapper.supply == 0
    assert wrapper.xaut_held > 0  # the rounding dust stays in the contract
    assert math.isinf(wrapper.backing_ratio())
    wrapper.check()


@pytest.mark.parametrize("amount", [1, 31, 32, 10**6, 123_456_789])
def test_quotes_are_the_contracts_arithmetic_and_what_the_calls_pay(amount: int) -> None:
    w = make_world(1, xaut=10**9)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    assert wrapper.quote_mint(amount) == mint_amounts(amount)
    assert wrapper.quote_burn(amount) == burn_amount(amount)
    gross, fee, net = mint_amounts(amount)
    assert fee == gross * 5 // 10_000
    assert net == gross - fee
    r = wrapper.mint(w.users[0], amount)
    assert (r.xaut, r.gross, r.fee, r.net) == (amount, gross, fee, net)
    if net:
        assert wrapper.burn(w.users[0], net).xaut == burn_amount(net)
    wrapper.check()


def test_solvency_holds_at_exact_equality() -> None:
    w = make_world(1, xaut=10**9)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    # At 3 decimals, 10**21 micro-ounces-to-mg scale: 10**15 XAUT units back exactly
    # 31,103,476,800 mg, so a held/supply pair on the line is solvent and one unit less is not.
    wrapper.xaut_held, wrapper.supply = 10**15, 31_103_476_800_000
    assert wrapper.solvent()
    assert wrapper.backing_ratio() == 1.0
    wrapper.xaut_held -= 1
    assert not wrapper.solvent()
    assert wrapper.backing_ratio() < 1.0


def test_decimals_the_contract_cannot_serve_are_refused() -> None:
    for gram_dec, xaut_dec in ((19, 6), (-1, 6), (3, -1)):
        with pytest.raises(ConfigError, match="decimals"):
            mint_amounts(10, xaut_decimals=xaut_dec, gram_decimals=gram_dec)
    assert mint_amounts(10**6, gram_decimals=18)[0] == CONVERSION_RATE
    assert mint_amounts(10**6, gram_decimals=0)[0] == 31
    whole = Fraction(31 * 10**6) / Fraction("31.1034768")  # 31 g in micro-ounces
    assert burn_amount(31, gram_decimals=0) == whole.numerator // whole.denominator == 996_673
    assert mint_amounts(1, xaut_decimals=0)[0] == 31_103  # one whole ounce, in milligrams


# ---------------------------------------------------------------------------------- chain


def test_funds_are_checked_as_the_sum_of_every_need_on_one_asset() -> None:
    w = make_world(2, xaut=100, usd=100, gram=100)
    u = w.users[0]
    require_funds(u, [(w.usd, 60), (w.usd, 40), (w.xaut, 100), (w.gram, 100)])  # exactly enough
    with pytest.raises(InsufficientBalanceError) as info:
        require_funds(u, [(w.usd, 60), (w.xaut, 1), (w.usd, 41)])
    err = info.value
    assert (err.account, err.asset, err.needed, err.have, err.part) == (
        u,
        Asset.USD,
        101,
        100,
        "available",
    )
    # GRAM is TOKEN in its own ledger and XAUT is TOKEN in the other: two needs, not one.
    require_funds(u, [(w.xaut, 100), (w.gram, 100)])
    w.xaut_ledger.reserve(u, Asset.TOKEN, 1)  # reserved funds are not available
    with pytest.raises(InsufficientBalanceError, match="needs 100 TOKEN"):
        require_funds(u, [(w.xaut, 100)])
    require_funds(u, [])


def test_tokens_read_their_ledger() -> None:
    w = make_world(1, xaut=100)
    u = w.users[0]
    w.xaut_ledger.reserve(u, Asset.TOKEN, 30)
    assert (w.xaut.balance(u), w.xaut.available(u)) == (100, 70)
    assert (w.xaut.unit, w.gram.unit, Token("X", w.xaut_ledger, Asset.GOLD, 0).unit) == (
        10**6,
        10**3,
        1,
    )


def test_gas_is_charged_to_the_sink_only_when_there_is_some() -> None:
    w = make_world(1, usd=10**9)
    u = w.users[0]
    chain = Chain(w.usd, w.sink, GasPrice(0, 3_000 * 10**6))
    assert gas_need(chain, "wrap") == ([(w.usd, 0)], 0)
    assert gas_need(None, "wrap") == ([], 0)
    chain.charge(u, 0)
    assert chain.gas_paid == 0
    chain.price = GasPrice.from_gwei(0.5, 1_500.25)
    assert chain.price == GasPrice(500_000_000, 1_500_250_000)
    cost = chain.gas_cost("wrap")
    assert cost == -(-80_000 * 500_000_000 * 1_500_250_000 // 10**18)
    chain.charge(u, cost)
    chain.charge(u, 7)
    assert chain.gas_paid == cost + 7
    assert w.usd.balance(w.sink) == cost + 7
    assert w.usd.balance(u) == 10**9 - cost - 7
    GasPrice(0, 0)  # free gas is a price
    with pytest.raises(ConfigError, match=">= 0"):
        GasPrice(1, -1)


def test_wrapper_check_names_what_does_not_hold() -> None:
    w = make_world(1, xaut=10**7)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    wrapper.mint(w.users[0], 10**6)
    wrapper.check()
    w.xaut.transfer(w.users[0], w.contract, 3)  # XAUT the books do not know of
    with pytest.raises(
        AmmError, match=rf"^wrapper account holds {10**6 + 3} XAUT, books say 1000000$"
    ):
        wrapper.check()
    wrapper.xaut_held += 3
    wrapper.check()
    wrapper.burned += 1
    with pytest.raises(AmmError, match="supply differs from mints less burns"):
        wrapper.check()
    wrapper.burned -= 1
    backed = (10**6 + 3) * CONVERSION_RATE // 10**21  # the most GRAM the XAUT held backs
    wrapper.minted[0] += backed - wrapper.supply
    wrapper.supply = backed
    wrapper.check()
    wrapper.minted[0] += 1
    wrapper.supply += 1  # one milligram more than the XAUT backs
    with pytest.raises(
        AmmError, match=rf"^insolvent: {10**6 + 3} XAUT base units back {backed + 1} GRAM"
    ):
        wrapper.check()


# ------------------------------------------------------------------------------ legs


def test_legs_give_nothing_for_nothing_and_all_or_nothing_on_a_book() -> None:
    w = make_world(1, xaut=10**9, gram=10**9)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    pool = ConstantProductPool(w.gram, w.xaut, w.contract)
    pool.add_liquidity(w.users[0], 10**8, 10**8)
    for leg in (pool_leg(pool, True), mint_leg(wrapper), burn_leg(wrapper)):
        assert leg(0) == 0
        assert leg(-5) == 0
    assert pool_leg(pool, True)(10_000) == pool.quote_exact_in(True, 10_000)
    assert mint_leg(wrapper)(10**6) == wrapper.quote_mint(10**6)[2]
    assert burn_leg(wrapper)(31_088) == wrapper.quote_burn(31_088)
    wrapper.frozen = True
    assert burn_leg(wrapper)(31_088) == 0
    v3 = ConcentratedPool(w.gram, w.xaut, w.treasury, Q96, fee_pips=500)
    v3.add_liquidity(w.users[0], -100, 100, 10**9)
    assert pool_leg(v3, True)(10**4) == v3.quote_exact_in(True, 10**4).amount_out
    assert pool_leg(v3, True)(10**12) == 0  # beyond the range: not filled in full
    # Asks 2 @ 100 and 3 @ 110, a cash unit per price unit, 1% fee rounded up.
    buy = book_leg([(100, 2), (110, 3)], buy=True, fee_pips=10_000)
    assert buy(202) == 2  # exactly the first level with its fee
    assert buy(201) == 1
    assert buy(202 + 111) == 2  # a unit of the second costs ceil(110 * 1.01) = 112
    assert buy(202 + 112) == 3
    assert buy(202 + 334) == 5  # both levels, the fee exactly covered
    assert buy(202 + 335) == 0  # cash left over: the book is too thin for it
    sell = book_leg([(100, 2), (90, 3)], buy=False, fee_pips=10_000, cash_per_unit=7)
    assert sell(3) == (200 + 90) * 7 * 99 // 100
    assert sell(5) == (200 + 270) * 7 * 99 // 100
    assert sell(6) == 0
    assert best_size([mint_leg(wrapper)], 0) == (0, 0)


def reference_buy(levels: list[tuple[int, int]], cash: int, fee: Fraction, per: int) -> int:
    """Whole units the cash buys walking the asks; each level's cost with its fee rounded up."""
    got = 0
    for price, qty in levels:
        full = math.ceil(price * per * qty * (1 + fee))
        if full <= cash:
            cash, got = cash - full, got + qty
            continue
        n = max(k for k in range(qty + 1) if math.ceil(price * per * k * (1 + fee)) <= cash)
        return got + n
    return 0 if cash else got


@given(
    levels=st.lists(st.tuples(st.integers(1, 500), st.integers(1, 20)), min_size=1, max_size=6),
    amount=st.integers(1, 200_000),
    fee_pips=st.sampled_from([0, 1, 3_000, 10_000, 250_000]),
    per=st.sampled_from([1, 7, 1_000]),
)
def test_a_book_leg_pays_what_walking_the_levels_pays(levels, amount, fee_pips, per) -> None:
    fee = Fraction(fee_pips, 10**6)
    asks = sorted(levels)
    bids = sorted(levels, reverse=True)
    buy = book_leg(asks, buy=True, fee_pips=fee_pips, cash_per_unit=per)
    assert buy(amount) == reference_buy(asks, amount, fee, per)
    whole = sum(math.ceil(p * per * q * (1 + fee)) for p, q in asks)
    assert buy(whole) == sum(q for _, q in asks)  # exactly the whole side
    sell = book_leg(bids, buy=False, fee_pips=fee_pips, cash_per_unit=per)
    units = min(amount, 300)
    cash, left = 0, units
    for p, q in bids:
        fill = min(q, left)
        cash, left = cash + p * per * fill, left - fill
    assert sell(units) == (0 if left else math.floor(cash * (1 - fee)))


# ---------------------------------------------------------------------- what each call moves


def test_a_fresh_wrapper_is_unfrozen_and_splits_each_mint_between_caller_and_treasury() -> None:
    w = make_world(2, xaut=10**7)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    assert wrapper.frozen is False  # a plain bool: reports write it out as it is
    a = wrapper.mint(w.users[0], 10**6)
    b = wrapper.mint(w.users[1], 3 * 10**6)
    # ``minted`` is [to callers, to the treasury], each kept apart.
    assert wrapper.minted == [a.net + b.net, a.fee + b.fee]
    assert wrapper.minted[1] == w.gram.balance(w.treasury)
    wrapper.check()


def test_a_burn_pays_its_gas_to_the_sink_and_reports_what_it_moved() -> None:
    w = make_world(1, xaut=10**7, usd=10**9)
    chain = w.chain(gwei=20, eth_usd=3_000)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury, chain=chain)
    u = w.users[0]
    wrapper.mint(u, 10**6)
    usd, sink, xaut = w.usd.balance(u), w.usd.balance(w.sink), w.xaut.balance(u)
    gas = chain.gas_cost("unwrap")
    assert gas == 3_600_000  # 60,000 gas at 20 gwei and $3,000 an ether: $3.60
    r = wrapper.burn(u, 5_000)
    assert (r.gram, r.xaut, r.gas) == (5_000, wrapper.quote_burn(5_000), gas)
    assert w.usd.balance(u) == usd - gas
    assert w.usd.balance(w.sink) == sink + gas
    assert w.xaut.balance(u) == xaut + r.xaut
    wrapper.check()
    w.check()


def test_each_refusal_names_the_amount_or_the_reason() -> None:
    w = make_world(1, xaut=10**7, usd=10)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    u = w.users[0]
    with pytest.raises(AmmError, match=r"^XAUT to wrap must be > 0, got 0$"):
        wrapper.mint(u, 0)
    with pytest.raises(AmmError, match=r"^GRAM to unwrap must be > 0, got -3$"):
        wrapper.burn(u, -3)
    wrapper.mint(u, 10**6)
    wrapper.frozen = True
    with pytest.raises(
        AmmError, match=r"^the wrapper's XAUT is frozen by its issuer: burns revert$"
    ):
        wrapper.burn(u, 1_000)
    known = ", ".join(sorted(GAS_UNITS))
    assert known.startswith("unwrap, v2_add_liquidity, ")
    with pytest.raises(ConfigError, match=rf"^unknown transaction kind 'swap'; known: {known}$"):
        w.chain().gas_cost("swap")
    with pytest.raises(InsufficientBalanceError) as info:
        require_funds(u, [(w.usd, 11)])
    assert info.value.name == w.xaut_ledger.name(u) == "user0"
    assert "'user0'" in str(info.value)


def test_a_book_leg_charges_its_fee_in_millionths_at_any_size() -> None:
    # A million units at 1,000: 10**9 cash before a 0.3% fee, exactly 3,000,000 of fee.
    sell = book_leg([(1_000, 10**6)], buy=False, fee_pips=3_000)
    assert sell(10**6) == 997_000_000
    assert sell(999_999) == (10**9 - 1_000) * 997 // 1_000
    buy = book_leg([(1_000, 10**6)], buy=True, fee_pips=3_000)
    assert buy(1_003_000_000) == 10**6  # the whole level with its fee
    assert buy(1_002_999_999) == 999_999  # a unit short: the most whole units it pays for
    assert buy(1_003) == 1
    assert buy(1_002) == 0
