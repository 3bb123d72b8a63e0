"""Property tests of the order book against a small, obviously correct model.

Each example is a random sequence of 1-40 operations (limits GTC / IOC / post-only, market
orders, cancels of real, gone, unknown and foreign ids) from 4 owners over a 7-tick price
range, so books cross, levels fill up and owners meet themselves often. After every operation
the book must agree with the model (ids, trades, self-trade cancels, cancel results and errors,
levels, owners' orders) and the invariants are checked directly as well:

* never crossed: best bid < best ask;
* FIFO within a level: at one price, makers fill in the order they arrived;
* no fill through a limit, and every fill at the maker's price;
* quantity conservation: every lot submitted is filled, resting, cancelled or (IOC / market
  only) discarded, and a discarded remainder means nothing crossable was left;
* cancelling an unknown or foreign id raises UnknownOrderError / NotOwnerError naming the id and
  owner, and changes nothing.

The same operations submitted through ``submit_batch`` must give the same results and tape.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.market.orderbook import (
    BUY,
    CANCEL,
    LIMIT,
    LIMIT_IOC,
    LIMIT_POST_ONLY,
    MARKET,
    SELF_TRADE_MODES,
    SELL,
    NotOwnerError,
    OrderBook,
    UnknownOrderError,
)
from tests.conftest import INVARIANT_EXAMPLES

CANCEL_ALL = 5  # model-only kind for the owner-tracking test (not a batch kind)
LO, HI = 97, 103


class Model:
    """A list of resting orders, matched by sorting: slow, short and plainly right."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.resting: list[list[int]] = []  # [oid, owner, side, price, qty], arrival order
        self.next_id = 1
        self.seq = 0
        self.last_price: int | None = None
        self.owner_of: dict[int, int] = {}  # every id issued

    def submit(self, owner: int, side: int, price: int, qty: int, kind: int):
        """Apply an order; return (id, trades, self-trade cancels)."""
        limit = None if kind == MARKET else price

        def crosses(o: list[int]) -> bool:
            if o[2] == side:
                return False
            return limit is None or (o[3] <= limit if side == BUY else o[3] >= limit)

        # best price first, then oldest first
        queue = sorted(filter(crosses, self.resting), key=lambda o: (o[3] * side, o[0]))
        if kind == LIMIT_POST_ONLY and queue:
            return 0, [], []
        oid = self.next_id
        self.next_id += 1
        self.owner_of[oid] = owner
        trades, cancels = [], []
        for o in queue:
            if not qty:
                break
            if o[1] == owner and self.mode != "allow":
                if self.mode == "cancel_resting":
                    self.resting.remove(o)
                    cancels.append(tuple(o))
                    continue
                cancels.append((oid, owner, side, price if kind != MARKET else 0, qty))
                qty = 0
                break
            fill = min(qty, o[4])
            self.seq += 1
            trades.append((self.seq, o[0], oid, o[1], owner, o[3], fill, side))
            self.last_price = o[3]
            o[4] -= fill
            qty -= fill
            if not o[4]:
                self.resting.remove(o)
        if qty and kind in (LIMIT, LIMIT_POST_ONLY):
            self.resting.append([oid, owner, side, price, qty])
        return oid, trades, cancels

    def find(self, oid: int) -> list[int] | None:
        return next((o for o in self.resting if o[0] == oid), None)

    def cancel(self, owner: int, oid: int):
        """Return ("ok", qty), ("unknown", None) or ("foreign", actual owner)."""
        o = self.find(oid)
        if o is None:
            return "unknown", None
        if o[1] != owner:
            return "foreign", o[1]
        self.resting.remove(o)
        return "ok", o[4]

    def cancel_all(self, owner: int) -> list[tuple[int, int, int, int]]:
        mine = [o for o in self.resting if o[1] == owner]
        for o in mine:
            self.resting.remove(o)
        return [(o[0], o[2], o[3], o[4]) for o in mine]

    def levels(self, side: int) -> list[tuple[int, int]]:
        total: dict[int, int] = defaultdict(int)
        for o in self.resting:
            if o[2] == side:
                total[o[3]] += o[4]
        return sorted(total.items(), key=lambda kv: -kv[0] * side)


KINDS = (LIMIT, LIMIT, LIMIT, LIMIT_IOC, MARKET, CANCEL, CANCEL, LIMIT_POST_ONLY)


def decode(code: int, kinds: tuple[int, ...] = KINDS) -> tuple[int, int, int, int, int, int]:
    """One operation from one integer: (kind, owner, side, price, qty, cancel pick).

    Drawing one integer per operation instead of six makes generation several times faster,
    which is what buys 10,000 sequences per run. The integer is first scrambled (an odd
    multiplier is a bijection mod 2**32) so that every field is spread evenly although
    hypothesis favours small integers; 0 still decodes to the simplest operation.
    """
    code = (code * 0x9E3779B1) & 0xFFFFFFFF
    code, kind = divmod(code, len(kinds))
    code, owner = divmod(code, 4)
    code, side = divmod(code, 2)
    code, price = divmod(code, HI - LO + 1)
    code, qty = divmod(code, 12)
    return kinds[kind], owner, (BUY, SELL)[side], LO + price, qty + 1, code % 16


def pick_cancel(pick: int, owner: int, model: Model) -> tuple[int, int]:
    """Who cancels which id, from a pick in 0..15.

    0-9: a resting order (if any); 10-14: one of the last ids issued (often gone); 15: an id not
    issued yet. Owner 3 asks as itself (often for a foreign order); the others as the order's
    owner.
    """
    issued = model.next_id - 1
    if pick < 10 and model.resting:
        target = model.resting[pick % len(model.resting)][0]
    elif pick < 15:
        target = max(issued - (pick - 10), 0)  # 0 is never issued
    else:
        target = issued + 1
    if owner != 3:
        owner = model.owner_of.get(target, owner)
    return owner, target


op = st.integers(0, 2**32 - 1).map(decode)
# Draw the length first: plain st.lists favours very short lists, which rarely trade.
ops_lists = st.integers(1, 40).flatmap(lambda n: st.lists(op, min_size=n, max_size=n))
modes = st.sampled_from(SELF_TRADE_MODES)


def check_state(book: OrderBook, model: Model) -> None:
    """The book's visible state equals the model's, and the book is not crossed."""
    bids, asks = model.levels(BUY), model.levels(SELL)
    assert book.levels(BUY, 99) == bids
    assert book.levels(SELL, 99) == asks
    assert book.best_bid == (bids[0][0] if bids else None)
    assert book.best_ask == (asks[0][0] if asks else None)
    if bids and asks:
        assert book.best_bid < book.best_ask, "book left crossed"
        assert book.spread() == asks[0][0] - bids[0][0]
    assert book.n_orders == len(model.resting)
    assert book.last_trade_price == model.last_price
    for owner in range(4):
        assert book.orders_of(owner) == [o[0] for o in model.resting if o[1] == owner]


def check_fills(trades: list[tuple], limit: int | None, side: int, price_of: dict) -> None:
    """No fill through the taker's limit, fills at the maker's price, FIFO within a price."""
    last_maker_at: dict[int, int] = {}
    for _, maker, _, _, _, px, qty, aggressor in trades:
        assert qty > 0
        assert aggressor == side
        assert px == price_of[maker], "fill away from the maker's price"
        if limit is not None:
            assert (px <= limit) if side == BUY else (px >= limit), "fill through the limit"
        assert maker > last_maker_at.get(px, 0), "FIFO broken within a level"
        last_maker_at[px] = maker


@settings(max_examples=INVARIANT_EXAMPLES)
@given(mode=modes, ops=ops_lists)
def test_book_matches_model_and_keeps_invariants(mode, ops):
    book = OrderBook(self_trade=mode)
    model = Model(mode)
    submitted: dict[int, int] = {}
    kind_of: dict[int, int] = {}
    price_of: dict[int, int] = {}
    accounted: dict[int, int] = defaultdict(int)  # filled + cancelled, per order id
    results: list[int] = []
    rows: list[tuple[int, int, int, int, int]] = []  # the same operations as batch rows
    tape: list[tuple] = []
    stp_cancels: list[tuple] = []

    for kind, owner, side, price, qty, pick in ops:
        if kind == CANCEL:
            owner, target = pick_cancel(pick, owner, model)
            rows.append((owner, 0, target, 0, CANCEL))
            outcome, info = model.cancel(owner, target)
            if outcome == "unknown":
                with pytest.raises(
                    UnknownOrderError, match=rf"order {target} \(asked by owner {owner}\)"
                ):
                    book.cancel(owner, target)
                results.append(-1)
            elif outcome == "foreign":
                with pytest.raises(
                    NotOwnerError,
                    match=f"order {target} belongs to owner {info}, not to owner {owner}",
                ):
                    book.cancel(owner, target)
                results.append(-1)
            else:
                assert book.cancel(owner, target) == info
                accounted[target] += info
                results.append(info)
            assert book.drain_trades() == []
            assert book.drain_cancels() == []
        else:
            rows.append((owner, side, price, qty, kind))
            want_id, want_trades, want_cancels = model.submit(owner, side, price, qty, kind)
            if kind == MARKET:
                got_id = book.market(owner, side, qty)
            else:
                got_id = book.limit(
                    owner,
                    side,
                    price,
                    qty,
                    ioc=kind == LIMIT_IOC,
                    post_only=kind == LIMIT_POST_ONLY,
                )
            trades, cancels = book.drain_trades(), book.drain_cancels()
            tape += trades
            stp_cancels += cancels
            assert got_id == want_id
            assert trades == want_trades
            assert cancels == want_cancels
            results.append(got_id)
            if got_id:
                submitted[got_id], kind_of[got_id], price_of[got_id] = qty, kind, price
            check_fills(trades, None if kind == MARKET else price, side, price_of)
            for _, maker, taker, _, _, _, q, _ in trades:
                accounted[maker] += q
                accounted[taker] += q
            for oid, *_, q in cancels:
                accounted[oid] += q
            if got_id:
                # The incoming order: what is neither filled, cancelled nor resting was discarded,
                # which only IOC and market orders may do, and only when nothing crossable is left.
                discarded = qty - accounted[got_id] - book.remaining(got_id)
                if kind in (LIMIT, LIMIT_POST_ONLY):
                    assert discarded == 0
                else:
                    assert discarded >= 0
                    if discarded:
                        other = book.best_ask if side == BUY else book.best_bid
                        assert other is None or (
                            kind != MARKET and (other > price if side == BUY else other < price)
                        ), "IOC remainder discarded while crossable liquidity remained"
        check_state(book, model)

    # Quantity conservation over the whole sequence, order by order.
    for oid, qty in submitted.items():
        resting = book.remaining(oid)
        assert resting >= 0
        left = qty - accounted[oid] - resting
        assert left == 0 if kind_of[oid] in (LIMIT, LIMIT_POST_ONLY) else left >= 0
        if resting:
            assert book.order(oid)[3] == resting

    # The same operations as one batch: same results, tape and final book.
    batch = OrderBook(self_trade=mode)
    out = batch.submit_batch(*np.array(rows, dtype=np.int64).T)
    assert out.tolist() == results
    assert batch.drain_trades() == tape
    assert batch.drain_cancels() == stp_cancels
    for side in (BUY, SELL):
        assert batch.levels(side, 99) == book.levels(side, 99)


OWNER_KINDS = (LIMIT, LIMIT, LIMIT, MARKET, CANCEL, CANCEL_ALL)
owner_op = st.integers(0, 2**32 - 1).map(lambda c: decode(c, OWNER_KINDS))
owner_ops = st.integers(1, 40).flatmap(lambda n: st.lists(owner_op, min_size=n, max_size=n))


@given(mode=modes, ops=owner_ops)
def test_owner_tracking_matches_model(mode, ops):
    book = OrderBook(self_trade=mode)
    model = Model(mode)
    for kind, owner, side, price, qty, pick in ops:
        if kind == CANCEL_ALL:
            assert book.cancel_all(owner) == model.cancel_all(owner)
        elif kind == CANCEL:
            owner, target = pick_cancel(pick, owner, model)
            outcome, info = model.cancel(owner, target)
            assert book.try_cancel(owner, target) == (info if outcome == "ok" else -1)
        elif kind == MARKET:
            book.market(owner, side, qty)
            model.submit(owner, side, price, qty, kind)
        else:
            book.limit(owner, side, price, qty)
            model.submit(owner, side, price, qty, kind)
        check_state(book, model)
        for o in model.resting:
            assert book.order(o[0]) == (o[1], o[2], o[3], o[4])


# Prices far apart next to close ones. OrderBook walks a side tick by tick from the best price
# and sorts what is left after 33 empty ticks: 101 -> 135 -> 169 put a level on the very next
# tick after such a run, both ways.
SPARSE = (100, 101, 135, 169, 300, 1_000, 50_000)


def model_fill_cost(model: Model, side: int, qty: int) -> tuple[int, int]:
    """What a market order would pay, walking the model's opposite levels best first."""
    cash, left = 0, qty
    for px, total in model.levels(-side):
        take = min(left, total)
        cash += px * take
        left -= take
    return cash, qty - left


@settings(max_examples=INVARIANT_EXAMPLES // 5)
@given(mode=modes, ops=owner_ops)
def test_sparse_prices_and_rare_reads_match_model(mode, ops):
    """The owner index catches up over unread stretches; queries walk wide price gaps."""
    book = OrderBook(self_trade=mode)
    model = Model(mode)
    for kind, owner, side, price, qty, pick in ops:
        price = SPARSE[price - LO]
        if kind == CANCEL_ALL:
            assert book.cancel_all(owner) == model.cancel_all(owner)
        elif kind == CANCEL:
            owner, target = pick_cancel(pick, owner, model)
            outcome, info = model.cancel(owner, target)
            assert book.try_cancel(owner, target) == (info if outcome == "ok" else -1)
        else:
            got = (
                book.market(owner, side, qty)
                if kind == MARKET
                else book.limit(owner, side, price, qty)
            )
            want_id, want_trades, want_cancels = model.submit(owner, side, price, qty, kind)
            assert got == want_id
            assert book.drain_trades() == want_trades
            assert book.drain_cancels() == want_cancels
        if pick % 5 == 0:  # read only now and then, so the index has stretches to catch up
            check_state(book, model)
            for s in (BUY, SELL):
                assert book.fill_cost(s, 25) == model_fill_cost(model, s, 25)
                assert book.levels(s, 2) == model.levels(s)[:2]
    check_state(book, model)
