"""Liquidity flow: small market orders both ways, the bulk of a real venue's trades.

Most orders on a token venue come from traders whose reasons have nothing to do with the peg
(rebalancing, payments, retail in and out). Their orders hit the bid as often as the ask, so the
last traded price bounces across the spread from one hour to the next: the negative first-order
autocorrelation of hourly returns every real token shows, and the trades from which a spread can be
measured. :class:`LiquidityFlow` is that flow as one pool: Poisson numbers of market orders per
step, more in the busy London and New York hours (the gold session profile, in London time: PAXG's
weekday volume peaks at 14:00 UTC in winter and 13:00 in summer) and fewer at weekends
(``weekend_activity``: PAXG's weekend hours trade about half a weekday hour's volume), sized from an
exponential law or, with ``size_tail`` set, a Lomax (Pareto II) law of that tail exponent: real
order sizes have a power-law tail, and the rare large order that walks the book and snaps back an
hour later is much of a real token's hourly bounce;
each a buy or a sell with even odds tilted against the pool's inventory imbalance, so the pool's
tokens and cash wander but do not drain. It trades only what it holds (no negative balance) and
not while the market is halted.

**Demand waves** (``demand_sd``): the odds also carry a persistent tilt, an Ornstein-Uhlenbeck
process in hourly steps with stationary spread ``demand_sd`` and half-life ``demand_half_life_h``.
A token's own market has its own buyers and sellers (crypto-side risk appetite, exchange
promotions, funds moving in and out) whose net demand comes in waves lasting days to weeks; with
dealers who carry the basis (:mod:`gramabm.agents.market_makers`) and arbitrage only beyond the
primary market's fees, these waves are what moves a real gold token to a premium or a discount that
lasts.

**Order bursts** (``burst_sd``, off by default): a second tilt of the same kind, hours long
(``burst_half_life_h``): one-sided flow that comes and fades within a day (a large holder working an
order, a crypto-market swing). It gives the premium a part that fades by the close, which a real
token's premium has (PAXG 2021-2023: a premium at the fix fades by 0.17 of itself by midnight) and
the slow waves alone do not give (docs/validation/README.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from gramabm.agents.base import TradingAgent
from gramabm.data.calendar import london_hour
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.scenarios.gold_session import DEFAULT_PROFILE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gramabm.agents.financing import TokenLoan
    from gramabm.config import LiquidityTraderConfig
    from gramabm.market.context import StepContext

_MIN_ORDER_MG = 1_000  # one token
_MAX_ORDER_MEANS = 100.0  # largest order, in mean orders (a Lomax tail is unbounded)
_ACTIVITY = np.asarray(DEFAULT_PROFILE) / np.mean(DEFAULT_PROFILE)  # order rate by London hour


class LiquidityFlow(TradingAgent):
    """The venue's liquidity flow as one pool of cash and tokens.

    Args:
        model: The model (gives ``venue`` and ``ledger``).
        account: The pool's ledger account.
        cfg: Its parameters.
        rng: Its own generator (sides, counts and sizes).
        loans: The dealers' token loans drawn on its tokens (still its own, lent out).
    """

    def __init__(
        self,
        model: mesa.Model,
        account: int,
        cfg: LiquidityTraderConfig,
        rng: np.random.Generator,
        loans: Sequence[TokenLoan] = (),
    ) -> None:
        super().__init__(model, account)
        self.cfg = cfg
        self.flow_rng = rng
        self.loans = tuple(loans)
        self.target_mg = max(self.balance(Asset.TOKEN), 1)
        self.orders = 0
        self.demand = 0.0  # the persistent tilt of the odds (a demand wave), starts neutral
        self._demand_keep = 0.5 ** (1.0 / cfg.demand_half_life_h)
        self.burst = 0.0  # the fast tilt (an order burst), starts neutral
        self._burst_keep = 0.5 ** (1.0 / cfg.burst_half_life_h)

    def buy_probability(self) -> float:
        """Odds of a buy: one half plus the wave and the burst, tilted against the imbalance."""
        lent = sum(loan.loan_mg for loan in self.loans)  # lent tokens are still the pool's
        gap = (self.balance(Asset.TOKEN) + lent - self.target_mg) / self.target_mg
        # Scalar clips with min/max: np.clip on one float costs microseconds (called every step).
        tilt = self.cfg.inventory_reversion * min(max(gap, -1.0), 1.0)
        return min(max(0.5 + self.demand + self.burst - tilt, 0.02), 0.98)

    def _ou_step(self, value: float, keep: float, sd: float) -> float:
        """One hour of a tilt: the exact AR(1) step of an Ornstein-Uhlenbeck process."""
        # math.sqrt and a float draw: the same doubles as numpy's, without scalar overheads.
        return keep * value + sd * math.sqrt(1.0 - keep * keep) * float(
            self.flow_rng.standard_normal()
        )

    def _advance_demand(self) -> None:
        """One hour of the demand wave."""
        self.demand = self._ou_step(self.demand, self._demand_keep, self.cfg.demand_sd)

    def _advance_burst(self) -> None:
        """One hour of the order burst."""
        self.burst = self._ou_step(self.burst, self._burst_keep, self.cfg.burst_sd)

    def _sizes_usd(self, n: int) -> np.ndarray:
        """``n`` order sizes in USD with the configured mean (exponential or Lomax tail)."""
        cfg = self.cfg
        alpha = cfg.size_tail
        if alpha == 0.0:  # the configuration refuses 0 < alpha <= 1 (no finite mean)
            return self.flow_rng.exponential(cfg.mean_order_usd, n)
        # Lomax with scale m (alpha - 1) has mean m; capped so one order cannot be absurd.
        sizes = cfg.mean_order_usd * (alpha - 1.0) * self.flow_rng.pareto(alpha, n)
        return np.minimum(sizes, _MAX_ORDER_MEANS * cfg.mean_order_usd)

    def step(self, ctx: StepContext) -> None:
        """Send this step's market orders."""
        cfg = self.cfg
        if cfg.demand_sd > 0:  # the tilts move on whether or not the market trades
            self._advance_demand()
        if cfg.burst_sd > 0:
            self._advance_burst()
        if ctx.trading_halted:
            return
        rate = cfg.orders_per_hour * float(_ACTIVITY[london_hour(ctx.now)])
        if ctx.now.day_of_week >= 5:  # crypto weekends trade about half a weekday's volume
            rate *= cfg.weekend_activity
        n = int(self.flow_rng.poisson(rate))
        if n == 0:
            return
        price = ctx.mid if ctx.mid > 0 else ctx.reference_g
        sizes = (self._sizes_usd(n) / price * 1000).astype(np.int64).tolist()
        draws = self.flow_rng.random(n).tolist()
        p_buy = self.buy_probability()
        # Sells only from the tokens the pool has free now, in order. A few orders an hour: one
        # call each costs less than building and checking a batch of them.
        free = self.available(Asset.TOKEN)
        market = self.venue.market
        sold = 0
        for qty, u in zip(sizes, draws, strict=True):
            buy = u < p_buy
            if not buy:
                sold += qty
            if qty >= _MIN_ORDER_MG and (buy or sold <= free):
                market(self.account, BUY if buy else SELL, qty)
                self.orders += 1
