"""Arbitrageurs: authorised participants closing the gap between the token and its gold value.

An arbitrageur quotes the no-arbitrage band with its balance sheet: a standing bid at what a
redemption nets (NAV less the redemption fee and a required edge) and a standing ask at what a mint
costs (gold value plus the mint fee and edge). Tokens it buys beyond its target inventory it
redeems; when its inventory runs low and the book pays a premium, it mints to restock. Frictions
bite exactly where they do in reality (docs/model.md D2): fees, minimum sizes, opening hours (outside
them it demands an extra ``closed_premium_bp`` for carrying inventory until the window opens), the
settlement delay (capital stays locked in the queue) and custodians' daily capacity. Capital is finite: the number of
arbitrageurs and their capital are what the Ma–Zeng–Zhang trade-off turns on.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import mesa

from gramabm.agents.base import TradingAgent
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.primary import Kind

if TYPE_CHECKING:
    from gramabm.config import ArbitrageurConfig
    from gramabm.market.context import StepContext


class Arbitrageur(TradingAgent):
    """An authorised participant with cash, a token inventory and primary-market access.

    Args:
        model: The model (gives ``venue``, ``ledger`` and ``primary``).
        account: Its ledger account (authorised in the primary market).
        cfg: Arbitrage parameters.
    """

    def __init__(self, model: mesa.Model, account: int, cfg: ArbitrageurConfig) -> None:
        super().__init__(model, account)
        self.cfg = cfg
        self.target_inventory = round(cfg.inventory_g * 1000)
        self.trades = 0
        self._quoted: tuple[int, int] = (-1, -1)  # (bid, ask) ticks standing in the book
        self._orders: list[tuple[int, int]] = []  # (order id, quantity) as posted

    def step(self, ctx: StepContext) -> None:
        """Trade the book against the primary market's prices, then use the primary market."""
        primary = self.primary
        if ctx.trading_halted:
            self._use_primary(ctx)
            return
        venue = self.venue
        ledger = self.ledger
        cfg = self.cfg
        edge = cfg.min_edge_bp + (0.0 if ctx.primary_open else cfg.closed_premium_bp)
        size = max(self.target_inventory, 1)
        # A redemption pays the net asset value (a full gram unless a shortfall is public).
        redeem_value = ctx.gold_g * primary.nav_ratio()
        redeem_value *= 1 - self.primary_fee_bp(Kind.REDEEM, size, ctx) / 1e4
        mint_cost = ctx.gold_g / (1 - self.primary_fee_bp(Kind.MINT, size, ctx) / 1e4)

        # Quote the no-arbitrage band with the balance sheet: a standing bid at what a redemption
        # nets, a standing ask at what a mint costs, each less the required edge. An order that
        # crosses trades at once (taking the mispricing); the rest rests as the peg's backstop.
        bid = math.floor(redeem_value * (1 - edge / 1e4) * 1000)
        ask = math.ceil(mint_cost * (1 + edge / 1e4) * 1000)
        wanted = (
            bid if not primary.is_suspended(Kind.REDEEM) else 0,
            ask if not primary.is_suspended(Kind.MINT) else 0,
        )
        if wanted == self._quoted and self._quotes_untouched(venue):
            self._use_primary(ctx)
            return  # the same band still stands in full: nothing to replace
        venue.cancel_all(self.account)
        self._orders = []
        if wanted[0] > 0:
            free_usd = ledger.available(self.account, Asset.USD)
            cash = min(free_usd, round(cfg.max_trade_usd * 1e6))
            qty = int(cash / wanted[0] * 0.995)  # leave room for the taker fee
            if qty > 0:
                self._post(venue, BUY, wanted[0], qty)
        if wanted[1] > 0:
            qty = min(
                ledger.available(self.account, Asset.TOKEN),
                int(cfg.max_trade_usd * 1e6 // wanted[1]),
            )
            if qty > 0:
                self._post(venue, SELL, wanted[1], qty)
        self._quoted = wanted
        self._use_primary(ctx)

    def _post(self, venue: Any, side: int, price: int, qty: int) -> None:
        oid = venue.limit(self.account, side, price, qty)
        self.trades += venue.last_filled > 0
        if oid and venue.book.remaining(oid) == qty:
            self._orders.append((oid, qty))
        else:
            self._quoted = (-1, -1)  # partly filled at once: requote next step

    def _quotes_untouched(self, venue: Any) -> bool:
        return all(venue.book.remaining(oid) == qty for oid, qty in self._orders)

    def _use_primary(self, ctx: StepContext) -> None:
        """Redeem tokens above the target inventory; mint back up to it when the book pays for it."""
        if not ctx.primary_open:
            return
        primary = self.primary
        ledger = self.ledger
        terms = primary.terms
        free_tok = ledger.available(self.account, Asset.TOKEN)
        excess = free_tok - self.target_inventory
        if excess >= max(terms.min_redeem_mg, 1) and not primary.is_suspended(Kind.REDEEM):
            primary.request_redeem(self.account, excess, ctx.now, ctx.gold_usd_oz)
        shortfall = self.target_inventory - free_tok - primary.pending_mg(Kind.MINT, self.account)
        if shortfall < max(terms.min_mint_mg, 1) or primary.is_suspended(Kind.MINT):
            return
        mint_cost = ctx.gold_g / (1 - self.primary_fee_bp(Kind.MINT, shortfall, ctx) / 1e4)
        premium = ctx.best_bid is not None and ctx.best_bid > mint_cost * (
            1 + self.cfg.min_edge_bp / 1e4
        )
        if premium:
            cost = shortfall / 1000 * ctx.gold_g * 1e6 * 1.001
            if ledger.available(self.account, Asset.USD) >= cost:
                primary.request_mint(self.account, shortfall, ctx.now, ctx.gold_usd_oz)
