"""What each ledger operation must do at its boundaries: zero amounts, the whole balance, and
account ids just outside the range (which must never reach another account's slot)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.errors import ConfigError, MarketError
from gramabm.market.ledger import Asset, InsufficientBalanceError, Ledger

USD, TOKEN, GOLD = Asset.USD, Asset.TOKEN, Asset.GOLD


def make() -> Ledger:
    """Three accounts, each with 100 of every asset, 40 of it reserved."""
    led = Ledger(capacity=8)  # spare slots beyond the last account must stay out of reach
    for i in range(3):
        led.open_account(f"a{i}")
        for asset in Asset:
            led.genesis(i, asset, 100)
            led.reserve(i, asset, 40)
    return led


def state(led: Ledger) -> tuple:
    return (
        tuple(led._bal[a].tolist() for a in Asset),  # the whole arrays, spare slots included
        tuple(led._res[a].tolist() for a in Asset),
        led.minted,
        led.burned,
        tuple(led.genesis_total(a) for a in Asset),
    )


# Every operation that names accounts, with a place for the account under test.
OPERATIONS: dict[str, Callable[[Ledger, int], object]] = {
    "genesis": lambda led, a: led.genesis(a, USD, 1),
    "mint_tokens": lambda led, a: led.mint_tokens(a, 1),
    "burn_tokens": lambda led, a: led.burn_tokens(a, 1),
    "burn_reserved": lambda led, a: led.burn_tokens(a, 1, from_reserved=True),
    "balance": lambda led, a: led.balance(a, USD),
    "reserved": lambda led, a: led.reserved(a, USD),
    "available": lambda led, a: led.available(a, USD),
    "name": lambda led, a: led.name(a),
    "transfer_from": lambda led, a: led.transfer(a, 0, USD, 1),
    "transfer_to": lambda led, a: led.transfer(0, a, USD, 1),
    "reserve": lambda led, a: led.reserve(a, USD, 1),
    "try_reserve": lambda led, a: led.try_reserve(a, USD, 1),
    "release": lambda led, a: led.release(a, USD, 1),
    "transfer_reserved_from": lambda led, a: led.transfer_reserved(a, 0, USD, 1),
    "transfer_reserved_to": lambda led, a: led.transfer_reserved(0, a, USD, 1),
    "genesis_many": lambda led, a: led.genesis_many(np.array([a]), USD, 1),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("account", [-1, -3, 3, 4])
def test_accounts_outside_the_range_are_refused_and_change_nothing(
    operation: str, account: int
) -> None:
    led = make()
    before = state(led)
    with pytest.raises(MarketError, match=f"account|{account}"):
        OPERATIONS[operation](led, account)
    assert state(led) == before


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("account", [0, 2])
def test_the_first_and_last_accounts_are_in_range(operation: str, account: int) -> None:
    led = make()
    OPERATIONS[operation](led, account)  # raises nothing
    led.check()


ZERO_MOVES: dict[str, Callable[[Ledger], object]] = {
    "transfer": lambda led: led.transfer(1, 2, USD, 0),
    "reserve": lambda led: led.reserve(1, USD, 0),
    "try_reserve": lambda led: led.try_reserve(1, USD, 0),
    "release": lambda led: led.release(1, USD, 0),
    "transfer_reserved": lambda led: led.transfer_reserved(1, 2, USD, 0),
    "mint_tokens": lambda led: led.mint_tokens(1, 0),
    "burn_tokens": lambda led: led.burn_tokens(1, 0),
    "burn_reserved": lambda led: led.burn_tokens(1, 0, from_reserved=True),
    "genesis": lambda led: led.genesis(1, GOLD, 0),
    "genesis_many": lambda led: led.genesis_many(np.array([1, 2]), GOLD, 0),
}


@pytest.mark.parametrize("operation", list(ZERO_MOVES))
def test_zero_amounts_are_accepted_and_move_nothing(operation: str) -> None:
    led = make()
    before = state(led)
    ZERO_MOVES[operation](led)
    assert state(led) == before
    # Even from an account that holds nothing at all.
    empty = Ledger()
    empty.open_account("a")
    empty.open_account("b")
    empty.open_account("c")
    ZERO_MOVES[operation](empty)
    assert empty.balances(USD).tolist() == [0, 0, 0]
    assert empty.reserved_array(USD).tolist() == [0, 0, 0]


def test_zero_reserve_succeeds_with_nothing_available() -> None:
    led = Ledger()
    led.open_account("a")
    assert led.try_reserve(0, USD, 0) is True


def test_the_whole_available_balance_can_be_burned_moved_and_reserved() -> None:
    led = make()
    led.burn_tokens(0, 60)  # all that is available (100 held, 40 reserved)
    assert (led.balance(0, TOKEN), led.available(0, TOKEN), led.burned) == (40, 0, 60)
    with pytest.raises(InsufficientBalanceError, match="available"):
        led.burn_tokens(0, 1)
    led.burn_tokens(0, 40, from_reserved=True)  # all that is reserved
    assert (led.balance(0, TOKEN), led.reserved(0, TOKEN)) == (0, 0)
    with pytest.raises(InsufficientBalanceError, match="reserved"):
        led.burn_tokens(0, 1, from_reserved=True)
    led.transfer(1, 2, USD, 60)
    assert (led.available(1, USD), led.balance(2, USD)) == (0, 160)
    assert led.try_reserve(2, USD, 121) is False
    led.reserve(2, USD, 120)
    assert led.available(2, USD) == 0
    led.release(2, USD, 160)
    assert led.reserved(2, USD) == 0
    led.transfer_reserved(1, 0, USD, 40)
    assert (led.balance(1, USD), led.reserved(1, USD), led.balance(0, USD)) == (0, 0, 140)
    led.check()


@given(have=st.integers(0, 1_000), held=st.integers(0, 1_000), amount=st.integers(0, 2_000))
def test_a_move_succeeds_exactly_when_the_part_it_draws_on_covers_it(
    have: int, held: int, amount: int
) -> None:
    held = min(held, have)
    for name, draws_on, move in (
        ("transfer", have - held, lambda led: led.transfer(0, 1, GOLD, amount)),
        ("reserve", have - held, lambda led: led.reserve(0, GOLD, amount)),
        ("release", held, lambda led: led.release(0, GOLD, amount)),
        ("transfer_reserved", held, lambda led: led.transfer_reserved(0, 1, GOLD, amount)),
        ("burn", have - held, lambda led: led.burn_tokens(0, amount)),
        ("burn_reserved", held, lambda led: led.burn_tokens(0, amount, from_reserved=True)),
    ):
        led = Ledger()
        led.open_account("a")
        led.open_account("b")
        asset = TOKEN if name.startswith("burn") else GOLD
        led.genesis(0, asset, have)
        led.reserve(0, asset, held)
        before = state(led)
        if amount <= draws_on:
            move(led)
            led.check()
        else:
            with pytest.raises(InsufficientBalanceError):
                move(led)
            assert state(led) == before


def test_genesis_many_endows_one_account_and_refuses_one_past_the_last() -> None:
    led = make()
    led.genesis_many(np.array([2]), GOLD, np.array([5]))
    assert led.balance(2, GOLD) == 105
    assert led.genesis_total(GOLD) == 305
    led.genesis_many(np.array([0, 0, 1]), TOKEN, 7)  # one amount for all, repeats add up
    assert (led.balance(0, TOKEN), led.balance(1, TOKEN), led.minted) == (114, 107, 321)
    before = state(led)
    for ids in ([3], [0, 3], [-1, 0]):
        with pytest.raises(MarketError, match=r"\[0, 3\)"):
            led.genesis_many(np.array(ids), GOLD, 1)
    with pytest.raises(MarketError, match=r"^genesis_many: amounts must be >= 0$"):
        led.genesis_many(np.array([0, 1]), GOLD, np.array([1, -1]))
    with pytest.raises(MarketError, match=r"^genesis_many needs integer account ids and amounts$"):
        led.genesis_many(np.array([0]), GOLD, np.array([1.5]))
    with pytest.raises(MarketError, match="integer"):
        led.genesis_many(np.array([0.0]), GOLD, 1)
    led.genesis_many(np.array([], dtype=np.int64), GOLD, 1)
    assert state(led) == before


def test_gold_and_usd_endowments_do_not_count_as_minted() -> None:
    led = Ledger()
    led.open_account("a")
    led.genesis(0, GOLD, 10)
    led.genesis(0, USD, 20)
    led.genesis_many(np.array([0]), GOLD, 5)
    assert (led.minted, led.supply) == (0, 0)
    led.genesis(0, TOKEN, 3)
    assert (led.minted, led.supply) == (3, 3)
    led.check()


def test_opening_no_accounts_is_allowed_and_ids_are_int64() -> None:
    led = make()
    ids = led.open_accounts(0, "none")
    assert ids.tolist() == []
    assert led.n_accounts == 3
    ids = led.open_accounts(2, "p")
    assert ids.tolist() == [3, 4]
    assert ids.dtype == np.int64
    assert led.name(4) == "p1"


def test_array_reads_cover_exactly_the_open_accounts() -> None:
    led = make()  # capacity 8, three accounts
    assert led.available_array(USD).tolist() == [60, 60, 60]
    assert led.balances(GOLD).tolist() == [100, 100, 100]
    assert led.reserved_array(TOKEN).tolist() == [40, 40, 40]


@pytest.mark.parametrize("operation", [op for op in OPERATIONS if op != "genesis_many"])
@pytest.mark.parametrize("account", [-1, 3])
def test_an_unknown_account_error_names_that_account(operation: str, account: int) -> None:
    with pytest.raises(MarketError, match=rf"^no account {account} \(ledger has 3 accounts\)$"):
        OPERATIONS[operation](make(), account)


@pytest.mark.parametrize(
    ("operation", "part", "have"),
    [
        (lambda led: led.transfer(0, 1, USD, 61), "available", 60),
        (lambda led: led.reserve(0, USD, 61), "available", 60),
        (lambda led: led.burn_tokens(0, 61), "available", 60),
        (lambda led: led.release(0, USD, 41), "reserved", 40),
        (lambda led: led.transfer_reserved(0, 1, USD, 41), "reserved", 40),
        (lambda led: led.burn_tokens(0, 41, from_reserved=True), "reserved", 40),
    ],
)
def test_a_short_balance_error_names_the_part_and_amounts(
    operation: Callable[[Ledger], object], part: str, have: int
) -> None:
    with pytest.raises(InsufficientBalanceError) as info:
        operation(make())
    err = info.value
    assert (err.account, err.name, err.part, err.needed, err.have) == (
        0,
        "a0",
        part,
        have + 1,
        have,
    )


def test_genesis_many_endows_amounts_beyond_float_precision_exactly() -> None:
    led = make()
    big = 2**62 + 1  # a float64 would round it to 2**62
    led.genesis_many(np.array([0, 2, 0]), USD, np.array([big, 3, 5], dtype=np.int64))
    assert led.balance(0, USD) == 100 + big + 5
    assert led.balance(2, USD) == 103
    assert led.genesis_total(USD) == 300 + big + 8
    led.check()


def test_a_trade_short_of_a_reservation_names_whose_and_changes_nothing() -> None:
    led = make()  # each account has 40 of every asset reserved
    before = state(led)
    with pytest.raises(InsufficientBalanceError) as info:
        led.settle_trade(0, 1, 5, 38, 3, 0, 2)  # the buyer's 40 reserved USD cannot pay 41
    assert (info.value.account, info.value.asset, info.value.part) == (0, USD, "reserved")
    assert (info.value.needed, info.value.have) == (41, 40)
    with pytest.raises(InsufficientBalanceError) as info:
        led.settle_trade(0, 1, 41, 40, 0, 0, 2)  # the seller's 40 reserved tokens cannot pay 41
    assert (info.value.account, info.value.asset, info.value.part) == (1, TOKEN, "reserved")
    assert (info.value.needed, info.value.have) == (41, 40)
    assert state(led) == before
    led.settle_trade(0, 1, 40, 37, 3, 2, 2)  # exactly the reservations
    assert (led.reserved(0, USD), led.reserved(1, TOKEN)) == (0, 0)
    assert (led.balance(1, USD), led.balance(2, USD)) == (135, 105)
    led.check()


def test_a_ledger_of_one_slot_grows_and_keeps_exact_integers() -> None:
    with pytest.raises(ConfigError, match="capacity must be positive, got 0"):
        Ledger(capacity=0)
    led = Ledger(capacity=1)
    for i in range(3):  # past the first slot: the arrays are reallocated
        assert led.open_account(f"a{i}") == i
    big = 2**62 + 1  # a float64 would round it to 2**62
    led.genesis(2, USD, big)
    led.reserve(2, USD, big - 1)
    assert led.balance(2, USD) == big
    assert led.available(2, USD) == 1
    assert led.balances(USD).dtype == np.int64
    assert led.reserved_array(USD).dtype == np.int64
    led.check()
