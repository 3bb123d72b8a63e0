"""Liquidity flow: small market orders both ways, the bulk of a real venue's trades.

Most orders on a token venue come from traders whose reasons have nothing to do with the peg
(rebalancing, payments, retail in and out). Their orders hit the bid as often as the ask, so the
last traded price bounces across the spread from one hour to the next: the negative first-order
autocorrelation of hourly returns every real token shows, and the trades from which a spread can be
measured. :class:`LiquidityFlow` is that flow as one pool: Poisson numbers of market orders per
step, more in the busy London and New York hours (the gold session profile), exponentially sized,
each a buy or a sell with even odds tilted against the pool's inventory imbalance, so the pool's
tokens and cash wander but do not drain. It trades only what it holds (no negative balance) and
not while the market is halted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from gramabm.agents.base import TradingAgent
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.scenarios.gold_session import DEFAULT_PROFILE

if TYPE_CHECKING:
    from gramabm.agents.context import StepContext
    from gramabm.config import LiquidityTraderConfig

_ACTIVITY = np.asarray(DEFAULT_PROFILE) / np.mean(DEFAULT_PROFILE)  # order rate by UTC hour


class LiquidityFlow(TradingAgent):
    """The venue's liquidity flow as one pool of cash and tokens.

    Args:
        model: The model (gives ``venue`` and ``ledger``).
        account: The pool's ledger account.
        cfg: Its parameters.
        rng: Its own generator (sides, counts and sizes).
    """

    def __init__(
        self, model: mesa.Model, account: int, cfg: LiquidityTraderConfig, rng: np.random.Generator
    ) -> None:
        super().__init__(model, account)
        self.cfg = cfg
        self.flow_rng = rng
        self.target_mg = max(self.balance(Asset.TOKEN), 1)
        self.orders = 0

    def buy_probability(self) -> float:
        """Odds of a buy: one half, tilted against the pool's token imbalance."""
        gap = (self.balance(Asset.TOKEN) - self.target_mg) / self.target_mg
        tilt = self.cfg.inventory_reversion * float(np.clip(gap, -1.0, 1.0))
        return 0.5 - tilt

    def step(self, ctx: StepContext) -> None:
        """Send this step's market orders."""
        if ctx.trading_halted:
            return
        cfg = self.cfg
        rate = cfg.orders_per_hour * float(_ACTIVITY[ctx.now.hour])
        n = int(self.flow_rng.poisson(rate))
        if n == 0:
            return
        price = ctx.mid if ctx.mid > 0 else ctx.reference_g
        sizes = self.flow_rng.exponential(cfg.mean_order_usd, n) / price * 1000  # USD -> mg
        u = self.flow_rng.random(n)
        venue = self.venue
        for size, draw in zip(sizes, u, strict=True):
            qty = int(size)
            if qty < 1000:
                continue
            side = BUY if draw < self.buy_probability() else SELL
            if side == SELL:
                qty = min(qty, self.available(Asset.TOKEN))
                if qty < 1000:
                    continue
            venue.market(self.account, side, qty)
            self.orders += 1
