"""Cross-venue arbitrage between XAUT's order book and its XAUT/USD pool, through the bridge.

XAUT's book trades milligrams at ticks of a tenth of a cent a gram; the pool trades micro-ounces
against micro-dollars. A loop buys on the cheaper venue and sells on the dearer one, the XAUT
crossing through the exchange's wallet (:class:`~gramabm.market.xaut_bridge.XautBridge`):

* ``book_to_pool``: buy milligrams up the asks, lock them for micro-ounces, sell those in the pool;
* ``pool_to_book``: buy micro-ounces in the pool, release them for milligrams, sell down the bids.

Sizing is closed-form: against a constant-product pool with reserves ``(x, y)`` and fee factor
``g``, selling ``d`` micro-ounces leaves a marginal price ``g x y / (x + g d)**2``, so the loop keeps
taking a book level at price ``p`` while that marginal, per milligram, beats ``p`` with the book's
fee. The walk stops at the first level that no longer pays, at the trader's capital, or after
:data:`BOOK_LEVELS` levels. The loop is then priced exactly (the pool's integer quote, the book's
levels with the fee rounded against the trader) and executed only if it gains after gas: one
swap, as atomic as the quotes are exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gramabm.market.amm.constant_product import PIPS, ConstantProductPool
from gramabm.market.chain import AmmError, Chain
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.venue import Venue
from gramabm.market.xaut_bridge import XautBridge, mg_to_micro_oz, micro_oz_for_mg

BOOK_LEVELS: int = 32
"""Order-book levels a loop walks at most."""

_MICRO_OZ_PER_MG: float = mg_to_micro_oz(10**12) / 10**12
"""Micro-ounces per milligram, for the sizing only (the exact conversion is the bridge's)."""


@dataclass(frozen=True, slots=True)
class CrossTrade:
    """What a cross-venue loop did.

    Attributes:
        route: ``book_to_pool`` or ``pool_to_book``.
        mg: XAUT milligrams traded on the book.
        profit_usd: Micro-dollars gained after gas, as quoted.
    """

    route: str
    mg: int
    profit_usd: int


def _fee(cash: int, fee_bp: float, *, up: bool) -> int:
    pips = round(fee_bp * 100)
    return -(-cash * pips // PIPS) if up else cash * pips // PIPS


def cross_venue_step(
    venue: Venue,
    pool: ConstantProductPool,
    bridge: XautBridge,
    chain: Chain,
    world_account: int,
    chain_account: int,
    max_usd: int,
) -> CrossTrade | None:
    """Execute the profitable cross-venue loop after gas, if there is one.

    Args:
        venue: XAUT's order book venue (world ledger: mg and micro-dollars).
        pool: The XAUT/USD pool (token0 XAUT micro-ounces, token1 micro-dollars).
        bridge: The exchange's wallet between the two ledgers.
        chain: Gas prices (the pool charges its swap's gas to ``chain_account``).
        world_account: The trader on the exchange.
        chain_account: The trader on chain.
        max_usd: Most micro-dollars one loop may spend.

    Returns:
        The trade, or None if no loop gains after gas.
    """
    x, y = pool.reserves
    if not (x and y):
        return None
    book = venue.book
    gamma = 1.0 - pool.fee_pips / PIPS
    fee_bp = venue.taker_fee_bp
    gas = chain.gas_cost("v2_swap")
    pool_mg = y / x * _MICRO_OZ_PER_MG  # pool mid, micro-dollars per milligram (= ticks)
    ask, bid = book.best_ask, book.best_bid
    if ask is not None and pool_mg * gamma > ask * (1 + fee_bp / 1e4):
        return _book_to_pool(venue, pool, bridge, chain, world_account, chain_account, max_usd, gas)
    if bid is not None and pool_mg / gamma < bid * (1 - fee_bp / 1e4):
        return _pool_to_book(venue, pool, bridge, world_account, chain_account, max_usd, gas)
    return None


def _book_to_pool(
    venue: Venue,
    pool: ConstantProductPool,
    bridge: XautBridge,
    chain: Chain,
    world_account: int,
    chain_account: int,
    max_usd: int,
    gas: int,
) -> CrossTrade | None:
    x, y = pool.reserves
    gamma = 1.0 - pool.fee_pips / PIPS
    fee_bp = venue.taker_fee_bp
    if chain.usd.available(chain_account) < gas:
        return None
    levels = venue.book.levels(SELL, BOOK_LEVELS)
    qty = last = 0
    for price, level_qty in levels:
        unit = price * (1 + fee_bp / 1e4) / _MICRO_OZ_PER_MG  # micro-dollars per micro-ounce
        room = int((math.sqrt(gamma * x * y / unit) - x) / gamma / _MICRO_OZ_PER_MG) - qty
        if room <= 0:
            break
        qty += min(level_qty, room)
        last = price
        if room < level_qty:
            break
    # The order reserves its whole quantity at its limit (the last level) with the fee.
    cash = min(max_usd, venue.ledger.available(world_account, Asset.USD))
    while qty > 0 and venue.buy_reservation(last, qty, ioc=True) > cash:
        qty = qty * cash // venue.buy_reservation(last, qty, ioc=True)
    if qty <= 0:
        return None
    fills = _fill(levels, qty)
    cost = sum(venue.buy_reservation(p, q, ioc=True) for p, q in fills)
    try:
        proceeds = pool.quote_exact_in(True, mg_to_micro_oz(qty))
    except AmmError:
        return None
    profit = proceeds - cost - gas
    if profit <= 0:
        return None
    venue.limit(world_account, BUY, last, qty, ioc=True)
    filled = venue.last_filled
    micro_oz = bridge.to_chain(world_account, chain_account, filled)
    if micro_oz:
        pool.swap_exact_in(chain_account, True, micro_oz)
    return CrossTrade("book_to_pool", filled, profit)


def _pool_to_book(
    venue: Venue,
    pool: ConstantProductPool,
    bridge: XautBridge,
    world_account: int,
    chain_account: int,
    max_usd: int,
    gas: int,
) -> CrossTrade | None:
    x, y = pool.reserves
    gamma = 1.0 - pool.fee_pips / PIPS
    fee_bp = venue.taker_fee_bp
    budget = min(max_usd, bridge.chain.available(chain_account, Asset.USD) - gas)
    if budget <= 0:
        return None
    levels = venue.book.levels(BUY, BOOK_LEVELS)
    qty = last = 0
    for price, level_qty in levels:
        unit = price * (1 - fee_bp / 1e4) / _MICRO_OZ_PER_MG  # micro-dollars per micro-ounce
        left = x * y / (gamma * unit)  # the pool's XAUT reserve squared where buying stops paying
        if left >= x * x:
            break
        room = int((x - math.sqrt(left)) / _MICRO_OZ_PER_MG) - qty
        if room <= 0:
            break
        qty += min(level_qty, room)
        last = price
        if room < level_qty:
            break
    need = cost = 0
    while qty > 0:
        need = micro_oz_for_mg(qty)
        try:
            cost = pool.quote_exact_out(False, need)
        except AmmError:
            return None
        if cost <= budget:
            break
        qty = qty * budget // cost  # scale down to the budget and price again
    if qty <= 0:
        return None
    proceeds = sum(p * q for p, q in _fill(levels, qty))
    proceeds -= _fee(proceeds, fee_bp, up=True)
    profit = proceeds - cost - gas
    if profit <= 0:
        return None
    pool.swap_exact_out(chain_account, False, need)
    mg = bridge.to_world(chain_account, world_account, need)
    venue.limit(world_account, SELL, last, min(mg, qty), ioc=True)
    return CrossTrade("pool_to_book", venue.last_filled, profit)


def _fill(levels: list[tuple[int, int]], qty: int) -> list[tuple[int, int]]:
    """The part of each level a fill of ``qty`` takes, best first."""
    out = []
    for price, q in levels:
        take = min(q, qty)
        out.append((price, take))
        qty -= take
        if not qty:
            break
    return out


def pool_to_reference(
    pool: ConstantProductPool,
    chain: Chain,
    account: int,
    reference_usd_oz: float,
    band: float,
    *,
    sell: bool,
    max_in: int,
) -> int:
    """Trade the XAUT/USD pool back to within ``band`` of a reference price, from inventory.

    What a gold-hedged trader does when XAUT's book has no quote on the side that would carry the
    pool back: it sells XAUT it holds into a pool above ``reference * (1 + band)`` (hedging by
    buying gold), or buys XAUT from a pool below ``reference * (1 - band)`` (selling gold), down
    or up to the band's edge, in closed form on the constant product, within ``max_in`` (XAUT
    micro-ounces to sell, or micro-dollars to spend) and only if the trade is worth its gas.

    Returns:
        Base units paid into the pool (0 if nothing was traded).
    """
    x, y = pool.reserves
    gas = chain.gas_cost("v2_swap")
    if not (x and y and reference_usd_oz > 0) or chain.usd.available(account) < gas:
        return 0
    gamma = 1.0 - pool.fee_pips / PIPS
    if sell:
        edge = reference_usd_oz * (1 + band)  # micro-dollars per micro-ounce, like y / x
        amount = (math.sqrt(gamma * x * y / edge) - x) / gamma
        gain_per_unit = y / x - edge
    else:
        edge = reference_usd_oz * (1 - band)
        amount = (math.sqrt(gamma * x * y * edge) - y) / gamma  # micro-dollars in
        gain_per_unit = (edge - y / x) / edge
    size = min(int(amount), max_in)
    if size <= 0 or gain_per_unit * size / 2 <= gas:
        return 0
    try:
        pool.swap_exact_in(account, sell, size)
    except AmmError:
        return 0
    return size
