"""Property tests: random order flow through the venue never breaks the ledger's invariants.

Each example draws a few owners with random endowments, random fees and a self-trade mode, then a
short random sequence of limit / IOC / post-only / market / cancel / cancel-all / batch operations.
After EVERY operation the test checks, independently of the venue's own bookkeeping:

* ``ledger.check()``: USD and gold conserved, tokens = minted - burned, nothing negative,
  reserved <= balance;
* each owner's reserved USD and tokens equal exactly what their resting orders need (remaining
  tokens of sells; for buys, ``price * remaining`` plus the maker fee not yet paid, with the fee
  recomputed here from the order's own history and an exact fraction);
* every balance equals the endowment plus the owner's trades on the tape, less fees, and the fee
  account holds exactly the fees on the tape;
* the book is not crossed, and a refused operation changed nothing.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from gramabm.market.ledger import Asset, Ledger
from gramabm.market.orderbook import (
    BUY,
    SELF_TRADE_MODES,
    SELL,
    NotOwnerError,
    OrderBook,
    UnknownOrderError,
)
from gramabm.market.venue import CANCEL, MARKET, OrderStatus, Venue
from tests.conftest import INVARIANT_EXAMPLES

USD, TOKEN = Asset.USD, Asset.TOKEN
N_OWNERS = 3
FEE_ACCOUNT = 0

owner_st = st.integers(1, N_OWNERS)
side_st = st.sampled_from([BUY, SELL])
price_st = st.integers(97, 103)
qty_st = st.integers(1, 12)
fee_st = st.sampled_from([0.0, 0.5, 1.0, 7.5, 30.0, 2_500.0, 10_000.0])

# (ioc, post_only): mostly plain good-till-cancelled orders, so that the book fills up and trades.
flags_st = st.sampled_from([(False, False)] * 4 + [(True, False), (False, True), (True, True)])
limit_op = st.tuples(st.just("limit"), owner_st, side_st, price_st, qty_st, flags_st).map(
    lambda t: t[:5] + t[5]
)
market_op = st.tuples(st.just("market"), owner_st, side_st, qty_st)
cancel_op = st.tuples(st.just("cancel"), owner_st, st.integers(0, 40))
cancel_all_op = st.tuples(st.just("cancel_all"), owner_st)
batch_kind_st = st.sampled_from([0, 0, 0, 1, 2, 3, 4])
batch_row = st.tuples(owner_st, side_st, price_st, qty_st, batch_kind_st, st.integers(0, 40))
batch_op = st.tuples(st.just("batch"), st.lists(batch_row, min_size=1, max_size=4))
# Weighted choice (``one_of`` would draw each kind equally often): limits dominate, as in a book.
op_st = st.sampled_from(
    [limit_op] * 8 + [market_op] * 2 + [cancel_op] * 2 + [cancel_all_op] + [batch_op] * 3
).flatmap(lambda kind: kind)

# Mostly enough for a few orders (at ~100 ticks a lot, 12 lots cost ~1,200 µUSD), sometimes
# little or nothing, so that refusals and cash-bounded market orders are exercised too.
endowment_st = st.tuples(
    st.one_of(st.integers(0, 1_500), st.integers(5_000, 20_000), st.integers(5_000, 20_000)),
    st.one_of(st.integers(0, 15), st.integers(40, 150), st.integers(40, 150)),
)


class Harness:
    """The venue under test plus an independent account of what every balance must be."""

    def __init__(
        self, endowments: list[tuple[int, int]], taker_bp: float, maker_bp: float, mode: str
    ) -> None:
        self.ledger = Ledger(capacity=2)
        self.ledger.open_account("fees")
        self.endow = {}
        for i, (usd, tok) in enumerate(endowments, start=1):
            self.ledger.open_account(f"trader-{i}")
            self.ledger.genesis(i, USD, usd)
            self.ledger.genesis(i, TOKEN, tok)
            self.endow[i] = (usd, tok)
        self.venue = Venue(
            self.ledger,
            OrderBook(self_trade=mode),
            fee_account=FEE_ACCOUNT,
            taker_fee_bp=taker_bp,
            maker_fee_bp=maker_bp,
        )
        self.maker_rate = Fraction(str(maker_bp)) / 10_000
        self.taker_rate = Fraction(str(taker_bp)) / 10_000
        self.resting_qty0: dict[int, int] = {}  # order id -> qty when it started resting
        self.submitted: dict[int, tuple[int, bool]] = {}  # order id -> (qty, ioc)
        self.taker_filled: dict[int, int] = {}
        self.issued: list[int] = []
        self.tape: list = []

    # ------------------------------------------------------------------------- operations

    def snapshot(self) -> tuple:
        led, book = self.ledger, self.venue.book
        return (
            tuple(led.balances(a).tolist() for a in Asset),
            tuple(led.reserved_array(a).tolist() for a in Asset),
            book.n_orders,
            book.levels(BUY, 100),
            book.levels(SELL, 100),
        )

    def apply(self, op: tuple) -> None:
        v, led = self.venue, self.ledger
        before = self.snapshot()
        kind = op[0]
        if kind == "limit":
            _, owner, side, price, qty, ioc, post_only = op
            avail = led.available(owner, USD if side == BUY else TOKEN)
            need = self.buy_need(price, qty, ioc, post_only) if side == BUY else qty
            oid = v.limit(owner, side, price, qty, ioc=ioc, post_only=post_only)
            if oid:
                self.submitted[oid] = (qty, ioc)
                self.issued.append(oid)
            refused = v.last_status != OrderStatus.ACCEPTED
            assert refused == (oid == 0)
            if v.last_status == OrderStatus.INSUFFICIENT_FUNDS:
                assert avail < need
            elif v.last_status == OrderStatus.ACCEPTED:
                assert avail >= need
        elif kind == "market":
            _, owner, side, qty = op
            cash_before = led.available(owner, USD)
            tok_before = led.available(owner, TOKEN)
            filled = v.market(owner, side, qty)
            refused = v.last_status != OrderStatus.ACCEPTED
            assert 0 <= filled <= qty
            if side == SELL:
                assert filled <= tok_before
            else:
                spent = cash_before - led.available(owner, USD)
                assert 0 <= spent <= cash_before
        elif kind == "cancel":
            _, owner, pick = op
            oid = self.issued[pick % len(self.issued)] if self.issued else pick + 1
            resting = v.book.remaining(oid)
            try:
                got = v.cancel(owner, oid)
            except (UnknownOrderError, NotOwnerError):
                assert resting == 0 or v.book.order(oid)[0] != owner
                refused = True
            else:
                assert got == resting > 0
                refused = False
            event(f"cancel: {'refused' if refused else 'ok'}")
        elif kind == "cancel_all":
            v.cancel_all(op[1])
            refused = False
        else:
            self._batch(op[1])
            refused = False
        if kind in ("limit", "market"):
            event(f"{kind}: {v.last_status.name}")
        new_trades = v.drain_trades()
        if new_trades:
            event(f"{kind}: traded")
        for t in new_trades:
            self.taker_filled[t.taker_order] = self.taker_filled.get(t.taker_order, 0) + t.qty
        self.tape.extend(new_trades)
        self._record_resting()
        if refused:
            assert not new_trades
            assert self.snapshot() == before

    def buy_need(self, price: int, qty: int, ioc: bool, post_only: bool) -> int:
        """Cash plus worst-case fee: taker if IOC, maker if post-only, else either (+1 unit
        when both fees are non-zero: the taker and maker parts each round up)."""
        cash = price * qty
        if ioc:
            return cash + ceil(cash * self.taker_rate)
        if post_only:
            return cash + ceil(cash * self.maker_rate)
        both = 1 if self.taker_rate and self.maker_rate else 0
        return cash + ceil(cash * max(self.taker_rate, self.maker_rate)) + both

    def _batch(self, rows: list[tuple[int, int, int, int, int, int]]) -> None:
        v = self.venue
        owners, sides, prices, qtys, kinds = [], [], [], [], []
        for owner, side, price, qty, kind, pick in rows:
            owners.append(owner)
            sides.append(side)
            kinds.append(kind)
            qtys.append(qty)
            if kind == CANCEL:
                prices.append(self.issued[pick % len(self.issued)] if self.issued else pick + 1)
            else:
                prices.append(0 if kind == MARKET else price)
        out = v.submit_batch(
            *(np.array(c, dtype=np.int64) for c in (owners, sides, prices, qtys, kinds))
        )
        assert len(v.last_batch_status) == len(rows)
        for oid, kind, qty, status in zip(
            out.tolist(), kinds, qtys, v.last_batch_status.tolist(), strict=True
        ):
            if kind == CANCEL:
                assert (oid == -1) == (status == OrderStatus.CANCEL_FAILED)
            elif oid > 0:
                self.issued.append(oid)
                self.submitted[oid] = (qty, kind in (1, 2))
            else:
                assert status != OrderStatus.ACCEPTED

    def _record_resting(self) -> None:
        """Remember each new resting order's size: submitted qty less its taker fills."""
        for oid, (qty, ioc) in list(self.submitted.items()):
            del self.submitted[oid]
            if not ioc and self.venue.book.remaining(oid):
                self.resting_qty0[oid] = qty - self.taker_filled.get(oid, 0)

    # ------------------------------------------------------------------------- invariants

    def check(self) -> None:
        led, book = self.ledger, self.venue.book
        led.check()
        bid, ask = book.best_bid, book.best_ask
        assert bid is None or ask is None or bid < ask
        need = {(o, a): 0 for o in self.endow for a in (USD, TOKEN)}
        for owner in self.endow:
            for oid in book.orders_of(owner):
                _, side, price, rem = book.order(oid)
                q0 = self.resting_qty0[oid]
                if side == BUY:
                    fee_left = ceil(price * q0 * self.maker_rate) - ceil(
                        price * (q0 - rem) * self.maker_rate
                    )
                    need[(owner, USD)] += price * rem + fee_left
                else:
                    need[(owner, TOKEN)] += rem
        for (owner, asset), amount in need.items():
            assert led.reserved(owner, asset) == amount, (owner, asset)
        # Balances from the tape: endowment + bought/sold, less fees paid.
        usd = {o: e[0] for o, e in self.endow.items()}
        tok = {o: e[1] for o, e in self.endow.items()}
        fees = 0
        for t in self.tape:
            buyer, seller = (t.taker, t.maker) if t.aggressor == BUY else (t.maker, t.taker)
            bfee, sfee = (
                (t.taker_fee, t.maker_fee) if t.aggressor == BUY else (t.maker_fee, t.taker_fee)
            )
            cash = t.price * t.qty
            usd[buyer] -= cash + bfee
            usd[seller] += cash - sfee
            tok[buyer] += t.qty
            tok[seller] -= t.qty
            fees += bfee + sfee
        for owner in self.endow:
            assert led.balance(owner, USD) == usd[owner]
            assert led.balance(owner, TOKEN) == tok[owner]
        assert led.balance(FEE_ACCOUNT, USD) == fees == self.venue.fees_collected
        self.check_order_fees()

    def check_order_fees(self) -> None:
        """Each order paid ceil(rate * its cash) per role over its life, never less."""
        taker_cash: dict[int, int] = {}
        maker_cash: dict[int, int] = {}
        taker_fee: dict[int, int] = {}
        maker_fee: dict[int, int] = {}
        for t in self.tape:
            cash = t.price * t.qty
            taker_cash[t.taker_order] = taker_cash.get(t.taker_order, 0) + cash
            taker_fee[t.taker_order] = taker_fee.get(t.taker_order, 0) + t.taker_fee
            maker_cash[t.maker_order] = maker_cash.get(t.maker_order, 0) + cash
            maker_fee[t.maker_order] = maker_fee.get(t.maker_order, 0) + t.maker_fee
        for oid, cash in taker_cash.items():
            assert taker_fee[oid] == ceil(cash * self.taker_rate)
        for oid, cash in maker_cash.items():
            assert maker_fee[oid] == ceil(cash * self.maker_rate)


@settings(max_examples=INVARIANT_EXAMPLES)
@given(
    endowments=st.lists(endowment_st, min_size=N_OWNERS, max_size=N_OWNERS),
    taker_bp=fee_st,
    maker_bp=fee_st,
    mode=st.sampled_from(SELF_TRADE_MODES),
    ops=st.lists(op_st, min_size=6, max_size=30),
)
def test_random_order_flow_keeps_every_invariant(
    endowments: list[tuple[int, int]],
    taker_bp: float,
    maker_bp: float,
    mode: str,
    ops: list[tuple],
) -> None:
    h = Harness(endowments, taker_bp, maker_bp, mode)
    h.check()
    for op in ops:
        h.apply(op)
        h.check()
        h.venue.check(exclusive=True)
    trades = len(h.tape)
    event(f"trades: {'0' if not trades else '1-4' if trades < 5 else '5+'}")
