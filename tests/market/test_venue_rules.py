"""What each venue order, fee and batch row must do, stated exactly.

Example tests pin the boundaries (a fee rounded once per order, a buyer with exactly enough cash,
a price at ``MAX_PRICE``); the property test runs random batches through
:meth:`Venue.submit_batch` and, on a twin venue, through the one-order-at-a-time methods, and
checks each row's result, status, fills, side and remaining quantity against the other path.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.ledger import Asset, InvariantError, Ledger
from gramabm.market.orderbook import (
    MAX_PRICE,
    NotOwnerError,
    OrderBook,
    OrderBookError,
    OrderKind,
    Side,
    UnknownOrderError,
)
from gramabm.market.venue import (
    BUY,
    CANCEL,
    LIMIT,
    LIMIT_IOC,
    LIMIT_POST_ONLY,
    MARKET,
    SELL,
    OrderStatus,
    Trade,
    Venue,
)

USD, TOKEN = Asset.USD, Asset.TOKEN
FEES = 0


def venue(
    n_owners: int = 4,
    *,
    usd: int = 10**9,
    tokens: int = 10**6,
    taker_bp: float = 0.0,
    maker_bp: float = 0.0,
) -> tuple[Ledger, Venue]:
    """Fee account 0, then ``n_owners`` traders each endowed with ``usd`` and ``tokens``."""
    led = Ledger()
    led.open_account("fees")
    for i in range(n_owners):
        acct = led.open_account(f"trader{i}")
        led.genesis(acct, USD, usd)
        led.genesis(acct, TOKEN, tokens)
    return led, Venue(led, fee_account=FEES, taker_fee_bp=taker_bp, maker_fee_bp=maker_bp)


def snapshot(led: Ledger, v: Venue) -> tuple:
    return (
        tuple(led.balances(a).tolist() for a in Asset),
        tuple(led.reserved_array(a).tolist() for a in Asset),
        v.book.levels(BUY, 100),
        v.book.levels(SELL, 100),
        v.book.n_orders,
    )


# ------------------------------------------------------------------------------ contracts


def test_sides_and_kinds_are_declared_once_with_their_codes() -> None:
    assert (int(Side.BUY), int(Side.SELL)) == (1, -1)
    assert [int(k) for k in OrderKind] == [0, 1, 2, 3, 4]
    assert (BUY, SELL) == (Side.BUY, Side.SELL)
    assert tuple(OrderKind) == (LIMIT, LIMIT_IOC, MARKET, CANCEL, LIMIT_POST_ONLY)


# ------------------------------------------------------------------------------ fees


def test_taker_fee_is_rounded_once_per_order_over_three_makers() -> None:
    # Three fills of 6,000 µUSD at 1 bp: per order ceil(1.8) = 2 µUSD; rounded per fill
    # (or per pair of fills) it would be 3.
    led, v = venue(taker_bp=1.0)
    for maker in (1, 2, 3):
        assert v.limit(maker, SELL, 6_000, 1)
    usd0 = led.balance(4, USD)
    assert v.limit(4, BUY, 6_000, 3)
    trades = v.drain_trades()
    assert [t.maker for t in trades] == [1, 2, 3]
    assert sum(t.taker_fee for t in trades) == 2 == v.taker_fee(18_000)
    assert led.balance(4, USD) == usd0 - 18_000 - 2
    assert led.balance(FEES, USD) == 2 == v.fees_collected


@pytest.mark.parametrize(
    ("cash", "bp", "fee"),
    [(0, 1.0, 0), (1, 1.0, 1), (10_000, 1.0, 1), (10_001, 1.0, 2), (20_000, 1.0, 2), (7, 0, 0)],
)
def test_taker_and_maker_fees_round_up(cash: int, bp: float, fee: int) -> None:
    _, v = venue(taker_bp=bp, maker_bp=bp)
    assert v.taker_fee(cash) == fee
    assert v.maker_fee(cash) == fee


@given(
    maker_qtys=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    price=st.integers(1, 20_000),
    taker_bp=st.sampled_from([0.0, 0.1, 1.0, 2.5, 30.0]),
    maker_bp=st.sampled_from([0.0, 0.1, 1.0, 2.5, 30.0]),
)
def test_each_order_pays_its_rate_on_its_total_cash(
    maker_qtys: list[int], price: int, taker_bp: float, maker_bp: float
) -> None:
    led, v = venue(n_owners=len(maker_qtys) + 1, taker_bp=taker_bp, maker_bp=maker_bp)
    taker = len(maker_qtys) + 1
    for maker, q in enumerate(maker_qtys, start=1):
        assert v.limit(maker, SELL, price, q)
    total = sum(maker_qtys)
    assert v.limit(taker, BUY, price, total, ioc=True)
    trades = v.drain_trades()
    cash = price * total
    assert sum(t.qty for t in trades) == total
    assert sum(t.taker_fee for t in trades) == v.taker_fee(cash) == ceil(cash * taker_bp / 1e4)
    for t in trades:
        assert t.maker_fee == v.maker_fee(price * t.qty)
    assert led.balance(taker, USD) == 10**9 - cash - v.taker_fee(cash)
    v.check(exclusive=True)


@pytest.mark.parametrize(
    ("taker_bp", "maker_bp", "extra"), [(1.0, 0.0, 0), (0.0, 1.0, 0), (1.0, 1.0, 1), (0, 0, 0)]
)
def test_a_resting_buy_reserves_one_unit_more_only_when_both_fees_are_set(
    taker_bp: float, maker_bp: float, extra: int
) -> None:
    cash = 100 * 7  # price 100, 7 lots
    _, v = venue(taker_bp=taker_bp, maker_bp=maker_bp)
    worst = max(v.taker_fee(cash), v.maker_fee(cash))
    assert v.buy_reservation(100, 7) == cash + worst + extra
    assert v.buy_reservation(100, 7, ioc=True) == cash + v.taker_fee(cash)
    assert v.buy_reservation(100, 7, post_only=True) == cash + v.maker_fee(cash)
    # A buyer with exactly that much is accepted; one unit less is refused.
    need = cash + worst + extra
    for have, accepted in ((need, True), (need - 1, False)):
        led = Ledger()
        led.open_account("fees")
        buyer = led.open_account("buyer")
        led.genesis(buyer, USD, have)
        v = Venue(led, fee_account=FEES, taker_fee_bp=taker_bp, maker_fee_bp=maker_bp)
        assert bool(v.limit(buyer, BUY, 100, 7)) is accepted
        assert v.last_status == (
            OrderStatus.ACCEPTED if accepted else OrderStatus.INSUFFICIENT_FUNDS
        )
        if accepted:  # resting, it keeps only the price and the maker fee
            assert led.reserved(buyer, USD) == cash + v.maker_fee(cash)


def test_a_seller_with_exactly_the_tokens_is_accepted() -> None:
    led = Ledger()
    led.open_account("fees")
    seller = led.open_account("seller")
    led.genesis(seller, TOKEN, 5)
    v = Venue(led, fee_account=FEES)
    assert v.limit(seller, SELL, 100, 6) == 0
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS
    assert v.limit(seller, SELL, 100, 5) > 0
    assert led.reserved(seller, TOKEN) == 5


# ------------------------------------------------------------------------------ prices


def test_prices_up_to_max_price_are_accepted_and_beyond_refused_without_a_trace() -> None:
    led, v = venue(tokens=10)
    assert v.limit(1, SELL, MAX_PRICE, 1) > 0
    before = snapshot(led, v)
    with pytest.raises(OrderBookError, match="price"):
        v.limit(1, SELL, MAX_PRICE + 1, 1)
    with pytest.raises(OrderBookError, match="price"):
        v.limit(1, SELL, 0, 1)
    assert snapshot(led, v) == before  # nothing reserved by the refused orders


# ------------------------------------------------------------------------------ batch rows


def batch(v: Venue, rows: list[tuple[int, int, int, int, int]]) -> np.ndarray:
    cols = np.array(rows, dtype=np.int64).reshape(-1, 5).T
    return v.submit_batch(*cols)


GOOD = (1, BUY, 100, 5, LIMIT)


@pytest.mark.parametrize(
    "bad",
    [
        (1, BUY, 100, 5, 5),  # unknown kind, one past the last
        (1, BUY, 100, 5, -1),  # unknown kind, below the first
        (1, 0, 100, 5, LIMIT),  # no side
        (1, 2, 100, 5, MARKET),  # no side
        (1, BUY, 100, 0, LIMIT_IOC),  # no quantity
        (1, SELL, 100, 0, MARKET),
        (1, BUY, 0, 5, LIMIT_POST_ONLY),  # no price
        (1, BUY, MAX_PRICE + 1, 5, LIMIT),  # price too high
        (-1, BUY, 100, 5, LIMIT),  # unknown accounts
        (5, BUY, 100, 5, LIMIT),
        (5, 0, 1, 0, CANCEL),
    ],
)
def test_a_bad_batch_row_is_refused_before_any_row_is_applied(bad: tuple) -> None:
    led, v = venue()
    assert v.limit(2, SELL, 101, 3)
    before = snapshot(led, v)
    with pytest.raises(OrderBookError, match="bad row 2"):
        batch(v, [GOOD, (3, BUY, 101, 1, MARKET), bad, GOOD])
    assert snapshot(led, v) == before
    assert v.limit(1, BUY, 90, 1) == 2  # no order id was used up


def test_batch_boundary_rows_are_valid() -> None:
    _led, v = venue()
    out = batch(
        v,
        [
            (4, SELL, MAX_PRICE, 1, LIMIT),  # the highest price, the last account
            (1, BUY, 1, 1, LIMIT_POST_ONLY),  # the lowest price and quantity
            (2, SELL, 0, 1, MARKET),  # a market row needs no price...
            (3, 0, 99, 0, CANCEL),  # ...a cancel no side nor quantity
        ],
    )
    assert out[0] > 0
    assert out[1] > 0
    assert out[3] == -1
    assert v.last_batch_status.tolist()[3] == OrderStatus.CANCEL_FAILED


def single(v: Venue, row: tuple[int, int, int, int, int]) -> tuple[int | None, int, int]:
    """A batch row through the one-order-at-a-time methods: (result, status, filled)."""
    owner, side, price, qty, kind = row
    if kind == CANCEL:
        try:
            return v.cancel(owner, price), v.last_status, 0
        except (UnknownOrderError, NotOwnerError):
            return -1, OrderStatus.CANCEL_FAILED, 0
    if kind == MARKET:
        filled = v.market(owner, side, qty)
        return None, v.last_status, filled  # market() answers the lots filled, not the id
    out = v.limit(owner, side, price, qty, ioc=kind == LIMIT_IOC, post_only=kind == LIMIT_POST_ONLY)
    return out, v.last_status, v.last_filled


row_st = st.tuples(
    st.integers(1, 3),
    st.sampled_from([BUY, SELL]),
    st.integers(95, 105),
    st.integers(1, 12),
    st.sampled_from(list(OrderKind)),
)


@given(
    batches=st.lists(st.lists(row_st, min_size=1, max_size=25), min_size=1, max_size=3),
    taker_bp=st.sampled_from([0.0, 2.5, 30.0]),
    maker_bp=st.sampled_from([0.0, 1.0]),
    poor=st.booleans(),
)
def test_batch_rows_do_what_the_single_calls_do(
    batches: list[list[tuple[int, int, int, int, int]]],
    taker_bp: float,
    maker_bp: float,
    poor: bool,
) -> None:
    # A poor venue (little cash and few tokens) makes refusals and clipped market orders common.
    money = {"usd": 3_000, "tokens": 25} if poor else {}
    led_b, vb = venue(3, taker_bp=taker_bp, maker_bp=maker_bp, **money)
    led_s, vs = venue(3, taker_bp=taker_bp, maker_bp=maker_bp, **money)
    next_id = 1
    for rows in batches:
        # Cancels name an order id in the price column: pick among those issued so far.
        rows = [(o, s, p % next_id + 1 if k == CANCEL else p, q, k) for o, s, p, q, k in rows]
        out = batch(vb, rows).tolist()
        next_id = max(
            [next_id] + [r + 1 for r, row in zip(out, rows, strict=True) if row[4] != CANCEL]
        )
        statuses = vb.last_batch_status.tolist()
        filled = vb.last_batch_filled.tolist()
        tape_b = vb.drain_trades()
        tape_s = []
        for i, row in enumerate(rows):
            owner, side, _price, qty, kind = row
            result, status, got = single(vs, row)
            trades = vs.drain_trades()
            tape_s.extend(trades)
            assert (statuses[i], filled[i]) == (status, got), (i, row)
            if result is not None:
                assert out[i] == result, (i, row)
            if kind == CANCEL or not out[i]:
                assert not trades
                assert filled[i] == 0
                continue
            # Each fill of the row is on its side, and its size is what it filled.
            mine = [t for t in tape_b if t.taker_order == out[i]]
            assert mine == trades
            assert all(t.aggressor == side and t.taker == owner for t in mine)
            assert sum(t.qty for t in mine) == filled[i] <= qty
            # What is left rests for a limit or post-only row (a post-only never fills), and
            # nothing rests of an immediate-or-cancel or market row.
            left = vs.book.remaining(out[i])
            if kind == LIMIT_POST_ONLY:
                assert filled[i] == 0
            assert left == (qty - filled[i] if kind in (LIMIT, LIMIT_POST_ONLY) else 0)
        assert tape_b == tape_s
        assert snapshot(led_b, vb) == snapshot(led_s, vs)
        for oid in range(1, next_id):
            assert vb.book.remaining(oid) == vs.book.remaining(oid)
        vb.check(exclusive=True)


def test_non_integer_prices_and_quantities_are_refused_and_numpy_integers_accepted() -> None:
    led, v = venue()
    before = snapshot(led, v)
    with pytest.raises(OrderBookError, match=r"^price must be an integer, got 100\.5 \(float\)$"):
        v.limit(1, BUY, 100.5, 1)
    with pytest.raises(OrderBookError, match=r"^qty must be an integer, got 2\.0 \(float\)$"):
        v.market(1, SELL, 2.0)
    assert snapshot(led, v) == before
    oid = v.limit(np.int64(1), np.int64(BUY), np.int64(100), np.int64(3))
    assert oid > 0
    assert v.book.order(oid) == (1, BUY, 100, 3)
    assert all(type(x) is int for x in v.book.order(oid))
    v.check(exclusive=True)


def test_order_reservation_names_the_asset_and_amount_held() -> None:
    _, v = venue(maker_bp=1.0)
    buy = v.limit(1, BUY, 100, 200)
    sell = v.limit(2, SELL, 150, 9)
    assert v.order_reservation(buy) == (Asset.USD, 20_000 + 2)
    assert v.order_reservation(sell) == (Asset.TOKEN, 9)
    with pytest.raises(UnknownOrderError) as err:
        v.order_reservation(77)
    assert err.value.order_id == 77


def test_batch_results_have_their_documented_dtypes() -> None:
    _, v = venue()
    assert (v.last_batch_status.dtype, v.last_batch_filled.dtype) == (np.int8, np.int64)
    assert v.last_batch_status.size == v.last_batch_filled.size == 0
    assert (v.last_status, v.last_filled, v.last_trade_price) == (OrderStatus.ACCEPTED, 0, None)
    out = batch(v, [(1, SELL, 100, 5, LIMIT), (2, BUY, 0, 2, MARKET)])
    assert out.dtype == np.int64
    assert v.last_batch_status.dtype == np.int8
    assert v.last_batch_status.tolist() == [OrderStatus.ACCEPTED, OrderStatus.ACCEPTED]
    assert v.last_batch_filled.tolist() == [0, 2]


def test_a_market_buy_stopped_by_self_trade_prevention_releases_its_cash() -> None:
    led = Ledger()
    led.open_account("fees")
    for name in ("a", "b"):
        acct = led.open_account(name)
        led.genesis(acct, USD, 100_000)
        led.genesis(acct, TOKEN, 100)
    v = Venue(led, OrderBook(self_trade="cancel_incoming"), fee_account=FEES, taker_fee_bp=1.0)
    assert v.limit(1, SELL, 100, 5)  # first in time at the level
    assert v.limit(2, SELL, 100, 5)
    assert v.market(1, BUY, 5) == 0  # it meets its own ask first and is cancelled
    assert led.reserved(1, USD) == 0
    assert led.available(1, USD) == 100_000
    assert v.book.n_orders == 2
    v.check(exclusive=True)


def test_market_orders_count_refusals_for_lack_of_funds_only() -> None:
    led, v = venue(usd=0, tokens=0)
    assert v.market(1, BUY, 3) == 0
    assert v.last_status == OrderStatus.NO_LIQUIDITY  # an empty book is not a refusal
    assert v.market(1, SELL, 3) == 0
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS  # no tokens to sell
    led.genesis(2, TOKEN, 10)
    assert v.limit(2, SELL, 100, 10)
    assert v.market(1, BUY, 3) == 0
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS  # no cash to buy
    assert v.market(1, SELL, 1) == 0
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS  # no bid and no tokens
    assert v.step_stats().n_refused == 3
    led.genesis(1, TOKEN, 1)
    led.genesis(3, USD, 1_000)
    assert v.limit(3, BUY, 90, 5)
    assert v.market(1, SELL, 4) > 0  # clipped to the one token it has
    assert v.last_filled == 1
    assert v.step_stats().n_refused == 3


def test_a_market_order_needs_at_least_one_lot() -> None:
    _, v = venue()
    for qty in (0, -1):
        with pytest.raises(OrderBookError, match="qty > 0"):
            v.market(1, SELL, qty)
    with pytest.raises(OrderBookError, match=r"side must be BUY \(1\) or SELL \(-1\), got 0"):
        v.market(1, 0, 1)


# ------------------------------------------------------------------- market buy budget


def affordable(asks: list[tuple[int, int]], qty: int, cash: int, taker_bp: float) -> int:
    """Lots a market buy of ``qty`` can pay from ``cash``: cheapest lots first, fee rounded up."""
    rate = Fraction(str(taker_bp)) / 10_000
    lots = sorted(px for px, q in asks for _ in range(q))[:qty]
    cost = 0
    for k, px in enumerate(lots):
        cost += px
        if cost + ceil(cost * rate) > cash:
            return k
    return len(lots)


@given(
    asks=st.lists(
        st.tuples(st.integers(1, 80), st.integers(1, 4), st.booleans()), max_size=60
    ),  # (price, lots, the buyer's own?)
    qty=st.integers(1, 150),
    cash=st.integers(0, 12_000),
    taker_bp=st.sampled_from([0.0, 7.0, 50.0]),
    allow_self=st.booleans(),
)
def test_a_market_buy_fills_exactly_the_lots_its_cash_affords(
    asks: list[tuple[int, int, bool]], qty: int, cash: int, taker_bp: float, allow_self: bool
) -> None:
    # Books deeper than one read of the book (8, then 32 levels) and asks of the buyer's own,
    # which count as liquidity only when the book allows self-trades.
    led = Ledger()
    led.open_account("fees")
    buyer, seller = led.open_account("buyer"), led.open_account("seller")
    led.genesis(buyer, USD, cash)
    led.genesis(buyer, TOKEN, 1_000)
    led.genesis(seller, TOKEN, 1_000)
    book = OrderBook(self_trade="allow" if allow_self else "cancel_resting")
    v = Venue(led, book, fee_account=FEES, taker_fee_bp=taker_bp)
    for px, q, own in asks:
        assert v.limit(buyer if own else seller, SELL, px, q)
    counted = [(px, q) for px, q, own in asks if allow_self or not own]
    expected = affordable(counted, qty, cash, taker_bp)
    tokens = led.balance(buyer, TOKEN)
    assert v.market(buyer, BUY, qty) == expected
    assert v.last_filled == expected
    assert led.reserved(buyer, USD) == 0
    if not expected:
        assert v.last_status == (
            OrderStatus.INSUFFICIENT_FUNDS if counted else OrderStatus.NO_LIQUIDITY
        )
    elif not allow_self:
        lots = sorted(px for px, q in counted for _ in range(q))[:expected]
        paid = sum(lots)
        assert led.balance(buyer, TOKEN) == tokens + expected
        assert led.balance(buyer, USD) == cash - paid - ceil(
            paid * Fraction(str(taker_bp)) / 10_000
        )
    v.check(exclusive=True)


# -------------------------------------------------------------------------- cancel all


def test_cancel_all_releases_exactly_what_each_of_the_owners_orders_reserved() -> None:
    led, v = venue(3, taker_bp=10.0, maker_bp=5.0)
    buys = [v.limit(1, BUY, 90, 7), v.limit(1, BUY, 95, 3)]
    sell = v.limit(1, SELL, 120, 11)
    other = v.limit(2, BUY, 96, 4)
    others_usd = led.reserved(2, USD)
    assert v.limit(3, SELL, 10**6, 10**9) == 0  # refused: the status before the cancel
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS
    assert v.cancel_all(1) == [(buys[0], BUY, 90, 7), (buys[1], BUY, 95, 3), (sell, SELL, 120, 11)]
    assert v.last_status == OrderStatus.ACCEPTED
    assert (led.reserved(1, USD), led.reserved(1, TOKEN)) == (0, 0)
    assert (led.available(1, USD), led.available(1, TOKEN)) == (10**9, 10**6)
    assert led.reserved(2, USD) == others_usd  # another owner's order keeps its reservation
    assert v.book.orders_of(2) == [other]
    assert v.cancel_all(1) == []
    v.check(exclusive=True)


def test_a_market_buy_budgets_around_several_own_asks_at_one_price() -> None:
    # Two own asks at 97 (3 + 2 lots) beside 4 lots of another trader's: only those 4 count.
    # Cash for exactly 4 @ 97 + 2 @ 98 = 584: six lots, the last two at 98.
    led, v = venue(3, usd=584)
    assert v.limit(1, SELL, 97, 3)
    assert v.limit(1, SELL, 97, 2)
    assert v.limit(2, SELL, 97, 4)
    assert v.limit(2, SELL, 98, 10)
    assert v.market(1, BUY, 20) == 6
    assert led.balance(1, USD) == 0
    assert v.book.orders_of(1) == []  # self-trade prevention cancelled the own asks it met
    v.check(exclusive=True)


def test_a_market_buy_takes_a_single_lot_beside_its_own_asks() -> None:
    led, v = venue(3)
    assert v.limit(1, SELL, 99, 5)  # an own ask elsewhere in the book
    assert v.limit(2, SELL, 97, 1)  # one lot of another trader's
    assert v.market(1, BUY, 1) == 1
    assert v.last_status == OrderStatus.ACCEPTED
    assert led.balance(1, TOKEN) == 10**6 + 1
    assert led.balance(1, USD) == 10**9 - 97
    v.check(exclusive=True)


def test_a_batch_row_may_name_account_zero() -> None:
    led = Ledger()
    for name in ("a", "b"):
        acct = led.open_account(name)
        led.genesis(acct, USD, 10_000)
        led.genesis(acct, TOKEN, 100)
    v = Venue(led, fee_account=1)
    ids = v.submit_batch([0, 1], [SELL, BUY], [50, 50], [3, 2], [LIMIT, LIMIT])
    assert ids[0] > 0
    assert v.last_batch_filled.tolist() == [0, 2]
    assert led.balance(0, USD) == 10_000 + 100
    with pytest.raises(OrderBookError, match="bad row 0"):
        v.submit_batch([-1], [BUY], [50], [1], [LIMIT])


# ------------------------------------------------------------------- tape, types, checks


def test_the_tape_names_each_fills_sequence_orders_and_owners() -> None:
    _, v = venue(3)
    a = v.limit(1, SELL, 100, 5)
    c = v.limit(3, SELL, 101, 5)
    b = v.limit(2, BUY, 101, 7)
    assert v.drain_trades() == [
        Trade(1, a, b, 1, 2, 100, 5, BUY, 0, 0),
        Trade(2, c, b, 3, 2, 101, 2, BUY, 0, 0),
    ]


def test_limit_orders_normalise_numpy_owners_and_refuse_a_float_or_zero_quantity() -> None:
    led, v = venue()
    oid = v.limit(np.int64(1), BUY, 100, 3)  # only the owner is a numpy integer
    assert all(type(x) is int for x in v.book.order(oid))
    before = snapshot(led, v)
    with pytest.raises(OrderBookError, match=r"^qty must be an integer, got 2\.5 \(float\)$"):
        v.limit(1, BUY, 100, 2.5)  # only the quantity is not an int
    with pytest.raises(
        OrderBookError, match=r"^limit order needs price > 0 .*\(got price=100, qty=0\)$"
    ):
        v.limit(1, BUY, 100, 0)
    assert snapshot(led, v) == before


def test_check_names_each_mismatch_between_venue_book_and_ledger() -> None:
    led, v = venue(2)
    buy = v.limit(1, BUY, 100, 5)
    v.check()
    led.reserve(1, USD, 7)  # reserved outside the venue: fine unless the venue is exclusive
    v.check()
    with pytest.raises(
        InvariantError,
        match=r"^account 1 \('trader0'\) has 507 USD reserved, its resting orders hold 500$",
    ):
        v.check(exclusive=True)
    led.release(1, USD, 8)  # now short of what the order holds
    with pytest.raises(InvariantError, match=r"has 499 USD reserved, its resting orders hold 500$"):
        v.check()
    led.reserve(1, USD, 1)
    led.reserve(2, TOKEN, 3)  # an account with no orders
    with pytest.raises(
        InvariantError, match=r"^TOKEN reserved in the ledger 3 != held by orders 0$"
    ):
        v.check(exclusive=True)
    led.release(2, TOKEN, 3)
    v.check(exclusive=True)
    v._orders[buy][5] += 1  # the venue's record of what the order holds
    with pytest.raises(InvariantError, match=rf"^order {buy} holds 501 reserved, needs 500$"):
        v.check()
    v._orders[buy][5] -= 1
    v._orders[buy][4] -= 1  # the venue's record of what remains
    with pytest.raises(
        InvariantError,
        match=rf"^order {buy}: venue has \(1, 1, 100, 4\), book has \(1, 1, 100, 5\)$",
    ):
        v.check()


def test_ioc_and_post_only_buys_reserve_only_their_own_roles_fee() -> None:
    # 10 @ 100 = 1,000 µUSD; taker fee 10 bp rounds up to 1, maker fee 20 bp to 2.
    for ioc, cash in ((True, 1_001), (False, 1_002)):
        led, v = venue(2, usd=cash, taker_bp=10.0, maker_bp=20.0)
        assert v.buy_reservation(100, 10, ioc=ioc, post_only=not ioc) == cash
        assert v.limit(1, BUY, 100, 10, ioc=ioc, post_only=not ioc) > 0  # exactly enough
        assert v.last_status == OrderStatus.ACCEPTED
        assert led.reserved(1, USD) == (0 if ioc else cash)
        led, v = venue(2, usd=cash - 1, taker_bp=10.0, maker_bp=20.0)
        assert v.limit(1, BUY, 100, 10, ioc=ioc, post_only=not ioc) == 0
        assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS


def test_fees_collected_add_up_over_every_settlement() -> None:
    led, v = venue(3, taker_bp=10.0, maker_bp=5.0)
    v.limit(1, SELL, 1_000, 10)
    v.limit(2, BUY, 1_000, 4)
    v.limit(3, BUY, 1_000, 6)
    assert v.n_trades == 2
    assert v.fees_collected == led.balance(FEES, USD) == 4 + 2 + 6 + 3


def test_construction_keeps_the_fees_and_names_what_it_refuses() -> None:
    led, v = venue(2, taker_bp=7.5, maker_bp=2.0)
    assert (v.taker_fee_bp, v.maker_fee_bp) == (7.5, 2.0)
    assert Venue(led, fee_account=led.n_accounts - 1).fee_account == led.n_accounts - 1
    with pytest.raises(ConfigError, match=rf"fee account {led.n_accounts} is not open"):
        Venue(led, fee_account=led.n_accounts)
    for name in ("taker_fee_bp", "maker_fee_bp"):
        with pytest.raises(ConfigError, match=rf"^{name} must be in \[0, 10000\] basis points"):
            Venue(led, fee_account=FEES, **{name: -1.0})
    book = OrderBook()
    book.limit(1, SELL, 100, 1)
    with pytest.raises(ConfigError, match="holds 1 orders that no reservation funds"):
        Venue(led, book, fee_account=FEES)
