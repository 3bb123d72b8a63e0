"""Primary market: every refusal rule, settlement timing, fees, pricing and conservation."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pandas as pd
import pytest

from gramabm.data.calendar import ALWAYS_OPEN, LONDON_GOLD
from gramabm.errors import ConfigError
from gramabm.market.custody import AttestationSchedule, Custodian
from gramabm.market.ledger import Asset, Ledger
from gramabm.market.presets import PRESETS, get_preset
from gramabm.market.primary import (
    BAR_400_OZ_MG,
    Kind,
    PrimaryMarket,
    PrimaryMarketError,
    PrimaryTerms,
    Refusal,
    SettlementDelay,
    Status,
    WorldGoldLeg,
    oz_to_mg,
)

GOLD = 2300.0  # USD per troy ounce
WED = pd.Timestamp("2024-04-10 10:00")  # a Wednesday, inside London hours
KG = 1_000_000  # mg
WORLD_GOLD = 10**12  # 1,000 t
WORLD_USD = 10**17
GENESIS_MG = 200 * KG

SIMPLE = PrimaryTerms(calendar=ALWAYS_OPEN, authorised_only=False)


def build(
    terms: PrimaryTerms = SIMPLE,
    *,
    capacities: tuple[int | None, ...] = (None,),
    ap_usd: int = 10**12,
    world_gold: int = WORLD_GOLD,
    world_usd: int = WORLD_USD,
    attestation: AttestationSchedule | None = None,
) -> SimpleNamespace:
    """A ledger with a world gold market, custodians, one authorised AP and one outsider."""
    ledger = Ledger()
    world = ledger.open_account("gold_market")
    issuer = ledger.open_account("issuer")
    fee = ledger.open_account("fees")
    ap = ledger.open_account("ap")
    outsider = ledger.open_account("outsider")
    ledger.genesis(world, Asset.GOLD, world_gold)
    ledger.genesis(world, Asset.USD, world_usd)
    ledger.genesis(ap, Asset.USD, ap_usd)
    ledger.genesis(outsider, Asset.USD, ap_usd)
    custodians = [
        Custodian(
            f"vault{i}",
            ledger,
            ledger.open_account(f"vault{i}"),
            daily_capacity_mg=cap,
            attestation=attestation or AttestationSchedule.monthly(),
        )
        for i, cap in enumerate(capacities)
    ]
    pm = PrimaryMarket(
        ledger,
        custodians,
        terms,
        issuer_account=issuer,
        fee_account=fee,
        gold_market_account=world,
        authorised={ap},
    )
    pm.genesis_issue(ap, GENESIS_MG)
    pm.genesis_issue(outsider, GENESIS_MG)
    return SimpleNamespace(
        ledger=ledger,
        pm=pm,
        world=world,
        issuer=issuer,
        fee=fee,
        ap=ap,
        outsider=outsider,
        custodians=custodians,
    )


def total_gold(ledger: Ledger) -> int:
    return int(ledger.balances(Asset.GOLD).sum())


# --- refusals: one test per rule -----------------------------------------------------------


def test_below_minimum_mint_is_refused() -> None:
    m = build(get_preset("xaut"))
    t = m.pm.request_mint(m.ap, oz_to_mg(50) - 1, WED, GOLD)
    assert t.status is Status.REFUSED
    assert t.refusal is Refusal.BELOW_MINIMUM
    assert "minimum" in t.message
    assert m.pm.request_mint(m.ap, oz_to_mg(50), WED, GOLD).accepted


def test_in_kind_below_one_bar_is_refused() -> None:
    m = build(replace(SIMPLE, in_kind_redemption=True, bar_mg=10 * KG, redeem_fee_bp=10))
    # 10 kg offered, but after the 10 bp fee less than one 10 kg bar remains.
    t = m.pm.request_redeem(m.ap, 10 * KG, WED, GOLD, in_kind=True)
    assert t.refusal is Refusal.BELOW_MINIMUM
    assert "bar" in t.message
    assert m.pm.request_redeem(m.ap, 10_010_011, WED, GOLD, in_kind=True).accepted


def test_closed_hours_and_days_are_refused() -> None:
    m = build(get_preset("paxg"))
    saturday = pd.Timestamp("2024-04-13 10:00")
    evening = pd.Timestamp("2024-04-10 18:00")
    for when in (saturday, evening):
        t = m.pm.request_mint(m.ap, KG, when, GOLD)
        assert t.refusal is Refusal.CLOSED
        assert "closed" in t.message
        r = m.pm.request_redeem(m.ap, KG, when, GOLD)
        assert r.refusal is Refusal.CLOSED
    assert m.pm.request_mint(m.ap, KG, WED, GOLD).accepted


def test_unauthorised_account_is_refused() -> None:
    m = build(get_preset("paxg"))
    t = m.pm.request_redeem(m.outsider, KG, WED, GOLD)
    assert t.refusal is Refusal.UNAUTHORISED
    assert str(m.outsider) in t.message
    m.pm.authorise(m.outsider)
    assert m.pm.request_redeem(m.outsider, KG, WED, GOLD).accepted
    m.pm.revoke(m.outsider)
    assert m.pm.request_mint(m.outsider, KG, WED, GOLD).refusal is Refusal.UNAUTHORISED


def test_permissionless_terms_accept_anyone() -> None:
    m = build(get_preset("gram_wrapper"))
    assert m.pm.request_mint(m.outsider, KG, WED, GOLD).status is Status.SETTLED


def test_over_capacity_is_refused_until_the_next_day() -> None:
    m = build(capacities=(KG,))
    assert m.pm.request_mint(m.ap, 600_000, WED, GOLD).accepted
    t = m.pm.request_redeem(m.ap, 600_000, WED + pd.Timedelta(hours=1), GOLD)
    assert t.refusal is Refusal.OVER_CAPACITY
    assert "vault0" in t.message
    assert m.pm.request_redeem(m.ap, 400_000, WED + pd.Timedelta(hours=2), GOLD).accepted
    assert m.pm.request_mint(m.ap, 600_000, WED + pd.Timedelta(days=1), GOLD).accepted


def test_redemption_gate_limits_gold_per_day() -> None:
    m = build()
    m.pm.set_redemption_gate(500_000)
    t = m.pm.request_redeem(m.ap, 600_000, WED, GOLD)
    assert t.refusal is Refusal.GATED
    assert m.pm.request_redeem(m.ap, 400_000, WED, GOLD).accepted
    assert m.pm.request_redeem(m.ap, 200_000, WED, GOLD).refusal is Refusal.GATED
    assert m.pm.request_mint(m.ap, 600_000, WED, GOLD).accepted  # mints are not gated
    assert m.pm.request_redeem(m.ap, 400_000, WED + pd.Timedelta(days=1), GOLD).accepted
    m.pm.set_redemption_gate(None)
    assert m.pm.request_redeem(m.ap, 5 * KG, WED + pd.Timedelta(days=1), GOLD).accepted
    with pytest.raises(PrimaryMarketError):
        m.pm.set_redemption_gate(-1)


def test_suspended_kind_is_refused_and_the_other_is_not() -> None:
    m = build()
    m.pm.suspend("mint")
    assert m.pm.is_suspended(Kind.MINT)
    assert m.pm.request_mint(m.ap, KG, WED, GOLD).refusal is Refusal.SUSPENDED
    assert m.pm.request_redeem(m.ap, KG, WED, GOLD).accepted
    m.pm.suspend(Kind.MINT, False)
    m.pm.suspend(Kind.REDEEM, True)
    assert m.pm.request_mint(m.ap, KG, WED, GOLD).accepted
    assert m.pm.request_redeem(m.ap, KG, WED, GOLD).refusal is Refusal.SUSPENDED


def test_frozen_custodian_refuses_and_holds_due_tickets() -> None:
    m = build(replace(SIMPLE, redeem_delay=SettlementDelay(hours=2)))
    pending = m.pm.request_redeem(m.ap, KG, WED, GOLD)
    assert pending.accepted
    m.custodians[0].freeze(until=WED + pd.Timedelta(hours=5))
    t = m.pm.request_mint(m.ap, KG, WED + pd.Timedelta(hours=1), GOLD)
    assert t.refusal is Refusal.CUSTODIAN_FROZEN
    assert m.pm.process(WED + pd.Timedelta(hours=3), GOLD) == []  # due, but frozen
    assert pending.status is Status.PENDING
    done = m.pm.process(WED + pd.Timedelta(hours=5), GOLD)
    assert [s.ticket_id for s in done] == [pending.id]
    assert m.pm.request_mint(m.ap, KG, WED + pd.Timedelta(hours=5), GOLD).accepted


def test_insolvent_custodian_refuses_cancels_mints_and_strands_redemptions() -> None:
    m = build(
        replace(SIMPLE, mint_delay=SettlementDelay(hours=1), redeem_delay=SettlementDelay(hours=1))
    )
    usd0 = m.ledger.balance(m.ap, Asset.USD)
    mint = m.pm.request_mint(m.ap, KG, WED, GOLD)
    redeem = m.pm.request_redeem(m.ap, KG, WED, GOLD)
    assert m.ledger.available(m.ap, Asset.USD) < usd0
    m.custodians[0].insolvent()
    later = WED + pd.Timedelta(hours=2)
    assert m.pm.request_redeem(m.ap, KG, later, GOLD).refusal is Refusal.CUSTODIAN_INSOLVENT
    assert m.pm.process(later, GOLD) == []
    assert mint.status is Status.CANCELLED
    assert m.ledger.available(m.ap, Asset.USD) == usd0  # collateral released
    assert redeem.status is Status.PENDING
    assert m.ledger.reserved(m.ap, Asset.TOKEN) == redeem.tokens_mg
    assert m.pm.stats().cancelled == 1
    m.ledger.check()


def test_insufficient_funds_is_refused() -> None:
    m = build(ap_usd=1_000_000)  # $1
    t = m.pm.request_mint(m.ap, KG, WED, GOLD)
    assert t.refusal is Refusal.INSUFFICIENT_FUNDS
    r = m.pm.request_redeem(m.ap, GENESIS_MG + 1, WED, GOLD)
    assert r.refusal is Refusal.INSUFFICIENT_FUNDS
    assert m.pm.stats().refusals == {Refusal.INSUFFICIENT_FUNDS: 2}


def test_redemption_kind_not_offered_is_refused() -> None:
    m = build(get_preset("gram_wrapper"))
    t = m.pm.request_redeem(m.ap, KG, WED, GOLD, in_kind=True)
    assert t.refusal is Refusal.NOT_OFFERED
    m2 = build(replace(SIMPLE, cash_redemption=False, in_kind_redemption=True, bar_mg=KG))
    assert m2.pm.request_redeem(m2.ap, KG, WED, GOLD).refusal is Refusal.NOT_OFFERED
    assert m2.pm.request_redeem(m2.ap, KG, WED, GOLD, in_kind=True).accepted


def test_illiquid_gold_market_is_refused() -> None:
    m = build(world_gold=KG // 2, world_usd=1_000_000)
    assert m.pm.request_mint(m.ap, KG, WED, GOLD).refusal is Refusal.MARKET_ILLIQUID
    assert m.pm.request_redeem(m.ap, KG, WED, GOLD).refusal is Refusal.MARKET_ILLIQUID
    assert m.ledger.reserved(m.ap, Asset.USD) == 0  # nothing stays locked
    assert m.ledger.reserved(m.ap, Asset.TOKEN) == 0


def test_insufficient_reserves_is_refused() -> None:
    m = build()
    m.custodians[0].lose_share(0.99, WED)
    t = m.pm.request_redeem(m.ap, 10 * KG, WED, GOLD)
    assert t.refusal is Refusal.INSUFFICIENT_RESERVES


def test_bad_inputs_raise() -> None:
    m = build()
    with pytest.raises(PrimaryMarketError, match="positive"):
        m.pm.request_mint(m.ap, 0, WED, GOLD)
    with pytest.raises(PrimaryMarketError, match="price"):
        m.pm.request_redeem(m.ap, KG, WED, -1.0)
    with pytest.raises(PrimaryMarketError, match="no custodian named"):
        m.pm.request_mint(m.ap, KG, WED, GOLD, custodian="nowhere")


# --- settlement -------------------------------------------------------------------------------


def test_paxg_mint_settles_exactly_one_business_day_later() -> None:
    m = build(get_preset("paxg"))
    thursday = pd.Timestamp("2024-04-11 10:30")
    t = m.pm.request_mint(m.ap, KG, thursday, GOLD)
    assert t.due_at == pd.Timestamp("2024-04-12 10:30")
    assert m.ledger.balance(m.ap, Asset.TOKEN) == GENESIS_MG  # nothing delivered yet
    assert m.pm.process(t.due_at - pd.Timedelta(seconds=1), GOLD) == []
    assert m.pm.stats().pending_mints == 1
    (s,) = m.pm.process(t.due_at, GOLD)
    assert s.settled_at == t.due_at
    assert m.ledger.balance(m.ap, Asset.TOKEN) == GENESIS_MG + KG - t.fee_mg


def test_paxg_redemption_settles_two_business_days_later_across_a_weekend() -> None:
    m = build(get_preset("paxg"))
    thursday = pd.Timestamp("2024-04-11 09:00")
    t = m.pm.request_redeem(m.ap, KG, thursday, GOLD)
    assert t.due_at == pd.Timestamp("2024-04-15 09:00")  # Monday: Sat and Sun are skipped
    assert m.pm.process(pd.Timestamp("2024-04-15 08:59"), GOLD) == []
    assert len(m.pm.process(pd.Timestamp("2024-04-15 09:00"), GOLD)) == 1


def test_slow_custodian_adds_hours_to_new_tickets() -> None:
    m = build(replace(SIMPLE, redeem_delay=SettlementDelay(hours=3)))
    m.custodians[0].slow(24)
    t = m.pm.request_redeem(m.ap, KG, WED, GOLD)
    assert t.due_at == WED + pd.Timedelta(hours=27)
    assert m.pm.process(WED + pd.Timedelta(hours=26), GOLD) == []
    assert len(m.pm.process(WED + pd.Timedelta(hours=27), GOLD)) == 1


def test_atomic_wrapper_settles_inside_the_request() -> None:
    m = build(get_preset("gram_wrapper"))
    sunday_night = pd.Timestamp("2024-04-14 03:00")
    t = m.pm.request_mint(m.outsider, KG, sunday_night, GOLD)
    assert t.status is Status.SETTLED
    assert t.settlement is not None
    assert t.settlement.settled_at == sunday_night
    assert t.fee_mg == 500  # 5 bp of 1 kg
    assert m.ledger.balance(m.outsider, Asset.TOKEN) == GENESIS_MG + KG - 500
    r = m.pm.request_redeem(m.outsider, KG, sunday_night, GOLD)
    assert r.status is Status.SETTLED
    assert r.fee_mg == 0
    assert m.pm.pending() == []
    m.ledger.check()


def test_cash_leg_is_priced_at_the_request() -> None:
    m = build(replace(SIMPLE, redeem_delay=SettlementDelay(hours=1)))
    leg = WorldGoldLeg(m.ledger, m.world)
    usd0 = m.ledger.balance(m.ap, Asset.USD)
    t = m.pm.request_redeem(m.ap, KG, WED, GOLD)
    assert t.cash_units == leg.redeem_proceeds(KG, GOLD)
    (s,) = m.pm.process(WED + pd.Timedelta(hours=1), GOLD * 0.5)  # gold halves meanwhile
    assert m.ledger.balance(m.ap, Asset.USD) - usd0 == t.cash_units
    assert s.price_at_request == GOLD
    assert s.price_at_settlement == GOLD * 0.5


def test_world_leg_prices_one_ounce_exactly() -> None:
    m = build()
    leg = WorldGoldLeg(m.ledger, m.world)
    assert leg.mint_cost(311_034_768, 2300.0) == 2300 * 10_000 * 1_000_000  # 10,000 oz
    assert leg.redeem_proceeds(311_034_768, 2300.0) == 2300 * 10_000 * 1_000_000
    assert leg.mint_cost(1, 2300.0) == 73_947  # rounded up
    assert leg.redeem_proceeds(1, 2300.0) == 73_946  # rounded down


def test_in_kind_delivers_whole_bars_and_keeps_the_change() -> None:
    bar = 10 * KG
    m = build(
        replace(SIMPLE, in_kind_redemption=True, bar_mg=bar, redeem_delay=SettlementDelay(hours=1))
    )
    t = m.pm.request_redeem(m.ap, 25 * KG, WED, GOLD, in_kind=True)
    assert t.gold_mg == 2 * bar
    assert t.tokens_mg == 2 * bar + t.fee_mg
    m.pm.process(WED + pd.Timedelta(hours=1), GOLD)
    assert m.ledger.balance(m.ap, Asset.GOLD) == 2 * bar
    assert m.ledger.balance(m.ap, Asset.TOKEN) == GENESIS_MG - 2 * bar - t.fee_mg
    assert m.ledger.reserved(m.ap, Asset.TOKEN) == 0


def test_redemption_waits_while_the_vault_is_short() -> None:
    m = build(replace(SIMPLE, redeem_delay=SettlementDelay(hours=1)))
    vault = m.custodians[0]
    t = m.pm.request_redeem(m.ap, 150 * KG, WED, GOLD)
    assert t.accepted
    vault.lose_share(0.7, WED)  # 400 kg -> 120 kg, less than the 150 kg owed
    assert m.pm.process(WED + pd.Timedelta(hours=2), GOLD) == []
    assert t.status is Status.PENDING
    m.ledger.transfer(m.world, vault.vault_account, Asset.GOLD, 30 * KG)  # a top-up
    assert len(m.pm.process(WED + pd.Timedelta(hours=3), GOLD)) == 1


def test_routing_prefers_free_gold_for_redemptions_and_capacity_for_mints() -> None:
    m = build(capacities=(None, 5 * KG))
    v0, v1 = m.custodians
    m.ledger.transfer(m.world, v1.vault_account, Asset.GOLD, 10 * KG)  # v0 holds 400 kg, v1 10 kg
    assert m.pm.request_redeem(m.ap, KG, WED, GOLD).custodian == "vault0"
    assert m.pm.request_mint(m.ap, KG, WED, GOLD).custodian == "vault0"  # unlimited capacity
    v0.freeze(None)
    assert m.pm.request_redeem(m.ap, KG, WED, GOLD).custodian == "vault1"
    t = m.pm.request_redeem(m.ap, 6 * KG, WED, GOLD)
    assert t.refusal is Refusal.OVER_CAPACITY  # the most temporary obstacle is reported
    assert "custodian_frozen: vault0" in t.message
    v0.unfreeze()
    assert m.pm.request_redeem(m.ap, KG, WED, GOLD, custodian="vault1").custodian == "vault1"


# --- fees ------------------------------------------------------------------------------------


def test_fees_go_to_the_fee_account_in_tokens() -> None:
    m = build(
        replace(
            SIMPLE,
            mint_fee_bp=25,
            redeem_fee_bp=25,
            mint_delay=SettlementDelay(hours=1),
            redeem_delay=SettlementDelay(hours=1),
        )
    )
    mint = m.pm.request_mint(m.ap, 4 * KG, WED, GOLD)
    redeem = m.pm.request_redeem(m.ap, 4 * KG, WED, GOLD)
    assert mint.fee_mg == redeem.fee_mg == 10_000  # 25 bp of 4 kg
    assert m.ledger.balance(m.fee, Asset.TOKEN) == 0
    m.pm.process(WED + pd.Timedelta(hours=1), GOLD)
    assert m.ledger.balance(m.fee, Asset.TOKEN) == 20_000
    assert m.pm.stats().fees_mg == 20_000
    # Fee tokens stay backed: the vault gained 4 kg and lost 4 kg less the redemption fee.
    assert m.custodians[0].actual_mg == 2 * GENESIS_MG + 4 * KG - (4 * KG - 10_000)
    assert m.ledger.supply == m.custodians[0].actual_mg


def test_paxg_fee_tiers_fall_with_order_size() -> None:
    m = build(get_preset("paxg"), ap_usd=10**14)
    small = m.pm.quote_mint(KG, GOLD)  # about $74k
    large = m.pm.quote_mint(200 * KG, GOLD)  # about $14.8M
    assert small.fee_bp == 100.0
    assert small.fee_mg == 10_000
    assert large.fee_bp == 12.5
    assert large.fee_mg == 250_000
    assert m.pm.quote_redeem(20 * KG, GOLD).fee_bp == 25.0  # about $1.48M


# --- conservation and stats --------------------------------------------------------------------


def test_conservation_after_every_operation() -> None:
    terms = replace(
        get_preset("paxg"),
        bar_mg=10 * KG,
        authorised_only=False,
    )
    m = build(terms, capacities=(50 * KG, None))
    gold0 = total_gold(m.ledger)
    t = WED
    ops = [
        lambda: m.pm.request_mint(m.ap, 3 * KG, t, GOLD),
        lambda: m.pm.request_redeem(m.outsider, 12 * KG, t, GOLD, in_kind=True),
        lambda: m.pm.request_redeem(m.ap, 2 * KG, t, GOLD),
        lambda: m.custodians[0].lose_share(0.1, t),
        lambda: m.pm.process(t + pd.Timedelta(days=1), GOLD * 1.1),
        lambda: m.pm.request_mint(m.outsider, 6 * KG, t + pd.Timedelta(days=1), GOLD),
        lambda: m.pm.process(t + pd.Timedelta(days=7), GOLD),
    ]
    for op in ops:
        op()
        m.ledger.check()
        assert total_gold(m.ledger) == gold0
    stats = m.pm.stats()
    assert stats.pending_mints == stats.pending_redemptions == 0
    assert stats.settled_mints == 2
    assert stats.settled_redemptions == 2
    assert m.ledger.balance(m.outsider, Asset.GOLD) == 10 * KG
    assert m.ledger.supply == 2 * GENESIS_MG + stats.settled_mint_mg - stats.settled_redeem_mg


def test_reserve_ratios_come_from_the_market() -> None:
    m = build()
    actual, reported = m.pm.reserve_ratios(WED)
    assert actual == reported == 1.0
    m.custodians[0].lose_share(0.25, WED)
    actual, reported = m.pm.reserve_ratios(WED + pd.Timedelta(days=1))
    assert actual == 0.75
    assert reported == 1.0
    actual, reported = m.pm.reserve_ratios(pd.Timestamp("2024-05-01"))
    assert actual == reported == 0.75


# --- terms and presets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mint_fee_bp": -1}, "mint_fee_bp"),
        ({"redeem_fee_bp": 10_000}, "redeem_fee_bp"),
        ({"mint_fee_bp": 1.001}, "0.01 bp"),
        ({"mint_fee_tiers": ((1e6, 10), (1e5, 5))}, "ascending"),
        ({"redeem_fee_tiers": ((1e6, 10_000),)}, "redeem_fee_tiers"),
        ({"min_mint_mg": 0}, "min_mint_mg"),
        ({"bar_mg": -5}, "bar_mg"),
        ({"atomic": True, "mint_delay": SettlementDelay(1)}, "atomic"),
    ],
)
def test_impossible_terms_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        PrimaryTerms(**kwargs)


def test_impossible_delays_raise() -> None:
    with pytest.raises(ConfigError, match="business_days"):
        SettlementDelay(business_days=-1)
    with pytest.raises(ConfigError, match="hours"):
        SettlementDelay(hours=-0.5)


def test_presets_follow_the_domain_table() -> None:
    paxg, xaut, gram = PRESETS["paxg"], PRESETS["xaut"], PRESETS["gram_wrapper"]
    assert paxg.mint_fee_bp == 100.0
    assert paxg.mint_fee_tiers[-1][1] == 12.5
    assert paxg.calendar == LONDON_GOLD
    assert paxg.authorised_only
    assert paxg.in_kind_redemption
    assert paxg.mint_delay == SettlementDelay(1)
    assert paxg.redeem_delay == SettlementDelay(2)
    assert paxg.bar_mg == oz_to_mg(430) == 13_374_495
    assert xaut.mint_fee_bp == xaut.redeem_fee_bp == 25.0
    assert xaut.min_mint_mg == oz_to_mg(50)
    assert not xaut.calendar.is_business_day("2024-04-13")
    assert gram.mint_fee_bp == 5.0
    assert gram.redeem_fee_bp == 0.0
    assert gram.atomic
    assert not gram.authorised_only
    assert gram.calendar == ALWAYS_OPEN
    assert paxg.attestation.kind == "monthly"
    assert xaut.attestation.kind == "quarterly"
    assert get_preset("GRAM-wrapper").attestation.kind == "continuous"
    assert BAR_400_OZ_MG == 12_441_391


def test_unknown_preset_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="gram_wrapper, paxg, xaut"):
        get_preset("usdt")


def test_market_needs_custodians_with_unique_names() -> None:
    ledger = Ledger()
    a = ledger.open_account("a")
    c = Custodian("v", ledger, a, daily_capacity_mg=None, attestation=AttestationSchedule.monthly())
    with pytest.raises(ConfigError, match="at least one"):
        PrimaryMarket(ledger, [], SIMPLE, issuer_account=a, fee_account=a, gold_market_account=a)
    with pytest.raises(ConfigError, match="unique"):
        PrimaryMarket(
            ledger, [c, c], SIMPLE, issuer_account=a, fee_account=a, gold_market_account=a
        )
    other_ledger = Ledger()
    other = Custodian(
        "w",
        other_ledger,
        other_ledger.open_account("w"),
        daily_capacity_mg=None,
        attestation=AttestationSchedule.monthly(),
    )
    with pytest.raises(ConfigError, match="another ledger"):
        PrimaryMarket(
            ledger, [other], SIMPLE, issuer_account=a, fee_account=a, gold_market_account=a
        )


# --- governance levers and queries ---------------------------------------------------------------


def test_set_fee_replaces_tiers_for_new_requests() -> None:
    m = build(get_preset("paxg"), ap_usd=10**14)
    before = m.pm.request_mint(m.ap, 200 * KG, WED, GOLD)
    assert before.fee_mg == 250_000  # 12.5 bp tier
    m.pm.set_fee("mint", 30)
    after = m.pm.request_mint(m.ap, 200 * KG, WED, GOLD)
    assert after.fee_mg == 600_000  # flat 30 bp, tiers gone
    assert before.fee_mg == 250_000  # accepted tickets keep their price
    m.pm.set_fee(Kind.REDEEM, 0)
    assert m.pm.quote_redeem(KG, GOLD).fee_mg == 0
    with pytest.raises(ConfigError, match="redeem_fee_bp"):
        m.pm.set_fee("redeem", 10_000)


def test_is_open_follows_the_calendar() -> None:
    m = build(get_preset("paxg"))
    assert m.pm.is_open(WED)
    assert not m.pm.is_open(pd.Timestamp("2024-04-13 10:00"))


def test_pending_mg_by_kind_and_account() -> None:
    m = build(
        replace(SIMPLE, mint_delay=SettlementDelay(hours=1), redeem_delay=SettlementDelay(hours=1))
    )
    m.pm.request_mint(m.ap, 3 * KG, WED, GOLD)
    m.pm.request_mint(m.outsider, 2 * KG, WED, GOLD)
    m.pm.request_redeem(m.ap, KG, WED, GOLD)
    assert m.pm.pending_mg("mint") == 5 * KG
    assert m.pm.pending_mg(Kind.MINT, m.ap) == 3 * KG
    assert m.pm.pending_mg(Kind.REDEEM, m.outsider) == 0
    m.pm.process(WED + pd.Timedelta(hours=1), GOLD)
    assert m.pm.pending_mg("mint") == 0


def test_redemption_pays_nav_once_a_shortfall_is_public() -> None:
    m = build()  # 400 kg in the vault against 400 kg of tokens
    vault = m.custodians[0]
    vault.lose_share(0.10, WED)
    before = m.pm.quote_redeem(10 * KG, GOLD)
    assert before.gold_mg == 10 * KG - before.fee_mg  # undisclosed: still a full gram a token
    vault.attest(WED)
    assert m.pm.nav_ratio() == pytest.approx(0.9, abs=1e-9)
    t = m.pm.request_redeem(m.ap, 10 * KG, WED, GOLD)
    assert t.accepted
    net = 10 * KG - t.fee_mg
    assert t.gold_mg == int(net * 0.9)  # pro rata: 0.9 g per net token
    burned0 = m.ledger.burned
    m.pm.process(WED, GOLD)
    assert m.ledger.burned - burned0 == net  # every net token is burned
    assert m.pm.reserve_ratios(WED)[0] == pytest.approx(0.9, abs=1e-6)  # others keep their share


def test_redemption_at_par_when_nav_pricing_is_off() -> None:
    m = build(replace(SIMPLE, redeem_at_nav=False))
    m.custodians[0].lose_share(0.10, WED)
    m.custodians[0].attest(WED)
    t = m.pm.request_redeem(m.ap, 10 * KG, WED, GOLD)
    assert t.gold_mg == 10 * KG - t.fee_mg  # first come, first served: a full gram
