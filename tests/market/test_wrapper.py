"""The GRAM wrapper: the contract's arithmetic to the unit, fee to the treasury, floor rounding,
gas from the caller's cash, atomic refusals, a freeze of its XAUT, and the solvency invariant
over random mint/burn sequences (hypothesis, the market invariants' budget)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.chain import GAS_UNITS, AmmError, GasPrice, Token
from gramabm.market.ledger import Asset, InsufficientBalanceError
from gramabm.market.wrapper import GramWrapper, burn_amount, mint_amounts
from tests.conftest import INVARIANT_EXAMPLES
from tests.market.amm_world import make_world

# Milligrams of GRAM per XAUT base unit (a millionth of a troy ounce), from the definition of the
# troy ounce, written independently of the contract's constant.
MG_PER_MICRO_OZ = Fraction("31.1034768") * 1000 / 10**6
FEE = Fraction(5, 10_000)


def floor(q: Fraction) -> int:
    return q.numerator // q.denominator


def test_contract_arithmetic_at_18_decimals_matches_the_contracts_own_test_vectors() -> None:
    # One XAUT (10**6 base units) mints 31.1034768 GRAM gross, 0.05% to the treasury.
    gross, fee, net = mint_amounts(10**6, gram_decimals=18)
    assert gross == 31_103_476_800_000_000_000
    assert fee == 15_551_738_400_000_000
    assert net == 31_087_925_061_600_000_000
    # Burning the net gives 0.9995 XAUT back, rounded down.
    assert burn_amount(net, gram_decimals=18) == 999_500


def test_mint_and_burn_in_ledger_units() -> None:
    w = make_world(1, xaut=10**6)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    u = w.users[0]
    r = wrapper.mint(u, 10**6)
    assert (r.gross, r.fee, r.net, r.gas) == (31_103, 15, 31_088, 0)  # 31.1034768 g floored
    assert w.gram.balance(u) == 31_088
    assert w.gram.balance(w.treasury) == 15
    assert w.xaut.balance(w.contract) == 10**6
    b = wrapper.burn(u, 31_088)
    assert b.xaut == floor(31_088 / MG_PER_MICRO_OZ) == 999_502
    assert w.xaut.balance(u) == 999_502
    assert wrapper.supply == 15
    wrapper.check()
    w.check()


def test_zero_amounts_are_refused_and_change_nothing() -> None:
    w = make_world(1, xaut=10)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    with pytest.raises(AmmError, match="must be > 0"):
        wrapper.mint(w.users[0], 0)
    with pytest.raises(AmmError, match="must be > 0"):
        wrapper.burn(w.users[0], 0)
    assert w.xaut.balance(w.users[0]) == 10


def test_gram_must_be_the_ledgers_minted_asset() -> None:
    w = make_world(1)
    with pytest.raises(ConfigError, match="TOKEN asset"):
        GramWrapper(w.xaut, Token("GRAM", w.gram_ledger, Asset.USD, 3), w.contract, w.treasury)


def test_gas_is_paid_from_cash_to_the_sink_and_a_short_caller_changes_nothing() -> None:
    w = make_world(2, xaut=10**7, usd=10**9)
    chain = w.chain(gwei=20, eth_usd=3_000)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury, chain=chain)
    cost = -(-GAS_UNITS["wrap"] * 20 * 10**9 * 3_000 * 10**6 // 10**18)  # micro-USD, rounded up
    assert cost == 4_800_000  # 80,000 gas at 20 gwei and $3,000 an ether: $4.80
    r = wrapper.mint(w.users[0], 10**6)
    assert r.gas == cost
    assert w.usd.balance(w.users[0]) == 10**9 - cost
    assert w.usd.balance(w.sink) == cost
    # A caller with the XAUT but not the gas: refused, nothing moves.
    poor = w.users[1]
    w.usd.transfer(poor, w.sink, 10**9 - cost + 1)
    with pytest.raises(InsufficientBalanceError):
        wrapper.mint(poor, 10**6)
    assert w.xaut.balance(poor) == 10**7
    assert w.gram.balance(poor) == 0
    # A gas spike is a new price.
    chain.price = GasPrice.from_gwei(200, 3_000)
    assert wrapper.burn(w.users[0], 1_000).gas == 10 * -(-GAS_UNITS["unwrap"] * 20 * 3_000 // 10**3)
    w.check()
    wrapper.check()


def test_a_frozen_wrapper_accepts_xaut_but_pays_none_out() -> None:
    w = make_world(1, xaut=10**7)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    wrapper.mint(w.users[0], 10**6)
    wrapper.frozen = True
    with pytest.raises(AmmError, match="frozen"):
        wrapper.burn(w.users[0], 1_000)
    wrapper.mint(w.users[0], 10**6)
    assert wrapper.xaut_held == 2 * 10**6
    wrapper.check()


OPS = st.lists(
    st.tuples(
        st.sampled_from(["mint", "burn"]),
        st.integers(0, 2),
        st.one_of(st.integers(1, 200), st.integers(1, 10**9)),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=INVARIANT_EXAMPLES)
@given(ops=OPS)
def test_solvency_and_exact_amounts_over_random_sequences(ops) -> None:
    w = make_world(3, xaut=10**9, usd=10**8)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury, chain=w.chain(1, 1_000))
    everyone = [*w.users, w.contract, w.treasury, w.sink]
    xaut_total = sum(map(w.xaut.balance, everyone))
    usd_total = sum(map(w.usd.balance, everyone))
    for kind, who, amount in ops:
        u = w.users[who]
        before = (w.xaut.balance(u), w.gram.balance(u), w.usd.balance(u))
        treasury = w.gram.balance(w.treasury)
        try:
            if kind == "mint":
                r = wrapper.mint(u, amount)
                gross = floor(amount * MG_PER_MICRO_OZ)
                assert (r.gross, r.fee, r.net) == (gross, floor(gross * FEE), gross - r.fee)
                assert w.xaut.balance(u) == before[0] - amount
                assert w.gram.balance(u) == before[1] + r.net
                assert w.gram.balance(w.treasury) == treasury + r.fee
            else:
                r2 = wrapper.burn(u, amount)
                assert r2.xaut == floor(amount / MG_PER_MICRO_OZ)
                assert w.xaut.balance(u) == before[0] + r2.xaut
                assert w.gram.balance(u) == before[1] - amount
        except InsufficientBalanceError:
            assert (w.xaut.balance(u), w.gram.balance(u), w.usd.balance(u)) == before
        # The solvency invariant, exactly: XAUT held x rate >= GRAM supply.
        assert wrapper.xaut_held * MG_PER_MICRO_OZ >= wrapper.supply
        assert wrapper.supply == w.gram_ledger.supply
        assert sum(map(w.xaut.balance, everyone)) == xaut_total  # XAUT only moves
        assert sum(map(w.usd.balance, everyone)) == usd_total  # gas only moves cash
        wrapper.check()
    w.check()


@settings(max_examples=INVARIANT_EXAMPLES)
@given(xaut=st.integers(1, 10**12))
def test_a_wrap_unwrap_round_trip_never_gains(xaut: int) -> None:
    w = make_world(1, xaut=xaut)
    wrapper = GramWrapper(w.xaut, w.gram, w.contract, w.treasury)
    net = wrapper.mint(w.users[0], xaut).net
    back = wrapper.burn(w.users[0], net).xaut if net else 0
    assert back <= xaut
    assert back >= floor(xaut * (1 - FEE)) - 33  # loses the fee and at most a mg of rounding
    wrapper.check()
