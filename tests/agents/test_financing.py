"""The credit line on hedged inventory: draws to the advance, capped, repaid from cash, conserved."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.agents.financing import InventoryFinancing
from gramabm.market.ledger import Asset, Ledger

GOLD_G = 64.0


def _dealer(usd: int = 0, tokens_mg: int = 0) -> tuple[Ledger, int, int]:
    ledger = Ledger(capacity=4)
    lender = ledger.open_account("gold_market")
    dealer = ledger.open_account("dealer")
    ledger.genesis(lender, Asset.USD, 10**15)
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
