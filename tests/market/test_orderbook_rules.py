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
