"""Limit order book for GRAM/USD: a pure price-time-priority matching engine.

The book knows owners only as integers and knows no money: prices are integer ticks and
quantities integer lots (see :mod:`gramabm.units`), so a fill's cash, ``price * qty`` micro-dollars,
is exact. Balances and reservations are the caller's business (the venue and the ledger).

Layout, chosen for speed in pure Python (over a million operations a second on one core and
about twice a bisect-and-deque book; see ``benchmarks/bench_orderbook.py``):

* an order is a tuple, its *record*: ``(order_id, owner, key, qty)``; resting records are indexed
  by id in one dict; a partial fill replaces the maker's record. Tuples of ints drop out of the
  cyclic garbage collector's sight after its first pass, where mutable records (lists) are
  rescanned as long as they rest (that cost about a tenth of the run time);
* prices are keyed so that the best level is the smallest key on both sides: asks by price, bids
  by ``-price``; one matching loop serves both. Each side has a dict ``key -> level`` (a deque of
  records that also carries the level's total), a heap of keys, and its best key as an int;
* cancels are lazy: the record leaves the id index and its level's total, but stays in the
  level's deque until matching reaches it and skips it. A level whose total reaches zero is
  deleted at once, so best prices are always exact;
* the heap keeps the keys of deleted levels until they surface (then they are skipped) and is
  rebuilt when such stale keys outnumber live ones. It is touched only when a level opens or the
  best level empties;
* owner tracking costs the fill and cancel paths nothing: every record carries its owner
  (cancels check it), and an order that rests appends its id to its owner's list in the
  per-owner index (owner -> order ids, oldest first), which only resting orders pay for (an
  immediate-or-cancel order, most of the flow, never enters it); ids of gone orders are dropped
  as lists are read (:meth:`OrderBook.orders_of`, :meth:`OrderBook.cancel_all`) and by a sweep
  when they outnumber live ones.

Calls append events to lists that the caller drains after each call: the trade tape
(:meth:`OrderBook.drain_trades`) and the orders removed by self-trade prevention
(:meth:`OrderBook.drain_cancels`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from enum import IntEnum
from heapq import heapify, heappop, heappush
from itertools import islice
from typing import Any

import numpy as np

from gramabm.errors import MarketError


class Side(IntEnum):
    """Side of an order.

    The values are signs: a bid's price key is ``-price`` and a fill's price is the maker's key
    times the taker's side, so the matching loops write the members as the literals 1 and -1.
    """

    BUY = 1
    """A bid (buy order)."""
    SELL = -1
    """An ask (sell order)."""


class OrderKind(IntEnum):
    """Kind of a batch row (:meth:`OrderBook.submit_batch`, the venue's ``submit_batch``)."""

    LIMIT = 0
    """Good-till-cancelled limit order."""
    LIMIT_IOC = 1
    """Immediate-or-cancel limit order."""
    MARKET = 2
    """Market order (immediate-or-cancel at any price)."""
    CANCEL = 3
    """Cancel: the price column holds the order id, the quantity column is ignored."""
    LIMIT_POST_ONLY = 4
    """Post-only limit order (rejected, result 0, if it would cross)."""


# Module-level names for the members: the hot paths and callers compare plain ints with them.
BUY, SELL = Side.BUY, Side.SELL
_BUY, _SELL = int(BUY), int(SELL)  # what queries return: plain ints, like the records
LIMIT, LIMIT_IOC, MARKET, CANCEL, LIMIT_POST_ONLY = OrderKind

KIND_CODES = np.array([int(k) for k in OrderKind], dtype=np.int64)
"""Every valid batch kind code, for the vectorised validation."""

SELF_TRADE_MODES: tuple[str, ...] = ("allow", "cancel_resting", "cancel_incoming")
"""Self-trade prevention modes, see :class:`OrderBook`."""

MAX_PRICE: int = (1 << 30) - 3
"""Largest accepted price in ticks (about $1.07M per token). Keys below 2**30 are single-digit
ints, which CPython compares on its fastest path."""

_MARKET_KEY: int = MAX_PRICE + 1
"""Limit key of a market order: every resting key is below it."""

_EMPTY: int = MAX_PRICE + 2
"""Best key of an empty side: larger than any key, so ``best <= limit_key`` is false."""

_SORT_LEVELS: int = 64
"""Sides of at most this many levels are walked by sorting their keys, not tick by tick."""

_Rec = tuple[int, int, int, int]
"""An order's record: ``(order_id, owner, key, qty)``; the key is the price for asks, minus the
price for bids."""


class OrderBookError(MarketError, ValueError):
    """An order or query the book cannot accept (bad side, price, quantity or argument)."""


class UnknownOrderError(OrderBookError):
    """An order id that is not resting in the book (never issued, filled or cancelled).

    Args:
        order_id: The id asked for.
        owner: The owner who asked, if the call named one.
    """

    def __init__(self, order_id: int, owner: int | None = None) -> None:
        self.order_id = order_id
        self.owner = owner
        who = f" (asked by owner {owner})" if owner is not None else ""
        super().__init__(
            f"order {order_id}{who} is not resting in the book: unknown, filled or cancelled"
        )


class NotOwnerError(OrderBookError):
    """An owner tried to cancel an order that belongs to someone else.

    Args:
        order_id: The id asked for.
        owner: The owner who asked.
        actual_owner: The owner of the order.
    """

    def __init__(self, order_id: int, owner: int, actual_owner: int) -> None:
        self.order_id = order_id
        self.owner = owner
        self.actual_owner = actual_owner
        super().__init__(
            f"order {order_id} belongs to owner {actual_owner}, not to owner {owner}, "
            "who may not cancel it"
        )


class _Level(deque[_Rec]):
    """A price level: its records, oldest first, and ``total``, the quantity of the live ones.

    Cancelled records stay until matching reaches and drops them. An attribute of the deque
    itself saves the hot paths an indexing step over a ``[total, deque]`` pair.
    """

    __slots__ = ("total",)
    total: int


def _drop_best(levels: dict[int, _Level], heap: list[int]) -> int:
    """Delete a side's best level (``heap[0]``, whose total is zero); return the next best key."""
    del levels[heap[0]]
    heappop(heap)
    while heap and heap[0] not in levels:
        heappop(heap)  # the key of a level deleted earlier
    return heap[0] if heap else _EMPTY


def _open_level(levels: dict[int, _Level], heap: list[int], key: int, rec: _Rec) -> None:
    """Add a level holding one record to a side (the caller updates the best key)."""
    lv = levels[key] = _Level()  # then append: a deque built from an iterable costs more
    lv.append(rec)
    lv.total = rec[3]
    heappush(heap, key)
    if len(heap) > 2 * len(levels) + 64:
        # Too many stale keys: rebuild so the heap stays proportional to the levels.
        heap[:] = levels
        heapify(heap)


def _ascending(levels: dict[int, _Level], best: int) -> Iterator[int]:
    """Yield the keys of a side's levels, best first.

    Levels near the top of a book sit on neighbouring ticks, so it steps tick by tick from the
    best key; after a run of empty ticks it sorts the keys left instead, so a sparse book costs
    one sort at worst (the book must not change while the keys are consumed). A side of few
    levels is sorted at once: a model's market makers quote a few dozen levels some ticks apart,
    where stepping over the gaps costs more than the sort.
    """
    if best == _EMPTY:
        return
    left = len(levels)
    if left <= _SORT_LEVELS:
        yield from sorted(levels)
        return
    key = best
    gap = 0
    while left:
        if key in levels:
            yield key
            left -= 1
            gap = 0
        else:
            gap += 1
            if gap > 32:
                yield from sorted(k for k in levels if k > key)
                return
        key += 1


def check_int(name: str, value: Any) -> int:
    """Return ``value`` as a Python int, or raise if it is not an integer (floats drift)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise OrderBookError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    return int(value)


class OrderBook:
    """Price-time-priority limit order book with self-trade prevention and owner tracking.

    Orders match against the best opposite price first and, within a price, oldest first; a fill
    executes at the resting (maker) order's price. A marketable remainder never rests, so the book
    is never crossed after a call. Order ids are issued 1, 2, 3, ... to every accepted limit and
    market order. Only resting orders are remembered: once filled or cancelled, an id is unknown
    to :meth:`order` and :meth:`cancel`.

    Args:
        self_trade: What happens when an incoming order would match a resting order of the same
            owner: ``"cancel_resting"`` (default) removes the resting order and keeps matching;
            ``"cancel_incoming"`` cancels the rest of the incoming order (nothing of it rests);
            ``"allow"`` lets the owner trade with itself. Removals are reported by
            :meth:`drain_cancels`.

    Attributes:
        self_trade: The self-trade prevention mode.
        last_trade_price: Price in ticks of the most recent fill, or None before the first one.

    Raises:
        OrderBookError: If ``self_trade`` is not one of :data:`SELF_TRADE_MODES`.
    """

    def __init__(self, *, self_trade: str = "cancel_resting") -> None:
        if self_trade not in SELF_TRADE_MODES:
            raise OrderBookError(
                f"unknown self_trade mode {self_trade!r}; expected one of {SELF_TRADE_MODES}"
            )
        self.self_trade = self_trade
        self._stp = SELF_TRADE_MODES.index(self_trade)  # 0 allow, 1 cancel resting, 2 incoming
        self._recs: dict[int, _Rec] = {}  # resting records by order id
        # Sides, spelled out as attributes (b: bids, a: asks) because the hot paths read them.
        self._bl: dict[int, _Level] = {}  # bid levels by key
        self._al: dict[int, _Level] = {}  # ask levels
        self._bh: list[int] = []  # heap of bid keys, stale ones included
        self._ah: list[int] = []  # heap of ask keys
        self._bb = _EMPTY  # best bid key (minus the best bid price), _EMPTY if no bid
        self._ab = _EMPTY  # best ask key (the best ask price), _EMPTY if no ask
        # Per-owner index: owner -> ids of the orders that rested, oldest first, some maybe gone.
        self._by_owner: dict[int, list[int]] = {}
        self._n_indexed = 0  # ids in the index, live or gone
        self._next_id = 1
        self._trade_seq = 0
        self._trades: list[tuple[int, int, int, int, int, int, int, int]] = []
        self._cancels: list[tuple[int, int, int, int, int]] = []
        self.last_trade_price: int | None = None

    # ------------------------------------------------------------------------------ orders

    def limit(
        self,
        owner: int,
        side: int,
        price: int,
        qty: int,
        *,
        ioc: bool = False,
        post_only: bool = False,
    ) -> int:
        """Submit a limit order.

        It matches at price-time priority up to ``price``; the remainder rests (good till
        cancelled) unless ``ioc``, in which case it is discarded.

        Args:
            owner: Owner id.
            side: :data:`BUY` or :data:`SELL`.
            price: Limit price in ticks, ``0 < price <= MAX_PRICE``.
            qty: Quantity in lots (> 0).
            ioc: Immediate-or-cancel: never rest.
            post_only: Reject the order (nothing fills, nothing rests) if any of it would match.

        Returns:
            The new order id (> 0), or 0 if a post-only order was rejected.

        Raises:
            OrderBookError: For a bad side, or a price or quantity that is not a positive integer.
        """
        if type(price) is not int or type(qty) is not int:
            price = check_int("price", price)
            qty = check_int("qty", qty)
        if price <= 0 or price > MAX_PRICE or qty <= 0:
            raise OrderBookError(
                f"limit order needs 0 < price <= {MAX_PRICE} and qty > 0 "
                f"(got price={price}, qty={qty})"
            )
        # This is the hottest path of the book, so the two sides are spelled out. The incoming
        # order crosses while the opposite best key is <= its limit key.
        oid = self._next_id
        if side == 1:
            if self._ab <= price:
                if post_only:
                    return 0
                self._next_id = oid + 1
                qty = self._match(self._al, self._ah, self._ab, owner, oid, 1, price, price, qty)
                if not qty:
                    return oid
            else:
                self._next_id = oid + 1
            if ioc:
                return oid
            key = -price
            rec = (oid, owner, key, qty)
            lv = self._bl.get(key)
            if lv is None:
                _open_level(self._bl, self._bh, key, rec)
                if key < self._bb:
                    self._bb = key
            else:
                lv.total += qty
                lv.append(rec)
        elif side == -1:
            if self._bb <= -price:
                if post_only:
                    return 0
                self._next_id = oid + 1
                qty = self._match(self._bl, self._bh, self._bb, owner, oid, -1, price, -price, qty)
                if not qty:
                    return oid
            else:
                self._next_id = oid + 1
            if ioc:
                return oid
            rec = (oid, owner, price, qty)
            lv = self._al.get(price)
            if lv is None:
                _open_level(self._al, self._ah, price, rec)
                if price < self._ab:
                    self._ab = price
            else:
                lv.total += qty
                lv.append(rec)
        else:
            raise OrderBookError(f"side must be BUY (1) or SELL (-1), got {side!r}")
        self._recs[oid] = rec
        mine = self._by_owner.get(owner)
        if mine is None:
            self._by_owner[owner] = [oid]
        else:
            mine.append(oid)
        self._n_indexed += 1
        return oid

    def market(self, owner: int, side: int, qty: int) -> int:
        """Submit a market order: immediate-or-cancel at any price.

        Args:
            owner: Owner id.
            side: :data:`BUY` or :data:`SELL`.
            qty: Quantity in lots (> 0); what cannot fill now is discarded.

        Returns:
            The new order id (> 0).

        Raises:
            OrderBookError: For a bad side or a quantity that is not a positive integer.
        """
        if type(qty) is not int:
            qty = check_int("qty", qty)
        if qty <= 0:
            raise OrderBookError(f"market order needs qty > 0 (got qty={qty})")
        oid = self._next_id
        if side == 1:
            self._next_id = oid + 1
            if self._ab != _EMPTY:
                self._match(self._al, self._ah, self._ab, owner, oid, 1, 0, _MARKET_KEY, qty)
        elif side == -1:
            self._next_id = oid + 1
            if self._bb != _EMPTY:
                self._match(self._bl, self._bh, self._bb, owner, oid, -1, 0, _MARKET_KEY, qty)
        else:
            raise OrderBookError(f"side must be BUY (1) or SELL (-1), got {side!r}")
        return oid

    def cancel(self, owner: int, order_id: int) -> int:
        """Cancel a resting order.

        Args:
            owner: The owner asking; must own the order.
            order_id: The order to cancel.

        Returns:
            The quantity cancelled (the order's unfilled remainder).

        Raises:
            UnknownOrderError: If the order is not resting (never issued, filled or cancelled).
            NotOwnerError: If the order belongs to another owner.
        """
        rec = self._recs.get(order_id)
        if rec is None:
            raise UnknownOrderError(order_id, owner)
        if rec[1] != owner:
            raise NotOwnerError(order_id, owner, rec[1])
        return self._remove(rec)

    def try_cancel(self, owner: int, order_id: int) -> int:
        """Cancel a resting order if ``owner`` may, without raising (for hot loops).

        Args:
            owner: The owner asking.
            order_id: The order to cancel.

        Returns:
            The quantity cancelled, or -1 if the order is not resting or not ``owner``'s.
        """
        recs = self._recs
        rec = recs.get(order_id)
        if rec is None:
            return -1
        _, rown, key, qty = rec
        if rown != owner:
            return -1
        del recs[order_id]
        self._take(key, qty)
        return qty

    def cancel_all(self, owner: int) -> list[tuple[int, int, int, int]]:
        """Cancel every resting order of ``owner``.

        Args:
            owner: Owner id.

        Returns:
            One ``(order_id, side, price, qty)`` per cancelled order, oldest first.
        """
        mine = self._swept().pop(owner, None)
        if not mine:
            return []
        self._n_indexed -= len(mine)
        recs = self._recs
        take = self._take
        out: list[tuple[int, int, int, int]] = []
        # One pop per record, not _remove's get-then-del: a dealer withdraws its whole ladder
        # this way every step.
        for oid in mine:
            rec = recs.pop(oid, None)
            if rec is None:
                continue
            key = rec[2]
            qty = rec[3]
            take(key, qty)
            out.append((oid, _BUY if key < 0 else _SELL, abs(key), qty))
        return out

    def _remove(self, rec: _Rec) -> int:
        """Take a resting record out of the book (it stays in its deque, dead); return its qty."""
        del self._recs[rec[0]]
        qty = rec[3]
        self._take(rec[2], qty)
        return qty

    def _take(self, key: int, qty: int) -> None:
        """Take ``qty`` off the level at ``key``, dropping the level once empty.

        The one bookkeeping of a resting order leaving the book, for every cancel path (a bid's
        key is its negated price).
        """
        levels = self._bl if key < 0 else self._al  # pragma: no mutate
        lv = levels[key]
        left = lv.total - qty
        if left:
            lv.total = left
        # A bid's key is negative, an ask's positive and an empty side's best _EMPTY, so a key
        # can equal its own side's best only.
        elif key == self._bb:
            self._bb = _drop_best(levels, self._bh)
        elif key == self._ab:
            self._ab = _drop_best(levels, self._ah)
        else:
            del levels[key]  # its key stays in the heap as a stale entry

    def _swept(self) -> dict[int, list[int]]:
        """The per-owner index, swept first if the ids of gone orders outnumber live ones."""
        if self._n_indexed > 4 * len(self._recs) + 65_536:
            self._sweep()
        return self._by_owner

    def _sweep(self) -> None:
        """Drop ids of gone orders from every owner's list (when they outnumber live orders)."""
        alive = self._recs.__contains__
        by_owner = self._by_owner
        n = 0
        for owner, mine in list(by_owner.items()):
            live = list(filter(alive, mine))
            if live:
                by_owner[owner] = live
                n += len(live)
            else:
                del by_owner[owner]
        self._n_indexed = n

    def _match(
        self,
        levels: dict[int, _Level],
        heap: list[int],
        best: int,
        owner: int,
        oid: int,
        side: int,
        price: int,
        lim: int,
        qty: int,
    ) -> int:
        """Match an incoming order of ``side`` while the opposite best key is <= ``lim``.

        ``levels``, ``heap`` and ``best`` are the opposite side's. ``price`` is the incoming
        limit price (0 for market orders), used only in the self-trade cancel event. Returns the
        quantity left unfilled (0 also when self-trade prevention cancelled the incoming order).
        """
        recs = self._recs
        tape = self._trades.append
        stp = self._stp
        seq = seq0 = self._trade_seq
        while qty and best <= lim:
            dq = levels[best]
            total = dq.total  # kept in a local while this level is worked, stored back below
            px = best * side  # the opposite side's keys are prices signed by the taker's side
            while qty:
                moid, mown, _, mq = dq[0]
                if moid not in recs:  # cancelled earlier: dropped lazily here
                    dq.popleft()
                    continue
                if mown == owner and stp:
                    if stp == 2:  # cancel the incoming order's remainder
                        self._cancels.append((oid, owner, side, price, qty))
                        qty = 0
                        break
                    # cancel the resting order and keep matching
                    dq.popleft()
                    del recs[moid]
                    self._cancels.append((moid, mown, -side, px, mq))
                    total -= mq
                    if not total:
                        break
                    continue
                seq += 1
                if mq <= qty:
                    dq.popleft()
                    del recs[moid]
                    tape((seq, moid, oid, mown, owner, px, mq, side))
                    qty -= mq
                    total -= mq
                    if not total:
                        break
                else:
                    # The maker keeps its place with a smaller record.
                    rec = (moid, mown, best, mq - qty)
                    dq[0] = rec
                    recs[moid] = rec
                    total -= qty
                    tape((seq, moid, oid, mown, owner, px, qty, side))
                    qty = 0
            if total:
                dq.total = total
            else:
                best = _drop_best(levels, heap)
        if side == 1:
            self._ab = best
        else:
            self._bb = best
        if seq != seq0:
            self._trade_seq = seq
            self.last_trade_price = self._trades[-1][5]
        return qty

    # ------------------------------------------------------------------------------- batch

    def submit_batch(
        self,
        owners: Sequence[int] | np.ndarray,
        sides: Sequence[int] | np.ndarray,
        prices: Sequence[int] | np.ndarray,
        qtys: Sequence[int] | np.ndarray,
        kinds: Sequence[int] | np.ndarray,
    ) -> np.ndarray:
        """Apply many operations in order, exactly as if called one by one.

        The whole batch is validated (vectorised) before anything is applied, so a bad row
        changes nothing. Ids, trades and events are those of the equivalent single calls.

        Args:
            owners: Owner id per operation.
            sides: :data:`BUY` or :data:`SELL` (ignored for cancels).
            prices: Limit price in ticks for limits; the order id for cancels; ignored for market.
            qtys: Quantity in lots (ignored for cancels).
            kinds: :data:`LIMIT` (0), :data:`LIMIT_IOC` (1), :data:`MARKET` (2), :data:`CANCEL`
                (3) or :data:`LIMIT_POST_ONLY` (4).

        Returns:
            int64 array: the order id for orders (0 for a rejected post-only), the quantity
            cancelled for cancels, or -1 for a cancel that failed (unknown or foreign order).

        Raises:
            OrderBookError: If the columns are not 1-D integer arrays of one length, or a row has a
                bad kind, side, price or quantity (the message names the first bad row).
        """
        cols = {"owners": owners, "sides": sides, "prices": prices, "qtys": qtys, "kinds": kinds}
        arrs = {name: np.asarray(col) for name, col in cols.items()}
        shapes = {name: a.shape for name, a in arrs.items()}
        if any(len(sh) != 1 for sh in shapes.values()) or len(set(shapes.values())) != 1:
            raise OrderBookError(f"submit_batch: columns must be 1-D of one length, got {shapes}")
        n = len(arrs["kinds"])
        for name, a in arrs.items():
            if n and not np.issubdtype(a.dtype, np.integer):
                raise OrderBookError(f"submit_batch: {name} must be integers, got {a.dtype}")
        k, s, p, q = arrs["kinds"], arrs["sides"], arrs["prices"], arrs["qtys"]
        is_order = k != CANCEL
        has_price = is_order & (k != MARKET)
        bad = ~np.isin(k, KIND_CODES)
        bad |= is_order & (s != BUY) & (s != SELL)
        bad |= is_order & (q <= 0)
        bad |= has_price & ((p <= 0) | (p > MAX_PRICE))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise OrderBookError(
                f"submit_batch: bad row {i}: kind={k[i]}, side={s[i]}, price={p[i]}, qty={q[i]}"
            )
        limit = self.limit
        market = self.market
        try_cancel = self.try_cancel
        rows = zip(
            arrs["owners"].tolist(),
            s.tolist(),
            p.tolist(),
            q.tolist(),
            k.tolist(),
            strict=True,  # pragma: no mutate
        )
        # The rows are valid, so these calls cannot raise; going through the public methods
        # keeps a single code path for single and batch entry. Plain-int locals of the kinds
        # compare faster in this loop than the enum's members.
        k_limit, k_cancel, k_market, k_ioc = int(LIMIT), int(CANCEL), int(MARKET), int(LIMIT_IOC)
        out = [
            limit(ow, sd, pr, qt)
            if kd == k_limit
            else try_cancel(ow, pr)
            if kd == k_cancel
            else market(ow, sd, qt)
            if kd == k_market
            else limit(ow, sd, pr, qt, ioc=True)
            if kd == k_ioc
            else limit(ow, sd, pr, qt, post_only=True)
            for ow, sd, pr, qt, kd in rows
        ]
        return np.array(out, dtype=np.int64)  # pragma: no mutate

    # ------------------------------------------------------------------------------ events

    def drain_trades(self) -> list[tuple[int, int, int, int, int, int, int, int]]:
        """Return and clear the trades since the last drain, in execution order.

        Returns:
            ``(trade_seq, maker_order_id, taker_order_id, maker_owner, taker_owner, price, qty,
            aggressor_side)`` per fill; ``trade_seq`` counts 1, 2, ... over the book's life and
            ``aggressor_side`` is the taker's side.
        """
        trades = self._trades
        self._trades = []
        return trades

    def drain_cancels(self) -> list[tuple[int, int, int, int, int]]:
        """Return and clear the orders removed by self-trade prevention since the last drain.

        Returns:
            ``(order_id, owner, side, price, qty)`` per removal, ``qty`` being what was removed.
            For a cancelled incoming market order the price is 0. Explicit cancels and the
            discarded remainder of immediate-or-cancel orders are not reported here: the caller
            knows them from its own call.
        """
        cancels = self._cancels
        self._cancels = []
        return cancels

    # ----------------------------------------------------------------------------- queries

    def remaining(self, order_id: int) -> int:
        """Resting quantity of an order; 0 if it is not resting (filled, cancelled, unknown)."""
        rec = self._recs.get(order_id)
        return 0 if rec is None else rec[3]

    def order(self, order_id: int) -> tuple[int, int, int, int]:
        """Details of a resting order.

        Args:
            order_id: The order.

        Returns:
            ``(owner, side, price, remaining_qty)``.

        Raises:
            UnknownOrderError: If the order is not resting.
        """
        rec = self._recs.get(order_id)
        if rec is None:
            raise UnknownOrderError(order_id)
        key = rec[2]
        return (rec[1], _BUY if key < 0 else _SELL, abs(key), rec[3])

    def orders_of(self, owner: int) -> list[int]:
        """Resting order ids of ``owner``, oldest first."""
        by_owner = self._swept()
        mine = by_owner.get(owner)
        if not mine:
            return []
        live = list(filter(self._recs.__contains__, mine))
        if len(live) == len(mine):
            return live  # a new list, so the caller may keep it
        self._n_indexed -= len(mine) - len(live)  # compacted while we are at it
        if live:
            by_owner[owner] = live
        else:
            del by_owner[owner]
        return live.copy()

    @property
    def n_orders(self) -> int:
        """Number of resting orders."""
        return len(self._recs)

    @property
    def best_bid(self) -> int | None:
        """Highest bid price in ticks, or None if there is no bid."""
        best = self._bb
        return None if best == _EMPTY else -best

    @property
    def best_ask(self) -> int | None:
        """Lowest ask price in ticks, or None if there is no ask."""
        best = self._ab
        return None if best == _EMPTY else best

    def mid(self) -> float | None:
        """Mid price in ticks, or None unless both sides are quoted."""
        bid, ask = self._bb, self._ab
        if bid == _EMPTY or ask == _EMPTY:
            return None
        return (ask - bid) / 2  # bid keys are negated prices

    def spread(self) -> int | None:
        """Best ask minus best bid in ticks, or None unless both sides are quoted."""
        bid, ask = self._bb, self._ab
        if bid == _EMPTY or ask == _EMPTY:
            return None
        return ask + bid

    def _side(self, side: int) -> tuple[dict[int, _Level], int, int]:
        """A side's levels, best key and the sign turning its keys into prices."""
        if side == BUY:
            return self._bl, self._bb, -1
        if side == SELL:
            return self._al, self._ab, 1
        raise OrderBookError(f"side must be BUY (1) or SELL (-1), got {side!r}")

    def levels(self, side: int, n: int) -> list[tuple[int, int]]:
        """The best ``n`` price levels of one side.

        Args:
            side: :data:`BUY` for bids (highest first) or :data:`SELL` for asks (lowest first).
            n: How many levels at most.

        Returns:
            ``(price, total_qty)`` per level, best first.

        Raises:
            OrderBookError: If ``side`` is bad.
        """
        levels, best, sign = self._side(side)
        if n <= 0:
            return []
        if n == 1:  # the best key is kept exact, so the top of the book needs no sort
            return [] if best == _EMPTY else [(best * sign, levels[best].total)]
        keys = sorted(levels)[:n] if len(levels) <= _SORT_LEVELS else _ascending(levels, best)
        return [(key * sign, levels[key].total) for key in islice(keys, n)]

    def depth(self, side: int, within: float) -> int:
        """Resting quantity on one side priced within a fraction of the mid.

        Args:
            side: :data:`BUY` (bids at or above ``mid * (1 - within)``) or :data:`SELL` (asks at or
                below ``mid * (1 + within)``).
            within: Fraction of the mid, e.g. 0.01 for 1%.

        Returns:
            Quantity in lots; 0 when there is no mid (a side is empty).

        Raises:
            OrderBookError: If ``within`` is negative or ``side`` is bad.
        """
        levels, _, sign = self._side(side)
        if not within >= 0:
            raise OrderBookError(f"depth: within must be >= 0, got {within!r}")
        mid = self.mid()
        if mid is None:
            return 0
        # In key space (sign-adjusted prices) "within" means key <= sign * mid + mid * within.
        # The 1e-9 relative slack keeps a level exactly on the bound inside despite rounding.
        bound = sign * mid + mid * within + mid * 1e-9
        return sum(lv.total for key, lv in levels.items() if key <= bound)

    def fill_cost(self, side: int, qty: int) -> tuple[int, int]:
        """What a market order of ``side`` for ``qty`` would pay or get now, without trading.

        Self-trade prevention is not applied (the order has no owner here).

        Args:
            side: Side of the hypothetical market order (:data:`BUY` walks the asks).
            qty: Quantity in lots (>= 0).

        Returns:
            ``(cash, filled)``: the sum of ``price * qty`` over the fills, in micro-dollars, and
            the quantity that would fill (less than ``qty`` if the side runs out).

        Raises:
            OrderBookError: If ``qty`` is negative or not an integer, or ``side`` is bad.
        """
        qty = check_int("qty", qty)
        if qty < 0:
            raise OrderBookError(f"fill_cost: qty must be >= 0, got {qty}")
        self._side(side)  # refuse a bad side before turning it around
        levels, best, sign = self._side(-side)  # a buy walks the asks, a sell the bids
        cash = 0
        left = qty
        for key in _ascending(levels, best):
            if not left:
                break
            take = min(left, levels[key].total)
            cash += key * sign * take
            left -= take
        return cash, qty - left
