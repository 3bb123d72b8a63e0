"""What the order book must do at its boundaries: quotes with one side empty, the price range,
and batch validation that refuses a bad row before applying any."""

from __future__ import annotations

import numpy as np
import pytest

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
)


def book_state(book: OrderBook) -> tuple:
    return book.n_orders, book.levels(BUY, 100), book.levels(SELL, 100), book.drain_trades()


@pytest.mark.parametrize("side", [BUY, SELL])
def test_quotes_are_none_with_one_side_empty(side: int) -> None:
    book = OrderBook()
    assert (book.mid(), book.spread(), book.best_bid, book.best_ask) == (None, None, None, None)
    book.limit(1, side, 100, 5)
    assert book.mid() is None
    assert book.spread() is None
    assert book.depth(BUY, 0.5) == 0
    assert book.depth(SELL, 0.5) == 0
    assert (book.best_bid, book.best_ask) == ((100, None) if side == BUY else (None, 100))
    book.limit(2, -side, 110 if side == BUY else 90, 5)
    assert book.mid() == 105.0 if side == BUY else book.mid() == 95.0
    assert book.spread() == 10


def test_prices_from_one_tick_to_max_price_are_accepted() -> None:
    # The documented range: every key, and the empty side's sentinel, stays below 2**30.
    assert MAX_PRICE == (1 << 30) - 3
    book = OrderBook()
    assert book.limit(1, SELL, MAX_PRICE, 1) == 1
    assert book.limit(2, BUY, 1, 1) == 2
    assert (book.best_ask, book.best_bid, book.spread()) == (MAX_PRICE, 1, MAX_PRICE - 1)
    for price in (MAX_PRICE + 1, 0, -1):
        with pytest.raises(OrderBookError, match="price"):
            book.limit(1, SELL, price, 1)
    # A market buy walks up to MAX_PRICE.
    book.market(3, BUY, 1)
    assert book.drain_trades()[0][5] == MAX_PRICE


GOOD = (1, BUY, 100, 5, LIMIT)


@pytest.mark.parametrize(
    "bad",
    [
        (1, BUY, 100, 5, 5),  # unknown kinds
        (1, BUY, 100, 5, -1),
        (1, 0, 100, 5, LIMIT),  # no side
        (1, 2, 100, 5, MARKET),
        (1, BUY, 100, 0, LIMIT_IOC),  # no quantity
        (1, SELL, 100, -3, MARKET),
        (1, BUY, 0, 5, LIMIT_POST_ONLY),  # no price
        (1, SELL, MAX_PRICE + 1, 5, LIMIT),  # price out of range
    ],
)
def test_a_bad_batch_row_is_refused_before_any_row_is_applied(bad: tuple) -> None:
    book = OrderBook()
    book.limit(2, SELL, 101, 3)
    book.drain_trades()
    before = book_state(book)
    rows = np.array([GOOD, (3, BUY, 0, 1, MARKET), bad, GOOD], dtype=np.int64).T
    with pytest.raises(OrderBookError, match="bad row 2"):
        book.submit_batch(*rows)
    assert book_state(book) == before
    assert book.limit(1, BUY, 90, 1) == 2  # no order id was used up


def test_batch_boundary_rows_are_valid() -> None:
    book = OrderBook()
    rows = np.array(
        [
            (1, SELL, MAX_PRICE, 1, LIMIT),
            (2, BUY, 1, 1, LIMIT_POST_ONLY),
            (3, SELL, 0, 1, MARKET),  # no price needed
            (4, 0, 77, 0, CANCEL),  # no side or quantity needed
            (1, BUY, 1, 1, LIMIT_IOC),
        ],
        dtype=np.int64,
    ).T
    assert book.submit_batch(*rows).tolist() == [1, 2, 3, -1, 4]
    assert book.drain_trades()[0][5] == 1


def test_batch_columns_must_be_one_length_of_integers() -> None:
    book = OrderBook()
    with pytest.raises(OrderBookError, match="1-D of one length"):
        book.submit_batch([1, 2], [BUY], [100], [1], [LIMIT])
    with pytest.raises(OrderBookError, match="prices must be integers"):
        book.submit_batch([1], [BUY], [100.0], [1], [LIMIT])
    assert book.submit_batch([], [], [], [], []).tolist() == []
    assert book.n_orders == 0


def test_non_integer_quantities_are_refused_naming_the_type() -> None:
    book = OrderBook()
    book.limit(1, SELL, 100, 5)
    with pytest.raises(OrderBookError, match=r"^qty must be an integer, got 1\.5 \(float\)$"):
        book.fill_cost(BUY, 1.5)
    with pytest.raises(OrderBookError, match=r"^price must be an integer, got True \(bool\)$"):
        book.limit(1, BUY, True, 1)
    cash, filled = book.fill_cost(BUY, np.int64(3))
    assert (cash, filled) == (300, 3)
    assert type(cash) is int


def test_fill_cost_walks_the_opposite_side_in_exact_integers() -> None:
    book = OrderBook()
    book.limit(1, SELL, 101, 2)
    book.limit(1, SELL, 103, 4)
    book.limit(2, BUY, 99, 3)
    book.limit(2, BUY, 97, 10)
    buy = book.fill_cost(BUY, 5)
    sell = book.fill_cost(SELL, 20)
    assert buy == (101 * 2 + 103 * 3, 5)
    assert sell == (99 * 3 + 97 * 10, 13)  # the side runs out
    assert all(type(x) is int for x in buy + sell)
    assert book.fill_cost(SELL, 0) == (0, 0)


def test_depth_counts_a_level_on_the_bound_within_the_rounding_slack() -> None:
    book = OrderBook()
    book.limit(1, BUY, 99, 5)
    book.limit(2, SELL, 101, 7)  # mid 100
    assert book.depth(SELL, 0.01) == 7  # 101 is exactly 1% above the mid
    assert book.depth(SELL, 0.009999999) == 7  # within the 1e-9 relative slack of it
    assert book.depth(SELL, 0.00999) == 0
    assert book.depth(BUY, 0.01) == 5
    assert book.depth(BUY, 0.00999) == 0
    assert book.depth(BUY, 0.0) == 0


def test_the_owner_index_is_swept_down_to_live_orders() -> None:
    # Ids of gone orders are dropped once they outnumber live ones by the sweep's margin, so
    # the index stays proportional to what rests, not to what was ever submitted.
    book = OrderBook()
    n = 70_000
    ids = [book.limit(i % 7, SELL, 100 + i % 50, 1) for i in range(n)]
    assert len(book.orders_of(3)) == n // 7  # every id is in the index now
    assert book._n_indexed == n
    kept = {1: ids[1], 2: ids[2]}  # one live order each for owners 1 and 2
    for i, oid in enumerate(ids):
        if oid not in kept.values():
            book.try_cancel(i % 7, oid)
    last = book.limit(5, BUY, 10, 1)
    assert book.orders_of(5) == [last]  # this read sweeps the index
    assert book._by_owner == {1: [kept[1]], 2: [kept[2]], 5: [last]}
    assert book._n_indexed == 3
    assert book.cancel_all(2) == [(kept[2], SELL, 102, 1)]  # its entries leave the count
    assert book._n_indexed == 2


def test_only_orders_that_rest_enter_the_owner_index() -> None:
    book = OrderBook()
    resting = book.limit(1, SELL, 101, 5)
    book.limit(2, BUY, 99, 5, ioc=True)  # crosses nothing, rests nothing
    book.market(2, BUY, 2)  # fills against owner 1
    book.limit(2, BUY, 101, 3, ioc=True)  # fills the rest of it
    assert book._by_owner == {1: [resting]}
    assert book._n_indexed == 1
    assert book.orders_of(1) == []  # the read drops the filled order
    assert book._n_indexed == 0


def test_a_foreign_cancel_names_the_order_and_both_owners() -> None:
    book = OrderBook()
    oid = book.limit(7, BUY, 100, 5)
    with pytest.raises(NotOwnerError) as info:
        book.cancel(8, oid)
    err = info.value
    assert (err.order_id, err.owner, err.actual_owner) == (oid, 8, 7)
    assert str(err) == f"order {oid} belongs to owner 7, not to owner 8, who may not cancel it"
    assert book.remaining(oid) == 5


def test_reading_an_owners_orders_drops_the_gone_ones_from_the_index_count() -> None:
    book = OrderBook()
    ids = [book.limit(1, SELL, 100 + i, 1) for i in range(3)]
    book.limit(2, SELL, 200, 1)
    assert book.orders_of(1) == ids
    assert book._n_indexed == 4
    book.cancel(1, ids[1])
    assert book.orders_of(1) == [ids[0], ids[2]]
    assert book._n_indexed == 3  # compacted by the read


def test_a_side_whose_stale_levels_pile_up_keeps_its_best_price() -> None:
    # Levels opened and emptied leave stale keys in the side's heap; past the margin the heap
    # is rebuilt from the live levels, and the best price must survive the rebuild.
    book = OrderBook()
    book.limit(1, SELL, 900, 1)  # the best ask throughout: the emptied levels are behind it
    for p in range(1_000, 1_200):
        book.cancel(1, book.limit(1, SELL, p, 1))
    book.limit(2, SELL, 1_500, 2)
    book.limit(2, SELL, 1_400, 3)
    assert book.best_ask == 900
    assert book.levels(SELL, 5) == [(900, 1), (1_400, 3), (1_500, 2)]
    assert book.market(3, BUY, 5) > 0
    assert book.levels(SELL, 5) == [(1_500, 1)]
    assert book.best_ask == 1_500


def test_market_orders_take_numpy_quantities_and_name_what_they_refuse() -> None:
    book = OrderBook()
    book.limit(1, SELL, 100, 5)
    book.market(2, BUY, np.int64(3))
    assert book.levels(SELL, 1) == [(100, 2)]
    with pytest.raises(OrderBookError, match=r"^qty must be an integer, got 2\.0 \(float\)$"):
        book.market(2, BUY, 2.0)
    with pytest.raises(OrderBookError, match=r"^market order needs qty > 0 \(got qty=0\)$"):
        book.market(2, BUY, 0)
    with pytest.raises(OrderBookError, match=r"^side must be BUY \(1\) or SELL \(-1\), got 0$"):
        book.market(2, 0, 1)
