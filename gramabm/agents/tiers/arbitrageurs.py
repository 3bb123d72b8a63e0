"""The GRAM tier's arbitrageurs: wrap/unwrap, and cross-venue between XAUT's book and its pool.

Both are atomic, gas-aware and capital-limited: each step an arbitrageur prices its loop exactly,
trades only if it gains after gas, and never puts in more than its limit or its balances.

* :class:`WrapArbitrageur` closes the gap between GRAM's pool price and the wrapper's rate (mint
  and sell when GRAM is dear, buy and burn when it is cheap;
  :func:`~gramabm.market.tier_arbitrage.wrap_step`). Its band is the 5 bp mint fee, the pool fee
  and the gas of a swap and a wrap or unwrap; a frozen wrapper shuts the burn side.
* :class:`CrossVenueArbitrageur` closes the gap between XAUT's order book and the XAUT/USD pool,
  the XAUT crossing through the exchange's wallet
  (:func:`~gramabm.market.cross_venue.cross_venue_step`); it keeps its dollars split between the
  exchange and the chain, moving them through the wallet's float when one side runs low. Where the
  book has no quote on the side that would carry the pool back (makers gone in a crash, a halted
  book), it trades the pool against gold itself, hedged, from its on-chain inventory, back to
  within :data:`HEDGED_BAND` of gold (:func:`~gramabm.market.cross_venue.pool_to_reference`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from gramabm.market.cross_venue import cross_venue_step, pool_to_reference
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.tier_arbitrage import Arbitrageur, wrap_step
from gramabm.market.two_tier import MICRO
from gramabm.market.xaut_bridge import micro_oz_to_mg
from gramabm.units import GRAMS_PER_TROY_OUNCE, TICKS_PER_USD

if TYPE_CHECKING:
    from gramabm.market.gram_tier import CrossAccounts, GramTier

HEDGED_BAND: float = 0.01
"""How far from gold the XAUT pool may be before a hedged trade against gold pays (fraction): the
pool's fee, the gold hedge's cost and the inventory risk while the book cannot be used."""

_REBALANCE_BELOW = 0.25
"""Share of its dollars on one side below which a cross-venue arbitrageur moves dollars there."""


class WrapArbitrageur(mesa.Agent):
    """Wraps or unwraps against the GRAM/XAUT pool when the gap pays after gas.

    Args:
        model: The Mesa model.
        tier: The GRAM tier.
        account: Its on-chain address.
        max_usd: Most it puts in one loop, in dollars of XAUT.
    """

    def __init__(self, model: mesa.Model, tier: GramTier, account: int, max_usd: float) -> None:
        super().__init__(model)
        self.tier = tier
        self.account = account
        self.max_usd = max_usd
        self.trades = 0

    def step(self, xaut_usd_oz: float) -> None:
        """Trade the best wrap/unwrap loop, if any gains after gas.

        Args:
            xaut_usd_oz: What an ounce of XAUT is worth to it (XAUT's order-book mid).
        """
        if not xaut_usd_oz > 0:
            return
        limit = Arbitrageur(self.account, round(self.max_usd / xaut_usd_oz * MICRO), 0)
        if wrap_step(self.tier.market, limit, round(xaut_usd_oz * MICRO)) is not None:
            self.trades += 1


class CrossVenueArbitrageur(mesa.Agent):
    """Trades XAUT between its order book and its XAUT/USD pool when the gap pays after gas.

    Args:
        model: The Mesa model.
        tier: The GRAM tier.
        accounts: Its addresses on the exchange and on chain.
        max_usd: Most it spends in one loop, dollars.
    """

    def __init__(
        self, model: mesa.Model, tier: GramTier, accounts: CrossAccounts, max_usd: float
    ) -> None:
        super().__init__(model)
        self.tier = tier
        self.accounts = accounts
        self.max_usd = round(max_usd * MICRO)
        self.trades = 0
        self.target_xaut = tier.market.xaut.available(accounts.chain)  # its hedged inventory

    def step(self, halted: bool, gold_usd_oz: float) -> None:
        """Trade the profitable loop (none while XAUT's book is halted), then rebalance dollars.

        Args:
            halted: XAUT's book is halted this step.
            gold_usd_oz: Gold as the token market reads it (the hedged trades' reference).
        """
        tier, acc = self.tier, self.accounts
        trade = None
        if not halted:
            trade = cross_venue_step(
                tier.world.venue,
                tier.market.xaut_pool,
                tier.bridge,
                tier.market.chain,
                acc.world,
                acc.chain,
                self.max_usd,
            )
            if trade is not None:
                self.trades += 1
        if trade is None:
            self._hedged(halted, gold_usd_oz)
        if not halted:
            self._unwind(gold_usd_oz)
        world = tier.world.ledger.available(acc.world, Asset.USD)
        chain = tier.market.usd.available(acc.chain)
        total = world + chain
        if total and world < _REBALANCE_BELOW * total:
            tier.bridge.usd_to_world(acc.chain, acc.world, total // 2 - world)
        elif total and chain < _REBALANCE_BELOW * total:
            tier.bridge.usd_to_chain(acc.world, acc.chain, total // 2 - chain)

    def _hedged(self, halted: bool, gold_usd_oz: float) -> None:
        """Trade the pool against gold where the book has no quote to trade it against."""
        tier, acc = self.tier, self.accounts
        book, market = tier.world.venue.book, tier.market
        gas = market.chain.gas_cost("v2_swap")
        if halted or book.best_ask is None:
            cap = market.xaut.available(acc.chain)
            if pool_to_reference(
                market.xaut_pool,
                market.chain,
                acc.chain,
                gold_usd_oz,
                HEDGED_BAND,
                sell=True,
                max_in=cap,
            ):
                self.trades += 1
        if halted or book.best_bid is None:
            cap = min(self.max_usd, market.usd.available(acc.chain) - gas)
            if pool_to_reference(
                market.xaut_pool,
                market.chain,
                acc.chain,
                gold_usd_oz,
                HEDGED_BAND,
                sell=False,
                max_in=cap,
            ):
                self.trades += 1

    def _unwind(self, gold_usd_oz: float) -> None:
        """Bring its on-chain XAUT back to target through the book once the book quotes near gold.

        Hedged trades leave it long or short of its inventory; it sells the excess into bids, or
        buys the shortfall from asks, no further than :data:`HEDGED_BAND` from gold.
        """
        tier, acc = self.tier, self.accounts
        venue, market = tier.world.venue, tier.market
        held = market.xaut.available(acc.chain)
        gold_ticks = gold_usd_oz / GRAMS_PER_TROY_OUNCE * TICKS_PER_USD  # a gram's gold value
        if held > self.target_xaut and venue.book.best_bid is not None:
            floor = math.ceil(gold_ticks * (1 - HEDGED_BAND))
            if venue.book.best_bid < floor:
                return
            mg = tier.bridge.to_world(acc.chain, acc.world, held - self.target_xaut)
            if mg:
                venue.limit(acc.world, SELL, floor, mg, ioc=True)
                left = tier.world.ledger.available(acc.world, Asset.TOKEN)
                if left:  # what the bids did not take goes back on chain
                    tier.bridge.to_chain(acc.world, acc.chain, left)
        elif held < self.target_xaut and venue.book.best_ask is not None:
            cap = math.floor(gold_ticks * (1 + HEDGED_BAND))
            if venue.book.best_ask > cap:
                return
            want = micro_oz_to_mg(self.target_xaut - held)
            cash = tier.world.ledger.available(acc.world, Asset.USD)
            while want > 0 and venue.buy_reservation(cap, want, ioc=True) > cash:
                want = want * cash // venue.buy_reservation(cap, want, ioc=True)
            if want > 0:
                venue.limit(acc.world, BUY, cap, want, ioc=True)
                got = tier.world.ledger.available(acc.world, Asset.TOKEN)
                if got:
                    tier.bridge.to_chain(acc.world, acc.chain, got)
