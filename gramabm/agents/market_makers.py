"""Market makers: ladders of quotes around their fair-value estimate.

Each maker quotes ``levels`` prices a side. The inner half-spread widens with the token's realised
volatility; the ladder's centre shifts against the maker's inventory imbalance (skew), so a maker long
tokens quotes lower to sell them. When the oracle is stale (weekends, outages) the maker leans on the
token's own mid, since the token market is then the only gold price discovery (docs/model.md D3).

A maker withdraws, cancelling every quote, when realised volatility passes ``withdraw_vol`` or its
trading loss (against simply holding its starting inventory) passes ``withdraw_loss`` of its capital:
the liquidity spiral. It comes back after ``cooldown_steps`` if volatility has calmed. While gold is
shut its inventory cannot be hedged, so it quotes ``unhedged_widening_bp`` wider.

Inventory is managed as real makers do (``hedge``, ``authorised``): the tokens beyond the target
are hedged in gold while gold trades (:class:`~gramabm.agents.hedging.GoldHedge`: the margin settles
in cash, so a maker's cash is replenished as its tokens lose value, and its loss limit sees only
the token's basis), the position is carried over weekends, an inventory more than ``unload_band``
off the target is redeemed (or minted back) through the primary market while it is open (with
``unload_rule = "cheaper"`` only where the fee beats the book's discount or premium, or at the
inventory limit: a dealer paying the issuer's fee is no arbitrageur without an edge), and the
ladder's bids shrink to nothing as inventory nears ``max_inventory`` times the target. What they
give up moves to one far bid, ``far_bid_bp`` below the ladder's inner bid: the hedged tokens beyond
the target are financed on a credit line (:class:`~gramabm.agents.financing.InventoryFinancing`),
so a maker at its limit still buys, deep and wide, until ``hedged_limit`` times the target.
Short of tokens while the primary market is shut, a maker borrows them from the venue's other
holders (:class:`~gramabm.agents.financing.TokenLoan`, up to ``token_loan_g``) to keep a full
ladder of offers, leans its quotes up for the short position, and covers by minting when the
primary opens (the loan is worth covering even where the fee beats no premium) or by buying back.

**Carrying the basis** (``basis_half_life_h``): a dealer on a token venue quotes around where the
token trades, not around the gold fix: it moves its quotes with gold, but the token's premium or
discount to gold (its basis) it learns from the token's own trades, an exponentially weighted
average with that half-life, updated only while gold trades (at weekends the token's moves are
gold's hidden move, not basis). The basis then wanders with the flow until arbitrage through the
primary market, which pays only beyond its fees, stops it: the persistent premium or discount real
gold tokens show. Zero keeps the quotes at the gold value.

**Gold's violent hours** (``pass_through_bp``, ``excess_absorbed``, ``absorb_cap_bp``,
``absorb_max_vol``): a dealer's quotes follow an hour's gold move in full up to
``pass_through_bp``; of the part beyond it, ``excess_absorbed`` goes into its basis instead (a
discount after a jump up, a premium after a fall), and the flow and the basis learning then close
it over the basis half-life. It is bounded, by a cap on the basis (``absorb_cap_bp``), by the
market's turbulence (no absorption once the token's realised volatility reaches
``absorb_max_vol``: a dealer in a turbulent market follows gold in full), or both: unbounded, a
crash's violent hours would pile up into a premium that holds the token up while gold falls. A
token venue follows gold's ordinary hours but not its violent ones in full: PAXG's 24:00 UTC close
carries less of gold's largest fix-to-fix moves than of the others in every year 2021-2024
(``dev_next_move_share_largest`` against ``_rest``, docs/validation). Zero follows every move in
full.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import mesa

from gramabm.agents.base import TradingAgent
from gramabm.agents.financing import InventoryFinancing, TokenLoan
from gramabm.agents.hedging import GoldHedge
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.primary import Kind

if TYPE_CHECKING:
    from gramabm.agents.reports import Reports
    from gramabm.config import MarketMakerConfig
    from gramabm.market.context import StepContext

_HOURS_PER_YEAR = 24 * 365  # the token trades around the clock
_REQUOTE_BP = 1.0
_MAX_IMBALANCE = 4.0  # largest inventory imbalance the skew leans against, in target inventories


class MarketMaker(TradingAgent):
    """A market maker quoting a ladder through the venue.

    Args:
        model: The model (gives ``venue`` and ``ledger``).
        account: Its ledger account.
        cfg: Market-maker parameters.
        fair_g0: Fair value at the start, to value the starting inventory.
        name: Its name in the event log.
        counterparty: The world gold market's account (the hedge's counterparty); None: no hedge.
        lender: The account it borrows tokens from when short; None: it never borrows.
    """

    def __init__(
        self,
        model: mesa.Model,
        account: int,
        cfg: MarketMakerConfig,
        fair_g0: float,
        name: str = "market_maker",
        counterparty: int | None = None,
        lender: int | None = None,
    ) -> None:
        super().__init__(model, account)
        self.name = name
        self.cfg = cfg
        ledger = self.ledger
        self.usd0 = ledger.balance(account, Asset.USD)  # no loan yet: also its net cash
        self.tokens0 = ledger.balance(account, Asset.TOKEN)  # also its target inventory
        self.capital0 = self.usd0 / 1e6 + self.tokens0 / 1e3 * fair_g0
        self._usd_ref, self._tokens_ref = self.usd0, self.tokens0  # start of the risk period
        self.active = True
        self.withdrawn_until = -1
        self.withdrawals = 0
        self._last_centre = math.nan
        self._last_half = math.nan
        self._last_fair = math.nan  # the fair value its standing quote was built around
        self._bids: list[int] = []  # order ids of the last quote, by side (the far bid a bid)
        self._asks: list[int] = []
        self.basis = 0.0  # the token's premium to its gold value as this dealer estimates it
        self._reference_seen = math.nan  # gold as the dealer last saw it (violent-hour absorption)
        self._basis_learn = (
            1.0 - 0.5 ** (1.0 / cfg.basis_half_life_h) if cfg.basis_half_life_h > 0 else 0.0
        )
        self.hedge = (
            GoldHedge(ledger, account, counterparty)
            if cfg.hedge and counterparty is not None
            else None
        )
        # Only hedged inventory is financed: without a hedge nobody lends against the tokens.
        self.financing = (
            InventoryFinancing(ledger, account, counterparty, cfg.financing_advance, cfg.credit_usd)
            if self.hedge is not None and counterparty is not None
            else None
        )
        self.token_loan = (
            TokenLoan(ledger, account, lender, round(cfg.token_loan_g * 1000))
            if lender is not None and cfg.token_loan_g > 0
            else None
        )

    def trading_pnl(self, ctx: StepContext) -> float:
        """USD gained since its risk period began, marked at fair value.

        The period starts at the beginning and again at each return to the market; the gain is
        measured against simply holding the cash and tokens it had then.
        """
        tok = self.own_tokens()
        owed = self.hedge.owed_micro / 1e6 if self.hedge is not None else 0.0
        return (
            (self._net_usd() - self._usd_ref) / 1e6
            + (tok - self._tokens_ref) / 1e3 * ctx.fair_g
            - owed
        )

    def own_tokens(self) -> int:
        """Tokens it holds less those it borrowed (negative when short), milligrams."""
        loan = self.token_loan.loan_mg if self.token_loan is not None else 0
        return self.ledger.balance(self.account, Asset.TOKEN) - loan

    def _ladder_mg(self) -> int:
        """Tokens one full side of its ladder offers."""
        return self.cfg.levels * round(self.cfg.level_size_g * 1000)

    def _net_usd(self) -> int:
        """Cash less what it borrowed (a loan is no gain)."""
        usd = self.ledger.balance(self.account, Asset.USD)
        return usd - (self.financing.loan_micro if self.financing is not None else 0)

    def withdraw(
        self, ctx: StepContext, reason: str, reports: Reports, *, until: int | None = None
    ) -> None:
        """Cancel every quote and stay out until ``until`` (default: the cooldown)."""
        self.venue.cancel_all(self.account)
        if self.active:
            self.withdrawals += 1
            reports.event(ctx.step, self.name, "withdraw", reason)
        self.active = False
        self.withdrawn_until = ctx.step + self.cfg.cooldown_steps if until is None else until
        self._last_centre = math.nan
        self._last_fair = math.nan

    def step(self, ctx: StepContext, reports: Reports) -> None:
        """Check the withdrawal limits, then (re)quote the ladder if it moved."""
        cfg = self.cfg
        vol_annual = ctx.vol_hourly * math.sqrt(_HOURS_PER_YEAR)
        if cfg.excess_absorbed > 0:
            self._absorb_violent_move(ctx, vol_annual)
        self._manage_inventory(ctx)
        if ctx.trading_halted:
            return
        if self.active:
            loss = -self.trading_pnl(ctx)
            if vol_annual > cfg.withdraw_vol:
                self.withdraw(
                    ctx, f"volatility {vol_annual:.0%} above {cfg.withdraw_vol:.0%}", reports
                )
                return
            if loss > cfg.withdraw_loss * self.capital0:
                self.withdraw(ctx, f"trading loss ${loss:,.0f} above limit", reports)
                return
        elif ctx.step >= self.withdrawn_until and vol_annual < 0.5 * cfg.withdraw_vol:
            self.active = True
            ledger = self.ledger
            self._usd_ref = self._net_usd()
            self._tokens_ref = ledger.balance(self.account, Asset.TOKEN)
            reports.event(ctx.step, self.name, "return", "volatility calmed")
        if not self.active:
            return
        self._quote(ctx)

    def _quote(self, ctx: StepContext) -> None:
        cfg = self.cfg
        # Makers watch the live gold market (they hedge there); when it is shut they lean on where
        # the token last traded, the only price discovery left (the last trade, not the mid, which
        # jumps whenever one side of the book thins).
        fair = ctx.reference_g * ctx.nav_ratio
        if self._basis_learn > 0:
            fair *= 1.0 + self._learn_basis(ctx, fair)
        if ctx.oracle_stale and math.isfinite(ctx.last_price):
            w = cfg.mid_weight_when_stale
            fair = w * ctx.last_price + (1 - w) * fair
        half = cfg.half_spread_bp + cfg.vol_widening * ctx.vol_hourly * 1e4
        if not ctx.gold_open:  # gold is shut: what it buys now it cannot hedge until it opens
            half += cfg.unhedged_widening_bp
        centre = self._skewed(fair)
        moved = (
            not math.isfinite(self._last_centre)
            or abs(centre / self._last_centre - 1.0) * 1e4 > _REQUOTE_BP
            or abs(half - self._last_half) > _REQUOTE_BP
        )
        if not moved and self._ladder_in_place(self.venue.book):  # still fair, nothing taken out
            return
        self._post_ladder(fair, centre, half)

    def replenish(self, ctx: StepContext) -> None:
        """Re-quote within the hour when a side of the book stands empty and none of it is ours.

        A real dealer re-quotes seconds after a fill; the model's dealers quote once an hour, so a
        burst of orders larger than the ladders (or a quote refused because another dealer's stale
        order crossed it) would otherwise leave a side of the book empty for the rest of the hour
        although every dealer is in the market. The ladder comes back around the hour's fair value
        (no new information arrived), skewed for the inventory just taken on, so a dealer that
        bought the whole bid side bids lower and smaller.
        """
        if not self.active or ctx.trading_halted or not math.isfinite(self._last_fair):
            return
        book = self.venue.book
        remaining = book.remaining
        bids_gone = book.best_bid is None and not any(remaining(oid) for oid in self._bids)
        asks_gone = book.best_ask is None and not any(remaining(oid) for oid in self._asks)
        if bids_gone or asks_gone:
            fair = self._last_fair
            self._post_ladder(fair, self._skewed(fair), self._last_half)

    def _skewed(self, fair: float) -> float:
        """The ladder's centre: fair value shifted against the inventory imbalance."""
        target = max(self.tokens0, 1)
        tokens = self.own_tokens()
        # Skew grows with the imbalance (in units of the target inventory, capped at four): a maker
        # with no exit but the book itself leans ever harder against what it has accumulated, or
        # against the tokens it borrowed and must give back.
        imbalance = max(-_MAX_IMBALANCE, min(_MAX_IMBALANCE, (tokens - target) / target))
        return fair * (1.0 - self.cfg.inventory_skew_bp * imbalance / 1e4)

    def _post_ladder(self, fair: float, centre: float, half: float) -> None:
        """Cancel the standing quote and post the ladder (and the financed far bid) anew.

        ``centre`` is ``fair`` skewed for the inventory (:meth:`_skewed`); ``fair`` is kept so a
        re-quote within the hour can skew it afresh.
        """
        cfg = self.cfg
        ledger = self.ledger
        venue = self.venue
        venue.cancel_all(self.account)
        if self.token_loan is not None:  # short of a ladder's worth: borrow the rest
            self.token_loan.rebalance(self._ladder_mg(), fair)
        tokens = self.own_tokens()
        target = max(self.tokens0, 1)
        # Bids shrink to nothing as the inventory nears its limit (no exit but the book left).
        room = (cfg.max_inventory * target - tokens) / ((cfg.max_inventory - 1.0) * target)
        bid_scale = min(1.0, max(0.0, room))
        size = round(cfg.level_size_g * 1000)
        bid_size = round(size * bid_scale)
        free_tok = ledger.available(self.account, Asset.TOKEN)
        free_usd = ledger.available(self.account, Asset.USD)
        bids: list[int] = []
        asks: list[int] = []
        # Locals for the loop: three dealers post a dozen orders each, nearly every step.
        account, post, step = self.account, venue.post, cfg.level_step_bp
        floor, ceil = math.floor, math.ceil
        for i in range(cfg.levels):
            dist = (half + i * step) / 1e4
            bid = floor(centre * (1 - dist) * 1000)
            ask = ceil(centre * (1 + dist) * 1000)
            ok_bid = bid > 0 and bid_size >= 1000 and free_usd >= bid * bid_size * 1.01
            if ok_bid and (oid := post(account, BUY, bid, bid_size)):
                free_usd -= bid * bid_size
                bids.append(oid)
            ask_size = free_tok if free_tok < size else size  # min(), without the call
            if ask_size > 0 and (oid := post(account, SELL, ask, ask_size)):
                free_tok -= ask_size
                asks.append(oid)
        # What the ladder gave up moves to one far bid, financed on the hedged inventory.
        far_size = min(
            round(cfg.levels * size * (1.0 - bid_scale)),
            round(cfg.hedged_limit * target - tokens),
        )
        far = math.floor(centre * (1 - (half + cfg.far_bid_bp) / 1e4) * 1000)
        far_size = min(far_size, int(free_usd / max(far, 1) / 1.01))
        if (
            self.financing is not None
            and far > 0
            and far_size >= 1000
            and (oid := venue.post(self.account, BUY, far, far_size))
        ):
            bids.append(oid)
        self._last_fair = fair
        self._last_centre = centre
        self._last_half = half
        self._bids, self._asks = bids, asks

    def _absorb_violent_move(self, ctx: StepContext, vol_annual: float) -> None:
        """Carry the share of gold's hourly move beyond the pass-through in the basis.

        Seen every step, absorbed only while gold trades (at weekends the reference moves with
        the token market's own reading of gold's hidden move, which is no hour of gold's) and
        while the market is calm: in a turbulent one a dealer follows gold in full.
        """
        seen, now = self._reference_seen, ctx.reference_g
        self._reference_seen = now
        if not (ctx.gold_open and math.isfinite(seen) and seen > 0 and now > 0):
            return
        cfg = self.cfg
        if cfg.absorb_max_vol is not None and vol_annual >= cfg.absorb_max_vol:
            return
        move = math.log(now / seen)
        beyond = abs(move) - cfg.pass_through_bp / 1e4
        if beyond <= 0:
            return
        step = -cfg.excess_absorbed * math.copysign(beyond, move)
        if cfg.absorb_cap_bp is None:
            self.basis += step
            return
        cap = cfg.absorb_cap_bp / 1e4
        # Towards the cap, never past it; a basis the trades already carried past it stays.
        if step > 0:
            self.basis = min(self.basis + step, max(self.basis, cap))
        else:
            self.basis = max(self.basis + step, min(self.basis, -cap))

    def _learn_basis(self, ctx: StepContext, value: float) -> float:
        """Update the basis estimate from the token's last trade against its gold value."""
        if ctx.gold_open and math.isfinite(ctx.last_price) and value > 0:
            self.basis += self._basis_learn * (ctx.last_price / value - 1.0 - self.basis)
        return self.basis

    def _manage_inventory(self, ctx: StepContext) -> None:
        """Settle and adjust the gold hedge, then unload through the primary market if far off."""
        if self.token_loan is not None:  # give back what the ladder no longer needs
            self.token_loan.rebalance(self._ladder_mg() if self.active else 0, ctx.gold_g)
        tokens = self.own_tokens()
        if self.hedge is not None:
            self.hedge.settle(ctx.gold_g)
            if not ctx.oracle_stale:  # gold trades: hedge what is beyond the target
                self.hedge.adjust(-(tokens - self.tokens0) / 1000, ctx.gold_g)
        if self.financing is not None:
            self.financing.rebalance(tokens - self.tokens0, ctx.gold_g)
        cfg = self.cfg
        if not (cfg.authorised and ctx.primary_open) or self.tokens0 <= 0:
            return
        primary = self.primary
        terms = primary.terms
        band = cfg.unload_band * self.tokens0
        pending_redeem = primary.pending_mg(Kind.REDEEM, self.account)
        pending_mint = primary.pending_mg(Kind.MINT, self.account)
        excess = tokens - pending_redeem - self.tokens0
        # "cheaper": unload through the primary only where it beats the book: a redemption costs
        # its fee, selling in the book the token's discount (and likewise a mint against a
        # premium); past max_inventory the limit decides, not the price.
        at_cost = cfg.unload_rule == "cheaper"
        basis_bp = self._book_basis_bp(ctx)
        at_limit = tokens >= cfg.max_inventory * self.tokens0
        if (
            excess > band
            and excess >= terms.min_redeem_mg
            and not primary.is_suspended(Kind.REDEEM)
            and (
                not at_cost
                or at_limit
                or -basis_bp >= self.primary_fee_bp(Kind.REDEEM, excess, ctx)
            )
        ):
            qty = min(excess, self.ledger.available(self.account, Asset.TOKEN))
            if qty >= max(terms.min_redeem_mg, 1):
                primary.request_redeem(self.account, qty, ctx.now, ctx.gold_usd_oz)
        short = self.tokens0 - tokens - pending_mint
        owes = self.token_loan is not None and self.token_loan.loan_mg > 0
        if (
            short > band
            and short >= terms.min_mint_mg
            and not primary.is_suspended(Kind.MINT)
            and (not at_cost or owes or basis_bp >= self.primary_fee_bp(Kind.MINT, short, ctx))
        ):
            cost = short / 1000 * ctx.gold_g * 1e6 * 1.01
            if self.ledger.available(self.account, Asset.USD) >= cost:
                primary.request_mint(self.account, short, ctx.now, ctx.gold_usd_oz)

    def _book_basis_bp(self, ctx: StepContext) -> float:
        """Where the token last traded against what a token is a claim on (bp; 0 before any trade)."""
        value = ctx.gold_g * ctx.nav_ratio
        if not (math.isfinite(ctx.last_price) and value > 0):
            return 0.0
        return (ctx.last_price / value - 1.0) * 1e4

    def _ladder_in_place(self, book: Any) -> bool:
        """Whether every order of the last quote still rests (partly filled ones count).

        Checking each order matters: after a sell-off takes every bid, the asks alone must not
        pass for a full ladder (the bids would then not come back until the centre moves).
        """
        remaining = book.remaining
        return all(remaining(oid) for oid in (*self._bids, *self._asks))
