"""The market world: everything a run trades in, built and read without Mesa.

:class:`MarketWorld` builds the ledger and its accounts, the endowments, the custodians and their
reserves, the oracle, the primary market and the venue from a configuration and a gold path. Each
step it gives agents their observation (:class:`~gramabm.market.context.StepContext`), settles the
primary market, and produces the market's part of the step's recorded row, in the units
:mod:`gramabm.units` defines. The Mesa model (:mod:`gramabm.model`) puts agents in it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from gramabm.config import ModelConfig
from gramabm.data.calendar import ALWAYS_OPEN, TradingCalendar
from gramabm.market.context import StepContext
from gramabm.market.custody import (
    Custodian,
    reported_reserve_ratio,
    reserve_ratio,
)
from gramabm.market.ledger import Asset, Ledger
from gramabm.market.oracle import Oracle
from gramabm.market.orderbook import BUY, SELL, OrderBook
from gramabm.market.presets import get_preset
from gramabm.market.price_grid import PriceGrid
from gramabm.market.primary import Kind, PrimaryMarket, PrimaryTerms
from gramabm.market.venue import Venue
from gramabm.run_columns import custodian_column
from gramabm.units import (
    MG_PER_GRAM,
    grams_to_units,
    ticks_to_price,
    units_to_grams,
    units_to_usd,
    usd_per_gram,
    usd_to_units,
)

_WORLD_USD = 10**17  # micro-dollars ($100 billion) the world gold market can pay out
_WORLD_GOLD_MG = 10**13  # 10,000 tonnes of gold outside the token, in mg
VOL_WINDOW = 24  # steps of the realised-volatility estimate agents use


class MarketWorld:
    """The accounts, reserves and markets of one run.

    Args:
        cfg: The run's configuration.
        timestamps: One per step.
        gold_usd_oz: The gold path (USD per troy ounce), one per step.
        rng: The holders' random stream (initial wealth, then who has primary-market access).
        gold_info: What the token market reads of gold each step (USD/oz; weekend price
            discovery); None: gold as it trades.
        gold_open: Whether spot gold trades at each step (its weekend close); None: always.
    """

    def __init__(
        self,
        cfg: ModelConfig,
        timestamps: pd.DatetimeIndex,
        gold_usd_oz: np.ndarray,
        rng: np.random.Generator,
        *,
        gold_info: np.ndarray | None = None,
        gold_open: np.ndarray | None = None,
    ) -> None:
        self.gold = gold_usd_oz
        self._gold_open = gold_open
        # What the token market reads of gold (weekend price discovery); None: gold as it trades.
        self._gold_info = gold_info
        self._times: list[pd.Timestamp] = list(timestamps)  # fast indexing in the step
        gold_g0 = usd_per_gram(float(gold_usd_oz[0]))

        self.ledger = ledger = Ledger(capacity=cfg.holders.n + 64 + cfg.value_traders.n + 1)
        self.gold_market = ledger.open_account("gold_market")
        ledger.genesis(self.gold_market, Asset.USD, _WORLD_USD)
        ledger.genesis(self.gold_market, Asset.GOLD, _WORLD_GOLD_MG)
        issuer = ledger.open_account("issuer")
        self.exchange_fees = ledger.open_account("exchange_fees")
        primary_fees = ledger.open_account("primary_fees")
        self.book = OrderBook()
        # No tape: the model reads the venue's step statistics only, and a tape nobody drains
        # would hold every fill of the run.
        self.venue = Venue(
            ledger,
            self.book,
            fee_account=self.exchange_fees,
            taker_fee_bp=cfg.trading_fee_bp,
            keep_tape=False,
        )
        # The venue's tick by the step it takes effect at: the first step on or after each
        # change's day; a change on or before the first step is the tick the run starts with.
        ticks = {0: cfg.tick_usd_oz}
        starts = np.asarray(timestamps)
        for day, tick in cfg.tick_changes.items():  # sorted by day: the last of a step wins
            t = int(np.searchsorted(starts, np.datetime64(day)))
            if t < len(self._times):
                ticks[t] = tick
        self.venue.grid = PriceGrid.per_troy_ounce(ticks.pop(0))
        self._tick_changes = {t: PriceGrid.per_troy_ounce(tick) for t, tick in ticks.items()}
        terms = _override_terms(get_preset(cfg.primary.preset), cfg)
        self.custodians = [
            Custodian(
                f"custodian_{i}",
                ledger,
                ledger.open_account(f"custodian_{i}:vault"),
                daily_capacity_mg=grams_to_units(cfg.custody.daily_capacity_g),
                attestation=terms.attestation,
            )
            for i in range(cfg.custody.n)
        ]
        self._custodian_columns = [custodian_column(c.name) for c in self.custodians]
        self.oracle = Oracle(
            timestamps,
            gold_usd_oz,
            latency_steps=cfg.oracle.latency_steps,
            # Gold spot trades around the clock on business days: the oracle goes stale at
            # weekends and holidays, not outside the primary market's office hours.
            calendar=TradingCalendar(holidays=terms.calendar.holidays),
            stale_outside_sessions=cfg.oracle.stale_outside_sessions,
        )

        # Accounts and endowments: holders' wealth is heavy-tailed, split into tokens and cash.
        self.holder_accounts = ledger.open_accounts(cfg.holders.n, "holder")
        self.mm_accounts = [
            ledger.open_account(f"market_maker_{i}") for i in range(cfg.market_makers.n)
        ]
        self.arb_accounts = [
            ledger.open_account(f"arbitrageur_{i}") for i in range(cfg.arbitrageurs.n)
        ]
        # Discount buyers (cash only) and the liquidity flow's pool (cash and tokens).
        self.vt_accounts = [
            ledger.open_account(f"value_trader_{i}") for i in range(cfg.value_traders.n)
        ]
        self.flow_account = ledger.open_account("liquidity_flow")
        for acc in self.vt_accounts:
            ledger.genesis(acc, Asset.USD, usd_to_units(cfg.value_traders.capital_usd))
        ledger.genesis(
            self.flow_account, Asset.USD, usd_to_units(cfg.liquidity_traders.capital_usd)
        )
        flow_tokens = grams_to_units(cfg.liquidity_traders.inventory_g)
        self.holder_wealth = wealth = _pareto_wealth(cfg, rng)
        share = cfg.holders.token_share
        token_mg = np.floor(wealth * share / gold_g0 * MG_PER_GRAM).astype(np.int64)
        cash = np.floor(wealth * (1 - share) * 1e6).astype(np.int64)
        ledger.genesis_many(self.holder_accounts, Asset.USD, cash)
        for acc in self.mm_accounts:
            ledger.genesis(acc, Asset.USD, usd_to_units(cfg.market_makers.capital_usd))
        for acc in self.arb_accounts:
            ledger.genesis(acc, Asset.USD, usd_to_units(cfg.arbitrageurs.capital_usd))
        mm_tokens = grams_to_units(cfg.market_makers.inventory_g)
        arb_tokens = grams_to_units(cfg.arbitrageurs.inventory_g)
        initial = [
            (int(a), int(q)) for a, q in zip(self.holder_accounts, token_mg, strict=True) if q > 0
        ]
        initial += [(a, mm_tokens) for a in self.mm_accounts if mm_tokens > 0]
        initial += [(a, arb_tokens) for a in self.arb_accounts if arb_tokens > 0]
        initial += [(self.flow_account, flow_tokens)] if flow_tokens > 0 else []
        self._seed_reserves(initial, _custody_shares(cfg))
        self.initial_supply_mg = ledger.supply

        self.institutional = rng.random(cfg.holders.n) < cfg.holders.institutional_share
        authorised = {
            *self.arb_accounts,
            *(int(a) for a in self.holder_accounts[self.institutional]),
        }
        if cfg.market_makers.authorised:  # makers unload inventory through the primary market
            authorised.update(self.mm_accounts)
        self.primary = PrimaryMarket(
            ledger,
            self.custodians,
            terms,
            issuer_account=issuer,
            fee_account=primary_fees,
            gold_market_account=self.gold_market,
            authorised=authorised,
        )
        self.primary_enabled = cfg.primary.enabled
        if not cfg.primary.enabled:
            self.primary.suspend("mint", True)
            self.primary.suspend("redeem", True)

        moves = pd.Series(np.diff(np.log(gold_usd_oz), prepend=np.log(gold_usd_oz[0])))
        # Volatility per step over the last day of gold moves (shifted: known at the step).
        self._gold_vol = moves.rolling(VOL_WINDOW, min_periods=3).std(ddof=0).fillna(0.0).to_numpy()
        self._mids = np.full(len(gold_usd_oz), np.nan)
        self._last_ref = gold_g0
        self._accepted = (0, 0)
        for c in self.custodians:
            c.update(self._times[0])

    def _seed_reserves(self, allocations: list[tuple[int, int]], shares: np.ndarray) -> None:
        """Start the token: gold bought from the world market into the vaults, tokens to holders.

        Nothing is created: the gold moves from the world's stock, and each initial token is minted
        against a gram in a vault, so supply equals reserves at the start.
        """
        total = sum(q for _, q in allocations)
        vault_mg = np.floor(shares * total).astype(np.int64)
        vault_mg[0] += total - int(vault_mg.sum())
        for custodian, mg in zip(self.custodians, vault_mg, strict=True):
            self.ledger.transfer(self.gold_market, custodian.vault_account, Asset.GOLD, int(mg))
        for account, qty in allocations:
            self.ledger.mint_tokens(account, qty)

    @property
    def times(self) -> list[pd.Timestamp]:
        """The time of each step."""
        return self._times

    def issue_at_par(self, allocations: list[tuple[int, int]], cfg: ModelConfig) -> None:
        """Issue tokens to more accounts at set-up, each against a milligram bought into the vaults.

        Used by a second tier (:mod:`gramabm.market.gram_tier`) for the tokens its own agents
        start with, so that supply still equals reserves; call it before the first step.
        """
        self._seed_reserves([(a, q) for a, q in allocations if q > 0], _custody_shares(cfg))
        self.initial_supply_mg = self.ledger.supply

    # --- what agents observe ----------------------------------------------------------------------
    def nav_ratio(self) -> float:
        """Reported reserve ratio capped at one: what the public thinks a token is a claim on."""
        ratio = reported_reserve_ratio(self.custodians, self.ledger.supply)
        return 1.0 if not math.isfinite(ratio) else min(1.0, ratio)

    def change_tick(self, t: int) -> bool:
        """Put the venue on its new tick if one takes effect at step ``t`` (whether it did)."""
        if t not in self._tick_changes:
            return False
        self.venue.set_grid(self._tick_changes.pop(t))
        return True

    def observe(self, t: int, trading_halted: bool) -> StepContext:
        """The market as agents see it at the start of step ``t``."""
        reading = self.oracle.observe(t)
        bid, ask = self.book.best_bid, self.book.best_ask
        bid_usd = ticks_to_price(bid) if bid is not None else None
        ask_usd = ticks_to_price(ask) if ask is not None else None
        if bid_usd is not None and ask_usd is not None:
            mid = (bid_usd + ask_usd) / 2
        else:
            mid = self._last_ref
        last = self.venue.last_trade_price
        # Market makers and arbitrageurs hedge in gold itself, so they see its live volatility;
        # at weekends, when gold does not trade, the token's own mid moves are all there is.
        vol = float(self._gold_vol[t])
        if reading.stale:
            mids = self._mids[max(0, t - VOL_WINDOW) : t]
            mids = mids[np.isfinite(mids)]
            if mids.size > 2:
                # Robust scale (MAD): one repricing jump, e.g. a revealed loss, is news, not noise.
                # The mids are finite positive prices, so the moves are finite.
                log_mids = np.log(mids)
                moves = np.abs(log_mids[1:] - log_mids[:-1])  # np.diff, without its wrapper
                vol = max(vol, 1.4826 * _median(moves))
        now = self._times[t]
        return StepContext(
            step=t,
            now=now,
            gold_usd_oz=float(self.gold[t]),
            gold_g=usd_per_gram(float(self.gold[t])),
            oracle_g=usd_per_gram(reading.price),
            oracle_stale=reading.stale or not reading.ok,
            nav_ratio=self.nav_ratio(),
            best_bid=bid_usd,
            best_ask=ask_usd,
            mid=mid,
            last_price=ticks_to_price(last) if last else mid,
            vol_hourly=vol,
            primary_open=self.primary_enabled and self.primary.is_open(now),
            trading_halted=trading_halted,
            info_g=(
                usd_per_gram(float(self._gold_info[t])) if self._gold_info is not None else math.nan
            ),
            gold_open=bool(self._gold_open[t]) if self._gold_open is not None else True,
        )

    def deviation_now(self, ctx: StepContext) -> float:
        """The token's deviation from gold (bp) after this step's trading."""
        mid = self.book.mid()
        ref = ticks_to_price(mid) if mid is not None else self._last_ref
        return 1e4 * (ref / ctx.gold_g - 1.0)

    # --- settling and recording --------------------------------------------------------------------
    def settle(self, t: int) -> tuple[int, int]:
        """Settle the primary market's due tickets: gold (mg) minted and redeemed."""
        settled = self.primary.process(self._times[t], float(self.gold[t]))
        mints = sum(x.gold_mg for x in settled if x.kind is Kind.MINT)
        redemptions = sum(x.gold_mg for x in settled if x.kind is Kind.REDEEM)
        return mints, redemptions

    def reference_price(self) -> float:
        """The token's last known mid (USD), for marking holdings."""
        return self._last_ref

    def row(self, t: int, ctx: StepContext, settled: tuple[int, int]) -> dict[str, Any]:
        """The market's columns of step ``t``'s recorded row (see :mod:`gramabm.run_columns`)."""
        book, ledger = self.book, self.ledger
        bid, ask = book.best_bid, book.best_ask
        mid_t = book.mid()
        mid = ticks_to_price(mid_t) if mid_t is not None else math.nan
        if math.isfinite(mid):
            self._last_ref = mid
        self._mids[t] = mid
        vstats = self.venue.step_stats()
        last = ticks_to_price(vstats.last_price) if vstats.last_price else math.nan
        high = ticks_to_price(vstats.high_price) if vstats.high_price else math.nan
        low = ticks_to_price(vstats.low_price) if vstats.low_price else math.nan
        # A depth in mg times a USD-per-gram price, over mg per gram: USD.
        depth = {}
        for pct in (1, 2):
            b = book.depth(BUY, pct / 100) if mid_t is not None else 0
            a = book.depth(SELL, pct / 100) if mid_t is not None else 0
            depth[pct] = (
                b * mid / MG_PER_GRAM if b else 0.0,
                a * mid / MG_PER_GRAM if a else 0.0,
            )
        supply = ledger.supply
        # The vaults read once for the actual total, its ratio and the per-custodian columns.
        vault_mg = [c.actual_mg for c in self.custodians]
        actual_mg = sum(vault_mg)
        disclosed_mg = sum(c.disclosed_mg for c in self.custodians)
        pq = self.primary.stats()
        accepted = (
            pq.pending_mint_mg + pq.settled_mint_mg,
            pq.pending_redeem_mg + pq.settled_redeem_mg,
        )
        requested = (accepted[0] - self._accepted[0], accepted[1] - self._accepted[1])
        self._accepted = accepted
        terms = self.primary.terms
        gate = self.primary.redemption_gate
        gold_g = ctx.gold_g
        # Added in turn, not by sum(): since Python 3.12 sum() compensates the rounding of float
        # terms, and this column has always been the plain sum (its terms were numpy floats).
        arb_capital = 0.0
        for a in self.arb_accounts:
            arb_capital += (
                units_to_usd(ledger.balance(a, Asset.USD))
                + units_to_grams(ledger.balance(a, Asset.TOKEN)) * gold_g
            )
        values: dict[str, Any] = {
            "gold_usd_oz": ctx.gold_usd_oz,
            "gold_value_usd": gold_g,
            "oracle_usd_per_gram": ctx.oracle_g,
            "token_mid": mid,
            "token_last": last,
            "token_high": high,
            "token_low": low,
            "token_bid": ticks_to_price(bid) if bid is not None else math.nan,
            "token_ask": ticks_to_price(ask) if ask is not None else math.nan,
            "deviation_bp": 1e4 * (mid / gold_g - 1.0),
            "last_deviation_bp": 1e4 * (last / gold_g - 1.0),
            "spread_bp": (
                1e4 * (ask - bid) / mid_t
                if mid_t is not None and bid is not None and ask is not None
                else math.nan
            ),
            "depth_1pct_usd": sum(depth[1]),
            "depth_2pct_usd": sum(depth[2]),
            "depth_bid_1pct_usd": depth[1][0],
            "depth_ask_1pct_usd": depth[1][1],
            "volume_tokens": units_to_grams(vstats.volume_qty),
            "volume_usd": units_to_usd(vstats.volume_cash),
            "trades": vstats.trades,
            "supply_tokens": units_to_grams(supply),
            "reserves_actual_g": units_to_grams(actual_mg),
            "reserves_reported_g": units_to_grams(disclosed_mg),
            "reserve_ratio_actual": reserve_ratio(actual_mg, supply),
            "reserve_ratio_reported": reserve_ratio(disclosed_mg, supply),
            "mints_g": units_to_grams(settled[0]),
            "redemptions_g": units_to_grams(settled[1]),
            "mint_queue_g": units_to_grams(pq.pending_mint_mg),
            "redemption_queue_g": units_to_grams(pq.pending_redeem_mg),
            "mints_requested_g": units_to_grams(max(requested[0], 0)),
            "redemptions_requested_g": units_to_grams(max(requested[1], 0)),
            "mm_inventory_tokens": units_to_grams(
                sum(ledger.balance(a, Asset.TOKEN) for a in self.mm_accounts)
            ),
            "arb_capital_usd": arb_capital,
            "arb_locked_usd": sum(
                units_to_usd(ledger.reserved(a, Asset.USD)) for a in self.arb_accounts
            ),
            "mint_fee_bp": terms.mint_fee_bp,
            "redeem_fee_bp": terms.redeem_fee_bp,
            "redemption_gate_g": units_to_grams(gate) if gate is not None else math.nan,
            "primary_open": ctx.primary_open,
            "circuit_breaker": ctx.trading_halted,
        }
        for name, mg in zip(self._custodian_columns, vault_mg, strict=True):
            values[name] = units_to_grams(mg)
        return values


def _median(values: np.ndarray) -> float:
    """``np.median`` of a few finite values, bit for bit, by a sort of their list.

    Its average of the middle two is the same sum halved; ``np.median`` itself costs some 30
    microseconds of generic machinery on the day's two dozen moves, at every stale step.
    """
    ordered = sorted(values.tolist())
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _custody_shares(cfg: ModelConfig) -> np.ndarray:
    """Each custodian's share of the reserve: the first holds ``concentration``, the rest equally."""
    custody = cfg.custody
    if custody.n == 1:
        return np.array([1.0])
    rest = (1.0 - custody.concentration) / (custody.n - 1)
    return np.array([custody.concentration] + [rest] * (custody.n - 1))


def _pareto_wealth(cfg: ModelConfig, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed initial wealth with the configured mean (classical Pareto)."""
    alpha = cfg.holders.wealth_pareto_alpha
    xm = cfg.holders.mean_wealth_usd * (alpha - 1) / alpha
    return xm * (1.0 + rng.pareto(alpha, cfg.holders.n))


def _override_terms(terms: PrimaryTerms, cfg: ModelConfig) -> PrimaryTerms:
    """The preset's terms with the fees and hours the configuration sets."""
    changes: dict[str, Any] = {}
    if cfg.primary.mint_fee_bp is not None:
        changes["mint_fee_bp"] = cfg.primary.mint_fee_bp
        changes["mint_fee_tiers"] = ()
    if cfg.primary.redeem_fee_bp is not None:
        changes["redeem_fee_bp"] = cfg.primary.redeem_fee_bp
        changes["redeem_fee_tiers"] = ()
    if cfg.primary.always_open:
        changes["calendar"] = ALWAYS_OPEN
    return replace(terms, **changes) if changes else terms
