"""What each primary-market fee, gate and earmark must do, at the exact boundaries.

Each test states a rule and checks it on both sides of its boundary: a fee tier reached exactly,
a client or custodian with exactly enough, a gate filled exactly, gold promised to pending
redemptions never promised twice, and redemptions at a net asset value never paying more than
the value per token.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.ledger import Asset
from gramabm.market.primary import (
    Kind,
    PrimaryTerms,
    Refusal,
    SettlementDelay,
    Status,
)
from tests.market.test_primary import GENESIS_MG, GOLD, KG, SIMPLE, WED, build

HOUR = pd.Timedelta(hours=1)
DELAYED = replace(
    SIMPLE, redeem_delay=SettlementDelay(hours=1), mint_delay=SettlementDelay(hours=1)
)


# --- earmarks -------------------------------------------------------------------------------


def test_gold_promised_to_pending_redemptions_is_never_promised_twice() -> None:
    m = build(DELAYED, capacities=(None, None))
    m.pm.genesis_issue(m.ap, 10 * KG, custodian="vault1")  # vault1 holds exactly 10 kg

    def redeem(mg: int, at: pd.Timestamp = WED):
        return m.pm.request_redeem(m.ap, mg, at, GOLD, custodian="vault1")

    assert redeem(4 * KG).accepted
    assert redeem(3 * KG).accepted  # 7 kg now promised
    assert redeem(3 * KG + 1).refusal is Refusal.INSUFFICIENT_RESERVES
    assert redeem(3 * KG).accepted  # exactly the gold still free
    assert redeem(1).refusal is Refusal.INSUFFICIENT_RESERVES
    # Each settles, the last one on exactly the gold left in the vault.
    settled = m.pm.process(WED + HOUR, GOLD)
    assert [s.gold_mg for s in settled] == [4 * KG, 3 * KG, 3 * KG]
    assert m.ledger.balance(m.custodians[1].vault_account, Asset.GOLD) == 0
    # Settled redemptions release their promise: new gold is free again, to the last mg.
    m.pm.genesis_issue(m.ap, 5 * KG, custodian="vault1")
    assert redeem(5 * KG + 1, WED + 2 * HOUR).refusal is Refusal.INSUFFICIENT_RESERVES
    assert redeem(5 * KG, WED + 2 * HOUR).accepted


def test_routing_counts_promised_gold_as_gone() -> None:
    m = build(DELAYED, capacities=(None, None))
    m.pm.genesis_issue(m.ap, 300 * KG, custodian="vault1")  # vault1 300 kg, vault0 400 kg
    assert m.pm.request_redeem(m.ap, 200 * KG, WED, GOLD).custodian == "vault0"
    # vault0 has 200 kg free now, vault1 300 kg: the next goes to vault1.
    assert m.pm.request_redeem(m.ap, 100 * KG, WED, GOLD).custodian == "vault1"
    assert m.pm.request_redeem(m.outsider, 150 * KG, WED, GOLD).custodian == "vault0"


# --- the redemption gate ----------------------------------------------------------------------


def test_the_daily_gate_counts_every_redemption_of_the_day() -> None:
    m = build()
    m.pm.set_redemption_gate(10 * KG)

    def redeem(mg: int, at: pd.Timestamp):
        return m.pm.request_redeem(m.ap, mg, at, GOLD)

    assert redeem(4 * KG, WED).accepted
    assert redeem(4 * KG, WED + HOUR).accepted
    assert redeem(4 * KG, WED + 2 * HOUR).refusal is Refusal.GATED  # 12 kg > 10 kg
    assert redeem(2 * KG, WED + 3 * HOUR).accepted  # exactly 10 kg
    assert redeem(1, WED + 4 * HOUR).refusal is Refusal.GATED
    tomorrow = WED + pd.Timedelta(days=1)
    assert redeem(10 * KG, tomorrow).accepted  # a new day, a new allowance
    assert redeem(1, tomorrow + HOUR).refusal is Refusal.GATED
    assert m.pm.redemption_gate == 10 * KG
    m.pm.set_redemption_gate(0)
    assert redeem(1, tomorrow + 2 * HOUR).refusal is Refusal.GATED
    assert m.pm.stats().refusals[Refusal.GATED] == 4


# --- redemptions at net asset value -----------------------------------------------------------


def test_in_kind_redemption_at_a_short_nav_surrenders_the_tokens_the_bars_are_worth() -> None:
    m = build(replace(SIMPLE, in_kind_redemption=True, bar_mg=KG))
    vault = m.custodians[0]
    vault.lose_share(0.2, WED)  # 320 kg left against 400 kg of tokens
    vault.attest(WED)
    ratio = m.pm.nav_ratio()
    assert ratio == pytest.approx(0.8)
    offered = 10 * KG + 500
    q = m.pm.quote_redeem(offered, GOLD, in_kind=True)
    assert q.gold_mg == 8 * KG  # floor(10.0005 kg * 0.8) in whole 1 kg bars
    assert q.tokens_mg == math.ceil(8 * KG / ratio)  # never fewer tokens than the bars are worth
    assert q.gold_mg <= q.tokens_mg * ratio
    tokens0 = m.ledger.balance(m.ap, Asset.TOKEN)
    t = m.pm.request_redeem(m.ap, offered, WED, GOLD, in_kind=True)
    m.pm.process(WED, GOLD)
    assert t.status is Status.SETTLED
    assert tokens0 - m.ledger.balance(m.ap, Asset.TOKEN) == q.tokens_mg  # the change stays
    assert m.ledger.balance(m.ap, Asset.GOLD) == 8 * KG


def test_nav_is_capped_at_one_gram_a_token_when_reserves_exceed_supply() -> None:
    m = build(replace(SIMPLE, in_kind_redemption=True, bar_mg=KG))
    vault = m.custodians[0]
    m.ledger.genesis(vault.vault_account, Asset.GOLD, 100 * KG)  # 500 kg against 400 kg
    vault.attest(WED)
    assert m.pm.reserve_ratios(WED)[1] == pytest.approx(1.25)
    assert m.pm.nav_ratio() == 1.0
    cash = m.pm.quote_redeem(10 * KG, GOLD)
    assert cash.gold_mg == 10 * KG
    bars = m.pm.quote_redeem(10 * KG, GOLD, in_kind=True)
    assert (bars.gold_mg, bars.tokens_mg) == (10 * KG, 10 * KG)


# --- fees -------------------------------------------------------------------------------------

TIERED = replace(
    SIMPLE,
    mint_fee_bp=50.0,
    mint_fee_tiers=((1_000.0, 25.0), (5_000.0, 10.0)),
    redeem_fee_bp=40.0,
    redeem_fee_tiers=((2_000.0, 20.0),),
)


@pytest.mark.parametrize(
    ("kind", "notional_units", "bp"),
    [
        (Kind.MINT, 0, 50.0),
        (Kind.MINT, 1_000_000_000 - 1, 50.0),  # one µUSD below the first threshold
        (Kind.MINT, 1_000_000_000, 25.0),  # a tier applies from its threshold exactly
        (Kind.MINT, 5_000_000_000 - 1, 25.0),
        (Kind.MINT, 5_000_000_000, 10.0),
        (Kind.MINT, 10**15, 10.0),
        (Kind.REDEEM, 2_000_000_000 - 1, 40.0),
        (Kind.REDEEM, 2_000_000_000, 20.0),
    ],
)
def test_fee_tiers_apply_from_their_threshold(kind: Kind, notional_units: int, bp: float) -> None:
    assert TIERED.fee_bp(kind, notional_units) == bp


@pytest.mark.parametrize(
    ("amount", "bp", "fee"),
    [
        (0, 1.0, 0),
        (10_000, 1.0, 1),
        (10_001, 1.0, 2),
        (1, 0.01, 1),
        (3, 0.0, 0),
        (10**6, 50, 5_000),
    ],
)
def test_fees_are_exact_and_rounded_up(amount: int, bp: float, fee: int) -> None:
    terms = replace(SIMPLE, mint_fee_bp=bp, redeem_fee_bp=bp)
    assert terms.fee_mg(Kind.MINT, amount, 0) == fee
    assert terms.fee_mg(Kind.REDEEM, amount, 0) == fee


@given(amount=st.integers(0, 10**12), cbp=st.integers(0, 999_999))
def test_a_fee_is_the_least_integer_at_or_above_its_rate(amount: int, cbp: int) -> None:
    terms = replace(SIMPLE, mint_fee_bp=cbp / 100)
    fee = terms.fee_mg(Kind.MINT, amount, 0)
    assert fee * 1_000_000 >= amount * cbp > (fee - 1) * 1_000_000


def test_a_mint_charged_at_a_tier_pays_that_tier_on_the_whole_order() -> None:
    m = build(TIERED)
    grams = 1_000  # 1 g at $2,300/oz is about $74, so below the first tier
    small = m.pm.quote_mint(grams, GOLD)
    assert (small.fee_bp, small.fee_mg) == (50.0, math.ceil(grams * 50 / 10_000))
    big = m.pm.quote_mint(100 * KG, GOLD)  # about $7.4M
    assert (big.fee_bp, big.fee_mg) == (10.0, 100 * KG * 10 // 10_000)


@pytest.mark.parametrize(("bp", "ok"), [(0.0, True), (9_999.99, True), (10_000.0, False)])
def test_fee_range_is_zero_up_to_but_not_including_all(bp: float, ok: bool) -> None:
    if ok:
        assert PrimaryTerms(mint_fee_bp=bp, redeem_fee_tiers=((1.0, bp),)).mint_fee_bp == bp
    else:
        with pytest.raises(ConfigError, match=r"\[0, 10000\)"):
            PrimaryTerms(mint_fee_bp=bp)
        with pytest.raises(ConfigError, match=r"\[0, 10000\)"):
            PrimaryTerms(redeem_fee_tiers=((1.0, bp),))
    with pytest.raises(ConfigError, match=r"0\.01 bp"):
        PrimaryTerms(redeem_fee_bp=0.005)
    with pytest.raises(ConfigError, match=r"\[0, 10000\)"):
        PrimaryTerms(redeem_fee_bp=-0.01)


def test_a_mint_whose_fee_takes_every_token_is_below_the_minimum() -> None:
    m = build(replace(SIMPLE, mint_fee_bp=5_000.0))  # half of every mint
    t = m.pm.request_mint(m.ap, 2, WED, GOLD)  # fee ceil(1) = 1: one token left
    assert t.accepted
    assert (t.fee_mg, t.tokens_mg) == (1, 2)
    t = m.pm.request_mint(m.ap, 1, WED, GOLD)  # fee ceil(0.5) = 1: nothing left
    assert t.refusal is Refusal.BELOW_MINIMUM


# --- exact amounts ----------------------------------------------------------------------------


def test_minimum_sizes_are_inclusive() -> None:
    m = build(replace(SIMPLE, min_mint_mg=1_000, min_redeem_mg=2_000))
    assert m.pm.request_mint(m.ap, 999, WED, GOLD).refusal is Refusal.BELOW_MINIMUM
    assert m.pm.request_mint(m.ap, 1_000, WED, GOLD).accepted
    assert m.pm.request_redeem(m.ap, 1_999, WED, GOLD).refusal is Refusal.BELOW_MINIMUM
    assert m.pm.request_redeem(m.ap, 2_000, WED, GOLD).accepted


def test_a_client_with_exactly_the_mint_cost_is_accepted() -> None:
    cost = build().pm.quote_mint(5 * KG, GOLD).cash_units
    m = build(ap_usd=cost)
    assert m.pm.request_mint(m.ap, 5 * KG, WED, GOLD).accepted
    assert m.ledger.available(m.ap, Asset.USD) == 0
    m = build(ap_usd=cost - 1)
    assert m.pm.request_mint(m.ap, 5 * KG, WED, GOLD).refusal is Refusal.INSUFFICIENT_FUNDS


def test_a_client_with_exactly_the_tokens_can_redeem_them_all() -> None:
    m = build()
    assert m.pm.request_redeem(m.ap, GENESIS_MG + 1, WED, GOLD).refusal is (
        Refusal.INSUFFICIENT_FUNDS
    )
    assert m.pm.request_redeem(m.ap, GENESIS_MG, WED, GOLD).accepted
    m.pm.process(WED, GOLD)
    assert m.ledger.balance(m.ap, Asset.TOKEN) == 0


def test_the_world_market_with_exactly_enough_gold_or_cash_takes_the_trade() -> None:
    grams = 5 * KG
    m = build(world_gold=grams)
    assert m.pm.request_mint(m.ap, grams, WED, GOLD).accepted
    short = build(world_gold=grams - 1)
    assert short.pm.request_mint(short.ap, grams, WED, GOLD).refusal is Refusal.MARKET_ILLIQUID
    proceeds = build().pm.quote_redeem(grams, GOLD).cash_units
    m = build(world_usd=proceeds)
    assert m.pm.request_redeem(m.ap, grams, WED, GOLD).accepted
    m = build(world_usd=proceeds - 1)
    assert m.pm.request_redeem(m.ap, grams, WED, GOLD).refusal is Refusal.MARKET_ILLIQUID


def test_a_custodian_takes_up_to_exactly_its_daily_capacity() -> None:
    m = build(capacities=(10 * KG,))
    assert m.pm.request_mint(m.ap, 6 * KG, WED, GOLD).accepted
    assert m.pm.request_redeem(m.ap, 4 * KG + 1, WED, GOLD).refusal is Refusal.OVER_CAPACITY
    assert m.pm.request_redeem(m.ap, 4 * KG, WED, GOLD).accepted
    assert m.pm.request_mint(m.ap, 1, WED, GOLD).refusal is Refusal.OVER_CAPACITY
