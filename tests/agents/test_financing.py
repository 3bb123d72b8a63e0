"""Dealer financing: the credit line on hedged inventory and the token loan, each capped and conserved."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.agents.financing import InventoryFinancing, TokenLoan
from gramabm.market.ledger import Asset, Ledger

GOLD_G = 64.0


def _dealer(usd: int = 0, tokens_mg: int = 0, lender_mg: int = 0) -> tuple[Ledger, int, int]:
    """A dealer and a lender of cash (the gold market) and, with ``lender_mg``, of tokens."""
    ledger = Ledger(capacity=4)
    lender = ledger.open_account("lender")
    dealer = ledger.open_account("dealer")
    ledger.genesis(lender, Asset.USD, 10**15)
    if lender_mg:
        ledger.mint_tokens(lender, lender_mg)
    if usd:
        ledger.genesis(dealer, Asset.USD, usd)
    if tokens_mg:
        ledger.mint_tokens(dealer, tokens_mg)
    return ledger, lender, dealer


def test_lends_the_advance_on_the_gold_value_and_no_more_than_the_limit() -> None:
    ledger, lender, dealer = _dealer(tokens_mg=10_000_000)  # 10 kg, $640k of gold
    line = InventoryFinancing(ledger, dealer, lender, advance=0.8, limit_usd=1_000_000)
    assert line.rebalance(10_000_000, GOLD_G) == 512_000 * 10**6  # 80% of $640k
    assert ledger.balance(dealer, Asset.USD) == 512_000 * 10**6
    assert line.rebalance(10_000_000, GOLD_G) == 0  # drawn already
    ledger.mint_tokens(dealer, 20_000_000)  # 30 kg: 80% would be $1.536M, above the limit
    assert line.rebalance(30_000_000, GOLD_G) == 488_000 * 10**6
    assert line.loan_micro == 1_000_000 * 10**6
    ledger.check()


def test_repays_as_the_collateral_goes_and_only_from_cash_it_has() -> None:
    ledger, lender, dealer = _dealer(tokens_mg=10_000_000)
    line = InventoryFinancing(ledger, dealer, lender, advance=0.5, limit_usd=10**9)
    line.rebalance(10_000_000, GOLD_G)  # $320k
    ledger.transfer(dealer, lender, Asset.USD, 300_000 * 10**6)  # it spent most of it
    assert line.rebalance(0, GOLD_G) == -20_000 * 10**6  # repays the $20k it has
    assert line.loan_micro == 300_000 * 10**6
    ledger.transfer(lender, dealer, Asset.USD, 400_000 * 10**6)  # it sold tokens
    assert line.rebalance(0, GOLD_G) == -300_000 * 10**6
    assert line.loan_micro == 0
    assert ledger.balance(dealer, Asset.USD) == 100_000 * 10**6


def test_without_a_gold_price_the_line_stays() -> None:
    ledger, lender, dealer = _dealer(tokens_mg=1_000_000)
    line = InventoryFinancing(ledger, dealer, lender, advance=0.8, limit_usd=10**6)
    line.rebalance(1_000_000, GOLD_G)
    assert line.rebalance(0, float("nan")) == 0


def test_refuses_an_advance_outside_zero_to_one() -> None:
    ledger, lender, dealer = _dealer()
    with pytest.raises(ValueError, match="advance"):
        InventoryFinancing(ledger, dealer, lender, advance=1.5, limit_usd=1.0)


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(
        st.tuples(st.integers(-5_000_000, 5_000_000), st.floats(20.0, 120.0)), max_size=25
    ),
    advance=st.floats(0.0, 1.0),
    limit=st.floats(0.0, 2e6),
)
def test_cash_is_conserved_no_balance_goes_negative_and_the_loan_stays_within_limits(
    moves, advance, limit
) -> None:
    ledger, lender, dealer = _dealer(usd=50_000 * 10**6, tokens_mg=5_000_000)
    line = InventoryFinancing(ledger, dealer, lender, advance=advance, limit_usd=limit)
    total = ledger.balance(lender, Asset.USD) + ledger.balance(dealer, Asset.USD)
    for delta, gold in moves:
        tokens = ledger.balance(dealer, Asset.TOKEN)
        if delta > 0:
            ledger.mint_tokens(dealer, delta)
        elif delta < 0 and tokens:
            ledger.burn_tokens(dealer, min(-delta, tokens))
        line.rebalance(ledger.balance(dealer, Asset.TOKEN), gold)
        assert 0 <= line.loan_micro <= line.limit_micro
        assert ledger.balance(dealer, Asset.USD) >= 0
        assert ledger.balance(lender, Asset.USD) + ledger.balance(dealer, Asset.USD) == total
    ledger.check()


def _short_dealer(usd_micro: int, tokens_mg: int, pool_mg: int = 100_000_000):
    return _dealer(usd=usd_micro, tokens_mg=tokens_mg, lender_mg=pool_mg)


def test_a_token_loan_tops_the_dealer_up_to_the_floor_and_sets_its_value_aside_in_cash() -> None:
    ledger, pool, dealer = _short_dealer(usd_micro=10**12, tokens_mg=1_000_000)  # $1M, 1 kg
    loan = TokenLoan(ledger, dealer, pool, limit_mg=20_000_000)
    assert loan.rebalance(5_000_000, GOLD_G) == 4_000_000  # 4 kg borrowed to hold 5 kg
    assert ledger.balance(dealer, Asset.TOKEN) == 5_000_000
    assert ledger.balance(pool, Asset.TOKEN) == 96_000_000
    # 4 kg at $64/g = $256,000 of the dealer's cash set aside, not spendable
    assert loan.collateral_micro == 256_000 * 10**6
    assert ledger.available(dealer, Asset.USD) == 10**12 - 256_000 * 10**6
    assert loan.rebalance(5_000_000, GOLD_G) == 0  # holds its floor already
    ledger.check()


def test_a_token_loan_is_capped_by_its_limit_the_lenders_free_tokens_and_the_dealers_cash() -> None:
    ledger, pool, dealer = _short_dealer(usd_micro=10**12, tokens_mg=0)
    assert TokenLoan(ledger, dealer, pool, limit_mg=3_000_000).rebalance(5_000_000, GOLD_G) == (
        3_000_000
    )
    ledger, pool, dealer = _short_dealer(usd_micro=10**12, tokens_mg=0, pool_mg=2_000_000)
    ledger.reserve(pool, Asset.TOKEN, 500_000)  # the pool's own resting sell
    assert TokenLoan(ledger, dealer, pool, limit_mg=10**9).rebalance(5_000_000, GOLD_G) == (
        1_500_000
    )
    ledger, pool, dealer = _short_dealer(usd_micro=64_000 * 10**6, tokens_mg=0)  # $64k: 1 kg
    loan = TokenLoan(ledger, dealer, pool, limit_mg=10**9)
    assert loan.rebalance(5_000_000, GOLD_G) == 1_000_000
    assert ledger.available(dealer, Asset.USD) == 0


def test_a_token_loan_is_given_back_as_the_dealers_own_position_recovers() -> None:
    ledger, pool, dealer = _short_dealer(usd_micro=10**12, tokens_mg=0)
    loan = TokenLoan(ledger, dealer, pool, limit_mg=10**9)
    loan.rebalance(5_000_000, GOLD_G)  # owes 5 kg, holds 5 kg: its own position is zero
    ledger.transfer(pool, dealer, Asset.TOKEN, 3_000_000)  # it bought 3 kg back
    assert loan.rebalance(5_000_000, GOLD_G) == -3_000_000  # still 2 kg short of the floor
    ledger.reserve(dealer, Asset.TOKEN, 4_000_000)  # 4 kg offered in the book
    ledger.transfer(pool, dealer, Asset.TOKEN, 6_000_000)  # its own position is now 9 kg
    assert loan.rebalance(5_000_000, GOLD_G) == -2_000_000  # only free tokens go back
    assert loan.loan_mg == 0
    assert loan.collateral_micro == 0
    assert ledger.available(dealer, Asset.USD) == 10**12
    assert loan.rebalance(0, float("nan")) == 0  # nothing owed, no price: nothing moves
    ledger.check()


def test_without_a_price_a_token_loan_borrows_nothing_more() -> None:
    ledger, pool, dealer = _short_dealer(usd_micro=10**12, tokens_mg=0)
    assert TokenLoan(ledger, dealer, pool, limit_mg=10**9).rebalance(5_000_000, math.nan) == 0
    with pytest.raises(ValueError, match="limit"):
        TokenLoan(ledger, dealer, pool, limit_mg=-1)


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(
        st.tuples(
            st.integers(-8_000_000, 8_000_000),
            st.integers(0, 12_000_000),
            st.floats(20.0, 120.0),
        ),
        max_size=25,
    ),
    limit=st.integers(0, 30_000_000),
    usd=st.integers(0, 2 * 10**12),
)
def test_tokens_are_conserved_and_the_loan_stays_within_limits(moves, limit, usd) -> None:
    ledger, pool, dealer = _short_dealer(usd_micro=usd, tokens_mg=2_000_000, pool_mg=40_000_000)
    loan = TokenLoan(ledger, dealer, pool, limit_mg=limit)
    supply = ledger.supply
    for trade, floor, gold in moves:
        # the dealer sells to (or buys from) the pool what it has free, then rebalances its loan
        if trade > 0:
            trade = min(trade, ledger.available(pool, Asset.TOKEN))
            ledger.transfer(pool, dealer, Asset.TOKEN, trade)
        else:
            ledger.transfer(
                dealer, pool, Asset.TOKEN, min(-trade, ledger.available(dealer, Asset.TOKEN))
            )
        before = loan.loan_mg
        moved = loan.rebalance(floor, gold)
        assert loan.loan_mg == before + moved
        assert 0 <= loan.loan_mg <= max(limit, before)
        assert 0 <= loan.collateral_micro <= ledger.balance(dealer, Asset.USD)
        assert ledger.balance(pool, Asset.TOKEN) + ledger.balance(dealer, Asset.TOKEN) == supply
        if moved > 0:  # it borrowed only up to the floor
            assert ledger.balance(dealer, Asset.TOKEN) <= floor
    ledger.check()
