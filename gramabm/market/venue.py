"""The venue: the exchange that joins the order book (matching) to the ledger (money).

Every order goes through the venue. Before an order reaches the book, the venue checks that the
owner's available balance covers everything the order could need: a buy ``price * qty``
micro-dollars plus its worst-case fee, a sell ``qty`` tokens. Whatever rests is reserved in the
ledger (a post-only order before it reaches the book, the remainder of a limit order after its
fills), so no fill can ever find the money missing and no balance can go negative. Each fill is
settled atomically (:meth:`Ledger.settle_trade`): the buyer's cash goes to the seller, the
seller's tokens to the buyer, fees to the fee account; the resting order pays out of its
reservation, the incoming one out of its available balance, which nothing else can touch while it
matches. A reservation no longer needed is released: a rejected post-only order, a cancel, an
order removed by self-trade prevention.

Fees are charged in micro-dollars on the cash value of fills: the taker (aggressor) pays the
taker rate, the resting order's owner the maker rate; a buyer pays on top of the price, a seller
receives the proceeds less the fee. Rounding is up, for the payer, and is applied to each order's
*cumulative* cash per role, each fill paying the increment, so an order pays
``ceil(cash * rate)`` in total however it is split into fills, the fee account never loses, and
every micro-dollar is accounted for exactly.

Refusals do not raise: an order the owner cannot fund changes nothing and returns 0, and the
reason is in :attr:`Venue.last_status` (per row in :attr:`Venue.last_batch_status` for
:meth:`Venue.submit_batch`). Malformed orders (bad side, non-positive or non-integer price or
quantity, unknown account) raise, since they are bugs in the caller. Market orders are clipped to
what the owner can deliver (a sell: available tokens) or pay for, fees included (a buy: the book
is walked, the owner's own resting asks left out, and the order goes in as an immediate-or-cancel
limit at the last price it needs, for the quantity the cash covers).

A venue with a price step (``grid``) moves every limit price onto it, a bid down and an offer
up, before checking any funds (:mod:`gramabm.market.price_grid`), as a real exchange accepts only
multiples of its tick; a bid under the first step is refused (:attr:`OrderStatus.BELOW_GRID`).

Trades are kept on a tape that the caller drains (:meth:`Venue.drain_trades`, e.g. once per model
step; pass ``keep_tape=False`` to keep only the statistics), and running statistics are taken
and reset with :meth:`Venue.take_step_stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from fractions import Fraction
from operator import index
from typing import Any, NamedTuple

import numpy as np

from gramabm.errors import ConfigError
from gramabm.market.ledger import Asset, InvariantError, Ledger
from gramabm.market.orderbook import (
    BUY,
    CANCEL,
    KIND_CODES,
    LIMIT,
    LIMIT_IOC,
    LIMIT_POST_ONLY,
    MARKET,
    MAX_PRICE,
    SELL,
    OrderBook,
    OrderBookError,
    OrderKind,
    Side,
    UnknownOrderError,
    check_int,
)
from gramabm.market.price_grid import PriceGrid

_USD = int(Asset.USD)
_TOKEN = int(Asset.TOKEN)
_BUY = int(Side.BUY)
_SELL = int(Side.SELL)
_CANCEL = int(CANCEL)
_MARKET = int(MARKET)
_KIND_LO, _KIND_HI = int(KIND_CODES.min()), int(KIND_CODES.max())
# Kind codes 0..4 are one range, so a row's kind is checked by two comparisons, not a set lookup.
_KINDS_CONTIGUOUS = KIND_CODES.size == _KIND_HI - _KIND_LO + 1 == np.unique(KIND_CODES).size
_BATCH_COLUMNS = ("owners", "sides", "prices", "qtys", "kinds")
_NO_FILL = 2**63 - 1  # above any price in ticks: a step's lowest fill before its first

__all__ = [
    "BUY",
    "CANCEL",
    "LIMIT",
    "LIMIT_IOC",
    "LIMIT_POST_ONLY",
    "MARKET",
    "SELL",
    "OrderKind",
    "OrderStatus",
    "Side",
    "StepStats",
    "Trade",
    "Venue",
]


class OrderStatus(IntEnum):
    """Outcome of the last venue call (see :attr:`Venue.last_status`)."""

    ACCEPTED = 0
    """The order went to the book (it may have filled, rested, or both); a cancel succeeded."""
    INSUFFICIENT_FUNDS = 1
    """The owner could not fund the order (or not one lot of a market order); nothing changed."""
    POST_ONLY_REJECTED = 2
    """A post-only order would have crossed; nothing changed."""
    NO_LIQUIDITY = 3
    """A market order found nothing to trade against; nothing changed."""
    CANCEL_FAILED = 4
    """A batch cancel named an order that is not resting or not the owner's; nothing changed."""
    BELOW_GRID = 5
    """A buy priced under the venue's first price step; nothing changed."""


class Trade(NamedTuple):
    """One settled fill on the venue's tape (prices in ticks, quantities in lots, fees in µUSD)."""

    seq: int
    maker_order: int
    taker_order: int
    maker: int
    taker: int
    price: int
    qty: int
    aggressor: int
    maker_fee: int
    taker_fee: int


@dataclass(frozen=True, slots=True)
class StepStats:
    """Trading activity since the previous :meth:`Venue.take_step_stats` call.

    Attributes:
        volume_qty: Lots traded.
        volume_cash: Micro-dollars traded (sum of ``price * qty``).
        trades: Number of fills (named like the model's per-step column).
        buy_qty: Lots traded with a buyer as aggressor (buyer-initiated volume).
        sell_qty: Lots traded with a seller as aggressor.
        fees: Micro-dollars of fees collected.
        n_refused: Orders refused for lack of funds.
        last_price: Price in ticks of the venue's latest fill ever (None before the first).
        high_price: Price in ticks of the period's highest fill (None without fills).
        low_price: Price in ticks of the period's lowest fill (None without fills).
    """

    volume_qty: int
    volume_cash: int
    trades: int
    buy_qty: int
    sell_qty: int
    fees: int
    n_refused: int
    last_price: int | None
    high_price: int | None = None
    low_price: int | None = None

    @property
    def vwap(self) -> float | None:
        """Volume-weighted average price in ticks, or None without trades."""
        return self.volume_cash / self.volume_qty if self.volume_qty else None


def _fee_rate(bp: float, what: str) -> tuple[int, int]:
    """Exact fee rate as (numerator, denominator) of a fraction of the cash value."""
    if not 0.0 <= bp <= 10_000.0:
        raise ConfigError(f"{what} must be in [0, 10000] basis points, got {bp!r}")
    # Read the decimal the user wrote (0.1 bp is exactly 1e-5), not the binary float.
    rate = Fraction(str(float(bp))) / 10_000
    return rate.numerator, rate.denominator


def _on_grid(grid: PriceGrid | None, side: int, price: int) -> int:
    """A limit price moved onto a price step, never to a worse one (<= 0: under the first).

    Without a step (``grid`` None) the price stands as it is.
    """
    if grid is None:
        return price
    return grid.bid(price) if side == 1 else min(grid.ask(price), MAX_PRICE)


def _limit_order(owner: Any, side: Any, price: Any, qty: Any) -> tuple[int, int, int, int]:
    """A limit order's owner, side, price and quantity as plain ints, or raise if one is bad."""
    if type(price) is not int or type(qty) is not int or type(owner) is not int:
        owner = index(owner)
        price = check_int("price", price)
        qty = check_int("qty", qty)
    if price <= 0 or price > MAX_PRICE or qty <= 0:
        raise OrderBookError(
            f"limit order needs price > 0 (at most {MAX_PRICE}) and qty > 0 "
            f"(got price={price}, qty={qty})"
        )
    # Plain ints from here on (a numpy or enum side compares slower on the hot path).
    if side == BUY:
        return owner, _BUY, price, qty
    if side == SELL:
        return owner, _SELL, price, qty
    raise OrderBookError(f"side must be BUY (1) or SELL (-1), got {side!r}")


class Venue:
    """An exchange: order entry with pre-trade reservation and atomic settlement of fills.

    Args:
        ledger: The ledger holding all accounts.
        book: An empty order book to run; a new :class:`OrderBook` (self-trade prevention
            ``"cancel_resting"``) if None.
        fee_account: Ledger account that collects the fees.
        taker_fee_bp: Fee of the aggressor, basis points of the fill's cash value, in [0, 1e4].
        maker_fee_bp: Fee of the resting order's owner, basis points, in [0, 1e4].
        keep_tape: Keep every settled fill until :meth:`drain_trades` is called.
        grid: The venue's price step (:class:`~gramabm.market.price_grid.PriceGrid`): a limit
            price off it is moved onto it, a bid down and an offer up; None: every book tick.

    Attributes:
        ledger: The ledger.
        book: The order book. Read it freely (quotes, depth, levels); never send orders to it
            directly, or they would not be funded.
        fee_account: The fee account.
        last_status: :class:`OrderStatus` of the latest call.
        last_filled: Lots filled at once (as taker) by the latest order call.
        last_batch_status: Status per row of the latest :meth:`submit_batch`.
        last_batch_filled: Lots filled at once per row of the latest :meth:`submit_batch`.

    Raises:
        ConfigError: For an unknown fee account, a fee outside [0, 10000] bp or a book that
            already holds orders.
    """

    def __init__(
        self,
        ledger: Ledger,
        book: OrderBook | None = None,
        *,
        fee_account: int,
        taker_fee_bp: float = 0.0,
        maker_fee_bp: float = 0.0,
        keep_tape: bool = True,
        grid: PriceGrid | None = None,
    ) -> None:
        if not 0 <= fee_account < ledger.n_accounts:
            raise ConfigError(
                f"fee account {fee_account} is not open in the ledger "
                f"({ledger.n_accounts} accounts)"
            )
        if book is None:
            book = OrderBook()
        elif book.n_orders:
            raise ConfigError(
                f"the venue needs an empty book, this one holds {book.n_orders} orders "
                "that no reservation funds"
            )
        self.ledger = ledger
        self.book = book
        self.fee_account = int(fee_account)
        self.taker_fee_bp = float(taker_fee_bp)
        self.maker_fee_bp = float(maker_fee_bp)
        self._tn, self._td = _fee_rate(taker_fee_bp, "taker_fee_bp")
        self._mn, self._md = _fee_rate(maker_fee_bp, "maker_fee_bp")
        # A resting buy may fill partly as taker, partly as maker; each role rounds up once,
        # so with both fees non-zero the worst case exceeds ceil(cash * max rate) by one unit.
        self._split_extra = 1 if self._tn and self._mn else 0
        self._allow_self = getattr(book, "self_trade", "cancel_resting") == "allow"
        self._keep_tape = keep_tape
        self.grid = grid
        # order id -> [owner, side, price, qty when it started resting, remaining, reserved]
        self._orders: dict[int, list[int]] = {}
        # Owners who ever rested an order: only they may have asks for a market buy to leave
        # out, so the walk skips the book's owner index for everyone else (a holder's order).
        self._resters: set[int] = set()
        self._tape: list[Trade] = []
        self.last_status = OrderStatus.ACCEPTED
        self.last_filled = 0
        self.last_batch_status = np.zeros(0, dtype=np.int8)
        self.last_batch_filled = np.zeros(0, dtype=np.int64)
        self._last_price: int | None = None
        self._reset_step()
        # Totals of the periods already taken (take_step_stats): the life totals add the current
        # period's counters, so a fill updates only those.
        self._total_trades = 0
        self._total_fees = 0
        self._total_qty = 0
        self._total_cash = 0

    def _reset_step(self) -> None:
        self._s_qty = 0
        self._s_cash = 0
        self._s_trades = 0
        self._s_buy = 0
        self._s_fees = 0
        self._s_refused = 0
        self._s_high = 0  # ticks of the step's highest and lowest fill (read only after a fill)
        self._s_low = _NO_FILL

    # ----------------------------------------------------------------------------- fees

    def taker_fee(self, cash: int) -> int:
        """Taker fee in micro-dollars on ``cash`` micro-dollars of fills of one order."""
        return -(-cash * self._tn // self._td)

    def maker_fee(self, cash: int) -> int:
        """Maker fee in micro-dollars on ``cash`` micro-dollars of fills of one order."""
        return -(-cash * self._mn // self._md)

    def buy_reservation(
        self, price: int, qty: int, *, ioc: bool = False, post_only: bool = False
    ) -> int:
        """Micro-dollars a buy limit order must have available to be accepted.

        ``price * qty`` plus the worst-case fee: the taker fee for an immediate-or-cancel
        order, the maker fee for a post-only one, and for an order that may do both the larger
        rate, plus one unit when both fees are non-zero (each role rounds up once).
        """
        cash = price * qty
        if ioc:
            return cash - (-cash * self._tn // self._td)
        if post_only:
            return cash - (-cash * self._mn // self._md)
        fee = -(-cash * self._tn // self._td)
        mfee = -(-cash * self._mn // self._md)
        return cash + (fee if fee > mfee else mfee) + self._split_extra

    # ----------------------------------------------------------------------------- orders

    def limit(
        self,
        owner: int,
        side: int,
        price: int,
        qty: int,
        ioc: bool = False,
        post_only: bool = False,
    ) -> int:
        """Submit a limit order, checked first against the funds it could need.

        Args:
            owner: Ledger account of the trader.
            side: :data:`BUY` or :data:`SELL`.
            price: Limit price in ticks (> 0).
            qty: Quantity in lots (> 0).
            ioc: Immediate-or-cancel: the remainder is discarded, not rested.
            post_only: Refuse the order (nothing fills, nothing rests) if it would cross.

        Returns:
            The order id (> 0), or 0 if the order was refused; then :attr:`last_status` says
            why (:attr:`OrderStatus.INSUFFICIENT_FUNDS` or
            :attr:`OrderStatus.POST_ONLY_REJECTED`) and nothing changed.

        Raises:
            OrderBookError: For a bad side, or a price or quantity that is not a positive int.
            MarketError: For an unknown account.
        """
        owner, side, price, qty = _limit_order(owner, side, price, qty)
        return self._limit(owner, side, price, qty, ioc, post_only)

    def post(self, owner: int, side: int, price: int, qty: int) -> int:
        """Submit a post-only limit order: :meth:`limit` with ``post_only``, in fewer steps.

        A dealer quotes a ladder of these every step. The order rests whole, holding its
        reservation, or is refused and changes nothing (:attr:`last_status` says why).

        Returns:
            The order id (> 0), or 0 if the order was refused.

        Raises:
            OrderBookError: For a bad side, or a price or quantity that is not a positive int.
            MarketError: For an unknown account.
        """
        if (
            type(price) is not int
            or type(qty) is not int
            or type(owner) is not int
            or not 0 < price <= MAX_PRICE
            or qty <= 0
            or (side != 1 and side != -1)
        ):
            owner, side, price, qty = _limit_order(owner, side, price, qty)  # or raise
        side = _BUY if side == 1 else _SELL  # a plain int, not an enum member
        price = _on_grid(self.grid, side, price)
        if price <= 0:
            return self._refuse(OrderStatus.BELOW_GRID)
        if side == 1:
            asset = _USD
            cash = price * qty
            need = cash - (-cash * self._mn // self._md)  # buy_reservation, inlined
        else:
            asset = _TOKEN
            need = qty
        ledger = self.ledger
        if not ledger.try_reserve(owner, asset, need):
            return self._refuse(OrderStatus.INSUFFICIENT_FUNDS)
        oid = self.book.limit(owner, side, price, qty, post_only=True)
        if not oid:
            ledger.release(owner, asset, need)
            return self._refuse(OrderStatus.POST_ONLY_REJECTED)
        # Accepted, so it crossed nothing: no fill to settle, and it rests whole, keeping
        # exactly its reservation (its maker fee at most, like the rest of a resting buy).
        self._orders[oid] = [owner, side, price, qty, qty, need]
        self._resters.add(owner)
        self.last_filled = 0
        self.last_status = OrderStatus.ACCEPTED
        return oid

    def _limit(
        self, owner: int, side: int, price: int, qty: int, ioc: bool, post_only: bool
    ) -> int:
        """:meth:`limit` on validated Python ints."""
        if post_only and not ioc:
            return self.post(owner, side, price, qty)
        price = _on_grid(self.grid, side, price)
        if price <= 0:
            return self._refuse(OrderStatus.BELOW_GRID)
        if side == 1:
            asset = _USD
            if ioc:  # buy_reservation, inlined: holders send thousands of these a step
                cash = price * qty
                need = cash - (-cash * self._tn // self._td)
            else:
                need = self.buy_reservation(price, qty)
        else:
            asset = _TOKEN
            need = qty
        # It may fill, so it pays its fills from the available part (see _settle) and reserves
        # only what rests after them.
        ledger = self.ledger
        if ledger.available(owner, asset) < need:
            return self._refuse(OrderStatus.INSUFFICIENT_FUNDS)
        book = self.book
        oid = book.limit(owner, side, price, qty, ioc=ioc, post_only=post_only)
        if not oid:  # a post-only immediate-or-cancel order that would have crossed
            return self._refuse(OrderStatus.POST_ONLY_REJECTED)
        self._settle()
        rest = 0 if ioc else book.remaining(oid)
        if rest:
            if side == 1:
                cash = price * rest
                keep = cash - (-cash * self._mn // self._md)
            else:
                keep = rest
            # Within what the order was checked for: its fills took at most need - keep.
            ledger.reserve(owner, asset, keep)
            self._orders[oid] = [owner, side, price, rest, rest, keep]
            self._resters.add(owner)
        self.last_status = OrderStatus.ACCEPTED
        return oid

    def market(self, owner: int, side: int, qty: int) -> int:
        """Submit a market order, clipped to what the owner can pay or deliver.

        A sell is clipped to the owner's available tokens. A buy is clipped to the quantity its
        available cash covers, fees included, at the prices now in the book (the owner's own
        resting asks left out, unless the book allows self-trades), and goes to the book as an
        immediate-or-cancel limit order at the last price it needs, so it can never cost more.

        Args:
            owner: Ledger account of the trader.
            side: :data:`BUY` or :data:`SELL`.
            qty: Quantity in lots wanted (> 0).

        Returns:
            The quantity filled, in lots. When 0, :attr:`last_status` says why
            (:attr:`OrderStatus.INSUFFICIENT_FUNDS` or :attr:`OrderStatus.NO_LIQUIDITY`, nothing
            changed), unless self-trade prevention stopped the order.

        Raises:
            OrderBookError: For a bad side or a quantity that is not a positive int.
            MarketError: For an unknown account.
        """
        if type(qty) is not int or type(owner) is not int:
            owner = index(owner)
            qty = check_int("qty", qty)
        if qty <= 0:
            raise OrderBookError(f"market order needs qty > 0 (got qty={qty})")
        if side == BUY:
            self._market_buy(owner, qty)
        elif side == SELL:
            self._market_sell(owner, qty)
        else:
            raise OrderBookError(f"side must be BUY (1) or SELL (-1), got {side!r}")
        return self.last_filled

    def _refuse(self, status: OrderStatus) -> int:
        """Refuse an order (nothing changed): count it if the owner lacked funds; return 0."""
        if status == OrderStatus.INSUFFICIENT_FUNDS:
            self._s_refused += 1
        self.last_filled = 0
        self.last_status = status
        return 0

    def _market_sell(self, owner: int, qty: int) -> int:
        """Market sell on validated ints; returns the order id (0 if nothing was sent)."""
        ledger = self.ledger
        have = ledger.available(owner, _TOKEN)
        if qty > have:
            qty = have
        if qty <= 0:
            return self._refuse(OrderStatus.INSUFFICIENT_FUNDS)
        if self.book.best_bid is None:
            return self._refuse(OrderStatus.NO_LIQUIDITY)
        oid = self.book.market(owner, SELL, qty)
        self._settle()  # its fills are paid from the available tokens, at most qty
        self.last_status = OrderStatus.ACCEPTED
        return oid

    def _market_buy(self, owner: int, qty: int) -> int:
        """Market buy on validated ints; returns the order id (0 if nothing was sent)."""
        ledger = self.ledger
        fill, last_px = self._affordable_buy(owner, qty, ledger.available(owner, _USD))
        if not fill:
            status = OrderStatus.INSUFFICIENT_FUNDS if last_px else OrderStatus.NO_LIQUIDITY
            return self._refuse(status)
        oid = self.book.limit(owner, BUY, last_px, fill, ioc=True)
        self._settle()  # its fills are paid from the available cash, which covers them all
        self.last_status = OrderStatus.ACCEPTED
        return oid

    def _affordable_buy(self, owner: int, qty: int, cash: int) -> tuple[int, int]:
        """Walk the asks for a market buy of at most ``qty`` lots paid from ``cash``.

        Returns:
            ``(lots, last_price)``: how much the cash buys (fee included) at the prices resting
            now, and the highest price it needs (0 if the book, less the owner's own asks, is
            empty; else the best price even when ``lots`` is 0).
        """
        tn, td = self._tn, self._td
        # Largest cost c with c + ceil(c * tn / td) <= cash, exactly.
        budget = cash * td // (td + tn) if tn else cash
        own: dict[int, int] = {}
        if not self._allow_self and owner in self._resters:
            # Self-trade prevention skips the owner's own asks, so they must not count as
            # liquidity; the fills are then at most as costly as this walk says.
            orders = self._orders
            for oid in self.book.orders_of(owner):
                o = orders[oid]
                if o[1] == SELL:
                    own[o[2]] = own.get(o[2], 0) + o[4]
        book = self.book
        left = qty
        cost = 0
        last_px = 0
        seen = 0  # pragma: no mutate
        # The best level alone first (no sort): most market buys need no more of the book.
        n = 1  # pragma: no mutate
        while True:
            levels = book.levels(SELL, n)
            for px, lq in levels[seen:]:
                if own:
                    lq -= own.get(px, 0)
                    if lq <= 0:
                        continue
                if not last_px:
                    last_px = px
                take = left if left < lq else lq
                afford = (budget - cost) // px
                if afford < take:
                    if afford:
                        cost += px * afford
                        left -= afford
                        last_px = px
                    return qty - left, last_px
                cost += px * take
                left -= take
                last_px = px
                if not left:
                    return qty, last_px
            if len(levels) < n:
                return qty - left, last_px
            seen = n
            n *= 4  # pragma: no mutate

    # ----------------------------------------------------------------------------- settlement

    def _settle(self) -> None:
        """Settle the trades and self-trade cancels of the latest book call.

        The incoming order (the taker) pays its fills from its available part, the resting
        ones from their reservations. Sets :attr:`last_filled`.
        """
        book = self.book
        trades = book.drain_trades()
        filled = 0
        if trades:
            settle = self.ledger.settle_trade
            orders = self._orders
            tn, td, mn, md = self._tn, self._td, self._mn, self._md
            fee_acct = self.fee_account
            tape = self._tape if self._keep_tape else None
            taker_cash = 0
            cash_sum = 0
            buy_qty = 0
            fees = 0
            px = 0
            high = low = trades[0][5]
            for seq, moid, toid, mown, town, px, q, agg in trades:
                if px > high:
                    high = px
                elif px < low:
                    low = px
                cash = px * q
                mo = orders.get(moid)
                if mo is None:
                    raise InvariantError(
                        f"order {moid} of owner {mown} rests in the book but the venue never "
                        "funded it: orders must go through the venue"
                    )
                rem = mo[4]
                if mn:
                    # Cumulative rounding: the resting order pays ceil(rate * its filled cash).
                    done = (mo[3] - rem) * px
                    mfee = (-(-(done + cash) * mn // md)) - (-(-done * mn // md))
                else:
                    mfee = 0
                if tn:
                    tfee = (-(-(taker_cash + cash) * tn // td)) - (-(-taker_cash * tn // td))
                    taker_cash += cash
                else:
                    tfee = 0
                if agg == 1:
                    settle(town, mown, q, cash, tfee, mfee, fee_acct, 1)
                    mo[5] -= q
                    buy_qty += q
                else:
                    settle(mown, town, q, cash, mfee, tfee, fee_acct, -1)
                    mo[5] -= cash + mfee
                rem -= q
                if rem:
                    mo[4] = rem
                else:
                    del orders[moid]
                filled += q
                cash_sum += cash
                fees += mfee + tfee
                if tape is not None:
                    tape.append(Trade(seq, moid, toid, mown, town, px, q, agg, mfee, tfee))
            n = len(trades)
            self._s_qty += filled
            self._s_cash += cash_sum
            self._s_trades += n
            self._s_buy += buy_qty
            self._s_fees += fees
            if high > self._s_high:
                self._s_high = high
            if low < self._s_low:
                self._s_low = low
            self._last_price = px
        cancels = book.drain_cancels()
        if cancels:
            orders = self._orders
            release = self.ledger.release
            for coid, cown, cside, _px, _q in cancels:
                rec = orders.pop(coid, None)
                # The incoming order itself (cancel_incoming) never rested, so is not recorded.
                if rec is not None:
                    release(cown, _USD if cside == 1 else _TOKEN, rec[5])
        self.last_filled = filled

    # ----------------------------------------------------------------------------- cancels

    def cancel(self, owner: int, order_id: int) -> int:
        """Cancel a resting order and release its reservation.

        Returns:
            The quantity cancelled, in lots.

        Raises:
            UnknownOrderError: If the order is not resting.
            NotOwnerError: If it belongs to another owner.
        """
        qty = self.book.cancel(owner, order_id)
        rec = self._orders.pop(order_id)
        self.ledger.release(owner, _USD if rec[1] == 1 else _TOKEN, rec[5])
        self.last_status = OrderStatus.ACCEPTED
        return qty

    def _try_cancel(self, owner: int, order_id: int) -> int:
        rec = self._orders.get(order_id)
        if rec is None or rec[0] != owner:
            self.last_status = OrderStatus.CANCEL_FAILED
            return -1
        return self.cancel(owner, order_id)

    def cancel_all(self, owner: int) -> list[tuple[int, int, int, int]]:
        """Cancel every resting order of ``owner`` and release their reservations.

        Returns:
            ``(order_id, side, price, qty)`` per cancelled order, oldest first.
        """
        out = self.book.cancel_all(owner)
        orders = self._orders
        usd = tok = 0
        for oid, side, _px, _q in out:
            rec = orders.pop(oid)
            if side == 1:
                usd += rec[5]
            else:
                tok += rec[5]
        if usd:
            self.ledger.release(owner, _USD, usd)
        if tok:
            self.ledger.release(owner, _TOKEN, tok)
        self.last_status = OrderStatus.ACCEPTED
        return out

    # ----------------------------------------------------------------------------- batch

    def set_grid(self, grid: PriceGrid | None) -> None:
        """Change the price step; every resting order is cancelled first, its reservation released.

        An exchange changing its tick clears the book the same way, so that no order rests off
        the new grid; the owners quote again on it.
        """
        for owner in sorted({rec[0] for rec in self._orders.values()}):
            self.cancel_all(owner)
        self.grid = grid

    def submit_batch(
        self,
        owners: Sequence[int] | np.ndarray,
        sides: Sequence[int] | np.ndarray,
        prices: Sequence[int] | np.ndarray,
        qtys: Sequence[int] | np.ndarray,
        kinds: Sequence[int] | np.ndarray,
    ) -> np.ndarray:
        """Apply many operations in order, as if called one by one (a holder population's step).

        The batch is validated as a whole first, so a malformed row changes nothing. Refusals
        (lack of funds, post-only crossing, failed cancels) do not raise; they show in the
        result and in :attr:`last_batch_status`, and :attr:`last_batch_filled` holds the lots
        each row filled at once.

        Args:
            owners: Ledger account per row.
            sides: :data:`BUY` or :data:`SELL` (ignored for cancels).
            prices: Limit price in ticks; the order id for cancels; ignored for market orders.
            qtys: Quantity in lots (ignored for cancels).
            kinds: :data:`LIMIT` (0), :data:`LIMIT_IOC` (1), :data:`MARKET` (2), :data:`CANCEL`
                (3) or :data:`LIMIT_POST_ONLY` (4), as for the book.

        Returns:
            int64 array: the order id per order row (0 if refused or, for a market order, if
            nothing was sent), the quantity cancelled per cancel row (-1 if it failed).

        Raises:
            OrderBookError: If the columns differ in length or are not integers, or a row has a
                bad kind, side, price, quantity or account (the message names the first).
        """
        arrs = [np.asarray(col) for col in (owners, sides, prices, qtys, kinds)]
        n = len(arrs[4])
        for name, a in zip(_BATCH_COLUMNS, arrs, strict=True):
            if a.ndim != 1 or len(a) != n:
                raise OrderBookError(
                    f"submit_batch: {name} must be 1-D of length {n}, got shape {a.shape}"
                )
            if n and a.dtype.kind not in "iu":  # integer dtypes, signed or not
                raise OrderBookError(f"submit_batch: {name} must be integers, got {a.dtype}")
        o, s, p, q, k = arrs
        # Few fused passes over the columns.
        bad = (o < 0) | (o >= self.ledger.n_accounts)
        bad |= (k < _KIND_LO) | (k > _KIND_HI) if _KINDS_CONTIGUOUS else ~np.isin(k, KIND_CODES)
        bad |= (k != _CANCEL) & (
            ((s != _BUY) & (s != _SELL))
            | (q <= 0)
            | ((k != _MARKET) & ((p <= 0) | (p > MAX_PRICE)))
        )
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise OrderBookError(
                f"submit_batch: bad row {i}: owner={o[i]}, kind={k[i]}, side={s[i]}, "
                f"price={p[i]}, qty={q[i]}"
            )
        columns = (o.tolist(), s.tolist(), p.tolist(), q.tolist(), k.tolist())
        out = [0] * n
        status = [0] * n
        filled = [0] * n
        limit = self._limit
        # Plain-int locals of the kinds compare faster in this loop than the enum's members.
        k_limit, k_cancel, k_market, k_ioc = int(LIMIT), int(CANCEL), int(MARKET), int(LIMIT_IOC)
        rows = zip(*columns, strict=True)  # pragma: no mutate
        for i, (ow, sd, pr, qt, kd) in enumerate(rows):
            if kd == k_limit:
                out[i] = limit(ow, sd, pr, qt, False, False)
            elif kd == k_market:
                out[i] = self._market_buy(ow, qt) if sd == _BUY else self._market_sell(ow, qt)
            elif kd == k_cancel:
                out[i] = self._try_cancel(ow, pr)
                self.last_filled = 0
            elif kd == k_ioc:
                out[i] = limit(ow, sd, pr, qt, True, False)
            else:  # LIMIT_POST_ONLY, the only kind left after validation
                out[i] = self.post(ow, sd, pr, qt)
            status[i] = self.last_status
            filled[i] = self.last_filled
        self.last_batch_status = np.array(status, dtype=np.int8)
        self.last_batch_filled = np.array(filled, dtype=np.int64)  # pragma: no mutate
        return np.array(out, dtype=np.int64)  # pragma: no mutate

    # ----------------------------------------------------------------------------- results

    def drain_trades(self) -> list[Trade]:
        """Return and clear the settled fills since the last drain, in execution order."""
        tape = self._tape
        self._tape = []
        return tape

    def step_stats(self) -> StepStats:
        """The activity since the previous :meth:`take_step_stats` call, without resetting."""
        return StepStats(
            volume_qty=self._s_qty,
            volume_cash=self._s_cash,
            trades=self._s_trades,
            buy_qty=self._s_buy,
            sell_qty=self._s_qty - self._s_buy,
            fees=self._s_fees,
            n_refused=self._s_refused,
            last_price=self._last_price,
            high_price=self._s_high if self._s_trades else None,
            low_price=self._s_low if self._s_trades else None,
        )

    def take_step_stats(self) -> StepStats:
        """Return the activity since the previous call and start counting afresh."""
        stats = self.step_stats()
        self._total_qty += self._s_qty
        self._total_cash += self._s_cash
        self._total_trades += self._s_trades
        self._total_fees += self._s_fees
        self._reset_step()
        return stats

    @property
    def last_trade_price(self) -> int | None:
        """Price in ticks of the latest fill, or None before the first."""
        return self._last_price

    @property
    def fees_collected(self) -> int:
        """Micro-dollars of fees collected since the venue opened."""
        return self._total_fees + self._s_fees

    @property
    def n_trades(self) -> int:
        """Fills since the venue opened."""
        return self._total_trades + self._s_trades

    @property
    def volume(self) -> tuple[int, int]:
        """``(lots, micro-dollars)`` traded since the venue opened."""
        return self._total_qty + self._s_qty, self._total_cash + self._s_cash

    # ----------------------------------------------------------------------------- checks

    def order_reservation(self, order_id: int) -> tuple[Asset, int]:
        """What a resting order holds reserved: ``(asset, amount)``.

        Raises:
            UnknownOrderError: If the order is not resting.
        """
        rec = self._orders.get(order_id)
        if rec is None:
            raise UnknownOrderError(order_id)
        return (Asset.USD if rec[1] == BUY else Asset.TOKEN), rec[5]

    def check(self, *, exclusive: bool = False) -> None:
        """Verify the ledger's invariants and that the venue's records match the book.

        Each resting order must be in the book with the same owner, side, price and remaining
        quantity, and hold exactly what it still needs: its remaining tokens for a sell; for a
        buy, ``price * remaining`` plus the maker fee not yet paid. Each owner's reservations
        must cover their orders' (exactly, when ``exclusive``).

        Args:
            exclusive: The venue is the only user of reservations in the ledger.

        Raises:
            InvariantError: Naming the first mismatch found.
        """
        self.ledger.check()
        book = self.book
        orders = self._orders
        if book.n_orders != len(orders):
            raise InvariantError(
                f"book holds {book.n_orders} orders, the venue funds {len(orders)}"
            )
        held: dict[tuple[int, int], int] = {}
        for oid, (owner, side, price, q0, rem, keep) in orders.items():
            in_book = book.order(oid)
            if in_book != (owner, side, price, rem):
                raise InvariantError(
                    f"order {oid}: venue has {(owner, side, price, rem)}, book has {in_book}"
                )
            if side == BUY:
                want = price * rem + self.maker_fee(price * q0) - self.maker_fee(price * (q0 - rem))
                asset = _USD
            else:
                want = rem
                asset = _TOKEN
            if keep != want:
                raise InvariantError(f"order {oid} holds {keep} reserved, needs {want}")
            held[(owner, asset)] = held.get((owner, asset), 0) + keep
        ledger = self.ledger
        for (owner, asset), amount in held.items():
            res = ledger.reserved(owner, Asset(asset))
            if res < amount or (exclusive and res != amount):
                raise InvariantError(
                    f"account {owner} ({ledger.name(owner)!r}) has {res} {Asset(asset).name} "
                    f"reserved, its resting orders hold {amount}"
                )
        if exclusive:
            for asset in (Asset.USD, Asset.TOKEN):
                total = int(ledger.reserved_array(asset).sum())
                expect = sum(v for (_, a), v in held.items() if a == asset)
                if total != expect:
                    raise InvariantError(
                        f"{asset.name} reserved in the ledger {total} != held by orders {expect}"
                    )
