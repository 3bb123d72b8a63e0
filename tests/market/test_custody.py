"""Custodians: attestation schedules, hidden losses, incidents and capacity."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gramabm.errors import ConfigError
from gramabm.market.custody import (
    UNLIMITED_MG,
    AttestationSchedule,
    Custodian,
    CustodyError,
    actual_reserve_ratio,
    reported_reserve_ratio,
)
from gramabm.market.ledger import Asset, Ledger

KG = 1_000_000
JAN15 = pd.Timestamp("2024-01-15 12:00")


def vault(
    schedule: AttestationSchedule, gold_mg: int = 100 * KG, capacity: int | None = None
) -> tuple[Ledger, Custodian]:
    ledger = Ledger()
    account = ledger.open_account("vault")
    ledger.genesis(account, Asset.GOLD, gold_mg)
    ledger.mint_tokens(ledger.open_account("holders"), gold_mg)
    return ledger, Custodian(
        "brinks", ledger, account, daily_capacity_mg=capacity, attestation=schedule
    )


# --- schedules ----------------------------------------------------------------------------


def test_monthly_schedule_falls_on_the_first_of_the_month() -> None:
    s = AttestationSchedule.monthly()
    assert s.last_at_or_before(JAN15) == pd.Timestamp("2024-01-01")
    assert s.last_at_or_before(pd.Timestamp("2024-02-01")) == pd.Timestamp("2024-02-01")
    assert s.next_after(JAN15) == pd.Timestamp("2024-02-01")


def test_quarterly_schedule_falls_on_quarter_starts() -> None:
    s = AttestationSchedule.quarterly()
    assert s.last_at_or_before(pd.Timestamp("2024-06-30 23:00")) == pd.Timestamp("2024-04-01")
    assert s.next_after(pd.Timestamp("2024-11-02")) == pd.Timestamp("2025-01-01")


def test_every_n_days_counts_from_the_anchor() -> None:
    s = AttestationSchedule.every(7, anchor="2024-01-01")
    assert s.last_at_or_before(JAN15) == pd.Timestamp("2024-01-15")
    assert s.last_at_or_before(pd.Timestamp("2024-01-14 23:59")) == pd.Timestamp("2024-01-08")
    assert s.next_after(JAN15) == pd.Timestamp("2024-01-22")
    assert s.last_at_or_before(pd.Timestamp("2023-12-30")) == pd.Timestamp("2023-12-25")


def test_bad_schedules_raise() -> None:
    with pytest.raises(ConfigError, match="kind"):
        AttestationSchedule("weekly")
    with pytest.raises(ConfigError, match="every_days"):
        AttestationSchedule("every", 0)
    with pytest.raises(ConfigError, match="every_days"):
        AttestationSchedule("monthly", 3)


# --- losses and attestation ---------------------------------------------------------------


def test_loss_lowers_actual_ratio_at_once_and_reported_only_at_next_attestation() -> None:
    ledger, c = vault(AttestationSchedule.monthly())
    supply = ledger.supply
    lost = c.lose_share(0.2, JAN15)
    assert lost == 20 * KG
    assert actual_reserve_ratio([c], supply) == pytest.approx(0.8)
    assert reported_reserve_ratio([c], supply) == 1.0
    assert not c.update(pd.Timestamp("2024-01-31 23:59"))
    assert reported_reserve_ratio([c], supply) == 1.0
    assert c.reported_mg == 100 * KG
    assert c.update(pd.Timestamp("2024-02-01 00:00"))
    assert reported_reserve_ratio([c], supply) == pytest.approx(0.8)
    assert c.reported_mg == 80 * KG
    assert c.reported_at == pd.Timestamp("2024-02-01")
    assert c.undisclosed_loss_mg == 0


def test_continuous_attestation_reveals_a_loss_at_once() -> None:
    ledger, c = vault(AttestationSchedule.continuous())
    c.lose_share(0.5, JAN15)
    assert reported_reserve_ratio([c], ledger.supply) == pytest.approx(0.5)


def test_public_flows_between_attestations_do_not_move_the_reported_ratio() -> None:
    ledger, c = vault(AttestationSchedule.quarterly())
    c.update(JAN15)
    holder = ledger.open_account("minter")
    ledger.genesis(holder, Asset.GOLD, 50 * KG)
    ledger.transfer(holder, c.vault_account, Asset.GOLD, 50 * KG)  # a mint's gold arrives
    ledger.mint_tokens(holder, 50 * KG)
    assert c.reported_mg == 100 * KG  # the snapshot is stale...
    assert reported_reserve_ratio([c], ledger.supply) == 1.0  # ...but the public counts flows


def test_lost_gold_goes_to_the_sink_and_is_conserved() -> None:
    ledger, c = vault(AttestationSchedule.monthly())
    c.lose_share(0.25, JAN15)
    c.lose_share(1.0, JAN15)
    assert c.actual_mg == 0
    assert c.lost_mg == 100 * KG
    assert ledger.balance(c.lost_account, Asset.GOLD) == 100 * KG
    assert ledger.name(c.lost_account) == "brinks:lost"
    ledger.check()


def test_loss_share_outside_unit_interval_raises() -> None:
    _, c = vault(AttestationSchedule.monthly())
    with pytest.raises(CustodyError, match="share"):
        c.lose_share(1.5, JAN15)
    with pytest.raises(CustodyError, match="share"):
        c.lose_share(-0.1, JAN15)


def test_ratios_are_nan_without_supply() -> None:
    _, c = vault(AttestationSchedule.monthly())
    assert math.isnan(actual_reserve_ratio([c], 0))
    assert math.isnan(reported_reserve_ratio([c], 0))


# --- incidents and capacity -----------------------------------------------------------------


def test_freeze_until_a_time_and_indefinitely() -> None:
    _, c = vault(AttestationSchedule.monthly())
    c.freeze(until=JAN15 + pd.Timedelta(hours=2))
    assert c.is_frozen(JAN15)
    assert not c.is_frozen(JAN15 + pd.Timedelta(hours=2))
    c.freeze(None)
    assert c.is_frozen(pd.Timestamp("2200-01-01"))
    c.unfreeze()
    assert not c.is_frozen(JAN15)


def test_slow_and_insolvent() -> None:
    _, c = vault(AttestationSchedule.monthly())
    c.slow(36)
    assert c.extra_settlement_hours == 36.0
    with pytest.raises(CustodyError, match="hours"):
        c.slow(-1)
    assert not c.is_insolvent
    c.insolvent()
    assert c.is_insolvent


def test_capacity_is_per_calendar_day() -> None:
    _, c = vault(AttestationSchedule.monthly(), capacity=10 * KG)
    c.consume_capacity(7 * KG, JAN15)
    assert c.remaining_capacity(JAN15 + pd.Timedelta(hours=3)) == 3 * KG
    with pytest.raises(CustodyError, match="capacity"):
        c.consume_capacity(4 * KG, JAN15)
    assert c.remaining_capacity(JAN15 + pd.Timedelta(days=1)) == 10 * KG
    c.consume_capacity(10 * KG, JAN15 + pd.Timedelta(days=1))
    assert c.remaining_capacity(JAN15 + pd.Timedelta(days=1)) == 0


def test_unlimited_capacity() -> None:
    _, c = vault(AttestationSchedule.monthly(), capacity=None)
    c.consume_capacity(10**15, JAN15)
    assert c.remaining_capacity(JAN15) == UNLIMITED_MG


def test_bad_custodian_settings_raise() -> None:
    ledger = Ledger()
    account = ledger.open_account("v")
    with pytest.raises(ConfigError, match="daily_capacity_mg"):
        Custodian(
            "v", ledger, account, daily_capacity_mg=-1, attestation=AttestationSchedule.monthly()
        )
    with pytest.raises(ConfigError, match="extra_settlement_hours"):
        Custodian(
            "v",
            ledger,
            account,
            daily_capacity_mg=None,
            extra_settlement_hours=-2,
            attestation=AttestationSchedule.monthly(),
        )
