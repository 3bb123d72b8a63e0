"""Limit order book for GRAM/USD: a pure price-time-priority matching engine.

The book knows owners only as integers and knows no money: prices are integer ticks and
quantities integer lots (see :mod:`gramabm.units`), so a fill's cash, ``price * qty`` micro-dollars,
is exact. Balances and reservations are the caller's business (the venue and the ledger).

Layout, chosen for speed in pure Python (about a million operations a second on one core, see
``benchmarks/bench_orderbook.py``):

* an order is a small list, its *record*: ``[owner, side, price, qty, order_id]``; resting
  records are indexed by id in one dict;
* each side is a :class:`_Side`: a dict ``key -> [total_qty, deque of records]``, a heap of keys
  and the best key as an int. Asks are keyed by price and bids by ``-price``, so the best level is
  the smallest key on both sides and one matching loop serves both;
* cancels are lazy: the record leaves the id index and its level's total, and its qty becomes 0,
  but it stays in the level's deque until matching reaches it and skips it. A level whose total
  reaches zero is deleted at once, so best prices are always exact;
* the heap keeps the keys of deleted levels until they surface (then they are skipped) and is
  rebuilt when such stale keys outnumber live ones;
* owner tracking appends each resting order's id to its owner's list; ids of filled or cancelled
  orders are dropped when the list is read and by a periodic sweep, never on the matching or
  cancel paths.

Calls append events to lists that the caller drains after each call: the trade tape
(:meth:`OrderBook.drain_trades`) and the orders removed by self-trade prevention
(:meth:`OrderBook.drain_cancels`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from heapq import heapify, heappop, heappush, nsmallest
from typing import Any

import numpy as np

from gramabm.errors import MarketError

BUY: int = 1
"""Side code of a bid (buy order)."""

SELL: int = -1
"""Side code of an ask (sell order)."""

LIMIT: int = 0
"""Batch kind: good-till-cancelled limit order."""

LIMIT_IOC: int = 1
"""Batch kind: immediate-or-cancel limit order."""

MARKET: int = 2
"""Batch kind: market order (immediate-or-cancel at any price)."""

CANCEL: int = 3
"""Batch kind: cancel (the price column holds the order id, the quantity column is ignored)."""

LIMIT_POST_ONLY: int = 4
"""Batch kind: post-only limit order (rejected, result 0, if it would cross)."""

SELF_TRADE_MODES: tuple[str, ...] = ("allow", "cancel_resting", "cancel_incoming")
"""Self-trade prevention modes, see :class:`OrderBook`."""

MAX_PRICE: int = (1 << 30) - 3
"""Largest accepted price in ticks (about $1.07M per token). Keys below 2**30 are single-digit
ints, which CPython compares on its fastest path."""

_MARKET_KEY: int = MAX_PRICE + 1
"""Limit key of a market order: every resting key is below it."""

_EMPTY: int = MAX_PRICE + 2
"""Best key of an empty side: larger than any key, so ``best <= limit_key`` is false."""

_SWEEP_EVERY: int = 1 << 16
"""Order ids issued between sweeps of gone orders' ids out of the per-owner lists."""


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


class _Side:
    """One side of the book; keys are prices for asks and negated prices for bids.

    ``levels`` maps a key to ``[total_qty, deque of records]`` (the total counts live records
    only); ``heap`` holds every live key plus stale keys of deleted levels; ``best`` is the
    smallest live key, or :data:`_EMPTY`. Invariant: ``heap[0] == best`` while the side is not
    empty.
    """

    __slots__ = ("best", "heap", "levels", "sign")

    def __init__(self, sign: int) -> None:
        self.sign = sign  # price = key * sign
        self.levels: dict[int, list[Any]] = {}
        self.heap: list[int] = []
        self.best = _EMPTY

    def drop_best(self) -> None:
        """Delete the best level (its total is zero) and find the next best key."""
        levels = self.levels
        del levels[self.best]
        heap = self.heap
        heappop(heap)
        while heap and heap[0] not in levels:
            heappop(heap)
        self.best = heap[0] if heap else _EMPTY


def _check_int(name: str, value: Any) -> int:
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
        self._bids = _Side(-1)
        self._asks = _Side(1)
        self._orders: dict[int, list[int]] = {}  # resting records by order id
        self._by_owner: dict[int, list[int]] = {}  # owner -> ids, oldest first, some maybe gone
        self._next_sweep = _SWEEP_EVERY
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
            price = _check_int("price", price)
            qty = _check_int("qty", qty)
        if not 0 < price <= MAX_PRICE or qty <= 0:
            raise OrderBookError(
                f"limit order needs 0 < price <= {MAX_PRICE} and qty > 0 "
                f"(got price={price}, qty={qty})"
            )
        # This is the hottest path of the book, so the two sides are spelled out and the level
        # bookkeeping is inlined. The incoming order crosses while opp.best <= its limit key.
        oid = self._next_id
        if side == 1:
            side = 1  # a numpy int side must not leak into records and the tape
            if self._asks.best <= price:
                if post_only:
                    return 0
                self._next_id = oid + 1
                qty = self._match(self._asks, owner, oid, 1, price, price, qty)
                if not qty:
                    return oid
            else:
                self._next_id = oid + 1
            own = self._bids
            key = -price
        elif side == -1:
            side = -1
            if self._bids.best <= -price:
                if post_only:
                    return 0
                self._next_id = oid + 1
                qty = self._match(self._bids, owner, oid, -1, price, -price, qty)
                if not qty:
                    return oid
            else:
                self._next_id = oid + 1
            own = self._asks
            key = price
        else:
            raise OrderBookError(f"side must be BUY (1) or SELL (-1), got {side!r}")
        if ioc:
            return oid
        rec = [owner, side, price, qty, oid]
        levels = own.levels
        lv = levels.get(key)
        if lv is not None:
            lv[0] += qty
            lv[1].append(rec)
        else:
            levels[key] = [qty, deque((rec,))]
            heap = own.heap
            heappush(heap, key)
            if key < own.best:
                own.best = key
            if len(heap) > 2 * len(levels) + 64:
                # Too many stale keys: rebuild so the heap stays proportional to the levels.
                heap[:] = levels
                heapify(heap)
        self._orders[oid] = rec
        mine = self._by_owner.get(owner)
        if mine is None:
            self._by_owner[owner] = [oid]
        else:
            mine.append(oid)
        if oid >= self._next_sweep:
            self._sweep()
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
            qty = _check_int("qty", qty)
        if qty <= 0:
            raise OrderBookError(f"market order needs qty > 0 (got qty={qty})")
        oid = self._next_id
        if side == 1:
            self._next_id = oid + 1
            if self._asks.best != _EMPTY:
                self._match(self._asks, owner, oid, 1, 0, _MARKET_KEY, qty)
        elif side == -1:
            self._next_id = oid + 1
            if self._bids.best != _EMPTY:
                self._match(self._bids, owner, oid, -1, 0, _MARKET_KEY, qty)
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
        o = self._orders.get(order_id)
        if o is None:
            raise UnknownOrderError(order_id, owner)
        if o[0] != owner:
            raise NotOwnerError(order_id, owner, o[0])
        return self._remove(o)

    def try_cancel(self, owner: int, order_id: int) -> int:
        """Cancel a resting order if ``owner`` may, without raising (for hot loops).

        Args:
            owner: The owner asking.
            order_id: The order to cancel.

        Returns:
            The quantity cancelled, or -1 if the order is not resting or not ``owner``'s.
        """
        o = self._orders.get(order_id)
        if o is None or o[0] != owner:
            return -1
        # _remove, inlined: this is the cancel path of replay loops and of submit_batch.
        del self._orders[order_id]
        qty = o[3]
        o[3] = 0
        if o[1] == 1:
            half = self._bids
            key = -o[2]
        else:
            half = self._asks
            key = o[2]
        lv = half.levels[key]
        lv[0] -= qty
        if not lv[0]:
            if key == half.best:
                half.drop_best()
            else:
                del half.levels[key]  # its key stays in the heap as a stale entry
        return qty

    def cancel_all(self, owner: int) -> list[tuple[int, int, int, int]]:
        """Cancel every resting order of ``owner``.

        Args:
            owner: Owner id.

        Returns:
            One ``(order_id, side, price, qty)`` per cancelled order, oldest first.
        """
        mine = self._by_owner.pop(owner, None)
        if not mine:
            return []
        orders = self._orders
        out = []
        for oid in mine:
            o = orders.get(oid)
            if o is not None:
                out.append((oid, o[1], o[2], self._remove(o)))
        return out

    def _remove(self, o: list[int]) -> int:
        """Take a resting record out of the book; it stays in its deque, dead (qty 0)."""
        qty = o[3]
        o[3] = 0
        del self._orders[o[4]]
        if o[1] == 1:
            half = self._bids
            key = -o[2]
        else:
            half = self._asks
            key = o[2]
        lv = half.levels[key]
        lv[0] -= qty
        if not lv[0]:
            if key == half.best:
                half.drop_best()
            else:
                del half.levels[key]  # its key stays in the heap as a stale entry
        return qty

    def _sweep(self) -> None:
        """Drop ids of gone orders from every owner's list (once per _SWEEP_EVERY ids)."""
        self._next_sweep = self._next_id + _SWEEP_EVERY
        orders = self._orders
        by_owner = self._by_owner
        for owner, mine in list(by_owner.items()):
            live = [oid for oid in mine if oid in orders]
            if live:
                by_owner[owner] = live
            else:
                del by_owner[owner]

    def _match(
        self, opp: _Side, owner: int, oid: int, side: int, price: int, lim: int, qty: int
    ) -> int:
        """Match an incoming order against ``opp`` while its best key is <= ``lim``.

        ``price`` is the incoming limit price (0 for market orders), used only in the
        self-trade cancel event. Returns the quantity left unfilled (0 also when self-trade
        prevention cancelled the incoming order).
        """
        levels = opp.levels
        orders = self._orders
        tape = self._trades.append
        stp = self._stp
        sign = opp.sign
        seq = seq0 = self._trade_seq
        best = opp.best
        while qty and best <= lim:
            lv = levels[best]
            dq = lv[1]
            total = lv[0]  # kept in a local while this level is worked, stored back below
            px = best * sign
            while qty:
                o = dq[0]
                mq = o[3]
                if not mq:  # cancelled earlier: dropped lazily here
                    dq.popleft()
                    continue
                mown = o[0]
                if mown == owner and stp:
                    if stp == 2:  # cancel the incoming order's remainder
                        self._cancels.append((oid, owner, side, price, qty))
                        qty = 0
                        break
                    # cancel the resting order and keep matching
                    dq.popleft()
                    moid = o[4]
                    del orders[moid]
                    self._cancels.append((moid, mown, o[1], px, mq))
                    total -= mq
                    if not total:
                        break
                    continue
                seq += 1
                if mq <= qty:
                    # Filled: out of the deque and the index, so its qty need not be zeroed.
                    dq.popleft()
                    moid = o[4]
                    del orders[moid]
                    tape((seq, moid, oid, mown, owner, px, mq, side))
                    qty -= mq
                    total -= mq
                    if not total:
                        break
                else:
                    o[3] = mq - qty
                    total -= qty
                    tape((seq, o[4], oid, mown, owner, px, qty, side))
                    qty = 0
            if total:
                lv[0] = total
            else:
                opp.drop_best()
                best = opp.best
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
        bad = (k < LIMIT) | (k > LIMIT_POST_ONLY)
        bad |= is_order & (s != BUY) & (s != SELL)
        bad |= is_order & (q <= 0)
        bad |= has_price & ((p <= 0) | (p > MAX_PRICE))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise OrderBookError(
                f"submit_batch: bad row {i}: kind={k[i]}, side={s[i]}, price={p[i]}, qty={q[i]}"
            )
        out: list[int] = []
        put = out.append
        limit = self.limit
        market = self.market
        try_cancel = self.try_cancel
        # The rows are valid, so these calls cannot raise; going through the public methods
        # keeps a single code path for single and batch entry.
        for ow, sd, pr, qt, kd in zip(
            arrs["owners"].tolist(), s.tolist(), p.tolist(), q.tolist(), k.tolist(), strict=True
        ):
            if kd == LIMIT:
                put(limit(ow, sd, pr, qt))
            elif kd == CANCEL:
                put(try_cancel(ow, pr))
            elif kd == MARKET:
                put(market(ow, sd, qt))
            elif kd == LIMIT_IOC:
                put(limit(ow, sd, pr, qt, ioc=True))
            else:
                put(limit(ow, sd, pr, qt, post_only=True))
        return np.array(out, dtype=np.int64)

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
        o = self._orders.get(order_id)
        return 0 if o is None else o[3]

    def order(self, order_id: int) -> tuple[int, int, int, int]:
        """Details of a resting order.

        Args:
            order_id: The order.

        Returns:
            ``(owner, side, price, remaining_qty)``.

        Raises:
            UnknownOrderError: If the order is not resting.
        """
        o = self._orders.get(order_id)
        if o is None:
            raise UnknownOrderError(order_id)
        return (o[0], o[1], o[2], o[3])

    def orders_of(self, owner: int) -> list[int]:
        """Resting order ids of ``owner``, oldest first."""
        mine = self._by_owner.get(owner)
        if not mine:
            return []
        orders = self._orders
        live = [oid for oid in mine if oid in orders]
        if live:
            self._by_owner[owner] = live  # compacted while we are at it
        else:
            del self._by_owner[owner]
        return live.copy()

    @property
    def n_orders(self) -> int:
        """Number of resting orders."""
        return len(self._orders)

    @property
    def best_bid(self) -> int | None:
        """Highest bid price in ticks, or None if there is no bid."""
        best = self._bids.best
        return None if best == _EMPTY else -best

    @property
    def best_ask(self) -> int | None:
        """Lowest ask price in ticks, or None if there is no ask."""
        best = self._asks.best
        return None if best == _EMPTY else best

    def mid(self) -> float | None:
        """Mid price in ticks, or None unless both sides are quoted."""
        bid, ask = self._bids.best, self._asks.best
        if bid == _EMPTY or ask == _EMPTY:
            return None
        return (ask - bid) / 2  # bid keys are negated prices

    def spread(self) -> int | None:
        """Best ask minus best bid in ticks, or None unless both sides are quoted."""
        bid, ask = self._bids.best, self._asks.best
        if bid == _EMPTY or ask == _EMPTY:
            return None
        return ask + bid

    def _side(self, side: int) -> _Side:
        if side == BUY:
            return self._bids
        if side == SELL:
            return self._asks
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
        half = self._side(side)
        if n <= 0:
            return []
        levels, sign = half.levels, half.sign
        return [(key * sign, levels[key][0]) for key in nsmallest(n, levels)]

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
        half = self._side(side)
        if not within >= 0:
            raise OrderBookError(f"depth: within must be >= 0, got {within!r}")
        mid = self.mid()
        if mid is None:
            return 0
        # In key space (sign-adjusted prices) "within" means key <= sign * mid + mid * within.
        # The 1e-9 relative slack keeps a level exactly on the bound inside despite rounding.
        bound = half.sign * mid + mid * within + mid * 1e-9
        return sum(lv[0] for key, lv in half.levels.items() if key <= bound)

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
        qty = _check_int("qty", qty)
        if qty < 0:
            raise OrderBookError(f"fill_cost: qty must be >= 0, got {qty}")
        half = self._asks if self._side(side) is self._bids else self._bids
        levels, sign = half.levels, half.sign
        cash = 0
        left = qty
        for key in sorted(levels):
            if not left:
                break
            take = min(left, levels[key][0])
            cash += key * sign * take
            left -= take
        return cash, qty - left
