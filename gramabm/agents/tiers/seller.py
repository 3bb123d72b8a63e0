"""A distressed XAUT seller: the selling pressure that opens a discount on XAUT's order book.

It holds the XAUT the scenario's ``xaut_sell_pressure`` events will sell (issued at set-up like
every other token). While an event runs it sells into every bid down to ``discount`` below gold,
each step, until its budget for that event is spent or the event's steps are over.
"""

from __future__ import annotations

import math

import mesa

from gramabm.market.ledger import Asset
from gramabm.market.orderbook import SELL
from gramabm.market.venue import Venue
from gramabm.units import TICKS_PER_USD


class DistressedSeller(mesa.Agent):
    """Sells XAUT on its book down to a floor below gold while a selling-pressure event runs.

    Args:
        model: The Mesa model.
        venue: XAUT's order book venue.
        account: Its account on the exchange (world ledger).
    """

    def __init__(self, model: mesa.Model, venue: Venue, account: int) -> None:
        super().__init__(model)
        self.venue = venue
        self.account = account
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
        self.budget_mg -= self.venue.last_filled
        self.sold_mg += self.venue.last_filled
