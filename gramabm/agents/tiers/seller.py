"""A distressed XAUT seller: the selling pressure that opens a discount on XAUT's order book.

It holds the XAUT the scenario's ``xaut_sell_pressure`` events will sell (issued at set-up like
every other token). While an event runs it sells, each step, wherever XAUT still fetches more than
``discount`` below gold, as an order router would: into every bid on XAUT's book down to that
floor, then into the XAUT/USD pool until the pool's marginal price reaches it (the XAUT crossing
through the exchange's wallet), until its budget for that event is spent or the event's steps
are over.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from gramabm.market.amm.constant_product import PIPS
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import SELL
from gramabm.market.xaut_bridge import micro_oz_to_mg
from gramabm.units import GRAMS_PER_TROY_OUNCE, TICKS_PER_USD

if TYPE_CHECKING:
    from gramabm.market.gram_tier import GramTier


class DistressedSeller(mesa.Agent):
    """Sells XAUT on its book down to a floor below gold while a selling-pressure event runs.

    Args:
        model: The Mesa model.
        tier: The GRAM tier (XAUT's book is its world's venue; the pool and wallet are its own).
        account: Its account on the exchange (world ledger).
        chain_account: Its address on chain (dollars for gas; it receives the pool's dollars).
    """

    def __init__(self, model: mesa.Model, tier: GramTier, account: int, chain_account: int) -> None:
        super().__init__(model)
        self.tier = tier
        self.venue = tier.world.venue
        self.account = account
        self.chain_account = chain_account
        self.discount = 0.0
        self.until = -1
        self.budget_mg = 0
        self.sold_mg = 0

    def start(self, t: int, discount: float, steps: int, budget_mg: int) -> None:
        """Begin selling ``budget_mg`` from step ``t`` for ``steps`` steps, floor ``discount``."""
        self.discount = discount
        self.until = t + steps
        self.budget_mg += budget_mg

    def step(self, t: int, gold_g: float, halted: bool) -> None:
        """Sell into the bids down to the floor (nothing while the book is halted)."""
        if t >= self.until or halted or self.budget_mg <= 0:
            return
        qty = min(self.budget_mg, self.venue.ledger.available(self.account, Asset.TOKEN))
        if qty <= 0:
            return
        floor = max(1, math.ceil(gold_g * (1.0 - self.discount) * TICKS_PER_USD))
        self.venue.limit(self.account, SELL, floor, qty, ioc=True)
        self._sold(self.venue.last_filled)
        self._sell_in_pool(gold_g * (1.0 - self.discount) * GRAMS_PER_TROY_OUNCE)

    def _sold(self, mg: int) -> None:
        self.budget_mg -= mg
        self.sold_mg += mg

    def _sell_in_pool(self, floor_usd_oz: float) -> None:
        """Sell into the XAUT/USD pool until its marginal price is the floor (or the budget ends)."""
        market = self.tier.market
        pool = market.xaut_pool
        x, y = pool.reserves
        gas = market.chain.gas_cost("v2_swap")
        if not (x and y) or market.usd.available(self.chain_account) < gas:
            return
        gamma = 1.0 - pool.fee_pips / PIPS
        floor = floor_usd_oz  # micro-dollars per micro-ounce, like y / x
        micro_oz = int((math.sqrt(gamma * x * y / floor) - x) / gamma) if floor > 0 else 0
        have = min(self.budget_mg, self.venue.ledger.available(self.account, Asset.TOKEN))
        mg = min(have, micro_oz_to_mg(micro_oz)) if micro_oz > 0 else 0
        if mg <= 0:
            return
        sent = self.tier.bridge.to_chain(self.account, self.chain_account, mg)
        if sent:
            pool.swap_exact_in(self.chain_account, True, sent)
        self._sold(mg)
