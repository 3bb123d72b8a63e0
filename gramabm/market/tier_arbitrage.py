"""One arbitrageur's move in the two-tier market: the best profitable loop after gas, or nothing.

Four loops are weighed with the quotes of :mod:`~gramabm.market.amm.arbitrage` (no state changes):

* ``mint_and_sell`` / ``buy_and_burn``: the wrap/unwrap round trip through the GRAM/XAUT pool and
  the wrapper, in XAUT (gas: a swap and a wrap or unwrap);
* ``book_to_pool``: buy XAUT on its order book, sell it in the XAUT/USD pool, in USD;
* ``pool_to_book``: buy XAUT in the pool, sell it on the book (gas: one swap for either).

Each is sized within the trader's capital (its available XAUT, or USD less the gas), the one
with the largest profit after gas is executed at once, and the others are left. The quotes are
exact, so what executes is what was quoted: the step is atomic in effect. A book leg is sent as an
immediate-or-cancel limit at the last price the quote walked to, so it can never fill worse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gramabm.market.amm.arbitrage import (
    Route,
    best_loop,
    book_leg,
    burn_leg,
    loop_profit,
    mint_leg,
    pool_leg,
    wrap_arbitrage,
)
from gramabm.market.amm.constant_product import PIPS
from gramabm.market.chain import require_funds
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.two_tier import MICRO, TwoTierMarket
from gramabm.market.wrapper import FEE_BASIS_POINTS, FEE_DENOMINATOR

BOOK_LEVELS: int = 64
"""Order-book levels a cross-venue quote walks at most."""


@dataclass(frozen=True, slots=True)
class Arbitrageur:
    """Who trades and how much of its balances it may put in one loop.

    Attributes:
        account: The trader's address in both ledgers.
        max_xaut: Most XAUT base units per loop (its available XAUT caps it too).
        max_usd: Most micro-dollars per loop (its available USD less gas caps it too).
    """

    account: int
    max_xaut: int
    max_usd: int


@dataclass(frozen=True, slots=True)
class ArbitrageTrade:
    """What an arbitrage step did.

    Attributes:
        route: ``mint_and_sell``, ``buy_and_burn``, ``book_to_pool`` or ``pool_to_book``.
        size: Base units put in (XAUT for the wrap loops, micro-dollars for the cross-venue ones).
        expected_usd: Profit after gas the quote promised, micro-dollars.
        gas: Micro-dollars of gas paid.
    """

    route: str
    size: int
    expected_usd: int
    gas: int


def _book(market: TwoTierMarket, side: int) -> list[tuple[int, int]]:
    return market.venue.book.levels(side, BOOK_LEVELS)


def _walk_price(levels: list[tuple[int, int]], qty: int) -> int:
    """The last level's price a fill of ``qty`` reaches."""
    for price, q in levels:
        qty -= q
        if qty <= 0:
            return price
    return levels[-1][0]


def arbitrage_step(market: TwoTierMarket, trader: Arbitrageur) -> ArbitrageTrade | None:
    """Execute the most profitable loop after gas for ``trader``, or nothing if none gains.

    Args:
        market: The two-tier market (its chain's current gas price is used).
        trader: The arbitrageur and its capital limits.

    Returns:
        The trade done, or ``None``.
    """
    me = trader.account
    xaut_usd = market.xaut_pool_usd_oz()
    if not xaut_usd > 0:
        return None
    micro_usd_per_xaut = round(xaut_usd * MICRO)
    cap_xaut = min(trader.max_xaut, market.xaut.available(me))
    swap_gas = market.chain.gas_cost("v2_swap")
    cap_usd = min(trader.max_usd, market.usd.available(me) - swap_gas)

    candidates: list[tuple[int, str, int, int]] = []  # (net usd, route, size, gas)
    plan = wrap_arbitrage(
        market.gram_pool, market.wrapper, cap_xaut, micro_usd_per_xaut, market.chain
    )
    if plan is not None and market.usd.available(me) >= plan.gas:
        candidates.append((plan.profit_usd, plan.route.value, plan.xaut_in, plan.gas))

    fee_pips = round(market.venue.taker_fee_bp * 100)
    asks, bids = _book(market, SELL), _book(market, BUY)
    loops = {
        "book_to_pool": (
            (book_leg(asks, buy=True, fee_pips=fee_pips), pool_leg(market.xaut_pool, True)),
            swap_gas,
        ),
        "pool_to_book": (
            (pool_leg(market.xaut_pool, False), book_leg(bids, buy=False, fee_pips=fee_pips)),
            swap_gas,
        ),
    }
    if asks and bids:
        found = best_loop(loops, cap_usd, MICRO, MICRO)
        if found is not None:
            name, size, _, net = found
            candidates.append((net, name, size, swap_gas))
    if not candidates:
        return None
    net, route, size, gas = max(candidates)
    if route == Route.MINT_AND_SELL.value:
        require_funds(me, [(market.xaut, size), (market.usd, gas)])
        got = market.wrapper.mint(me, size).net
        market.gram_pool.swap_exact_in(me, True, got)
    elif route == Route.BUY_AND_BURN.value:
        require_funds(me, [(market.xaut, size), (market.usd, gas)])
        got = market.gram_pool.swap_exact_in(me, False, size).amount_out
        market.wrapper.burn(me, got)
    elif route == "book_to_pool":
        qty = loops[route][0][0](size)
        price = _walk_price(asks, qty)
        if market.venue.buy_reservation(price, qty, ioc=True) + gas > market.usd.available(me):
            return None  # the IOC's reservation at its last price is more than the cash left
        market.venue.limit(me, BUY, price, qty, ioc=True)
        filled = market.venue.last_filled
        if filled:
            market.xaut_pool.swap_exact_in(me, True, filled)
    else:
        qty = market.xaut_pool.swap_exact_in(me, False, size).amount_out
        market.venue.limit(me, SELL, _walk_price(bids, qty), qty, ioc=True)
    return ArbitrageTrade(route, size, net, gas)


def wrap_step(
    market: TwoTierMarket, trader: Arbitrageur, micro_usd_per_xaut: int | None = None
) -> ArbitrageTrade | None:
    """The wrap/unwrap loop alone, sized in closed form: what a model runs every step.

    Against the constant-product GRAM/XAUT pool (reserves ``G`` GRAM, ``X`` XAUT, fee factor
    ``g``) and the wrapper's fixed rate ``r`` GRAM per XAUT with mint fee ``f``, the best sizes
    are where the pool's marginal price meets the wrapper's: minting ``x`` and selling is best at
    ``x = (sqrt(X G g r (1 - f)) - G) / (g r (1 - f))``, buying and burning at
    ``x = (sqrt(G X g / r) - X) / g``. Each is capped by the trader's capital, priced exactly
    with the same legs as :func:`arbitrage_step` (the integer quotes), and the better one is
    executed if it gains after gas. Its result equals :func:`arbitrage_step`'s search to the
    rounding of the legs, at a fixed cost per step.

    Args:
        market: The two-tier market.
        trader: The arbitrageur and its XAUT limit.
        micro_usd_per_xaut: What a whole XAUT is worth to the trader, to weigh the XAUT gained
            against gas (default: the XAUT/USD pool's price; a trader that also sees XAUT's
            order book values it there, where a thin pool's price may be far off).
    """
    me = trader.account
    value = micro_usd_per_xaut
    if value is None:
        price = market.xaut_pool_usd_oz()
        value = round(price * MICRO) if price > 0 else 0
    g_res, x_res = market.gram_pool.reserves
    if not (value > 0 and g_res and x_res):
        return None
    pool, wrapper, chain = market.gram_pool, market.wrapper, market.chain
    gamma = 1.0 - pool.fee_pips / PIPS
    r = 1.0 / market.rate_xaut_per_gram  # GRAM base units per XAUT base unit
    net = 1.0 - FEE_BASIS_POINTS / FEE_DENOMINATOR
    cap = min(trader.max_xaut, market.xaut.available(me))
    swap_gas = chain.gas_cost("v2_swap")
    sizes = {
        Route.MINT_AND_SELL: (
            (math.sqrt(x_res * g_res * gamma * r * net) - g_res) / (gamma * r * net),
            (mint_leg(wrapper), pool_leg(pool, True)),
            swap_gas + chain.gas_cost("wrap"),
        ),
        Route.BUY_AND_BURN: (
            (math.sqrt(g_res * x_res * gamma / r) - x_res) / gamma,
            (pool_leg(pool, False), burn_leg(wrapper)),
            swap_gas + chain.gas_cost("unwrap"),
        ),
    }
    best: tuple[int, Route, int, int] | None = None
    for route, (size, legs, gas) in sizes.items():
        x = min(int(size), cap) if size >= 1 else 0
        if x < 1 or market.usd.available(me) < gas:
            continue
        gain = loop_profit(legs, x) * value // MICRO - gas
        if gain > 0 and (best is None or gain > best[0]):
            best = (gain, route, x, gas)
    if best is None:
        return None
    gain, route, x, gas = best
    if route is Route.MINT_AND_SELL:
        got = wrapper.mint(me, x).net
        pool.swap_exact_in(me, True, got)
    else:
        got = pool.swap_exact_in(me, False, x).amount_out
        wrapper.burn(me, got)
    return ArbitrageTrade(route.value, x, gain, gas)
