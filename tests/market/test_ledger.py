"""Unit tests of the ledger: accounts, endowments, moves, reservations, errors and invariants."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from gramabm.errors import ConfigError, MarketError
from gramabm.market.ledger import Asset, InsufficientBalanceError, InvariantError, Ledger


def _snapshot(ledger: Ledger) -> list[np.ndarray]:
    return [ledger.balances(a).copy() for a in Asset] + [
        ledger.reserved_array(a).copy() for a in Asset
    ]


def _assert_unchanged(ledger: Ledger, before: list[np.ndarray]) -> None:
    for old, new in zip(before, _snapshot(ledger), strict=True):
        np.testing.assert_array_equal(old, new)


@pytest.fixture
def ledger() -> Ledger:
    led = Ledger(capacity=2)
    alice = led.open_account("alice")
    bob = led.open_account("bob")
    led.genesis(alice, Asset.USD, 1_000)
    led.genesis(bob, Asset.GOLD, 500)
    led.genesis(bob, Asset.TOKEN, 300)
    return led


# ------------------------------------------------------------------------------- accounts


def test_accounts_get_consecutive_ids_names_and_grow_past_capacity(ledger: Ledger) -> None:
    ids = ledger.open_accounts(5, "holder-")
    np.testing.assert_array_equal(ids, np.arange(2, 7))
    assert ids.dtype == np.int64
    assert ledger.n_accounts == 7
    assert ledger.name(0) == "alice"
    assert ledger.name(4) == "holder-2"
    # Growing the arrays past capacity 2 kept the earlier balances.
    assert ledger.balance(0, Asset.USD) == 1_000
    assert ledger.balance(1, Asset.TOKEN) == 300
    assert ledger.open_account("late") == 7
    assert ledger.balances(Asset.USD).shape == (8,)


def test_bad_capacity_and_negative_population_are_refused() -> None:
    with pytest.raises(ConfigError, match="capacity"):
        Ledger(capacity=0)
    with pytest.raises(ConfigError, match="negative"):
        Ledger().open_accounts(-1, "x")


def test_unknown_account_is_named_in_the_error(ledger: Ledger) -> None:
    with pytest.raises(MarketError, match="no account 9"):
        ledger.balance(9, Asset.USD)
    with pytest.raises(MarketError, match="no account -1"):
        ledger.transfer(-1, 0, Asset.USD, 1)
    with pytest.raises(MarketError, match="no account 2"):
        ledger.transfer(0, 2, Asset.USD, 1)
    with pytest.raises(MarketError, match="no account 5"):
        ledger.name(5)


# ------------------------------------------------------------------------------- genesis, mint, burn


def test_genesis_records_endowments_and_tokens_count_as_minted(ledger: Ledger) -> None:
    assert ledger.genesis_total(Asset.USD) == 1_000
    assert ledger.genesis_total(Asset.GOLD) == 500
    assert ledger.minted == 300
    assert ledger.supply == 300
    ledger.check()


def test_genesis_rejects_negative_and_non_integer_amounts(ledger: Ledger) -> None:
    before = _snapshot(ledger)
    with pytest.raises(MarketError, match=">= 0"):
        ledger.genesis(0, Asset.USD, -1)
    with pytest.raises(TypeError):
        ledger.genesis(0, Asset.USD, 1.5)  # type: ignore[arg-type]
    _assert_unchanged(ledger, before)


def test_genesis_many_adds_up_repeats_and_validates(ledger: Ledger) -> None:
    ids = ledger.open_accounts(3, "h")
    ledger.genesis_many(np.array([ids[0], ids[1], ids[0]]), Asset.USD, np.array([10, 20, 5]))
    assert ledger.balances(Asset.USD)[ids].tolist() == [15, 20, 0]
    ledger.genesis_many(ids, Asset.TOKEN, 7)
    assert ledger.minted == 300 + 21
    assert ledger.genesis_total(Asset.USD) == 1_035
    ledger.check()
    before = _snapshot(ledger)
    with pytest.raises(MarketError, match="account ids"):
        ledger.genesis_many(np.array([0, 99]), Asset.USD, 1)
    with pytest.raises(MarketError, match=">= 0"):
        ledger.genesis_many(ids, Asset.USD, np.array([1, -1, 1]))
    with pytest.raises(MarketError, match="integer"):
        ledger.genesis_many(ids, Asset.USD, np.array([1.0, 1.0, 1.0]))
    _assert_unchanged(ledger, before)


def test_mint_and_burn_track_supply(ledger: Ledger) -> None:
    ledger.mint_tokens(0, 1_000)
    assert ledger.balance(0, Asset.TOKEN) == 1_000
    ledger.burn_tokens(0, 400)
    assert (ledger.minted, ledger.burned, ledger.supply) == (1_300, 400, 900)
    ledger.reserve(0, Asset.TOKEN, 500)
    ledger.burn_tokens(0, 200, from_reserved=True)
    assert ledger.reserved(0, Asset.TOKEN) == 300
    assert ledger.balance(0, Asset.TOKEN) == 400
    ledger.check()


def test_burn_errors_name_the_part_that_is_short(ledger: Ledger) -> None:
    ledger.reserve(1, Asset.TOKEN, 250)
    before = _snapshot(ledger)
    with pytest.raises(InsufficientBalanceError) as err:
        ledger.burn_tokens(1, 60)  # only 50 available
    assert (err.value.needed, err.value.have, err.value.part) == (60, 50, "available")
    with pytest.raises(InsufficientBalanceError) as err:
        ledger.burn_tokens(1, 251, from_reserved=True)
    assert (err.value.needed, err.value.have, err.value.part) == (251, 250, "reserved")
    with pytest.raises(MarketError, match=">= 0"):
        ledger.mint_tokens(1, -5)
    _assert_unchanged(ledger, before)
    assert ledger.burned == 0


# ------------------------------------------------------------------------------- moves


def test_transfer_moves_available_value(ledger: Ledger) -> None:
    ledger.transfer(0, 1, Asset.USD, 400)
    assert ledger.balance(0, Asset.USD) == 600
    assert ledger.balance(1, Asset.USD) == 400
    ledger.check()


def test_insufficient_transfer_names_account_asset_need_and_have(ledger: Ledger) -> None:
    ledger.reserve(0, Asset.USD, 700)
    before = _snapshot(ledger)
    with pytest.raises(InsufficientBalanceError) as err:
        ledger.transfer(0, 1, Asset.USD, 301)
    e = err.value
    assert (e.account, e.name, e.asset, e.needed, e.have) == (0, "alice", Asset.USD, 301, 300)
    msg = str(e)
    for part in ("account 0", "'alice'", "USD", "301", "300", "available"):
        assert part in msg
    assert isinstance(e, ValueError)
    _assert_unchanged(ledger, before)


def test_negative_and_float_amounts_are_refused_everywhere(ledger: Ledger) -> None:
    before = _snapshot(ledger)
    for call in (
        lambda: ledger.transfer(0, 1, Asset.USD, -1),
        lambda: ledger.reserve(0, Asset.USD, -1),
        lambda: ledger.try_reserve(0, Asset.USD, -1),
        lambda: ledger.release(0, Asset.USD, -1),
        lambda: ledger.transfer_reserved(0, 1, Asset.USD, -1),
        lambda: ledger.burn_tokens(1, -1),
    ):
        with pytest.raises(MarketError, match=">= 0"):
            call()
    with pytest.raises(TypeError):
        ledger.transfer(0, 1, Asset.USD, 2.5)  # type: ignore[arg-type]
    _assert_unchanged(ledger, before)


def test_numpy_integer_ids_and_amounts_work(ledger: Ledger) -> None:
    ledger.transfer(np.int64(0), np.int64(1), Asset.USD, np.int64(5))
    assert ledger.balance(1, Asset.USD) == 5
    assert isinstance(ledger.balance(1, Asset.USD), int)


def test_reserve_release_and_available(ledger: Ledger) -> None:
    ledger.reserve(0, Asset.USD, 300)
    assert (ledger.balance(0, Asset.USD), ledger.reserved(0, Asset.USD)) == (1_000, 300)
    assert ledger.available(0, Asset.USD) == 700
    assert ledger.try_reserve(0, Asset.USD, 701) is False
    assert ledger.reserved(0, Asset.USD) == 300
    with pytest.raises(InsufficientBalanceError, match="available, has 700"):
        ledger.reserve(0, Asset.USD, 701)
    assert ledger.try_reserve(0, Asset.USD, 700) is True
    ledger.release(0, Asset.USD, 1_000)
    assert ledger.reserved(0, Asset.USD) == 0
    with pytest.raises(InsufficientBalanceError) as err:
        ledger.release(0, Asset.USD, 1)
    assert (err.value.part, err.value.have) == ("reserved", 0)


def test_transfer_reserved_draws_only_on_the_reserved_part(ledger: Ledger) -> None:
    ledger.reserve(1, Asset.GOLD, 200)
    ledger.transfer_reserved(1, 0, Asset.GOLD, 150)
    assert ledger.balance(1, Asset.GOLD) == 350
    assert ledger.reserved(1, Asset.GOLD) == 50
    assert ledger.available(0, Asset.GOLD) == 150
    before = _snapshot(ledger)
    with pytest.raises(InsufficientBalanceError, match="reserved, has 50"):
        ledger.transfer_reserved(1, 0, Asset.GOLD, 51)
    _assert_unchanged(ledger, before)
    ledger.check()


def test_settle_trade_moves_cash_tokens_and_fees(ledger: Ledger) -> None:
    fees = ledger.open_account("fees")
    ledger.reserve(0, Asset.USD, 1_000)
    ledger.reserve(1, Asset.TOKEN, 100)
    ledger.settle_trade(0, 1, qty=80, cash=800, buyer_fee=3, seller_fee=2, fee_account=fees)
    assert ledger.balance(0, Asset.USD) == 197
    assert ledger.reserved(0, Asset.USD) == 197
    assert ledger.balance(0, Asset.TOKEN) == 80
    assert ledger.balance(1, Asset.USD) == 798
    assert (ledger.balance(1, Asset.TOKEN), ledger.reserved(1, Asset.TOKEN)) == (220, 20)
    assert ledger.balance(fees, Asset.USD) == 5
    ledger.check()


def test_settle_trade_is_atomic_when_a_reservation_is_short(ledger: Ledger) -> None:
    fees = ledger.open_account("fees")
    ledger.reserve(0, Asset.USD, 500)
    ledger.reserve(1, Asset.TOKEN, 10)
    before = _snapshot(ledger)
    with pytest.raises(InsufficientBalanceError, match="TOKEN"):
        ledger.settle_trade(0, 1, qty=11, cash=100, buyer_fee=0, seller_fee=0, fee_account=fees)
    with pytest.raises(InsufficientBalanceError, match="USD"):
        ledger.settle_trade(0, 1, qty=1, cash=500, buyer_fee=1, seller_fee=0, fee_account=fees)
    _assert_unchanged(ledger, before)


def test_settle_trade_takes_a_buying_taker_s_cash_from_its_available_part(ledger: Ledger) -> None:
    fees = ledger.open_account("fees")
    ledger.reserve(0, Asset.USD, 100)  # another order's: the taker pays beside it
    ledger.reserve(1, Asset.TOKEN, 100)  # the resting offer's
    before = _snapshot(ledger)
    with pytest.raises(InsufficientBalanceError, match="901 USD base units available, has 900"):
        ledger.settle_trade(0, 1, 1, 900, 1, 0, fees, taker=1)
    _assert_unchanged(ledger, before)
    ledger.settle_trade(
        0, 1, qty=80, cash=800, buyer_fee=3, seller_fee=2, fee_account=fees, taker=1
    )
    assert (ledger.balance(0, Asset.USD), ledger.reserved(0, Asset.USD)) == (197, 100)
    assert (ledger.balance(1, Asset.TOKEN), ledger.reserved(1, Asset.TOKEN)) == (220, 20)
    assert (ledger.balance(0, Asset.TOKEN), ledger.balance(1, Asset.USD)) == (80, 798)
    assert ledger.balance(fees, Asset.USD) == 5
    ledger.check()


def test_settle_trade_takes_a_selling_taker_s_tokens_from_its_available_part(
    ledger: Ledger,
) -> None:
    fees = ledger.open_account("fees")
    ledger.reserve(0, Asset.USD, 1_000)  # the resting bid's
    ledger.reserve(1, Asset.TOKEN, 100)  # another order's: the taker pays beside it
    before = _snapshot(ledger)
    with pytest.raises(InsufficientBalanceError, match="201 TOKEN base units available, has 200"):
        ledger.settle_trade(0, 1, 201, 201, 0, 0, fees, taker=-1)
    _assert_unchanged(ledger, before)
    ledger.settle_trade(
        0, 1, qty=80, cash=800, buyer_fee=3, seller_fee=2, fee_account=fees, taker=-1
    )
    assert (ledger.balance(0, Asset.USD), ledger.reserved(0, Asset.USD)) == (197, 197)
    assert (ledger.balance(1, Asset.TOKEN), ledger.reserved(1, Asset.TOKEN)) == (220, 100)
    assert (ledger.balance(0, Asset.TOKEN), ledger.balance(1, Asset.USD)) == (80, 798)
    assert ledger.balance(fees, Asset.USD) == 5
    ledger.check()


def test_settle_trade_with_oneself_only_pays_fees(ledger: Ledger) -> None:
    fees = ledger.open_account("fees")
    ledger.genesis(0, Asset.TOKEN, 50)
    ledger.reserve(0, Asset.USD, 110)
    ledger.reserve(0, Asset.TOKEN, 10)
    ledger.settle_trade(0, 0, qty=10, cash=100, buyer_fee=1, seller_fee=1, fee_account=fees)
    assert ledger.balance(0, Asset.USD) == 998
    assert ledger.reserved(0, Asset.USD) == 9
    assert (ledger.balance(0, Asset.TOKEN), ledger.reserved(0, Asset.TOKEN)) == (50, 0)
    ledger.check()


def test_balances_are_read_only_views_that_follow_changes(ledger: Ledger) -> None:
    usd = ledger.balances(Asset.USD)
    with pytest.raises(ValueError, match="read-only"):
        usd[0] = 5
    ledger.transfer(0, 1, Asset.USD, 100)
    assert usd.tolist() == [900, 100]
    ledger.reserve(0, Asset.USD, 50)
    assert ledger.reserved_array(Asset.USD).tolist() == [50, 0]
    assert ledger.available_array(Asset.USD).tolist() == [850, 100]


def test_views_cover_every_opened_account_and_the_ledger_of_a_copy(ledger: Ledger) -> None:
    assert ledger.balances(Asset.USD) is ledger.balances(Asset.USD)  # made once, then shared
    ledger.open_account("carol")  # fits the capacity: the arrays stay, the views lengthen
    ledger.open_accounts(3, "grown-")  # past it: new arrays, new views
    ledger.genesis(5, Asset.TOKEN, 7)
    ledger.reserve(5, Asset.TOKEN, 2)
    assert ledger.balances(Asset.TOKEN).tolist() == [0, 300, 0, 0, 0, 7]
    assert ledger.reserved_array(Asset.TOKEN).tolist() == [0, 0, 0, 0, 0, 2]
    twin = copy.deepcopy(ledger)
    twin.transfer(0, 1, Asset.USD, 10)
    assert twin.balances(Asset.USD).tolist()[:2] == [990, 10]
    assert ledger.balances(Asset.USD).tolist()[:2] == [1_000, 0]
    twin.release(5, Asset.TOKEN, 2)
    assert twin.reserved_array(Asset.TOKEN).tolist()[5] == 0
    assert ledger.reserved_array(Asset.TOKEN).tolist()[5] == 2


def test_amounts_beyond_int64_raise_instead_of_wrapping(ledger: Ledger) -> None:
    ledger.genesis(1, Asset.USD, 2**62)
    with pytest.raises(OverflowError):
        ledger.genesis(1, Asset.USD, 2**62)
    assert ledger.balance(1, Asset.USD) == 2**62


# ------------------------------------------------------------------------------- check


def test_check_passes_on_a_consistent_ledger(ledger: Ledger) -> None:
    ledger.transfer(1, 0, Asset.TOKEN, 100)
    ledger.reserve(0, Asset.TOKEN, 100)
    ledger.mint_tokens(1, 5)
    ledger.burn_tokens(0, 100, from_reserved=True)
    ledger.check()


@pytest.mark.parametrize(
    ("asset", "array", "account", "delta", "message"),
    [
        (Asset.USD, "_bal", 0, +1, "USD total 1001 != genesis 1000"),
        (Asset.GOLD, "_bal", 1, -1, "GOLD total 499 != genesis 500"),
        (Asset.TOKEN, "_bal", 1, +7, "TOKEN total 307 != minted - burned 300"),
        (Asset.USD, "_res", 0, +1_001, "USD reservation above balance"),
        (Asset.TOKEN, "_res", 1, -1, "TOKEN negative reservation"),
    ],
)
def test_check_catches_manual_corruption(
    ledger: Ledger, asset: Asset, array: str, account: int, delta: int, message: str
) -> None:
    getattr(ledger, array)[asset][account] += delta
    with pytest.raises(InvariantError, match=message):
        ledger.check()


def test_check_catches_a_negative_balance_even_when_totals_match(ledger: Ledger) -> None:
    ledger._bal[Asset.USD][0] = -5
    ledger._bal[Asset.USD][1] = 1_005
    with pytest.raises(
        InvariantError, match=r"USD negative balance in 1 account\(s\): 0 \('alice'"
    ):
        ledger.check()
