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
    PrimaryMarketError,
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
    gated = redeem(4 * KG, WED + 2 * HOUR)
    assert gated.refusal is Refusal.GATED  # 12 kg > 10 kg
    assert "redemption gate: 8000000 of 10000000 mg already redeemed today" in gated.message
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
    t = m.pm.request_redeem(m.ap, 1_999, WED, GOLD)
    assert t.refusal is Refusal.BELOW_MINIMUM
    assert t.message == "redemption of 1999 mg must be at least 2000 mg"  # no bars for cash
    assert m.pm.request_redeem(m.ap, 2_000, WED, GOLD).accepted


def test_a_client_with_exactly_the_mint_cost_is_accepted() -> None:
    cost = build().pm.quote_mint(5 * KG, GOLD).cash_units
    m = build(ap_usd=cost)
    assert m.pm.request_mint(m.ap, 5 * KG, WED, GOLD).accepted
    assert m.ledger.available(m.ap, Asset.USD) == 0
    m = build(ap_usd=cost - 1)
    t = m.pm.request_mint(m.ap, 5 * KG, WED, GOLD)
    assert t.refusal is Refusal.INSUFFICIENT_FUNDS
    assert f"cannot pay {cost} units" in t.message


def test_a_client_with_exactly_the_tokens_can_redeem_them_all() -> None:
    m = build()
    t = m.pm.request_redeem(m.ap, GENESIS_MG + 1, WED, GOLD)
    assert t.refusal is Refusal.INSUFFICIENT_FUNDS
    assert f"has {GENESIS_MG} tokens (mg) available" in t.message
    assert m.pm.request_redeem(m.ap, GENESIS_MG, WED, GOLD).accepted
    m.pm.process(WED, GOLD)
    assert m.ledger.balance(m.ap, Asset.TOKEN) == 0


def test_the_world_market_with_exactly_enough_gold_or_cash_takes_the_trade() -> None:
    grams = 5 * KG
    m = build(world_gold=grams)
    assert m.pm.request_mint(m.ap, grams, WED, GOLD).accepted
    short = build(world_gold=grams - 1)
    t = short.pm.request_mint(short.ap, grams, WED, GOLD)
    assert t.refusal is Refusal.MARKET_ILLIQUID
    assert "cannot deliver" in t.message
    proceeds = build().pm.quote_redeem(grams, GOLD).cash_units
    m = build(world_usd=proceeds)
    assert m.pm.request_redeem(m.ap, grams, WED, GOLD).accepted
    m = build(world_usd=proceeds - 1)
    t = m.pm.request_redeem(m.ap, grams, WED, GOLD)
    assert t.refusal is Refusal.MARKET_ILLIQUID
    assert f"cannot pay {proceeds} units" in t.message


def test_a_custodian_takes_up_to_exactly_its_daily_capacity() -> None:
    m = build(capacities=(10 * KG,))
    assert m.pm.request_mint(m.ap, 6 * KG, WED, GOLD).accepted
    assert m.pm.request_redeem(m.ap, 4 * KG + 1, WED, GOLD).refusal is Refusal.OVER_CAPACITY
    assert m.pm.request_redeem(m.ap, 4 * KG, WED, GOLD).accepted
    assert m.pm.request_mint(m.ap, 1, WED, GOLD).refusal is Refusal.OVER_CAPACITY


# --- controls, queue and statistics -----------------------------------------------------------


def test_controls_refuse_impossible_values_naming_them() -> None:
    m = build()
    with pytest.raises(PrimaryMarketError, match=r"^a redemption gate must be >= 0 mg, got -1$"):
        m.pm.set_redemption_gate(-1)
    m.pm.set_redemption_gate(0)
    assert m.pm.redemption_gate == 0
    with pytest.raises(PrimaryMarketError, match=r"^gold price must be > 0, got 0$"):
        m.pm.process(WED, 0)
    assert m.pm.process(WED, 0.5) == []  # any positive price will do


def test_set_fee_drops_the_size_tiers_of_either_kind() -> None:
    m = build(TIERED)
    m.pm.set_fee(Kind.REDEEM, 30)
    assert (m.pm.terms.redeem_fee_bp, m.pm.terms.redeem_fee_tiers) == (30.0, ())
    assert m.pm.terms.mint_fee_tiers == TIERED.mint_fee_tiers  # the other kind keeps its own
    m.pm.set_fee("mint", 5)
    assert (m.pm.terms.mint_fee_bp, m.pm.terms.mint_fee_tiers) == (5.0, ())
    assert m.pm.quote_redeem(100 * KG, GOLD).fee_bp == 30.0


def test_pending_and_stats_count_each_kind_apart() -> None:
    m = build(DELAYED)
    mints = [m.pm.request_mint(m.ap, mg, WED, GOLD) for mg in (KG, 2 * KG)]
    redeems = [m.pm.request_redeem(m.ap, mg, WED, GOLD) for mg in (3 * KG, 4 * KG, 5 * KG)]
    assert m.pm.pending() == mints + redeems
    assert m.pm.pending("mint") == mints
    assert m.pm.pending(Kind.REDEEM) == redeems
    s = m.pm.stats()
    assert (s.pending_mints, s.pending_mint_mg) == (2, 3 * KG)
    assert (s.pending_redemptions, s.pending_redeem_mg) == (3, 12 * KG)
    assert (s.settled_mints, s.settled_redemptions, s.cancelled) == (0, 0, 0)
    m.pm.process(WED + HOUR, GOLD)
    s = m.pm.stats()
    assert (s.pending_mints, s.pending_mint_mg, s.pending_redemptions, s.pending_redeem_mg) == (
        0,
        0,
        0,
        0,
    )
    assert (s.settled_mints, s.settled_mint_mg) == (2, 3 * KG)
    assert (s.settled_redemptions, s.settled_redeem_mg, s.settled_burned_mg) == (
        3,
        12 * KG,
        12 * KG,
    )
    assert m.pm.pending() == []


def test_a_settlement_records_what_moved_and_when() -> None:
    m = build(replace(DELAYED, redeem_fee_bp=10.0, mint_fee_bp=20.0), capacities=(None, None))
    mint = m.pm.request_mint(m.ap, 2 * KG, WED, GOLD, custodian="vault1")
    redeem = m.pm.request_redeem(m.ap, 3 * KG, WED, GOLD)
    settled = m.pm.process(WED + 2 * HOUR, GOLD + 10)
    assert [s.ticket_id for s in settled] == [mint.id, redeem.id]
    s = settled[0]
    assert s == mint.settlement
    assert (s.kind, s.account, s.custodian, s.in_kind) == (Kind.MINT, m.ap, "vault1", False)
    assert (s.tokens_mg, s.fee_mg, s.gold_mg) == (2 * KG, 4_000, 2 * KG)
    assert s.cash_units == mint.cash_units > 0
    assert (s.requested_at, s.due_at, s.settled_at) == (WED, WED + HOUR, WED + 2 * HOUR)
    assert (s.price_at_request, s.price_at_settlement) == (GOLD, GOLD + 10)
    r = settled[1]
    assert (r.kind, r.account, r.custodian, r.in_kind) == (Kind.REDEEM, m.ap, "vault0", False)
    assert (r.tokens_mg, r.fee_mg, r.gold_mg) == (3 * KG, 3_000, 3 * KG - 3_000)
    assert r.cash_units == redeem.cash_units > 0
    assert m.pm.stats().fees_mg == 7_000
    assert m.ledger.balance(m.fee, Asset.TOKEN) == 7_000


def test_every_mint_at_an_insolvent_custodian_is_cancelled_and_counted() -> None:
    m = build(DELAYED)
    mints = [m.pm.request_mint(m.ap, KG, WED, GOLD) for _ in range(2)]
    m.custodians[0].insolvent()
    m.pm.process(WED + HOUR, GOLD)
    assert [t.status for t in mints] == [Status.CANCELLED] * 2
    assert all(t.message == "custodian 'vault0' is insolvent" for t in mints)
    assert m.pm.stats().cancelled == 2


# --- terms --------------------------------------------------------------------------------------


def test_fee_terms_name_the_field_at_fault() -> None:
    for field in ("mint_fee_bp", "redeem_fee_bp"):
        with pytest.raises(ConfigError, match=rf"^{field} must be in \[0, 10000\)"):
            PrimaryTerms(**{field: -1.0})
    # Within float noise of a 0.01 bp multiple is that multiple.
    assert PrimaryTerms(mint_fee_bp=1e-8).fee_mg(Kind.MINT, 10**9, 0) == 0


def test_tier_thresholds_must_be_positive_and_strictly_ascending() -> None:
    assert PrimaryTerms(mint_fee_tiers=((0.5, 10.0),)).fee_bp(Kind.MINT, 500_000) == 10.0
    for tiers in (((0.0, 10.0),), ((1.0, 10.0), (1.0, 5.0)), ((2.0, 10.0), (1.0, 5.0))):
        with pytest.raises(ConfigError, match="strictly ascending"):
            PrimaryTerms(redeem_fee_tiers=tiers)


def test_a_redemption_short_of_gold_settles_once_a_mint_of_the_same_call_lodges_it() -> None:
    m = build(DELAYED, capacities=(None, None))
    m.pm.genesis_issue(m.ap, 10 * KG, custodian="vault1")
    redeem = m.pm.request_redeem(m.ap, 10 * KG, WED, GOLD, custodian="vault1")
    m.custodians[1].lose_share(0.5, WED)  # 5 kg left for a 10 kg redemption
    later = WED + pd.Timedelta(minutes=10)
    mint = m.pm.request_mint(m.ap, 5 * KG, later, GOLD, custodian="vault1")
    settled = m.pm.process(WED + 2 * HOUR, GOLD + 1)
    assert [s.ticket_id for s in settled] == [mint.id, redeem.id]  # the redemption waited
    assert all(s.price_at_settlement == GOLD + 1 for s in settled)
    assert all(s.settled_at == WED + 2 * HOUR for s in settled)  # the second pass too
    assert m.ledger.balance(m.custodians[1].vault_account, Asset.GOLD) == 0
    # Without a mint to wait for, a short redemption stays queued.
    m2 = build(DELAYED, capacities=(None, None))
    m2.pm.genesis_issue(m2.ap, 10 * KG, custodian="vault1")
    m2.pm.request_redeem(m2.ap, 10 * KG, WED, GOLD, custodian="vault1")
    m2.custodians[1].lose_share(0.5, WED)
    assert m2.pm.process(WED + 2 * HOUR, GOLD) == []
    assert len(m2.pm.pending(Kind.REDEEM)) == 1


def test_quotes_say_what_they_are_and_nav_is_one_without_a_public_shortfall() -> None:
    m = build(replace(SIMPLE, redeem_at_nav=False))
    q = m.pm.quote_mint(KG, GOLD)
    assert (q.kind, q.in_kind, q.tokens_mg, q.gold_mg) == (Kind.MINT, False, KG, KG)
    m.custodians[0].lose_share(0.5, WED)
    m.custodians[0].attest(WED)
    assert m.pm.nav_ratio() == 1.0  # NAV pricing is off
    m = build()
    for account in (m.ap, m.outsider):
        m.ledger.burn_tokens(account, GENESIS_MG)
    assert m.ledger.supply == 0
    assert m.pm.nav_ratio() == 1.0  # no tokens: the ratio is infinite, the NAV one


def test_tickets_are_numbered_one_by_one_and_record_the_request() -> None:
    m = build()
    assert m.pm.gold_market_account == m.world
    first = m.pm.request_mint(m.ap, KG, "2024-04-10 10:00", GOLD)  # a string time will do
    second = m.pm.request_redeem(m.ap, 2 * KG, WED, GOLD)
    assert (first.id, second.id) == (1, 2)
    assert (first.requested_mg, second.requested_mg) == (KG, 2 * KG)
    assert first.requested_at == WED
    with pytest.raises(PrimaryMarketError, match="naive UTC"):
        m.pm.request_mint(m.ap, KG, pd.Timestamp("2024-04-10 10:00", tz="UTC"), GOLD)
    with pytest.raises(PrimaryMarketError, match=r"^gold price must be finite and > 0, got 0$"):
        m.pm.quote_mint(KG, 0)
    assert m.pm.quote_mint(KG, 0.5).cash_units > 0  # any positive price


def test_quotes_of_redemptions_name_their_kind_and_rate() -> None:
    m = build(replace(TIERED, in_kind_redemption=True, bar_mg=KG))
    cash = m.pm.quote_redeem(10 * KG, GOLD)
    bars = m.pm.quote_redeem(10 * KG, GOLD, in_kind=True)
    assert (cash.kind, cash.in_kind, bars.kind, bars.in_kind) == (
        Kind.REDEEM,
        False,
        Kind.REDEEM,
        True,
    )
    assert cash.fee_bp == bars.fee_bp == 20.0  # about $740k: the $2,000 tier
    assert (bars.gold_mg, bars.cash_units) == (9 * KG, 0)  # 10 kg less the fee: nine bars


def test_genesis_issue_needs_a_positive_amount() -> None:
    m = build()
    with pytest.raises(PrimaryMarketError, match=r"^genesis issue must be > 0 mg, got 0$"):
        m.pm.genesis_issue(m.ap, 0)
    supply = m.ledger.supply
    m.pm.genesis_issue(m.ap, 1)
    assert m.ledger.supply == supply + 1


def test_a_custodian_with_exactly_one_mg_free_takes_a_one_mg_redemption() -> None:
    m = build(DELAYED, capacities=(None, 1))
    m.pm.genesis_issue(m.ap, 1, custodian="vault1")
    assert m.pm.request_redeem(m.ap, 1, WED, GOLD, custodian="vault1").accepted
    assert m.pm.request_mint(m.ap, 1, WED + HOUR * 30, GOLD, custodian="vault1").accepted


def test_refusals_for_redemptions_not_offered_say_which() -> None:
    m = build(replace(SIMPLE, cash_redemption=False))
    assert m.pm.request_redeem(m.ap, KG, WED, GOLD).message == "redemption for cash is not offered"
    t = m.pm.request_redeem(m.ap, KG, WED, GOLD, in_kind=True)
    assert t.message == "redemption in kind (bars) is not offered"


def test_atomic_terms_settle_at_the_request_price_and_time() -> None:
    m = build(replace(SIMPLE, atomic=True))
    t = m.pm.request_mint(m.ap, KG, WED, GOLD)
    assert t.status is Status.SETTLED
    assert t.due_at == WED
    assert t.settlement is not None
    assert (t.settlement.settled_at, t.settlement.price_at_settlement) == (WED, GOLD)


def test_a_delay_without_extra_hours_is_exactly_its_business_days() -> None:
    from gramabm.data.calendar import ALWAYS_OPEN

    assert SettlementDelay(1).due(WED, ALWAYS_OPEN) == WED + pd.Timedelta(days=1)
    assert SettlementDelay(0, 2.0).due(WED, ALWAYS_OPEN, 1.0) == WED + 3 * HOUR


def test_with_every_gram_lost_and_public_a_redemption_pays_nothing_and_takes_nothing() -> None:
    m = build(replace(SIMPLE, in_kind_redemption=True, bar_mg=KG))
    vault = m.custodians[0]
    vault.lose_share(1.0, WED)
    vault.attest(WED)
    assert m.pm.nav_ratio() == 0.0
    q = m.pm.quote_redeem(10 * KG, GOLD, in_kind=True)
    assert (q.gold_mg, q.tokens_mg) == (0, q.fee_mg)  # no bar: only the fee is asked
    cash = m.pm.quote_redeem(10 * KG, GOLD)
    assert (cash.gold_mg, cash.cash_units) == (0, 0)


def test_stats_count_the_tokens_each_redemption_burned_net_of_its_fee() -> None:
    m = build(replace(SIMPLE, redeem_fee_bp=25.0))
    t = m.pm.request_redeem(m.ap, 10 * KG, WED, GOLD)
    assert t.fee_mg > 0
    m.pm.process(WED + 2 * HOUR, GOLD)
    assert m.pm.stats().settled_burned_mg == 10 * KG - t.fee_mg
