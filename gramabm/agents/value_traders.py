"""Discount buyers: hedged traders who buy the token below its gold value and wait.

A gram of gold bought at a discount is worth its gold value once the peg returns or the primary
market reopens, so real markets have traders (prop desks, funds, other issuers' dealers) who bid
below the gold value with a hedge in gold and sit out the wait. Without them, a frozen primary
market and market makers at their inventory limit leave the bid side empty for days, which no
real gold token shows.

Each :class:`ValueTrader` bids a ladder ``discounts_bp`` below the gold value as the token
market reads it (``StepContext.reference_g``, the weekend information included), spending
``level_shares`` of its free cash per level (larger the deeper the discount: the deeper the
discount, the more a buyer will commit), hedges everything it holds in gold
(:class:`~gramabm.agents.hedging.GoldHedge`, so a falling gold price refills its cash), finances
the hedged tokens on a credit line (:class:`~gramabm.agents.financing.InventoryFinancing`, so
what it bought funds most of its next bids, up to ``credit_usd``) and offers
what it holds at ``exit_premium_bp`` from the gold value: it sells back as the discount closes.
It has no primary access (that is the arbitrageurs'), so it never redeems; it does not trade while
the market is halted, and it stops bidding while volatility is above ``withdraw_vol`` (its risk
limit: the liquidity spiral takes it out with the makers, and it returns to buy what is left of
the discount once the market calms).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from gramabm.agents.base import TradingAgent
from gramabm.agents.financing import InventoryFinancing
from gramabm.agents.hedging import GoldHedge
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL

if TYPE_CHECKING:
    from gramabm.config import ValueTraderConfig
    from gramabm.market.context import StepContext

_HOURS_PER_YEAR = 24 * 365
_REQUOTE_BP = 2.0  # move of the reference that makes it worth replacing the quotes


class ValueTrader(TradingAgent):
    """A hedged discount buyer quoting through the venue.

    Args:
        model: The model (gives ``venue`` and ``ledger``).
        account: Its ledger account.
        cfg: Its parameters.
        counterparty: The world gold market's account (the hedge's counterparty).
    """

    def __init__(
        self, model: mesa.Model, account: int, cfg: ValueTraderConfig, counterparty: int
    ) -> None:
        super().__init__(model, account)
        if len(cfg.discounts_bp) != len(cfg.level_shares):
            raise ValueError("value traders need one level share per discount")
        self.cfg = cfg
        self.hedge = GoldHedge(self.ledger, account, counterparty)
        self.financing = InventoryFinancing(
            self.ledger, account, counterparty, cfg.financing_advance, cfg.credit_usd
        )
        self._last_ref = math.nan
        self._posted: list[int] = []

    def step(self, ctx: StepContext) -> None:
        """Settle the hedge, re-hedge while gold trades, refinance, then requote if needed."""
        self.hedge.settle(ctx.gold_g)
        tokens = self.balance(Asset.TOKEN)
        if not ctx.oracle_stale:
            self.hedge.adjust(-tokens / 1000, ctx.gold_g)
        drawn = self.financing.rebalance(tokens, ctx.gold_g)
        if ctx.trading_halted:
            return
        # A risk limit, as for makers: in a fast market it steps back and returns once it calms.
        if ctx.vol_hourly * math.sqrt(_HOURS_PER_YEAR) > self.cfg.withdraw_vol:
            if self._posted:
                self.venue.cancel_all(self.account)
                self._posted = []
                self._last_ref = math.nan
            return
        ref = ctx.reference_g * ctx.nav_ratio
        book = self.venue.book
        moved = (
            not math.isfinite(self._last_ref) or abs(ref / self._last_ref - 1) * 1e4 > _REQUOTE_BP
        )
        # New credit is new cash to bid with: requote as if the reference had moved.
        if not moved and drawn <= 0 and all(book.remaining(oid) for oid in self._posted):
            return
        self._quote(ref)

    def _quote(self, ref: float) -> None:
        venue = self.venue
        venue.cancel_all(self.account)
        cfg = self.cfg
        free_usd = self.available(Asset.USD)
        posted: list[int] = []
        for discount, share in zip(cfg.discounts_bp, cfg.level_shares, strict=True):
            price = math.floor(ref * (1 - discount / 1e4) * 1000)
            qty = int(free_usd * share / max(price, 1) * 0.995)  # room for the fee
            if (
                price > 0
                and qty >= 1000
                and (oid := venue.limit(self.account, BUY, price, qty, post_only=True))
            ):
                posted.append(oid)
        tokens = self.available(Asset.TOKEN)
        if tokens >= 1000:
            ask = math.ceil(ref * (1 + cfg.exit_premium_bp / 1e4) * 1000)
            if oid := venue.limit(self.account, SELL, ask, tokens, post_only=True):
                posted.append(oid)
        self._posted = posted
        self._last_ref = ref
