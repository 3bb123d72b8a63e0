"""Unit tests of the limit order book: one behaviour per test."""

from __future__ import annotations

import numpy as np
import pytest

from gramabm.errors import MarketError
from gramabm.market.orderbook import (
    BUY,
    CANCEL,
    LIMIT,
    LIMIT_IOC,
    LIMIT_POST_ONLY,
    MARKET,
    MAX_PRICE,
    SELL,
    NotOwnerError,
    OrderBook,
    OrderBookError,
    UnknownOrderError,
)

A, B, C = 1, 2, 3  # owners


def trade(t: tuple) -> dict:
    """A trade tuple as a dict, so assertions read by name."""
    keys = ("seq", "maker", "taker", "maker_owner", "taker_owner", "price", "qty", "side")
    return dict(zip(keys, t, strict=True))


# ------------------------------------------------------------------------ resting and ids


def test_empty_book_has_no_quotes():
    book = OrderBook()
    assert book.best_bid is None
    assert book.best_ask is None
    assert book.mid() is None
    assert book.spread() is None
    assert book.n_orders == 0
    assert book.last_trade_price is None
    assert book.levels(BUY, 5) == []
    assert book.depth(BUY, 0.01) == 0


def test_orders_rest_and_quote():
    book = OrderBook()
    b1 = book.limit(A, BUY, 99_000, 10)
    b2 = book.limit(A, BUY, 99_500, 20)
    a1 = book.limit(B, SELL, 100_500, 30)
    assert (b1, b2, a1) == (1, 2, 3)
    assert book.best_bid == 99_500
    assert book.best_ask == 100_500
    assert book.mid() == 100_000.0
    assert book.spread() == 1_000
    assert book.n_orders == 3
    assert book.order(b2) == (A, BUY, 99_500, 20)
    assert book.remaining(a1) == 30
    assert book.drain_trades() == []


def test_ids_are_issued_to_every_accepted_order_including_ioc_and_market():
    book = OrderBook()
    assert book.limit(A, BUY, 100, 1, ioc=True) == 1  # nothing to match: discarded
    assert book.market(A, SELL, 5) == 2  # empty book: nothing fills
    assert book.limit(A, BUY, 100, 1) == 3
    assert book.n_orders == 1


def test_levels_aggregate_and_order_best_first():
    book = OrderBook()
    book.limit(A, BUY, 100, 1)
    book.limit(B, BUY, 100, 2)
    book.limit(A, BUY, 98, 4)
    book.limit(A, BUY, 99, 8)
    book.limit(A, SELL, 103, 16)
    book.limit(B, SELL, 102, 32)
    assert book.levels(BUY, 10) == [(100, 3), (99, 8), (98, 4)]
    assert book.levels(BUY, 2) == [(100, 3), (99, 8)]
    assert book.levels(SELL, 10) == [(102, 32), (103, 16)]
    assert book.levels(SELL, 0) == []


# ----------------------------------------------------------------------------- matching


def test_full_fill_at_maker_price_with_aggressor_side():
    book = OrderBook()
    ask = book.limit(A, SELL, 100, 10)
    buy = book.limit(B, BUY, 105, 10)
    (t,) = book.drain_trades()
    assert trade(t) == {
        "seq": 1,
        "maker": ask,
        "taker": buy,
        "maker_owner": A,
        "taker_owner": B,
        "price": 100,  # the maker's price, not the taker's limit
        "qty": 10,
        "side": BUY,
    }
    assert book.n_orders == 0
    assert book.last_trade_price == 100
    assert book.remaining(buy) == 0


def test_partial_fill_of_maker_keeps_its_priority():
    book = OrderBook()
    first = book.limit(A, SELL, 100, 10)
    second = book.limit(C, SELL, 100, 10)
    book.limit(B, BUY, 100, 4)
    assert book.remaining(first) == 6
    assert book.levels(SELL, 1) == [(100, 16)]
    book.limit(B, BUY, 100, 7)
    fills = [trade(t) for t in book.drain_trades()]
    assert [(f["maker"], f["qty"]) for f in fills] == [(first, 4), (first, 6), (second, 1)]
    assert book.remaining(first) == 0
    assert book.remaining(second) == 9


def test_partial_fill_of_taker_rests_the_remainder_at_its_limit():
    book = OrderBook()
    book.limit(A, SELL, 100, 3)
    buy = book.limit(B, BUY, 101, 10)
    assert [trade(t)["qty"] for t in book.drain_trades()] == [3]
    assert book.order(buy) == (B, BUY, 101, 7)
    assert book.best_bid == 101
    assert book.best_ask is None


def test_fifo_within_a_level():
    book = OrderBook()
    ids = [book.limit(owner, BUY, 100, 5) for owner in (A, B, C, A)]
    book.market(9, SELL, 17)
    fills = [trade(t) for t in book.drain_trades()]
    assert [f["maker"] for f in fills] == ids
    assert [f["qty"] for f in fills] == [5, 5, 5, 2]
    assert book.remaining(ids[3]) == 3


def test_price_priority_before_time():
    book = OrderBook()
    early_worse = book.limit(A, SELL, 101, 5)
    late_better = book.limit(B, SELL, 100, 5)
    book.limit(C, BUY, 101, 5)
    assert trade(book.drain_trades()[0])["maker"] == late_better
    assert book.remaining(early_worse) == 5


def test_limit_never_fills_through_its_price():
    book = OrderBook()
    book.limit(A, SELL, 100, 5)
    book.limit(A, SELL, 102, 5)
    buy = book.limit(B, BUY, 101, 20)
    fills = [trade(t) for t in book.drain_trades()]
    assert [(f["price"], f["qty"]) for f in fills] == [(100, 5)]
    assert book.order(buy) == (B, BUY, 101, 15)
    assert (book.best_bid, book.best_ask) == (101, 102)


def test_market_order_sweeps_several_levels():
    book = OrderBook()
    book.limit(A, BUY, 100, 5)
    book.limit(B, BUY, 99, 5)
    book.limit(C, BUY, 97, 5)
    oid = book.market(9, SELL, 12)
    fills = [trade(t) for t in book.drain_trades()]
    assert [(f["price"], f["qty"]) for f in fills] == [(100, 5), (99, 5), (97, 2)]
    assert all(f["taker"] == oid and f["side"] == SELL for f in fills)
    assert [f["seq"] for f in fills] == [1, 2, 3]
    assert book.levels(BUY, 5) == [(97, 3)]
    assert book.last_trade_price == 97


def test_market_order_beyond_liquidity_discards_the_rest():
    book = OrderBook()
    book.limit(A, SELL, 100, 5)
    oid = book.market(B, BUY, 50)
    assert sum(trade(t)["qty"] for t in book.drain_trades()) == 5
    assert book.remaining(oid) == 0
    assert book.best_ask is None
    assert book.best_bid is None  # a market order never rests


def test_ioc_remainder_is_discarded():
    book = OrderBook()
    book.limit(A, SELL, 100, 4)
    book.limit(A, SELL, 105, 4)
    oid = book.limit(B, BUY, 101, 10, ioc=True)
    assert [trade(t)["qty"] for t in book.drain_trades()] == [4]
    assert book.remaining(oid) == 0
    assert book.best_bid is None
    assert book.best_ask == 105


def test_trade_sequence_numbers_continue_across_drains():
    book = OrderBook()
    book.limit(A, SELL, 100, 10)
    book.limit(B, BUY, 100, 1)
    assert trade(book.drain_trades()[0])["seq"] == 1
    book.limit(B, BUY, 100, 1)
    assert trade(book.drain_trades()[0])["seq"] == 2


# ---------------------------------------------------------------------------- post-only


def test_post_only_that_would_cross_is_rejected_without_effect():
    book = OrderBook()
    book.limit(A, SELL, 100, 5)
    assert book.limit(B, BUY, 100, 5, post_only=True) == 0
    assert book.drain_trades() == []
    assert book.n_orders == 1
    assert book.best_bid is None
    assert book.limit(B, BUY, 99, 5, post_only=True) == 2  # the rejection used no id
    assert book.best_bid == 99


# ---------------------------------------------------------------------------- self-trade


def test_self_trade_cancel_resting_removes_own_order_and_keeps_matching():
    book = OrderBook()  # default mode
    own = book.limit(A, SELL, 100, 5)
    other = book.limit(B, SELL, 100, 5)
    buy = book.limit(A, BUY, 100, 8)
    assert book.drain_cancels() == [(own, A, SELL, 100, 5)]
    assert [(trade(t)["maker"], trade(t)["qty"]) for t in book.drain_trades()] == [(other, 5)]
    assert book.order(buy) == (A, BUY, 100, 3)
    assert book.remaining(own) == 0
    assert book.orders_of(A) == [buy]


def test_self_trade_cancel_incoming_stops_the_incoming_order():
    book = OrderBook(self_trade="cancel_incoming")
    other = book.limit(B, SELL, 100, 2)
    own = book.limit(A, SELL, 100, 5)
    book.limit(B, SELL, 101, 5)
    buy = book.limit(A, BUY, 101, 20)
    assert [(trade(t)["maker"], trade(t)["qty"]) for t in book.drain_trades()] == [(other, 2)]
    assert book.drain_cancels() == [(buy, A, BUY, 101, 18)]
    assert book.remaining(buy) == 0  # nothing of it rests
    assert book.remaining(own) == 5  # the resting order is untouched
    assert book.best_bid is None


def test_self_trade_cancel_incoming_market_order_reports_price_zero():
    book = OrderBook(self_trade="cancel_incoming")
    book.limit(A, BUY, 100, 5)
    oid = book.market(A, SELL, 3)
    assert book.drain_cancels() == [(oid, A, SELL, 0, 3)]
    assert book.drain_trades() == []


def test_self_trade_allow_trades_with_itself():
    book = OrderBook(self_trade="allow")
    ask = book.limit(A, SELL, 100, 5)
    buy = book.limit(A, BUY, 100, 5)
    (t,) = book.drain_trades()
    assert (trade(t)["maker"], trade(t)["taker"], trade(t)["maker_owner"]) == (ask, buy, A)
    assert book.drain_cancels() == []


def test_unknown_self_trade_mode_is_refused():
    with pytest.raises(OrderBookError, match="self_trade"):
        OrderBook(self_trade="sometimes")


# ------------------------------------------------------------------------------- cancels


def test_cancel_returns_remaining_and_removes_the_order():
    book = OrderBook()
    oid = book.limit(A, BUY, 100, 10)
    book.limit(B, SELL, 100, 4)
    book.drain_trades()
    assert book.cancel(A, oid) == 6
    assert book.n_orders == 0
    assert book.best_bid is None
    assert book.orders_of(A) == []


def test_cancelled_order_is_skipped_by_matching():
    book = OrderBook()
    first = book.limit(A, SELL, 100, 5)
    second = book.limit(B, SELL, 100, 5)
    book.cancel(A, first)
    assert book.levels(SELL, 1) == [(100, 5)]
    book.limit(C, BUY, 100, 5)
    assert [trade(t)["maker"] for t in book.drain_trades()] == [second]
    assert book.n_orders == 0


def test_cancelling_the_best_level_moves_the_best_price():
    book = OrderBook()
    top = book.limit(A, BUY, 101, 5)
    book.limit(A, BUY, 99, 5)
    book.cancel(A, top)
    assert book.best_bid == 99
    book.limit(B, SELL, 100, 1)  # would have matched 101; must rest now
    assert book.drain_trades() == []
    assert (book.best_bid, book.best_ask) == (99, 100)


def test_a_level_emptied_then_reused_keeps_prices_right():
    book = OrderBook()
    for _ in range(3):
        oid = book.limit(A, SELL, 100, 1)
        book.limit(A, SELL, 102, 1)
        book.cancel(A, oid)
        assert book.best_ask == 102
    book.limit(A, SELL, 100, 1)
    assert book.best_ask == 100
    assert book.levels(SELL, 5) == [(100, 1), (102, 3)]


def test_cancel_unknown_order_names_id_and_owner():
    book = OrderBook()
    with pytest.raises(UnknownOrderError, match=r"order 42 \(asked by owner 7\)") as err:
        book.cancel(7, 42)
    assert (err.value.order_id, err.value.owner) == (42, 7)
    assert isinstance(err.value, MarketError)
    assert isinstance(err.value, ValueError)


def test_cancel_of_filled_or_cancelled_order_is_unknown():
    book = OrderBook()
    filled = book.limit(A, SELL, 100, 5)
    book.limit(B, BUY, 100, 5)
    gone = book.limit(A, SELL, 101, 5)
    book.cancel(A, gone)
    for oid in (filled, gone):
        with pytest.raises(UnknownOrderError, match=f"order {oid} "):
            book.cancel(A, oid)


def test_cancel_of_foreign_order_names_both_owners_and_changes_nothing():
    book = OrderBook()
    oid = book.limit(A, BUY, 100, 5)
    with pytest.raises(NotOwnerError, match=f"order {oid} belongs to owner {A}, not to owner {B}"):
        book.cancel(B, oid)
    assert book.remaining(oid) == 5


def test_try_cancel_reports_failures_as_minus_one():
    book = OrderBook()
    oid = book.limit(A, BUY, 100, 5)
    assert book.try_cancel(B, oid) == -1
    assert book.try_cancel(A, 999) == -1
    assert book.try_cancel(A, oid) == 5
    assert book.try_cancel(A, oid) == -1


def test_order_of_unknown_id_raises():
    with pytest.raises(UnknownOrderError, match="order 3 is not resting"):
        OrderBook().order(3)


# ---------------------------------------------------------------------- owner tracking


def test_orders_of_lists_resting_orders_oldest_first():
    book = OrderBook()
    a1 = book.limit(A, BUY, 100, 5)
    book.limit(B, BUY, 100, 5)
    a2 = book.limit(A, SELL, 110, 5)
    a3 = book.limit(A, BUY, 99, 5)
    assert book.orders_of(A) == [a1, a2, a3]
    book.market(C, SELL, 5)  # fills a1
    book.cancel(A, a3)
    assert book.orders_of(A) == [a2]
    assert book.orders_of(C) == []


def test_cancel_all_cancels_only_that_owners_orders():
    book = OrderBook()
    a1 = book.limit(A, BUY, 100, 5)
    b1 = book.limit(B, BUY, 100, 5)
    a2 = book.limit(A, SELL, 110, 7)
    book.limit(C, SELL, 100, 2)  # fills 2 of a1
    assert book.cancel_all(A) == [(a1, BUY, 100, 3), (a2, SELL, 110, 7)]
    assert book.orders_of(A) == []
    assert book.cancel_all(A) == []
    assert book.remaining(b1) == 5
    assert book.best_ask is None
    assert book.levels(BUY, 5) == [(100, 5)]


def test_owner_tracking_survives_sweeps_of_many_orders():
    book = OrderBook()
    keep = book.limit(A, BUY, 1, 1)
    for _ in range(70_000):  # many ids issued and gone between two reads of the owner index
        oid = book.limit(B, SELL, 200, 1)
        book.cancel(B, oid)
    last = book.limit(A, BUY, 2, 1)
    assert book.orders_of(A) == [keep, last]
    assert book.orders_of(B) == []
    assert book.n_orders == 2


# ------------------------------------------------------------------------------ queries


def test_depth_counts_levels_within_the_fraction_of_mid():
    book = OrderBook()
    book.limit(A, BUY, 99_000, 1)  # exactly 1% below mid 100,000
    book.limit(A, BUY, 98_999, 2)  # just outside
    book.limit(A, BUY, 99_900, 4)
    book.limit(B, SELL, 100_100, 8)
    book.limit(B, SELL, 101_000, 16)  # exactly 1% above
    book.limit(B, SELL, 101_001, 32)
    assert book.mid() == 100_000.0
    assert book.depth(BUY, 0.01) == 5
    assert book.depth(SELL, 0.01) == 24
    assert book.depth(BUY, 0.0) == 0
    assert book.depth(SELL, 0.02) == 56


def test_depth_without_a_mid_is_zero_and_negative_fraction_is_refused():
    book = OrderBook()
    book.limit(A, BUY, 100, 5)
    assert book.depth(BUY, 0.5) == 0
    with pytest.raises(OrderBookError, match="within"):
        book.depth(BUY, -0.1)


def test_fill_cost_walks_the_opposite_side_without_trading():
    book = OrderBook()
    book.limit(A, SELL, 100, 5)
    book.limit(A, SELL, 101, 5)
    book.limit(A, BUY, 90, 5)
    assert book.fill_cost(BUY, 7) == (5 * 100 + 2 * 101, 7)
    assert book.fill_cost(BUY, 50) == (5 * 100 + 5 * 101, 10)
    assert book.fill_cost(SELL, 3) == (3 * 90, 3)
    assert book.fill_cost(BUY, 0) == (0, 0)
    assert book.n_orders == 3
    assert book.drain_trades() == []


def test_fill_cost_matches_a_real_market_order():
    book = OrderBook()
    for px, q in ((100, 3), (102, 4), (103, 9)):
        book.limit(A, SELL, px, q)
    cash, filled = book.fill_cost(BUY, 10)
    book.market(B, BUY, 10)
    fills = [trade(t) for t in book.drain_trades()]
    assert cash == sum(f["price"] * f["qty"] for f in fills)
    assert filled == sum(f["qty"] for f in fills)


# ------------------------------------------------------------------------------- drains


def test_drains_return_events_once_in_order():
    book = OrderBook()
    book.limit(A, SELL, 100, 1)
    book.limit(A, SELL, 101, 1)
    book.limit(B, BUY, 101, 2)
    first = book.drain_trades()
    assert [trade(t)["price"] for t in first] == [100, 101]
    assert book.drain_trades() == []
    own = book.limit(C, BUY, 90, 1)
    book.limit(C, SELL, 90, 1)
    assert book.drain_cancels() == [(own, C, BUY, 90, 1)]
    assert book.drain_cancels() == []
    assert first == [(1, 1, 3, A, B, 100, 1, BUY), (2, 2, 3, A, B, 101, 1, BUY)]


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("side", "price", "qty", "match"),
    [
        (BUY, 100, 0, "qty > 0"),
        (SELL, 100, -3, "qty > 0"),
        (BUY, 0, 5, "price"),
        (BUY, -1, 5, "price"),
        (BUY, MAX_PRICE + 1, 5, "price"),
        (0, 100, 5, "side"),
        (2, 100, 5, "side"),
        (BUY, 100.5, 5, "price must be an integer"),
        (BUY, 100, 5.0, "qty must be an integer"),
        (BUY, True, 5, "price must be an integer"),
    ],
)
def test_bad_limit_orders_are_refused(side, price, qty, match):
    book = OrderBook()
    with pytest.raises(OrderBookError, match=match):
        book.limit(A, side, price, qty)
    assert book.n_orders == 0
    assert book.limit(A, BUY, 100, 1) == 1  # the refusal used no id


@pytest.mark.parametrize(("side", "qty"), [(BUY, 0), (SELL, -1), (3, 5), (BUY, 2.5)])
def test_bad_market_orders_are_refused(side, qty):
    with pytest.raises(OrderBookError):
        OrderBook().market(A, side, qty)


def test_numpy_integers_are_accepted_and_normalised():
    book = OrderBook()
    book.limit(A, np.int64(SELL), np.int64(100), np.int32(5))
    book.limit(B, np.int64(BUY), np.int64(100), np.int64(2))
    (t,) = book.drain_trades()
    assert t == (1, 1, 2, A, B, 100, 2, BUY)
    assert all(type(x) is int for x in t)
    assert all(type(x) is int for x in book.order(1))


def test_bad_query_arguments_are_refused():
    book = OrderBook()
    with pytest.raises(OrderBookError, match="side"):
        book.levels(0, 3)
    with pytest.raises(OrderBookError, match="qty"):
        book.fill_cost(BUY, -1)
    with pytest.raises(OrderBookError, match="side"):
        book.fill_cost(5, 1)


# --------------------------------------------------------------------------------- batch


def test_submit_batch_matches_single_calls():
    ops = [
        (A, SELL, 100, 5, LIMIT),
        (B, SELL, 101, 5, LIMIT),
        (C, BUY, 100, 2, LIMIT_IOC),
        (C, BUY, 0, 6, MARKET),
        (B, 0, 2, 0, CANCEL),  # order 2: 2 left
        (A, 0, 2, 0, CANCEL),  # already cancelled: -1
        (A, BUY, 99, 5, LIMIT_POST_ONLY),
        (B, SELL, 99, 5, LIMIT_POST_ONLY),  # would cross: rejected, 0
    ]
    owners, sides, prices, qtys, kinds = (np.array(c) for c in zip(*ops, strict=True))
    batch = OrderBook()
    got = batch.submit_batch(owners, sides, prices, qtys, kinds)

    single = OrderBook()
    want = [
        single.limit(A, SELL, 100, 5),
        single.limit(B, SELL, 101, 5),
        single.limit(C, BUY, 100, 2, ioc=True),
        single.market(C, BUY, 6),
        single.try_cancel(B, 2),
        single.try_cancel(A, 2),
        single.limit(A, BUY, 99, 5, post_only=True),
        single.limit(B, SELL, 99, 5, post_only=True),
    ]
    assert got.dtype == np.int64
    assert got.tolist() == want == [1, 2, 3, 4, 2, -1, 5, 0]
    assert batch.drain_trades() == single.drain_trades()
    assert batch.levels(BUY, 9) == single.levels(BUY, 9) == [(99, 5)]
    assert batch.levels(SELL, 9) == single.levels(SELL, 9) == []


def test_submit_batch_validates_everything_before_applying_anything():
    book = OrderBook()
    owners = np.array([A, A, A])
    sides = np.array([BUY, BUY, 7])
    prices = np.array([100, 101, 102])
    qtys = np.array([1, 1, 1])
    kinds = np.array([LIMIT, LIMIT, LIMIT])
    with pytest.raises(OrderBookError, match="bad row 2"):
        book.submit_batch(owners, sides, prices, qtys, kinds)
    assert book.n_orders == 0
    with pytest.raises(OrderBookError, match=r"1-D of one length.*'kinds': \(2,\)"):
        book.submit_batch(owners, sides, prices, qtys, kinds[:2])
    with pytest.raises(OrderBookError, match="prices must be integers"):
        book.submit_batch(owners, sides, prices.astype(float), qtys, kinds)
    with pytest.raises(OrderBookError, match="bad row 0"):
        book.submit_batch(owners[:1], sides[:1], prices[:1], qtys[:1], np.array([9]))


def test_submit_batch_of_nothing_returns_empty():
    empty = np.array([], dtype=np.int64)
    out = OrderBook().submit_batch(empty, empty, empty, empty, empty)
    assert out.shape == (0,)
    assert out.dtype == np.int64


# ------------------------------------------------------- lazy owner index and sparse books


def test_orders_of_catches_up_after_many_unread_operations():
    book = OrderBook()
    a_bid = book.limit(A, BUY, 100, 10)
    b_ask = book.limit(B, SELL, 105, 3)
    a_ask = book.limit(A, SELL, 106, 5)
    assert book.orders_of(A) == [a_bid, a_ask]  # the index is now up to date
    # Many operations with no reads in between: rests, a partial fill, a cancel and a
    # self-trade cancel.
    b_bid = book.limit(B, BUY, 99, 4)
    a_new = book.limit(A, BUY, 98, 7)
    book.market(C, SELL, 4)  # fills 4 of a_bid (partial): it keeps its place
    book.cancel(B, b_bid)
    c_ask = book.limit(C, SELL, 107, 2)
    a_last = book.limit(A, SELL, 100, 6)  # self-trade: removes the rest of a_bid, then rests
    assert book.drain_cancels() == [(a_bid, A, BUY, 100, 6)]
    assert book.orders_of(A) == [a_ask, a_new, a_last]
    assert book.orders_of(B) == [b_ask]
    assert book.orders_of(C) == [c_ask]
    assert book.cancel_all(C) == [(c_ask, SELL, 107, 2)]
    assert book.orders_of(C) == []
    assert book.cancel_all(A) == [
        (a_ask, SELL, 106, 5),
        (a_new, BUY, 98, 7),
        (a_last, SELL, 100, 6),
    ]
    assert book.n_orders == 1


def test_orders_of_is_exact_across_sweeps_of_the_owner_index(monkeypatch):
    sweeps = []
    real_sweep = OrderBook._sweep

    def counting_sweep(self):
        sweeps.append(self.n_orders)
        real_sweep(self)

    monkeypatch.setattr(OrderBook, "_sweep", counting_sweep)
    book = OrderBook()
    want = {A: [book.limit(A, BUY, 50, 1)], B: [], C: []}
    for _ in range(30):  # 90,000 orders: gone ids outnumber live ones many times over
        ids = [book.limit(B, SELL, 200 + i % 50, 1) for i in range(3_000)]
        assert book.orders_of(C) == want[C]  # a read indexes all of B's new orders
        for i, oid in enumerate(ids):
            if i % 30:
                assert book.cancel(B, oid) == 1  # gone after being indexed
            else:
                want[B].append(oid)
        want[C].append(book.limit(C, BUY, 60, 1))
        first = min(want[B], key=lambda oid: (book.order(oid)[2], oid))  # best price, oldest
        book.market(A, BUY, 1)
        assert book.drain_trades()[-1][1] == first
        want[B].remove(first)
        for owner in (A, C):  # B is not read: its gone ids pile up until a sweep drops them
            assert book.orders_of(owner) == want[owner]
    assert sweeps, "the index was never swept: gone ids did not pile up as expected"
    assert book.orders_of(B) == want[B]
    assert book.n_orders == sum(len(ids) for ids in want.values())


def test_orders_of_returns_a_copy():
    book = OrderBook()
    oid = book.limit(A, BUY, 100, 1)
    book.orders_of(A).clear()
    assert book.orders_of(A) == [oid]
    gone = book.limit(A, BUY, 99, 1)
    assert book.orders_of(A) == [oid, gone]
    book.cancel(A, gone)
    book.orders_of(A).clear()  # this read drops the gone id from A's list
    assert book.orders_of(A) == [oid]


def test_levels_and_fill_cost_on_a_sparse_book():
    book = OrderBook()
    # Gaps far wider than the tick-by-tick walk goes; 137 is the tick right after the 33
    # empty ticks that end that walk.
    asks = [100, 101, 103, 137, 200, 5_000, 5_001, 90_000]
    for i, px in enumerate(asks):
        book.limit(A, SELL, px, i + 1)
    bids = [99, 60, 59, 7, 1]
    for i, px in enumerate(bids):
        book.limit(B, BUY, px, 10 * (i + 1))
    assert book.levels(SELL, 99) == [(px, i + 1) for i, px in enumerate(asks)]
    assert book.levels(SELL, 4) == [(100, 1), (101, 2), (103, 3), (137, 4)]
    assert book.levels(BUY, 99) == [(px, 10 * (i + 1)) for i, px in enumerate(bids)]
    assert book.fill_cost(BUY, 36) == (sum(px * (i + 1) for i, px in enumerate(asks)), 36)
    assert book.fill_cost(BUY, 5) == (100 * 1 + 101 * 2 + 103 * 2, 5)
    assert book.fill_cost(SELL, 1_000) == (sum(px * 10 * (i + 1) for i, px in enumerate(bids)), 150)
    book.market(C, BUY, 15)  # empties the five best levels: the best ask jumps a wide gap
    assert book.best_ask == 5_000
    assert book.levels(SELL, 2) == [(5_000, 6), (5_001, 7)]
