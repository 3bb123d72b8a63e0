"""Unit tests of the venue: reservation before matching, settlement, fees, releases, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from gramabm.errors import ConfigError, MarketError
from gramabm.market.ledger import Asset, InvariantError, Ledger
from gramabm.market.orderbook import (
    BUY,
    SELL,
    NotOwnerError,
    OrderBook,
    OrderBookError,
    UnknownOrderError,
)
from gramabm.market.price_grid import PriceGrid
from gramabm.market.venue import (
    CANCEL,
    LIMIT,
    LIMIT_IOC,
    LIMIT_POST_ONLY,
    MARKET,
    OrderStatus,
    Trade,
    Venue,
)

USD, TOKEN = Asset.USD, Asset.TOKEN
FEES, ALICE, BOB, CAROL = 0, 1, 2, 3


def make(
    *,
    taker_bp: float = 0.0,
    maker_bp: float = 0.0,
    self_trade: str = "cancel_resting",
    usd: int = 10_000_000,
    tokens: int = 10_000,
) -> tuple[Ledger, Venue]:
    """Fee account 0; alice, bob and carol each endowed with ``usd`` and ``tokens``."""
    led = Ledger()
    led.open_account("fees")
    for name in ("alice", "bob", "carol"):
        acct = led.open_account(name)
        led.genesis(acct, USD, usd)
        led.genesis(acct, TOKEN, tokens)
    book = OrderBook(self_trade=self_trade)
    return led, Venue(led, book, fee_account=FEES, taker_fee_bp=taker_bp, maker_fee_bp=maker_bp)


def state(led: Ledger, venue: Venue) -> tuple:
    arrays = tuple(led.balances(a).tolist() for a in Asset)
    reserved = tuple(led.reserved_array(a).tolist() for a in Asset)
    book = (venue.book.n_orders, venue.book.levels(BUY, 50), venue.book.levels(SELL, 50))
    return arrays, reserved, book


# ------------------------------------------------------------------------------- construction


def test_construction_validates_fee_account_fees_and_book() -> None:
    led = Ledger()
    led.open_account("fees")
    with pytest.raises(ConfigError, match="fee account 3"):
        Venue(led, fee_account=3)
    with pytest.raises(ConfigError, match="taker_fee_bp"):
        Venue(led, fee_account=0, taker_fee_bp=-1.0)
    with pytest.raises(ConfigError, match="maker_fee_bp"):
        Venue(led, fee_account=0, maker_fee_bp=10_001.0)
    book = OrderBook()
    book.limit(0, SELL, 100, 1)
    with pytest.raises(ConfigError, match="empty book"):
        Venue(led, book, fee_account=0)
    assert Venue(led, fee_account=0).book.n_orders == 0


# ------------------------------------------------------------------------------- reservation


def test_resting_orders_reserve_what_they_could_need() -> None:
    led, v = make(taker_bp=3.0, maker_bp=2.0)
    sell = v.limit(ALICE, SELL, 100_000, 700)
    assert sell > 0
    assert v.last_status == OrderStatus.ACCEPTED
    assert led.reserved(ALICE, TOKEN) == 700
    buy = v.limit(BOB, BUY, 99_000, 50)
    assert buy > 0
    # Resting, so only the maker fee can still apply: 4,950,000 + ceil(990) = 4,950,990.
    assert led.reserved(BOB, USD) == 4_950_990
    assert v.order_reservation(buy) == (USD, 4_950_990)
    v.check(exclusive=True)


def test_buy_reservation_covers_the_worst_case_fee() -> None:
    _, v = make(taker_bp=3.0, maker_bp=2.0)
    # cash 1,000,001: taker fee ceil(300.0003) = 301, maker ceil(200.0002) = 201.
    assert v.buy_reservation(1, 1_000_001, ioc=True) == 1_000_302
    assert v.buy_reservation(1, 1_000_001, post_only=True) == 1_000_202
    assert v.buy_reservation(1, 1_000_001) == 1_000_001 + 301 + 1


def test_refused_order_has_no_side_effects_and_reports_why() -> None:
    led, v = make(usd=1_000, tokens=5)
    v.limit(BOB, SELL, 10, 5)
    before = state(led, v)
    assert v.limit(ALICE, BUY, 11, 100) == 0  # needs 1,100 µUSD, has 1,000
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS
    assert v.limit(ALICE, SELL, 10, 6) == 0  # has 5 tokens
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS
    assert state(led, v) == before
    assert v.take_step_stats().n_refused == 2
    # Exactly affordable is accepted (and fills against bob's ask at 10).
    assert v.limit(ALICE, BUY, 10, 100) > 0
    assert v.last_filled == 5
    v.check(exclusive=True)


def test_malformed_orders_raise() -> None:
    led, v = make()
    before = state(led, v)
    with pytest.raises(OrderBookError, match="price > 0"):
        v.limit(ALICE, BUY, 0, 5)
    with pytest.raises(OrderBookError, match="qty > 0"):
        v.market(ALICE, BUY, -1)
    with pytest.raises(OrderBookError, match="side"):
        v.limit(ALICE, 0, 10, 5)
    with pytest.raises(OrderBookError, match="integer"):
        v.limit(ALICE, BUY, 10.5, 5)  # type: ignore[arg-type]
    with pytest.raises(MarketError, match="no account 9"):
        v.limit(9, BUY, 10, 5)
    assert state(led, v) == before


# ------------------------------------------------------------------------------- settlement


def test_partial_fill_settles_and_keeps_the_rest_reserved() -> None:
    led, v = make()
    ask = v.limit(ALICE, SELL, 100, 1_000)
    bid = v.limit(BOB, BUY, 100, 300)
    assert v.last_filled == 300
    assert v.book.remaining(ask) == 700
    assert v.book.remaining(bid) == 0
    assert led.reserved(ALICE, TOKEN) == 700
    assert led.balance(ALICE, TOKEN) == 10_000 - 300
    assert led.balance(ALICE, USD) == 10_000_000 + 30_000
    assert led.balance(BOB, TOKEN) == 10_300
    assert (led.balance(BOB, USD), led.reserved(BOB, USD)) == (10_000_000 - 30_000, 0)
    v.check(exclusive=True)


def test_step_stats_hold_the_steps_highest_and_lowest_fill() -> None:
    _, v = make()
    for price in (100, 98, 95):
        v.limit(ALICE, BUY, price, 100)
    v.limit(CAROL, SELL, 103, 100)
    v.market(BOB, SELL, 250)  # walks the bids: 100, 98, then half of 95
    v.market(BOB, BUY, 50)  # a later, higher fill
    stats = v.take_step_stats()
    assert (stats.high_price, stats.low_price) == (103, 95)
    assert stats.last_price == 103
    empty = v.take_step_stats()  # a new step without fills
    assert (empty.high_price, empty.low_price) == (None, None)
    assert empty.last_price == 103  # the last fill ever stays


def test_buy_below_its_limit_releases_the_price_improvement() -> None:
    led, v = make()
    v.limit(ALICE, SELL, 100, 50)
    v.limit(CAROL, SELL, 102, 50)
    bid = v.limit(BOB, BUY, 110, 80)
    # 50 @ 100 + 30 @ 102 = 8,060; the remaining 0 lots need nothing.
    assert led.balance(BOB, USD) == 10_000_000 - 8_060
    assert led.reserved(BOB, USD) == 0
    assert v.book.remaining(bid) == 0
    # A buy that rests after improving keeps exactly its remaining need at its own limit.
    bid2 = v.limit(BOB, BUY, 110, 40)
    assert v.last_filled == 20
    assert led.reserved(BOB, USD) == 110 * 20
    assert v.book.remaining(bid2) == 20
    v.check(exclusive=True)


def test_ioc_remainder_is_released() -> None:
    led, v = make()
    v.limit(ALICE, SELL, 100, 10)
    oid = v.limit(BOB, BUY, 100, 25, ioc=True)
    assert oid > 0
    assert v.last_filled == 10
    assert v.book.remaining(oid) == 0
    assert led.reserved(BOB, USD) == 0
    assert led.balance(BOB, USD) == 10_000_000 - 1_000
    v.check(exclusive=True)


def test_post_only_that_would_cross_is_refused_and_released() -> None:
    led, v = make()
    v.limit(ALICE, SELL, 100, 10)
    before = state(led, v)
    assert v.limit(BOB, BUY, 100, 5, post_only=True) == 0
    assert v.last_status == OrderStatus.POST_ONLY_REJECTED
    assert state(led, v) == before
    assert v.limit(BOB, BUY, 99, 5, post_only=True) > 0
    assert led.reserved(BOB, USD) == 495


# ------------------------------------------------------------------------------- fees


def test_fees_are_rounded_up_and_go_to_the_fee_account() -> None:
    led, v = make(taker_bp=10.0, maker_bp=2.5)
    v.limit(ALICE, SELL, 1_001, 7)  # cash 7,007
    v.limit(BOB, BUY, 1_001, 7)
    taker_fee = 8  # ceil(7.007)
    maker_fee = 2  # ceil(1.75175)
    assert led.balance(BOB, USD) == 10_000_000 - 7_007 - taker_fee
    assert led.balance(ALICE, USD) == 10_000_000 + 7_007 - maker_fee
    assert led.balance(FEES, USD) == taker_fee + maker_fee
    assert v.fees_collected == 10
    (trade,) = v.drain_trades()
    assert (trade.maker_fee, trade.taker_fee) == (maker_fee, taker_fee)
    v.check(exclusive=True)


def test_fee_rounding_is_per_order_not_per_fill() -> None:
    led, v = make(maker_bp=1.0)
    v.limit(ALICE, SELL, 100, 10)
    for _ in range(10):
        v.limit(BOB, BUY, 100, 1)  # each fill: cash 100, rate 1e-4
    # Per-fill rounding would charge 10 x ceil(0.01) = 10; per order it is ceil(0.1) = 1.
    assert led.balance(FEES, USD) == 1
    assert sum(t.maker_fee for t in v.drain_trades()) == 1
    assert led.balance(ALICE, USD) == 10_000_000 + 1_000 - 1


def test_resting_buy_pays_its_maker_fee_out_of_its_reservation() -> None:
    led, v = make(taker_bp=20.0, maker_bp=7.5)
    bid = v.limit(BOB, BUY, 1_000, 100)  # cash 100,000; maker fee ceil(75) = 75
    assert led.reserved(BOB, USD) == 100_075
    v.limit(ALICE, SELL, 1_000, 40)  # alice is taker: fee ceil(40,000 * 0.002) = 80
    assert led.balance(ALICE, USD) == 10_000_000 + 40_000 - 80
    assert v.book.remaining(bid) == 60
    # Paid 40,000 + ceil(30); 60,000 + (75 - 30) remains reserved.
    assert led.reserved(BOB, USD) == 60_045
    v.cancel(BOB, bid)
    assert led.reserved(BOB, USD) == 0
    assert led.balance(BOB, USD) == 10_000_000 - 40_030
    assert led.balance(FEES, USD) == 110
    v.check(exclusive=True)


def test_decimal_fee_rates_are_exact() -> None:
    led, v = make(taker_bp=0.1)
    v.limit(
        ALICE, SELL, 100, 1_000
    )  # cash 100,000 at 1e-5: fee exactly 1 (a float says 1.0000000000000002)
    v.limit(BOB, BUY, 100, 1_000)
    assert led.balance(FEES, USD) == 1


def test_full_fee_leaves_the_seller_nothing_but_never_below_zero() -> None:
    led, v = make(taker_bp=10_000.0, usd=0)
    led.genesis(BOB, USD, 1_000)
    v.limit(BOB, BUY, 5, 100, post_only=True)
    v.limit(ALICE, SELL, 5, 100)
    assert led.balance(ALICE, USD) == 0
    assert led.balance(FEES, USD) == 500
    v.check(exclusive=True)


# ------------------------------------------------------------------------------- cancels


def test_cancel_releases_and_checks_ownership() -> None:
    led, v = make()
    bid = v.limit(ALICE, BUY, 100, 10)
    ask = v.limit(ALICE, SELL, 120, 10)
    before = state(led, v)
    with pytest.raises(NotOwnerError):
        v.cancel(BOB, bid)
    with pytest.raises(UnknownOrderError):
        v.cancel(ALICE, 999)
    assert state(led, v) == before
    assert v.cancel(ALICE, bid) == 10
    assert led.reserved(ALICE, USD) == 0
    assert led.reserved(ALICE, TOKEN) == 10
    v.limit(ALICE, SELL, 121, 5)
    cancelled = v.cancel_all(ALICE)
    assert [(c[0], c[3]) for c in cancelled] == [(ask, 10), (ask + 1, 5)]
    assert led.reserved(ALICE, TOKEN) == 0
    assert v.cancel_all(ALICE) == []
    v.check(exclusive=True)


def test_self_trade_cancel_resting_releases_the_resting_order() -> None:
    led, v = make()
    own_ask = v.limit(ALICE, SELL, 100, 10)
    v.limit(BOB, SELL, 101, 10)
    bid = v.limit(ALICE, BUY, 101, 15)
    assert v.book.remaining(own_ask) == 0
    assert led.reserved(ALICE, TOKEN) == 0
    assert v.last_filled == 10  # from bob at 101
    assert v.book.remaining(bid) == 5
    assert led.reserved(ALICE, USD) == 505
    assert led.balance(ALICE, TOKEN) == 10_010
    v.check(exclusive=True)


def test_self_trade_cancel_incoming_releases_the_incoming_order() -> None:
    led, v = make(self_trade="cancel_incoming")
    v.limit(BOB, SELL, 99, 5)
    own_ask = v.limit(ALICE, SELL, 100, 10)
    bid = v.limit(ALICE, BUY, 100, 15)
    assert bid > 0
    assert v.last_filled == 5
    assert v.book.remaining(bid) == 0
    assert v.book.remaining(own_ask) == 10
    assert led.reserved(ALICE, USD) == 0
    assert led.balance(ALICE, USD) == 10_000_000 - 495
    v.check(exclusive=True)


def test_self_trade_allowed_moves_only_fees() -> None:
    led, v = make(taker_bp=10.0, maker_bp=10.0, self_trade="allow")
    v.limit(ALICE, SELL, 1_000, 10)
    v.limit(ALICE, BUY, 1_000, 10)
    assert led.balance(ALICE, TOKEN) == 10_000
    assert led.balance(ALICE, USD) == 10_000_000 - 20
    assert led.reserved(ALICE, USD) == led.reserved(ALICE, TOKEN) == 0
    v.check(exclusive=True)


# ------------------------------------------------------------------------------- market orders


def test_market_buy_is_bounded_by_cash_including_fees() -> None:
    led, v = make(taker_bp=50.0)
    v.limit(ALICE, SELL, 100, 30)
    v.limit(BOB, SELL, 200, 100)
    led.transfer(CAROL, FEES, USD, 10_000_000 - 7_000)  # carol keeps 7,000 µUSD
    assert v.market(CAROL, BUY, 1_000) == 49
    # 30 @ 100 + 19 @ 200 = 6,800, fee ceil(34) = 34: 6,834 <= 7,000; 50 lots would cost 7,035.
    assert led.balance(CAROL, USD) == 7_000 - 6_834
    assert led.reserved(CAROL, USD) == 0
    assert led.balance(CAROL, TOKEN) == 10_049
    v.check(exclusive=True)


def test_market_buy_ignores_own_asks_when_budgeting() -> None:
    led, v = make()
    led.transfer(CAROL, FEES, USD, 10_000_000 - 1_000)
    v.limit(CAROL, SELL, 50, 100)  # own ask: cancelled by self-trade prevention, not bought
    v.limit(ALICE, SELL, 100, 100)
    assert v.market(CAROL, BUY, 100) == 10
    assert led.balance(CAROL, USD) == 0
    assert v.book.orders_of(CAROL) == []
    assert led.reserved(CAROL, TOKEN) == 0
    v.check(exclusive=True)


def test_market_buy_never_overspends_when_its_own_asks_are_cancelled() -> None:
    led, v = make()
    led.transfer(CAROL, FEES, USD, 10_000_000 - 975)
    v.limit(CAROL, SELL, 97, 5)
    v.limit(ALICE, SELL, 98, 10)
    # Counting her own 5 @ 97 would budget 5 @ 97 + 5 @ 98 = 975 up to 98, but self-trade
    # prevention removes them and 10 @ 98 would cost 980: only 9 lots are affordable.
    assert v.market(CAROL, BUY, 10) == 9
    assert led.balance(CAROL, USD) == 975 - 9 * 98
    v.check(exclusive=True)


def test_market_sell_is_clipped_to_available_tokens() -> None:
    led, v = make(tokens=0)
    led.genesis(ALICE, TOKEN, 30)
    v.limit(ALICE, SELL, 200, 10)  # 20 left available
    v.limit(BOB, BUY, 100, 100)
    assert v.market(ALICE, SELL, 50) == 20
    assert led.balance(ALICE, TOKEN) == 10
    assert led.reserved(ALICE, TOKEN) == 10
    v.check(exclusive=True)


def test_market_orders_refused_without_side_effects() -> None:
    led, v = make(usd=0, tokens=0)
    before = state(led, v)
    assert v.market(ALICE, SELL, 5) == 0
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS
    led.genesis(ALICE, USD, 1_000)
    before = state(led, v)
    assert v.market(ALICE, BUY, 5) == 0
    assert v.last_status == OrderStatus.NO_LIQUIDITY
    led.genesis(BOB, TOKEN, 5)
    v.limit(BOB, SELL, 2_000, 5)
    before = state(led, v)
    assert v.market(ALICE, BUY, 5) == 0
    assert v.last_status == OrderStatus.INSUFFICIENT_FUNDS
    assert state(led, v) == before


def test_market_buy_walks_deep_books() -> None:
    led, v = make()
    for i in range(100):
        v.limit(ALICE, SELL, 100 + i, 1)
    assert v.market(BOB, BUY, 90) == 90
    assert led.balance(BOB, USD) == 10_000_000 - sum(range(100, 190))
    v.check(exclusive=True)


# ------------------------------------------------------------------------------- batch


def test_submit_batch_runs_rows_in_order_and_reports_each() -> None:
    led, v = make(usd=1_000)
    owners = [ALICE, BOB, BOB, CAROL, ALICE, BOB, ALICE]
    sides = [SELL, BUY, BUY, BUY, BUY, SELL, BUY]
    prices = [10, 10, 10, 0, 0, 5, 9]
    qtys = [50, 20, 200, 10, 1, 1, 5]
    kinds = [LIMIT, LIMIT, LIMIT, MARKET, CANCEL, LIMIT_IOC, LIMIT_POST_ONLY]
    prices[4] = 1  # cancel alice's first order (id 1)
    out = v.submit_batch(*(np.array(c) for c in (owners, sides, prices, qtys, kinds)))
    # The cancel finds 20 of alice's 50 lots left (bob took 20, carol's market buy 10).
    assert out.tolist() == [1, 2, 0, 3, 20, 4, 5]
    assert v.last_batch_status.tolist() == [
        OrderStatus.ACCEPTED,
        OrderStatus.ACCEPTED,
        OrderStatus.INSUFFICIENT_FUNDS,
        OrderStatus.ACCEPTED,
        OrderStatus.ACCEPTED,
        OrderStatus.ACCEPTED,
        OrderStatus.ACCEPTED,
    ]
    assert v.last_batch_filled.tolist() == [0, 20, 0, 10, 0, 0, 0]
    # Carol's market buy found 10 lots at 10 (she had 1,000 µUSD).
    assert led.balance(CAROL, TOKEN) == 10_010
    # Bob's IOC sell at 5 found no bid, so nothing stays reserved.
    assert led.reserved(BOB, TOKEN) == 0
    assert led.reserved(ALICE, USD) == 45
    failed = v.submit_batch([BOB], [BUY], [5], [1], [CANCEL])
    assert failed.tolist() == [-1]
    assert v.last_batch_status.tolist() == [OrderStatus.CANCEL_FAILED]
    v.check(exclusive=True)


def test_submit_batch_with_a_bad_row_changes_nothing() -> None:
    led, v = make()
    before = state(led, v)
    with pytest.raises(OrderBookError, match="bad row 1"):
        v.submit_batch([ALICE, BOB], [SELL, BUY], [10, 10], [5, 0], [LIMIT, LIMIT])
    with pytest.raises(OrderBookError, match="bad row 0"):
        v.submit_batch([42], [SELL], [10], [5], [LIMIT])
    with pytest.raises(OrderBookError, match="integers"):
        v.submit_batch([ALICE], [SELL], [10.0], [5], [LIMIT])
    with pytest.raises(OrderBookError, match="length"):
        v.submit_batch([ALICE], [SELL], [10, 11], [5], [LIMIT])
    assert state(led, v) == before


# ------------------------------------------------------------------------------- stats, tape


def test_step_stats_and_tape() -> None:
    led, v = make(taker_bp=10.0)
    v.limit(ALICE, SELL, 1_000, 10)
    v.limit(ALICE, SELL, 1_010, 10)
    v.limit(BOB, BUY, 1_010, 15)
    v.limit(CAROL, BUY, 990, 5)
    v.market(ALICE, SELL, 2)
    assert v.step_stats() == v.step_stats()  # peeking does not reset
    s = v.take_step_stats()
    assert (s.volume_qty, s.volume_cash, s.trades) == (17, 10_000 + 5_050 + 1_980, 3)
    assert (s.buy_qty, s.sell_qty) == (15, 2)
    assert s.fees == led.balance(FEES, USD) == 16 + 2
    assert s.last_price == v.last_trade_price == 990
    assert s.vwap == pytest.approx(17_030 / 17)
    tape = v.drain_trades()
    assert [(t.price, t.qty, t.aggressor) for t in tape] == [
        (1_000, 10, BUY),
        (1_010, 5, BUY),
        (990, 2, SELL),
    ]
    assert isinstance(tape[0], Trade)
    assert v.drain_trades() == []
    empty = v.take_step_stats()
    assert (empty.volume_qty, empty.trades, empty.fees, empty.vwap) == (0, 0, 0, None)
    assert empty.last_price == 990
    assert v.n_trades == 3
    assert v.volume == (17, 17_030)


def test_tape_can_be_switched_off() -> None:
    led = Ledger()
    led.open_account("fees")
    a, b = led.open_account("a"), led.open_account("b")
    led.genesis(a, TOKEN, 5)
    led.genesis(b, USD, 500)
    v = Venue(led, fee_account=0, keep_tape=False)
    v.limit(a, SELL, 100, 5)
    v.limit(b, BUY, 100, 5)
    assert v.drain_trades() == []
    assert v.take_step_stats().trades == 1


def test_orders_sent_around_the_venue_are_detected() -> None:
    _, v = make()
    v.book.limit(ALICE, SELL, 100, 5)  # unfunded: bypasses the venue
    with pytest.raises(InvariantError, match="book holds 1 orders, the venue funds 0"):
        v.check()
    with pytest.raises(InvariantError, match="never funded"):
        v.limit(BOB, BUY, 100, 5)


# ------------------------------------------------------------------------------- post


@pytest.mark.parametrize("grid", [None, 7.0])
def test_post_is_a_post_only_limit_order(grid: float | None) -> None:
    # The same quotes, one venue posting, the other sending post-only limit orders: ids,
    # statuses, book, balances and reservations agree after every one, refusals included.
    twins = [make(maker_bp=3.0, usd=20_000) for _ in range(2)]
    for _, venue in twins:
        venue.set_grid(PriceGrid(grid) if grid else None)
        assert venue.limit(CAROL, SELL, 120, 10)
        assert venue.limit(CAROL, BUY, 80, 10)
    quotes = [
        (ALICE, BUY, 100, 30),  # rests
        (ALICE, SELL, 110, 50),  # rests
        (ALICE, BUY, 121, 5),  # would cross carol's offer
        (ALICE, SELL, 79, 5),  # would cross carol's bid
        (ALICE, BUY, 100, 500),  # more cash than alice has left
        (BOB, SELL, 115, 20_000),  # more tokens than bob has
        (BOB, BUY, 3, 10),  # under the grid's first step, if any
        (BOB, SELL, 111, 7),  # rests
    ]
    seen = set()
    for owner, side, price, qty in quotes:
        (led_a, posting), (led_b, limiting) = twins
        got = posting.post(owner, side, price, qty)
        seen.add(posting.last_status)
        assert got == limiting.limit(owner, side, price, qty, post_only=True)
        assert (posting.last_status, posting.last_filled) == (
            limiting.last_status,
            limiting.last_filled,
        )
        assert state(led_a, posting) == state(led_b, limiting)
        if got:
            assert posting.order_reservation(got) == limiting.order_reservation(got)
    assert posting.take_step_stats() == limiting.take_step_stats()
    assert seen >= {OrderStatus.ACCEPTED, OrderStatus.INSUFFICIENT_FUNDS} | (
        {OrderStatus.BELOW_GRID} if grid else {OrderStatus.POST_ONLY_REJECTED}
    )
    for _, venue in twins:
        venue.check(exclusive=True)


def test_post_checks_its_order_like_limit() -> None:
    _, venue = make()
    for bad in [(ALICE, 0, 100, 1), (ALICE, BUY, 0, 1), (ALICE, BUY, 100, 0), (ALICE, BUY, 1.5, 1)]:
        with pytest.raises(OrderBookError):
            venue.post(*bad)  # type: ignore[arg-type]
    with pytest.raises(MarketError):
        venue.post(99, BUY, 100, 1)
    assert venue.post(np.int64(ALICE), BUY, np.int64(100), np.int64(2))  # type: ignore[arg-type]
    assert venue.book.n_orders == 1
