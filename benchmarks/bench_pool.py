"""Pool throughput: swaps per second of the two AMMs, and a batch of holder swaps against a loop.

One seeded stream of holder swaps (default 100,000 for the constant-product pool and 20,000 for
the concentrated one): holders drawn at random from 10,000, each paying GRAM for XAUT or XAUT for
GRAM, sizes log-normal around $1,000 (a few holders run out of funds, so some rows are refused).
The constant-product GRAM/XAUT pool holds about $50M a side; the concentrated one (0.01% tier)
$1M a side in 20 nested ranges within 200 bp of the price, so swaps cross ticks. Gas is charged
in USD on every swap. Each stream is replayed through

* a plain reference pool (below): the v2 whitepaper formula in :class:`fractions.Fraction`, dict
  balances; the baseline and the identity check of the constant-product pool;
* ``swap_exact_in`` one call per holder through the public API, refusals caught (the naive loop);
* ``swap_batch``: the population entry point, the same swaps in order, refusals as 0;
* ``quote_exact_in`` alone (the curve's maths without the ledger moves);

and the outputs, final reserves and gas paid must be identical between the loop and the batch
(and, for v2, the reference). Speeds are CPU time, best of ``--repeat``. With ``--json`` the last
line is one JSON object with the figures.

Run: ``.venv/bin/python benchmarks/bench_pool.py [--swaps N] [--v3-swaps N] [--repeat R] [--json]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gramabm.market.amm.concentrated import ConcentratedPool
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.amm.tick_math import sqrt_price_of, tick_at_sqrt_ratio
from gramabm.market.chain import AmmError, Chain, GasPrice, Token
from gramabm.market.ledger import Asset, InsufficientBalanceError, Ledger

TARGET_V2 = 100_000  # swaps per second, one by one through the public API
TARGET_V3 = 20_000
N_HOLDERS = 10_000
GRAM_USD = 100.0  # about $3,100 an ounce
XAUT_USD = GRAM_USD * 31.1034768
DEPTH_USD = 50e6  # each side of the constant-product pool
V3_DEPTH_USD = 1e6  # each side of the concentrated pool, within 200 bp of the price


# -------------------------------------------------------------------------------- world


@dataclass
class World:
    """Two ledgers (XAUT and USD; GRAM), tokens, holders and the pool's address."""

    xaut: Token
    gram: Token
    usd: Token
    holders: int
    pool: int
    lp: int
    sink: int

    def chain(self) -> Chain:
        return Chain(self.usd, self.sink, GasPrice.from_gwei(2.0, 3_000.0))


def make_world(seed: int) -> World:
    rng = np.random.default_rng(seed)
    a, b = Ledger(N_HOLDERS + 8), Ledger(N_HOLDERS + 8)
    ids_a = a.open_accounts(N_HOLDERS + 3, "acct")
    b.open_accounts(N_HOLDERS + 3, "acct")
    holders = ids_a[:N_HOLDERS]
    pool, lp, sink = (int(i) for i in ids_a[N_HOLDERS:])
    # Holders: $20k median in each token, heavy-tailed, and $100 for gas.
    wealth = np.exp(rng.normal(np.log(20_000.0), 1.0, N_HOLDERS))
    a.genesis_many(holders, Asset.TOKEN, (wealth / XAUT_USD * 1e6).astype(np.int64))
    b.genesis_many(holders, Asset.TOKEN, (wealth / GRAM_USD * 1e3).astype(np.int64))
    a.genesis_many(holders, Asset.USD, 100_000_000)
    a.genesis(lp, Asset.TOKEN, int(4 * DEPTH_USD / XAUT_USD * 1e6))
    b.genesis(lp, Asset.TOKEN, int(4 * DEPTH_USD / GRAM_USD * 1e3))
    a.genesis(lp, Asset.USD, 10**12)
    return World(
        Token("XAUT", a, Asset.TOKEN, 6),
        Token("GRAM", b, Asset.TOKEN, 3),
        Token("USD", a, Asset.USD, 6),
        N_HOLDERS,
        pool,
        lp,
        sink,
    )


@dataclass(frozen=True)
class Stream:
    """Holder swaps: account, direction (True = GRAM in, XAUT out), base units in."""

    accounts: np.ndarray
    directions: np.ndarray
    amounts: np.ndarray


def make_stream(n: int, seed: int) -> Stream:
    rng = np.random.default_rng(seed + 1)
    usd = np.exp(rng.normal(np.log(1_000.0), 1.2, n))
    directions = rng.random(n) < 0.5
    amounts = np.where(directions, usd / GRAM_USD * 1e3, usd / XAUT_USD * 1e6)
    return Stream(
        rng.integers(0, N_HOLDERS, n),
        directions,
        np.maximum(amounts.astype(np.int64), 1),
    )


def v2_pool(w: World) -> ConstantProductPool:
    pool = ConstantProductPool(w.gram, w.xaut, w.pool, fee_pips=3_000)
    pool.add_liquidity(w.lp, int(DEPTH_USD / GRAM_USD * 1e3), int(DEPTH_USD / XAUT_USD * 1e6))
    pool.chain = w.chain()  # gas from here on: the holders' swaps
    return pool


def v3_pool(w: World) -> ConcentratedPool:
    price = (1 / 31.1034768) * 1e6 / 1e3  # XAUT base units per GRAM base unit
    pool = ConcentratedPool(w.gram, w.xaut, w.pool, sqrt_price_of(price), fee_pips=100)
    centre = tick_at_sqrt_ratio(pool.sqrt_price)
    gram_side = int(V3_DEPTH_USD / GRAM_USD * 1e3) // 20
    xaut_side = int(V3_DEPTH_USD / XAUT_USD * 1e6) // 20
    for k in range(1, 21):  # nested ranges 10..200 ticks (bp) either side
        lo, hi = centre - 10 * k, centre + 10 * k
        pool.add_liquidity(w.lp, lo, hi, pool.liquidity_for_amounts(lo, hi, gram_side, xaut_side))
    pool.chain = w.chain()  # gas from here on: the holders' swaps
    return pool


# ---------------------------------------------------------------------------- reference


class ReferenceV2:
    """The v2 whitepaper's swap in exact fractions over dict balances: slow, short, plainly right."""

    def __init__(self, w: World, x: int, y: int, gas: int) -> None:
        self.bal: dict[tuple[str, int], int] = {}
        for sym, tok in (("GRAM", w.gram), ("XAUT", w.xaut), ("USD", w.usd)):
            for acct in range(N_HOLDERS):
                self.bal[sym, acct] = tok.balance(acct)
        self.x, self.y, self.gas, self.gas_paid = x, y, gas, 0
        self.gamma = Fraction(997, 1000)

    def swap(self, acct: int, gram_in: bool, a: int) -> int:
        sym_in, sym_out = ("GRAM", "XAUT") if gram_in else ("XAUT", "GRAM")
        r_in, r_out = (self.x, self.y) if gram_in else (self.y, self.x)
        q = a * self.gamma * r_out / (r_in + a * self.gamma)
        out = q.numerator // q.denominator
        if out <= 0 or self.bal[sym_in, acct] < a or self.bal["USD", acct] < self.gas:
            return 0
        self.bal[sym_in, acct] -= a
        self.bal[sym_out, acct] += out
        self.bal["USD", acct] -= self.gas
        self.gas_paid += self.gas
        if gram_in:
            self.x, self.y = self.x + a, self.y - out
        else:
            self.x, self.y = self.x - out, self.y + a
        return out


# ------------------------------------------------------------------------------ replays


@dataclass(frozen=True)
class Result:
    seconds: float
    outputs: tuple[int, ...]
    state: tuple  # final reserves / price and gas paid


def timed(fn: Callable[[], tuple[list[int], tuple]]) -> Result:
    gc.collect()
    gc.freeze()
    try:
        t0 = time.process_time()
        outs, state = fn()
        secs = time.process_time() - t0
    finally:
        gc.unfreeze()
    return Result(secs, tuple(outs), state)


def loop(pool: ConstantProductPool | ConcentratedPool, s: Stream) -> tuple[list[int], tuple]:
    swap = pool.swap_exact_in
    outs = []
    for a, d, q in zip(s.accounts.tolist(), s.directions.tolist(), s.amounts.tolist(), strict=True):
        try:
            outs.append(swap(a, d, q).amount_out)
        except (AmmError, InsufficientBalanceError):
            outs.append(0)
    return outs, _state(pool)


def batch(pool: ConstantProductPool | ConcentratedPool, s: Stream) -> tuple[list[int], tuple]:
    return pool.swap_batch(s.accounts, s.directions, s.amounts).tolist(), _state(pool)


def quotes(pool: ConstantProductPool | ConcentratedPool, s: Stream) -> tuple[list[int], tuple]:
    q = pool.quote_exact_in
    outs = []
    for d, a in zip(s.directions.tolist(), s.amounts.tolist(), strict=True):
        r = q(d, a)
        outs.append(r if isinstance(r, int) else r.amount_out)
    return outs, ()


def _state(pool: ConstantProductPool | ConcentratedPool) -> tuple:
    chain = pool.chain
    gas = chain.gas_paid if chain is not None else 0
    if isinstance(pool, ConstantProductPool):
        return (*pool.reserves, gas)
    return (pool.sqrt_price, *pool.balances, gas)


def reference(w: World, s: Stream) -> tuple[list[int], tuple]:
    pool = v2_pool(w)  # only for its reserves and gas price; the reference does the swapping
    ref = ReferenceV2(w, *pool.reserves, w.chain().gas_cost("v2_swap"))
    swap = ref.swap
    outs = [
        swap(a, d, q)
        for a, d, q in zip(
            s.accounts.tolist(), s.directions.tolist(), s.amounts.tolist(), strict=True
        )
    ]
    return outs, (ref.x, ref.y, ref.gas_paid)


def best(runs: int, fn: Callable[[], tuple[list[int], tuple]]) -> Result:
    results = [timed(fn) for _ in range(max(1, runs))]
    return min(results, key=lambda r: r.seconds)


# --------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--swaps", type=int, default=100_000, help="holder swaps, constant product")
    ap.add_argument("--v3-swaps", type=int, default=20_000, help="holder swaps, concentrated")
    ap.add_argument("--seed", type=int, default=20260130)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each; the best is kept")
    ap.add_argument("--json", action="store_true", help="last line: the figures as JSON")
    args = ap.parse_args(argv)
    if args.swaps < 1 or args.v3_swaps < 1 or args.repeat < 1:
        ap.error("--swaps, --v3-swaps and --repeat must be >= 1")

    s2 = make_stream(args.swaps, args.seed)
    s3 = make_stream(args.v3_swaps, args.seed + 7)

    def fresh_v2() -> ConstantProductPool:
        return v2_pool(make_world(args.seed))

    def fresh_v3() -> ConcentratedPool:
        return v3_pool(make_world(args.seed))

    def run(make: Callable[[], object], how: Callable, s: Stream) -> Result:
        def once() -> tuple[list[int], tuple]:
            return how(make(), s)

        # Build outside the timing: time only the replay.
        results = []
        for _ in range(args.repeat):
            pool = make()
            results.append(timed(lambda pool=pool: how(pool, s)))
        del once
        return min(results, key=lambda r: r.seconds)

    r = {
        "v2_reference": best(args.repeat, lambda: reference(make_world(args.seed), s2)),
        "v2_loop": run(fresh_v2, loop, s2),
        "v2_batch": run(fresh_v2, batch, s2),
        "v2_quote": run(fresh_v2, quotes, s2),
        "v3_loop": run(fresh_v3, loop, s3),
        "v3_batch": run(fresh_v3, batch, s3),
        "v3_quote": run(fresh_v3, quotes, s3),
    }
    same_v2 = (
        r["v2_loop"].outputs == r["v2_batch"].outputs == r["v2_reference"].outputs
        and r["v2_loop"].state == r["v2_batch"].state == r["v2_reference"].state
    )
    same_v3 = (
        r["v3_loop"].outputs == r["v3_batch"].outputs and r["v3_loop"].state == r["v3_batch"].state
    )
    n = {k: (args.swaps if k.startswith("v2") else args.v3_swaps) for k in r}
    rate = {k: n[k] / v.seconds for k, v in r.items()}
    refused = {
        "v2": r["v2_loop"].outputs.count(0) / args.swaps,
        "v3": r["v3_loop"].outputs.count(0) / args.v3_swaps,
    }
    probe = fresh_v3()
    ticks_moved = 0  # ticks the price moved through, summed over the swaps
    for a, d, q in zip(s3.accounts, s3.directions, s3.amounts, strict=True):
        before = probe.tick
        probe.swap_batch(a[None], d[None], q[None])
        ticks_moved += abs(probe.tick - before)

    print(
        f"streams: {args.swaps:,} swaps (constant product, 0.30%), {args.v3_swaps:,} swaps "
        f"(concentrated, 0.01%, 20 ranges), {N_HOLDERS:,} holders, seed {args.seed}; "
        f"refused {refused['v2']:.1%} / {refused['v3']:.1%} (holder short of funds); "
        f"v3 price moved through {ticks_moved:,} ticks in all"
    )
    print(
        f"Python {platform.python_version()}; CPU time, best of {args.repeat}; gas charged per swap"
    )
    print(f"{'pool / replay':<40}{'seconds':>9}{'swaps/s':>12}{'speed-up':>9}  against")
    rows = [
        ("v2 reference (Fraction, dict balances)", "v2_reference", "v2_reference"),
        ("v2 swap_exact_in, one per holder", "v2_loop", "v2_reference"),
        ("v2 swap_batch (population)", "v2_batch", "v2_loop"),
        ("v2 quote_exact_in (maths only)", "v2_quote", "v2_loop"),
        ("v3 swap_exact_in, one per holder", "v3_loop", "v3_loop"),
        ("v3 swap_batch (population)", "v3_batch", "v3_loop"),
        ("v3 quote_exact_in (maths only)", "v3_quote", "v3_loop"),
    ]
    for label, key, base in rows:
        print(
            f"{label:<40}{r[key].seconds:>9.3f}{rate[key]:>12,.0f}"
            f"{rate[key] / rate[base]:>8.2f}x  {base.replace('_', ' ')}"
        )
    print(
        f"identical outputs, reserves and gas: v2 loop = batch = reference {same_v2}; "
        f"v3 loop = batch {same_v3}"
    )
    print(
        f"targets (one by one): v2 >= {TARGET_V2:,} swaps/s "
        f"{'met' if rate['v2_loop'] >= TARGET_V2 else 'MISSED'}; v3 >= {TARGET_V3:,} swaps/s "
        f"{'met' if rate['v3_loop'] >= TARGET_V3 else 'MISSED'}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "swaps_v2": args.swaps,
                    "swaps_v3": args.v3_swaps,
                    "seed": args.seed,
                    **{f"{k}_swaps_per_s": round(v) for k, v in rate.items()},
                    "v2_batch_vs_loop": round(rate["v2_batch"] / rate["v2_loop"], 3),
                    "v3_batch_vs_loop": round(rate["v3_batch"] / rate["v3_loop"], 3),
                    "v2_loop_vs_reference": round(rate["v2_loop"] / rate["v2_reference"], 3),
                    "refused_v2": round(refused["v2"], 4),
                    "refused_v3": round(refused["v3"], 4),
                    "v3_ticks_moved": ticks_moved,
                    "identical": same_v2 and same_v3,
                }
            )
        )
    return 0 if same_v2 and same_v3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
