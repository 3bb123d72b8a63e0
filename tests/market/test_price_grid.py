"""A venue's price step: the grid's points by hand, snapping never to a worse price, conservation."""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from gramabm.errors import ConfigError
from gramabm.market.ledger import Asset, Ledger
from gramabm.market.orderbook import BUY, SELL, OrderBook
from gramabm.market.price_grid import PriceGrid
from gramabm.market.venue import OrderStatus, Venue
from tests.conftest import INVARIANT_EXAMPLES


def test_a_tick_per_ounce_is_a_step_of_book_ticks_rounded_to_whole_ones() -> None:
    grid = PriceGrid.per_troy_ounce(1.0)
    assert grid is not None
    assert grid.step == pytest.approx(1000 / 31.1034768)  # 32.15 ticks of 0.001 USD a gram
    assert [grid.point(k) for k in range(5)] == [0, 32, 64, 96, 129]  # 128.6 rounds up
    assert (grid.bid(100), grid.ask(100)) == (96, 129)
    assert (grid.bid(96), grid.ask(96)) == (96, 96)  # a price on the grid stays
    assert (grid.bid(31), grid.ask(1)) == (0, 32)
    # PAXG's 0.01 USD an ounce is finer than the book's 0.031: no grid.
    assert PriceGrid.per_troy_ounce(0.01) is None
    assert PriceGrid.per_troy_ounce(0.0) is None


@pytest.mark.parametrize("step", [0.5, float("nan"), float("inf")])
def test_a_step_under_one_book_tick_is_refused(step: float) -> None:
    with pytest.raises(ConfigError, match="price step"):
        PriceGrid(step)


def test_a_negative_tick_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="tick"):
        PriceGrid.per_troy_ounce(-1.0)


@given(step=st.floats(1.0, 5_000.0), price=st.integers(1, 10**9))
def test_a_price_moves_to_the_nearest_grid_point_on_its_own_side(step: float, price: int) -> None:
    grid = PriceGrid(step)
    bid, ask = grid.bid(price), grid.ask(price)
    assert bid <= price <= ask
    assert grid.bid(bid) == bid  # both on the grid
    assert grid.ask(ask) == ask
    assert ask - bid <= round(step) + 1  # neighbours: nothing of the grid between them
    assert (bid == ask) == (grid.bid(price) == price)


def _venue(step: float, owners: int = 2) -> tuple[Venue, Ledger]:
    ledger = Ledger(capacity=owners + 1)
    ledger.open_account("fees")
    for i in range(1, owners + 1):
        ledger.open_account(f"trader-{i}")
        ledger.genesis(i, Asset.USD, 10**9)
        ledger.genesis(i, Asset.TOKEN, 10**6)
    venue = Venue(ledger, OrderBook(), fee_account=0, taker_fee_bp=2.0, grid=PriceGrid(step))
    return venue, ledger


def test_the_venue_rests_a_bid_down_and_an_offer_up_on_its_grid() -> None:
    venue, ledger = _venue(1000 / 31.1034768)
    assert venue.limit(1, BUY, 100, 10, post_only=True)
    assert venue.limit(2, SELL, 100, 10, post_only=True)
    assert (venue.book.best_bid, venue.book.best_ask) == (96, 129)
    # The bid reserves what it can cost at the price it rests at, not at the one written.
    assert ledger.reserved_array(Asset.USD)[1] == 96 * 10
    # An offer at 97 (on the grid: 129) does not cross the bid at 96.
    assert venue.limit(2, SELL, 97, 5, post_only=True)
    assert venue.book.best_ask == 129


def test_a_bid_under_the_first_step_is_refused_and_changes_nothing() -> None:
    venue, ledger = _venue(50.0)
    before = ledger.balances(Asset.USD).copy()
    assert venue.limit(1, BUY, 49, 10) == 0
    assert venue.last_status == OrderStatus.BELOW_GRID
    assert ledger.reserved_array(Asset.USD).sum() == 0
    assert (ledger.balances(Asset.USD) == before).all()


order_st = st.tuples(
    st.integers(1, 3),  # owner
    st.sampled_from([BUY, SELL]),
    st.integers(80, 120),  # price in book ticks
    st.integers(1, 20),  # quantity
    st.sampled_from(["limit", "ioc", "post_only", "market"]),
)


@settings(max_examples=INVARIANT_EXAMPLES)
@given(step=st.floats(1.0, 9.0), orders=st.lists(order_st, min_size=1, max_size=40))
def test_on_a_grid_every_price_is_on_it_no_fill_is_worse_than_asked_and_nothing_is_lost(
    step: float, orders: list[tuple[int, int, int, int, str]]
) -> None:
    venue, ledger = _venue(step, owners=3)
    grid = venue.grid
    assert grid is not None
    limits: dict[int, tuple[int, int]] = {}  # order id -> (side, price written)
    for owner, side, price, qty, kind in orders:
        if kind == "market":
            venue.market(owner, side, qty)
        else:
            oid = venue.limit(
                owner, side, price, qty, ioc=kind == "ioc", post_only=kind == "post_only"
            )
            if oid:
                limits[oid] = (side, price)
        ledger.check()
        venue.check(exclusive=True)
        for book_side in (BUY, SELL):
            for px, _qty in venue.book.levels(book_side, 100):
                assert grid.bid(px) == px
    trades = venue.drain_trades()
    event(f"trades: {'0' if not trades else '1-4' if len(trades) < 5 else '5+'}")
    for trade in trades:
        assert grid.bid(trade.price) == trade.price
        for oid in (trade.maker_order, trade.taker_order):
            if oid in limits:
                side, written = limits[oid]
                assert trade.price <= written if side == BUY else trade.price >= written
    assert ledger.balances(Asset.TOKEN).sum() == 3 * 10**6
    assert ledger.balances(Asset.USD).sum() == 3 * 10**9


def test_a_tick_change_clears_the_book_and_releases_every_reservation() -> None:
    venue, ledger = _venue(1.0)
    venue.limit(1, BUY, 100, 10, post_only=True)
    venue.limit(2, SELL, 110, 7, post_only=True)
    assert ledger.reserved_array(Asset.USD)[1] > 0
    venue.set_grid(PriceGrid(32.0))
    assert venue.book.n_orders == 0
    assert ledger.reserved_array(Asset.USD).sum() == 0
    assert ledger.reserved_array(Asset.TOKEN).sum() == 0
    venue.check(exclusive=True)
    assert venue.limit(1, BUY, 100, 10, post_only=True)
    assert venue.book.best_bid == 96  # on the new grid
