"""Order-book throughput: gramabm's OrderBook against a plain reference book on one seeded stream.

One fixed stream of operations (default 1,000,000), from 1,000 owners:

* ~60% limit orders near a drifting mid (5% of them immediate-or-cancel; the distance behind
  the mid is exponential, mean 10 ticks, so about 10% are marketable),
* ~30% cancels of earlier limit orders: mostly live ones, some already filled or cancelled
  (the cancel fails), 1% naming the wrong owner,
* ~10% market orders, sized like the limit orders (1-999 lots).

The stream is replayed through

* ``OrderBook`` one call at a time (public API, owner tracking on; cancels via ``try_cancel``,
  the non-raising cancel, like the reference),
* the same with the raising ``cancel`` in a ``try`` block (what an exception costs),
* the same with ``orders_of(owner)`` read before each market order, as the venue does before a
  market buy (what reading the per-owner index costs, since the book brings it up to date on
  read),
* ``OrderBook.submit_batch`` in chunks (the holder-population entry point),
* :class:`ReferenceBook` below: bisect-sorted price lists plus a dict price -> deque of orders,

and the trade tapes, self-trade cancels, final books and every owner's resting orders must be
identical. Speeds are CPU time of this process (robust to other jobs on a shared machine), best
of ``--repeat`` runs, of the calls and the drains of events; the digest of the drained events
(the identity check) is timed apart and left out, for both books. Each replay runs with the
cyclic GC collected and frozen first, as ``GramModel.run`` does, for both books. With ``--json``
the last line is one JSON object with the figures.

``--preset trade-heavy`` replays a variant with big market orders (100-1,999 lots) and more
marketable limits: a thin book (a few thousand orders) and ~0.46 trades per operation, where
the reference's linear-time removals cost little.

Run: ``.venv/bin/python benchmarks/bench_orderbook.py [--ops N] [--repeat R] [--json]``.
"""

from __future__ import annotations

import os

# OpenBLAS worker threads spin after numpy starts and are billed to this process's CPU time.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import gc
import json
import platform
import sys
import time
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gramabm.market.orderbook import (
    BUY,
    CANCEL,
    LIMIT,
    LIMIT_IOC,
    MARKET,
    OrderBook,
    OrderBookError,
)

TARGET_OPS = 1_000_000
TARGET_RATIO = 2.0
CHUNK = 4096  # operations between drains of the event lists in the one-by-one replays

PRESETS: dict[str, dict] = {
    "balanced": {},
    "trade-heavy": {"shift": 2, "market_qty": (100, 2_000)},
}


# -------------------------------------------------------------------------------- stream


@dataclass(frozen=True)
class Stream:
    """Columns of the operation stream as Python lists (what a replay loop iterates)."""

    kinds: list[int]
    owners: list[int]
    sides: list[int]
    prices: list[int]  # limit price; the order id for cancels; 0 for market orders
    qtys: list[int]
    n_owners: int  # owners are 0 .. n_owners - 1
    failed_cancels: float = 0.0  # share of cancels that fail (order gone or foreign)
    marketable: float = 0.0  # share of limit orders that cross on arrival

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Columns in submit_batch order: owners, sides, prices, qtys, kinds."""
        cols = (self.owners, self.sides, self.prices, self.qtys, self.kinds)
        return tuple(np.asarray(c, dtype=np.int64) for c in cols)


def make_stream(
    n: int,
    seed: int = 20240517,
    n_owners: int = 1000,
    *,
    behind_mean: float = 10.0,
    shift: int = 0,
    market_qty: tuple[int, int] = (1, 1_000),
    mid_vol: float = 0.15,
    window: int = 5_000,
) -> Stream:
    """A seeded stream of ``n`` operations (see the module docstring for the mix).

    Kinds, owners, sides, prices and sizes are drawn up front (vectorised). Cancel targets must
    know which orders still rest, so they are chosen while the stream is played through an
    ``OrderBook`` (the benchmark's correctness check is the comparison with the independent
    reference book, not this): 86% of cancels look for a live order among the last ``window``
    limit orders (8 tries), the rest take any of them; 1% then name the wrong owner.
    """
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    kinds = np.where(u < 0.6, LIMIT, np.where(u < 0.9, CANCEL, MARKET))
    kinds[(kinds == LIMIT) & (rng.random(n) < 0.05)] = LIMIT_IOC
    kinds[0] = LIMIT
    owners = rng.integers(0, n_owners, n)
    sides = np.where(rng.random(n) < 0.5, BUY, -BUY)
    # Mid: about $85 a token (gold per gram) in 0.001 ticks, drifting as a random walk.
    mid = 85_000 + np.rint(np.cumsum(rng.normal(0.0, mid_vol, n))).astype(np.int64)
    behind = np.rint(rng.exponential(behind_mean, n)).astype(np.int64) - shift
    prices = mid - sides * behind
    qtys = rng.integers(1, 1_000, n)  # lots (mg)
    is_market = kinds == MARKET
    qtys[is_market] = rng.integers(*market_qty, int(is_market.sum()))
    prices[is_market] = 0
    is_cancel = kinds == CANCEL
    qtys[is_cancel] = 0
    sides[is_cancel] = 0

    kinds_l, owners_l, sides_l = kinds.tolist(), owners.tolist(), sides.tolist()
    prices_l, qtys_l = prices.tolist(), qtys.tolist()
    how = rng.random(n).tolist()
    picks = rng.integers(0, 1 << 30, (n, 8)).tolist()
    recent: deque[tuple[int, int]] = deque(maxlen=window)  # (order id, owner) of limit orders
    book = OrderBook()
    failed = crossing = 0
    for i in range(n):
        k = kinds_l[i]
        if k == CANCEL:
            if not recent:  # nothing to cancel yet: make it a harmless IOC
                kinds_l[i], sides_l[i], prices_l[i], qtys_l[i] = LIMIT_IOC, BUY, 1, 1
                book.limit(owners_l[i], BUY, 1, 1, ioc=True)
                continue
            m = len(recent)
            oid, own = recent[picks[i][0] % m]
            if how[i] < 0.86:
                for p in picks[i]:
                    oid, own = recent[p % m]
                    if book.remaining(oid):
                        break
            if how[i] >= 0.99:
                own = (own + 1) % n_owners
            prices_l[i], owners_l[i] = oid, own
            failed += book.try_cancel(own, oid) < 0
        elif k == MARKET:
            book.market(owners_l[i], sides_l[i], qtys_l[i])
        else:
            side, px = sides_l[i], prices_l[i]
            other = book.best_ask if side == BUY else book.best_bid
            crossing += other is not None and (px >= other if side == BUY else px <= other)
            oid = book.limit(owners_l[i], side, px, qtys_l[i], ioc=k == LIMIT_IOC)
            recent.append((oid, owners_l[i]))
    n_cancels = kinds_l.count(CANCEL)
    n_limits = kinds_l.count(LIMIT) + kinds_l.count(LIMIT_IOC)
    return Stream(
        kinds_l,
        owners_l,
        sides_l,
        prices_l,
        qtys_l,
        n_owners,
        failed_cancels=failed / max(n_cancels, 1),
        marketable=crossing / max(n_limits, 1),
    )


# ------------------------------------------------------------------------ reference book


class ReferenceBook:
    """A plain price-time book: bisect-sorted price lists and a dict price -> deque of orders.

    Same semantics as ``OrderBook`` for what the stream uses: ids issued to every limit and
    market call, fills at the maker's price, self-trade prevention "cancel resting", failed
    cancels return -1. Orders are removed from their level at once (``deque.remove``).
    """

    def __init__(self) -> None:
        self.bid_prices: list[int] = []  # ascending, best last
        self.ask_prices: list[int] = []  # ascending, best first
        self.bids: dict[int, deque[list[int]]] = {}
        self.asks: dict[int, deque[list[int]]] = {}
        self.orders: dict[
            int, tuple[list[int], int, int]
        ] = {}  # id -> ([id, owner, qty], side, px)
        self.next_id = 1
        self.seq = 0
        self.trades: list[tuple[int, ...]] = []
        self.cancels: list[tuple[int, ...]] = []

    def _take(self, oid: int, owner: int, side: int, limit: int | None, qty: int) -> int:
        if side == BUY:
            prices, book = self.ask_prices, self.asks
        else:
            prices, book = self.bid_prices, self.bids
        while qty and prices:
            px = prices[0] if side == BUY else prices[-1]
            if limit is not None and (px > limit if side == BUY else px < limit):
                break
            level = book[px]
            while qty and level:
                entry = level[0]
                moid, mown, mq = entry
                if mown == owner:  # self-trade prevention: cancel the resting order
                    level.popleft()
                    del self.orders[moid]
                    self.cancels.append((moid, mown, -side, px, mq))
                    continue
                fill = min(mq, qty)
                self.seq += 1
                self.trades.append((self.seq, moid, oid, mown, owner, px, fill, side))
                qty -= fill
                if fill == mq:
                    level.popleft()
                    del self.orders[moid]
                else:
                    entry[2] = mq - fill
            if not level:
                del book[px]
                if side == BUY:
                    del prices[0]
                else:
                    prices.pop()
        return qty

    def limit(self, owner: int, side: int, price: int, qty: int, ioc: bool = False) -> int:
        oid = self.next_id
        self.next_id += 1
        qty = self._take(oid, owner, side, price, qty)
        if qty and not ioc:
            if side == BUY:
                prices, book = self.bid_prices, self.bids
            else:
                prices, book = self.ask_prices, self.asks
            entry = [oid, owner, qty]
            level = book.get(price)
            if level is None:
                book[price] = deque([entry])
                insort(prices, price)
            else:
                level.append(entry)
            self.orders[oid] = (entry, side, price)
        return oid

    def market(self, owner: int, side: int, qty: int) -> int:
        oid = self.next_id
        self.next_id += 1
        self._take(oid, owner, side, None, qty)
        return oid

    def cancel(self, owner: int, oid: int) -> int:
        found = self.orders.get(oid)
        if found is None or found[0][1] != owner:
            return -1
        entry, side, price = found
        del self.orders[oid]
        if side == BUY:
            prices, book = self.bid_prices, self.bids
        else:
            prices, book = self.ask_prices, self.asks
        level = book[price]
        level.remove(entry)
        if not level:
            del book[price]
            del prices[bisect_left(prices, price)]
        return entry[2]

    def snapshot(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """All levels as (price, total qty), best first: bids, asks."""
        bids = [(p, sum(e[2] for e in self.bids[p])) for p in reversed(self.bid_prices)]
        asks = [(p, sum(e[2] for e in self.asks[p])) for p in self.ask_prices]
        return bids, asks


# ------------------------------------------------------------------------------- replays


@dataclass(frozen=True)
class Result:
    """A replay's time and what it produced (the book itself is dropped: a live book would
    slow the collector, and so the runs after it)."""

    seconds: float  # CPU time of the calls and drains, the digest of their output left out
    digest: int
    n_trades: int
    levels: tuple  # final (bids, asks) levels as (price, qty), best first
    n_orders: int
    owners: int  # hash of every owner's resting order ids, oldest first, at the end


@contextmanager
def model_gc() -> Iterator[None]:
    """Collect, then freeze what survives, for the timed part, as ``GramModel.run`` does.

    Objects that exist before the replay (the stream, the empty book) leave the collector's
    scans; whatever the replay allocates is collected as usual. Every replay, of either book,
    runs inside this.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _final(book: OrderBook) -> tuple:
    return tuple(book.levels(BUY, 1 << 30)), tuple(book.levels(-BUY, 1 << 30))


def _owners_hash(per_owner: list[tuple[int, ...]]) -> int:
    return hash(tuple(per_owner))


def _digest(h: int, trades: list, cancels: list) -> int:
    """Add a chunk of events to a digest that does not depend on where chunks are cut.

    Every trade carries its sequence number and every self-trade cancel its order id, so the sum
    of the tuples' hashes (of ints only, so stable across runs) identifies the whole tape.
    """
    return (h + sum(map(hash, trades)) + 3 * sum(map(hash, cancels))) & 0xFFFFFFFFFFFFFFFF


def replay_orderbook(s: Stream, mode: str = "try_cancel") -> Result:
    """One call per operation through the public API.

    ``mode``: ``"try_cancel"`` (cancels through the non-raising call), ``"raising"`` (through
    ``cancel`` in a ``try`` block) or ``"orders_of"`` (as ``"try_cancel"``, and each market
    order first reads its owner's resting orders, as the venue does before a market buy).
    """
    book = OrderBook(self_trade="cancel_resting")
    limit, market, try_cancel, cancel = book.limit, book.market, book.try_cancel, book.cancel
    orders_of = book.orders_of
    drain_t, drain_c = book.drain_trades, book.drain_cancels
    h = n_trades = 0
    n = len(s.kinds)
    clock = time.process_time
    with model_gc():
        t0 = clock()
        checking = 0.0
        for a in range(0, n, CHUNK):
            b = a + CHUNK
            rows = zip(
                s.kinds[a:b], s.owners[a:b], s.sides[a:b], s.prices[a:b], s.qtys[a:b], strict=True
            )
            if mode == "raising":
                for k, ow, sd, px, q in rows:
                    if k == 0:
                        limit(ow, sd, px, q)
                    elif k == 3:
                        try:  # noqa: SIM105 - the cost of this try is what is measured
                            cancel(ow, px)
                        except OrderBookError:
                            pass
                    elif k == 2:
                        market(ow, sd, q)
                    else:
                        limit(ow, sd, px, q, ioc=True)
            elif mode == "orders_of":
                for k, ow, sd, px, q in rows:
                    if k == 0:
                        limit(ow, sd, px, q)
                    elif k == 3:
                        try_cancel(ow, px)
                    elif k == 2:
                        orders_of(ow)
                        market(ow, sd, q)
                    else:
                        limit(ow, sd, px, q, ioc=True)
            else:
                for k, ow, sd, px, q in rows:
                    if k == 0:
                        limit(ow, sd, px, q)
                    elif k == 3:
                        try_cancel(ow, px)
                    elif k == 2:
                        market(ow, sd, q)
                    else:
                        limit(ow, sd, px, q, ioc=True)
            trades = drain_t()
            cancels = drain_c()
            c0 = clock()
            n_trades += len(trades)
            h = _digest(h, trades, cancels)
            checking += clock() - c0
        secs = clock() - t0 - checking
    owners = _owners_hash([tuple(book.orders_of(o)) for o in range(s.n_owners)])
    return Result(secs, h, n_trades, _final(book), book.n_orders, owners)


def replay_batch(s: Stream, chunk: int) -> Result:
    """``submit_batch`` on consecutive chunks of the stream (columns already numpy arrays)."""
    book = OrderBook(self_trade="cancel_resting")
    cols = s.arrays()
    h = n_trades = 0
    n = len(s.kinds)
    clock = time.process_time
    with model_gc():
        t0 = clock()
        checking = 0.0
        for a in range(0, n, chunk):
            book.submit_batch(*(c[a : a + chunk] for c in cols))
            trades = book.drain_trades()
            cancels = book.drain_cancels()
            c0 = clock()
            n_trades += len(trades)
            h = _digest(h, trades, cancels)
            checking += clock() - c0
        secs = clock() - t0 - checking
    owners = _owners_hash([tuple(book.orders_of(o)) for o in range(s.n_owners)])
    return Result(secs, h, n_trades, _final(book), book.n_orders, owners)


def replay_reference(s: Stream) -> Result:
    """One call per operation through :class:`ReferenceBook`."""
    book = ReferenceBook()
    limit, market, cancel = book.limit, book.market, book.cancel
    h = n_trades = 0
    n = len(s.kinds)
    clock = time.process_time
    with model_gc():
        t0 = clock()
        checking = 0.0
        for a in range(0, n, CHUNK):
            b = a + CHUNK
            rows = zip(
                s.kinds[a:b], s.owners[a:b], s.sides[a:b], s.prices[a:b], s.qtys[a:b], strict=True
            )
            for k, ow, sd, px, q in rows:
                if k == 0:
                    limit(ow, sd, px, q)
                elif k == 3:
                    cancel(ow, px)
                elif k == 2:
                    market(ow, sd, q)
                else:
                    limit(ow, sd, px, q, True)
            trades, book.trades = book.trades, []
            cancels, book.cancels = book.cancels, []
            c0 = clock()
            n_trades += len(trades)
            h = _digest(h, trades, cancels)
            checking += clock() - c0
        secs = clock() - t0 - checking
    bids, asks = book.snapshot()
    per_owner: list[list[int]] = [[] for _ in range(s.n_owners)]
    for oid in sorted(book.orders):
        per_owner[book.orders[oid][0][1]].append(oid)
    owners = _owners_hash([tuple(ids) for ids in per_owner])
    return Result(secs, h, n_trades, (tuple(bids), tuple(asks)), len(book.orders), owners)


# ---------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--ops", type=int, default=1_000_000, help="operations in the stream")
    ap.add_argument("--seed", type=int, default=20240517)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="balanced")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each; the best is kept")
    ap.add_argument("--batch-chunk", type=int, default=10_000, help="rows per submit_batch call")
    ap.add_argument("--json", action="store_true", help="last line: the figures as JSON")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    s = make_stream(args.ops, args.seed, **PRESETS[args.preset])
    gen_s = time.perf_counter() - t0
    n = len(s.kinds)

    runs: dict[str, Callable[[], Result]] = {
        "reference": lambda: replay_reference(s),
        "orderbook": lambda: replay_orderbook(s),
        "orderbook_raising": lambda: replay_orderbook(s, "raising"),
        "orderbook_orders_of": lambda: replay_orderbook(s, "orders_of"),
        "batch": lambda: replay_batch(s, args.batch_chunk),
    }
    best: dict[str, Result] = {}
    for _ in range(max(1, args.repeat)):
        for name, run in runs.items():
            r = run()
            if name not in best or r.seconds < best[name].seconds:
                best[name] = r
            del r
            gc.collect()

    ref, ob = best["reference"], best["orderbook"]

    def outcome(r: Result) -> tuple:
        return r.digest, r.n_trades, r.levels, r.n_orders, r.owners

    same = outcome(ob) == outcome(ref)
    same_others = all(
        outcome(best[k]) == outcome(ob)
        for k in ("orderbook_raising", "orderbook_orders_of", "batch")
    )
    rate = {k: n / v.seconds for k, v in best.items()}
    ratio = rate["orderbook"] / rate["reference"]
    n_levels = len(ob.levels[0]) + len(ob.levels[1])
    mix = {
        "limit": LIMIT,
        "limit_ioc": LIMIT_IOC,
        "cancel": CANCEL,
        "market": MARKET,
    }

    print(
        f"stream: {n:,} ops, preset {args.preset}, seed {args.seed} (built in {gen_s:.1f} s); "
        + ", ".join(f"{name} {s.kinds.count(k) / n:.1%}" for name, k in mix.items())
        + f"; {s.marketable:.0%} of limits marketable, {s.failed_cancels:.0%} of cancels fail"
    )
    print(
        f"trades: {ob.n_trades:,} ({ob.n_trades / n:.2f} per op); resting at the end: "
        f"{ob.n_orders:,} orders on {n_levels} levels; Python {platform.python_version()}; "
        f"CPU time, best of {args.repeat}"
    )
    print(
        "timed: the calls and the drains of trades and cancels, not the digest that checks them; "
        "GC collected and frozen before each replay, of either book, as GramModel.run does"
    )
    rows = [
        ("reference (bisect + deque)", "reference", ""),
        ("OrderBook, one by one", "orderbook", "try_cancel"),
        ("OrderBook, one by one", "orderbook_raising", "cancel + except"),
        ("OrderBook, one by one", "orderbook_orders_of", "+ orders_of(owner) per market"),
        ("OrderBook.submit_batch", "batch", f"chunks of {args.batch_chunk:,}"),
    ]
    print(f"{'book':<28}{'seconds':>9}{'ops/s':>13}{'vs ref':>8}  note")
    for label, key, note in rows:
        print(
            f"{label:<28}{best[key].seconds:>9.3f}{rate[key]:>13,.0f}"
            f"{rate[key] / rate['reference']:>7.2f}x  {note}"
        )
    print(
        f"identical tape, final book and owners' orders vs reference: {same}; "
        f"other OrderBook runs identical: {same_others}"
    )
    print(
        f"targets (one by one): >= {TARGET_OPS:,} ops/s "
        f"{'met' if rate['orderbook'] >= TARGET_OPS else 'MISSED'}; "
        f">= {TARGET_RATIO:.0f}x reference {'met' if ratio >= TARGET_RATIO else 'MISSED'}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "ops": n,
                    "preset": args.preset,
                    "seed": args.seed,
                    "trades": ob.n_trades,
                    "resting_end": ob.n_orders,
                    "orderbook_ops_per_s": round(rate["orderbook"]),
                    "orderbook_raising_cancel_ops_per_s": round(rate["orderbook_raising"]),
                    "orderbook_orders_of_ops_per_s": round(rate["orderbook_orders_of"]),
                    "batch_ops_per_s": round(rate["batch"]),
                    "reference_ops_per_s": round(rate["reference"]),
                    "ratio": round(ratio, 3),
                    "identical": same and same_others,
                    "gc": "collected and frozen before each timed replay (both books)",
                }
            )
        )
    return 0 if same and same_others else 1


if __name__ == "__main__":
    raise SystemExit(main())
