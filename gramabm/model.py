"""GramModel: holders, arbitrageurs, market makers, custodians and governance react to a gold scenario.

The model wires the Mesa-free market layer (ledger, order book and venue, primary market, custodians,
oracle) to the agents and runs the scenario's gold path step by step (one hour by default). Each step,
in this order, because each reacts to what the one before it did:

1. the scenario's events for this step happen (custodian incidents, market-maker withdrawal, oracle
   outage, governance action, safe-haven demand) and custodians publish attestations that fell due;
2. the oracle shows the gold price as agents see it; the model gathers a :class:`StepContext`;
3. market makers requote (or withdraw), then arbitrageurs trade the book against the primary market;
4. the holders decide in one vectorised policy call and send their orders in one batch;
5. the primary market settles what is due, governance reviews the peg and the reserves;
6. the recorder writes one row.

Every random draw comes from generators seeded from the model's ``rng`` in a fixed order, so one seed
gives an identical run, whatever else runs in the process.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
import pandas as pd

from gramabm.agents.arbitrageurs import Arbitrageur
from gramabm.agents.context import StepContext
from gramabm.agents.custodians import CustodianAgent
from gramabm.agents.governance import Governance
from gramabm.agents.holders import HolderPopulation, build_social_graph
from gramabm.agents.liquidity_traders import LiquidityFlow
from gramabm.agents.market_makers import MarketMaker
from gramabm.agents.observation import observed_features
from gramabm.agents.value_traders import ValueTrader
from gramabm.config import ModelConfig, build_config
from gramabm.data.calendar import TradingCalendar
from gramabm.market.custody import (
    AttestationSchedule,
    Custodian,
    actual_reserve_ratio,
    reported_reserve_ratio,
)
from gramabm.market.ledger import Asset, Ledger
from gramabm.market.oracle import Oracle
from gramabm.market.orderbook import BUY, SELL, OrderBook
from gramabm.market.presets import get_preset
from gramabm.market.primary import Kind, PrimaryMarket
from gramabm.market.venue import Venue
from gramabm.policies.base import HolderPolicy
from gramabm.policies.rule_based import RuleBasedPolicy
from gramabm.recorder import StepRecorder
from gramabm.run_columns import BOOL_COLUMNS, FLOAT_COLUMNS, INT_COLUMNS, custodian_column
from gramabm.scenarios.base import ScenarioPath
from gramabm.scenarios.gold_session import SessionSettings, session_gold_path, weekend_information
from gramabm.units import GRAMS_PER_TROY_OUNCE

_WORLD_USD = 10**17  # micro-dollars ($100 billion) the world gold market can pay out
_WORLD_GOLD_MG = 10**13  # 10,000 tonnes of gold outside the token, in mg
_VOL_WINDOW = 24  # steps of the realised-volatility estimate agents use
_STEPS_PER_DAY = 24


@dataclass
class RunResult:
    """What one run collected: the per-step series, holder records, events and metadata."""

    timeseries: pd.DataFrame
    holders: pd.DataFrame
    events: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


class GramModel(mesa.Model):
    """The Gram stress-test model.

    Args:
        config: A validated configuration (default: :class:`ModelConfig` defaults).
        rng: Seed or generator (Mesa 3 style); one seed gives an identical run.
        path: A ready gold path; by default the configured scenario is generated from ``prices``.
        prices: Gold history the scenario is built from (default: the built-in series).
        policy: Holder policy (default: the rule-based baseline with the configured parameters).
        **params: Flat overrides (``holders=5000``, ``preset="xaut"``, ``steps=200``, dotted paths),
            so SolaraViz and batch runners can rebuild a model from keyword arguments.
    """

    def __init__(
        self,
        config: ModelConfig | None = None,
        *,
        rng: int | np.random.Generator | None = None,
        path: ScenarioPath | None = None,
        prices: pd.Series | None = None,
        policy: HolderPolicy | None = None,
        **params: Any,
    ) -> None:
        if isinstance(rng, str):  # browser controls hand over text; Mesa refuses a string seed
            rng = int(rng)
        super().__init__(rng=rng)
        base = config.model_dump() if config is not None else None
        self.config = cfg = build_config(base, **params)
        seeds = np.random.SeedSequence(int(self.rng.integers(2**63))).spawn(6)
        self._rng_holders = np.random.default_rng(seeds[0])
        self._rng_agents = np.random.default_rng(seeds[1])

        # --- the gold path ------------------------------------------------------------------
        if path is None:
            path = _generate_path(cfg, prices, int(seeds[2].generate_state(1)[0]))
        if path.n_steps < cfg.steps:
            raise ValueError(
                f"the gold path has {path.n_steps} steps, fewer than the {cfg.steps} asked"
            )
        self.path = path
        self.n_steps = cfg.steps
        self.gold = np.asarray(path.gold_usd_oz[: cfg.steps], dtype=float)
        self.timestamps = path.timestamps[: cfg.steps]
        # Indexing a DatetimeIndex costs ~15 us; a list of its Timestamps, ~50 ns (3% of a step).
        self._times: list[pd.Timestamp] = list(self.timestamps)
        # [realism hook 1] gold's trading session: intraday pattern, shut at weekends, the hidden
        # weekend move read in part by the token market (gramabm.scenarios.gold_session).
        self._gold_info = self.gold
        session = cfg.gold_session
        # A path shaped hour by hour (a shock with its own intraday profile) keeps its shape.
        shaped = path.meta.get("shock_step") is not None or "shock_start_step" in path.meta
        if session.enabled and cfg.step_hours == 1.0 and not shaped:
            traded, latent = session_gold_path(
                pd.DatetimeIndex(self.timestamps),
                self.gold,
                np.asarray(path.is_fix[: cfg.steps]),
                np.random.default_rng(seeds[4]),
                SessionSettings(
                    weekend_variance=session.weekend_variance,
                    own_move_weight=session.own_move_weight,
                ),
            )
            self.gold = traded
            self._gold_info = weekend_information(traded, latent, session.weekend_info_share)
        self.events_by_step: dict[int, list[Any]] = {}
        for ev in path.events:
            if 0 <= ev.step < cfg.steps:
                self.events_by_step.setdefault(ev.step, []).append(ev)
        gold_g0 = self.gold[0] / GRAMS_PER_TROY_OUNCE

        # --- market layer ---------------------------------------------------------------------
        self.ledger = ledger = Ledger(capacity=cfg.holders.n + 64 + cfg.value_traders.n + 1)
        self.world = ledger.open_account("gold_market")
        ledger.genesis(self.world, Asset.USD, _WORLD_USD)
        ledger.genesis(self.world, Asset.GOLD, _WORLD_GOLD_MG)
        self.issuer = ledger.open_account("issuer")
        self.exchange_fees = ledger.open_account("exchange_fees")
        self.primary_fees = ledger.open_account("primary_fees")
        self.book = OrderBook()
        self.venue = Venue(
            ledger, self.book, fee_account=self.exchange_fees, taker_fee_bp=cfg.trading_fee_bp
        )
        terms = get_preset(cfg.primary.preset)
        terms = _override_terms(terms, cfg)
        self.custodians = self._make_custodians(terms)
        self.oracle = Oracle(
            self.timestamps,
            self.gold,
            latency_steps=cfg.oracle.latency_steps,
            # Gold spot trades around the clock on business days: the oracle goes stale at
            # weekends and holidays, not outside the primary market's office hours.
            calendar=TradingCalendar(holidays=terms.calendar.holidays),
            stale_outside_sessions=cfg.oracle.stale_outside_sessions,
        )

        # --- agents and their endowments --------------------------------------------------------
        holder_accounts = ledger.open_accounts(cfg.holders.n, "holder")
        mm_accounts = [ledger.open_account(f"market_maker_{i}") for i in range(cfg.market_makers.n)]
        arb_accounts = [ledger.open_account(f"arbitrageur_{i}") for i in range(cfg.arbitrageurs.n)]
        # [realism hook 2] discount buyers (cash only) and the liquidity flow's pool.
        vt_accounts = [ledger.open_account(f"value_trader_{i}") for i in range(cfg.value_traders.n)]
        flow_account = ledger.open_account("liquidity_flow")
        for acc in vt_accounts:
            ledger.genesis(acc, Asset.USD, round(cfg.value_traders.capital_usd * 1e6))
        ledger.genesis(flow_account, Asset.USD, round(cfg.liquidity_traders.capital_usd * 1e6))
        flow_tokens = round(cfg.liquidity_traders.inventory_g * 1000)
        wealth = _pareto_wealth(cfg, self._rng_holders)
        token_mg = np.floor(wealth * cfg.holders.token_share / gold_g0 * 1000).astype(np.int64)
        cash = np.floor(wealth * (1 - cfg.holders.token_share) * 1e6).astype(np.int64)
        ledger.genesis_many(holder_accounts, Asset.USD, cash)
        mm_tokens = round(cfg.market_makers.inventory_g * 1000)
        arb_tokens = round(cfg.arbitrageurs.inventory_g * 1000)
        for acc in mm_accounts:
            ledger.genesis(acc, Asset.USD, round(cfg.market_makers.capital_usd * 1e6))
        for acc in arb_accounts:
            ledger.genesis(acc, Asset.USD, round(cfg.arbitrageurs.capital_usd * 1e6))
        initial = [
            (int(a), int(q)) for a, q in zip(holder_accounts, token_mg, strict=True) if q > 0
        ]
        initial += [(a, mm_tokens) for a in mm_accounts if mm_tokens > 0]
        initial += [(a, arb_tokens) for a in arb_accounts if arb_tokens > 0]
        initial += [(flow_account, flow_tokens)] if flow_tokens > 0 else []
        self._seed_reserves(initial)
        self.initial_supply_mg = ledger.supply

        institutional = self._rng_holders.random(cfg.holders.n) < cfg.holders.institutional_share
        authorised = {*arb_accounts, *(int(a) for a in holder_accounts[institutional])}
        if cfg.market_makers.authorised:  # [realism hook 3] makers unload through the primary
            authorised.update(mm_accounts)
        self.primary = PrimaryMarket(
            ledger,
            self.custodians,
            terms,
            issuer_account=self.issuer,
            fee_account=self.primary_fees,
            gold_market_account=self.world,
            authorised=authorised,
        )
        self.primary_enabled = cfg.primary.enabled
        if not cfg.primary.enabled:
            self.primary.suspend("mint", True)
            self.primary.suspend("redeem", True)

        policy = policy or RuleBasedPolicy(
            risk_aversion=cfg.holders.risk_aversion, herding=cfg.holders.herding
        )
        graph = build_social_graph(cfg.holders, int(seeds[3].generate_state(1)[0]))
        self.network = graph
        self.holders = HolderPopulation(
            self,
            cfg.holders,
            holder_accounts,
            institutional,
            graph,
            policy,
            ledger,
            self._rng_holders,
            entry_price=gold_g0,
        )
        self.market_makers = [
            MarketMaker(self, a, cfg.market_makers, gold_g0, counterparty=self.world)
            for a in mm_accounts
        ]
        self.arbitrageurs = [Arbitrageur(self, a, cfg.arbitrageurs) for a in arb_accounts]
        self.value_traders = [
            ValueTrader(self, a, cfg.value_traders, self.world) for a in vt_accounts
        ]
        self.liquidity_flow = LiquidityFlow(
            self, flow_account, cfg.liquidity_traders, np.random.default_rng(seeds[5])
        )
        self.custodian_agents = [CustodianAgent(self, c) for c in self.custodians]
        self.governance = Governance(self, cfg.governance, self.primary)

        # --- state and recording --------------------------------------------------------------
        self._refresh_observations()
        moves = pd.Series(np.diff(np.log(self.gold), prepend=np.log(self.gold[0])))
        # Volatility per step over the last day of gold moves (shifted: known at the step).
        self._gold_vol = (
            moves.rolling(_VOL_WINDOW, min_periods=3).std(ddof=0).fillna(0.0).to_numpy()
        )
        self._mids = np.full(cfg.steps, np.nan)
        self._last_ref = gold_g0
        self.incident_news = 0.0
        self.safe_haven_until = -1
        self.safe_haven_strength = 0.0
        self.halted = False
        self._accepted = (0, 0)
        self.event_log: list[tuple[int, str, str, str]] = []
        self.recorder = StepRecorder(
            cfg.steps, FLOAT_COLUMNS, int_columns=INT_COLUMNS, bool_columns=BOOL_COLUMNS
        )
        for c in self.custodians:
            self.recorder.add_column(custodian_column(c.name))
        self._sample = np.sort(
            self._rng_holders.choice(
                cfg.holders.n, size=min(cfg.holder_sample, cfg.holders.n), replace=False
            )
        )
        self._holder_rows: list[pd.DataFrame] = []
        self._holder_wealth0 = wealth
        self._gold0 = float(self.gold[0])
        for c in self.custodians:
            c.update(self.timestamps[0])

    # --- construction helpers ------------------------------------------------------------------
    def _make_custodians(self, terms: Any) -> list[Custodian]:
        cfg = self.config.custody
        schedule: AttestationSchedule = terms.attestation
        return [
            Custodian(
                f"custodian_{i}",
                self.ledger,
                self.ledger.open_account(f"custodian_{i}:vault"),
                daily_capacity_mg=round(cfg.daily_capacity_g * 1000),
                attestation=schedule,
            )
            for i in range(cfg.n)
        ]

    def _custody_shares(self) -> np.ndarray:
        cfg = self.config.custody
        if cfg.n == 1:
            return np.array([1.0])
        rest = (1.0 - cfg.concentration) / (cfg.n - 1)
        return np.array([cfg.concentration] + [rest] * (cfg.n - 1))

    def _seed_reserves(self, allocations: list[tuple[int, int]]) -> None:
        """Start the token: gold bought from the world market into the vaults, tokens to holders.

        Nothing is created: the gold moves from the world's stock, and each initial token is minted
        against a gram in a vault, so supply equals reserves at the start.
        """
        total = sum(q for _, q in allocations)
        shares = self._custody_shares()
        vault_mg = np.floor(shares * total).astype(np.int64)
        vault_mg[0] += total - int(vault_mg.sum())
        for custodian, mg in zip(self.custodians, vault_mg, strict=True):
            self.ledger.transfer(self.world, custodian.vault_account, Asset.GOLD, int(mg))
        for account, qty in allocations:
            self.ledger.mint_tokens(account, qty)

    # --- events ---------------------------------------------------------------------------------
    def log_event(self, step: int, source: str, kind: str, detail: str) -> None:
        """Append to the run's event log (incidents, withdrawals, governance actions)."""
        self.event_log.append((step, source, kind, detail))

    def _apply_event(self, t: int, ev: Any) -> None:
        now = self._times[t]
        p = dict(ev.params)
        kind = ev.kind
        if kind.startswith("custodian_"):
            custodian = self.custodians[int(p.get("custodian", 0)) % len(self.custodians)]
            if kind == "custodian_loss":
                lost = custodian.lose_share(float(p.get("share", 0.1)), now)
                detail = (
                    f"{custodian.name} lost {lost / 1e6:,.1f} kg (undisclosed until attestation)"
                )
            elif kind == "custodian_freeze":
                hours = float(p.get("hours", 72))
                custodian.freeze(now + pd.Timedelta(hours=hours))
                self.incident_news = 1.0
                detail = f"{custodian.name} frozen for {hours:g} h"
            elif kind == "custodian_slowdown":
                custodian.slow(float(p.get("extra_hours", 48)))
                detail = f"{custodian.name} settles {p.get('extra_hours', 48)} h slower"
            elif kind == "custodian_insolvency":
                custodian.insolvent()
                self.incident_news = 1.0
                detail = f"{custodian.name} insolvent"
            else:
                detail = str(p)
        elif kind == "mm_withdrawal":
            ctx = self._context(t)
            until = t + int(p.get("steps", 24))
            for mm in self.market_makers:
                mm.withdraw(ctx, "scenario event", until=until)
            detail = f"all market makers out until step {until}"
        elif kind == "oracle_outage":
            steps = int(p.get("steps", 12))
            self.oracle.add_outage(t, t + steps)
            self._refresh_observations()
            detail = f"oracle down for {steps} steps"
        elif kind == "governance_action":
            detail = self.governance.apply_action(t, p)
        elif kind == "safe_haven_demand":
            self.safe_haven_until = t + int(p.get("steps", 48))
            self.safe_haven_strength = float(p.get("strength", 0.3))
            detail = (
                f"safe-haven buying {self.safe_haven_strength:.0%} for {p.get('steps', 48)} steps"
            )
        else:
            detail = f"unknown event kind {kind!r} ignored"
        self.log_event(t, "scenario", kind, detail)

    # --- per-step observation ---------------------------------------------------------------------
    def nav_ratio(self) -> float:
        """Reported reserve ratio capped at one: what the public thinks a token is a claim on."""
        ratio = reported_reserve_ratio(self.custodians, self.ledger.supply)
        return 1.0 if not math.isfinite(ratio) else min(1.0, ratio)

    def _context(self, t: int) -> StepContext:
        reading = self.oracle.observe(t)
        gold_g = self.gold[t] / GRAMS_PER_TROY_OUNCE
        oracle_g = reading.price / GRAMS_PER_TROY_OUNCE
        bid, ask = self.book.best_bid, self.book.best_ask
        bid_usd = bid / 1000 if bid is not None else None
        ask_usd = ask / 1000 if ask is not None else None
        if bid_usd is not None and ask_usd is not None:
            mid = (bid_usd + ask_usd) / 2
        else:
            mid = self._last_ref
        last = self.venue.last_trade_price
        last_usd = last / 1000 if last else mid
        # Market makers and arbitrageurs hedge in gold itself, so they see its live volatility;
        # at weekends, when gold does not trade, the token's own mid moves are all there is.
        vol = float(self._gold_vol[t])
        if reading.stale:
            lo = max(0, t - _VOL_WINDOW)
            mids = self._mids[lo:t]
            mids = mids[np.isfinite(mids)]
            if mids.size > 2:
                # Robust scale (MAD): one repricing jump, e.g. a revealed loss, is news, not noise.
                moves = np.abs(np.diff(np.log(mids)))
                vol = max(vol, 1.4826 * float(np.median(moves)))
        return StepContext(
            step=t,
            now=self._times[t],
            gold_usd_oz=float(self.gold[t]),
            gold_g=gold_g,
            oracle_g=oracle_g,
            oracle_stale=reading.stale or not reading.ok,
            nav_ratio=self.nav_ratio(),
            best_bid=bid_usd,
            best_ask=ask_usd,
            mid=mid,
            last_price=last_usd,
            vol_hourly=vol,
            primary_open=self.primary_enabled and self.primary.is_open(self._times[t]),
            trading_halted=self.halted,
            info_g=float(self._gold_info[t]) / GRAMS_PER_TROY_OUNCE,
        )

    def _refresh_observations(self) -> None:
        """Recompute the whole-path features from the oracle (at set-up and after an outage)."""
        self._features = observed_features(self.oracle.observed_prices(), _STEPS_PER_DAY)

    def _market_features(self, t: int, ctx: StepContext) -> dict[str, float]:
        """Population-wide policy features at step ``t`` (what holders can see)."""
        values = {name: float(arr[t]) for name, arr in self._features.items()}
        values["deviation_bp"] = 1e4 * (ctx.mid / ctx.fair_g - 1.0)
        return values

    # --- the step ---------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one step (see the module docstring for the order)."""
        t = self.steps - 1
        if t >= self.n_steps:
            self.running = False
            return
        now = self._times[t]
        for ev in self.events_by_step.get(t, ()):
            self._apply_event(t, ev)
        for agent in self.custodian_agents:
            agent.step_with(now)
        ctx = self._context(t)
        self.venue.take_step_stats()  # only this step's trades count below

        order = self._rng_agents.permutation(len(self.market_makers))
        for i in order:
            self.market_makers[i].step_with(ctx)
        order = self._rng_agents.permutation(len(self.arbitrageurs))
        for i in order:
            self.arbitrageurs[i].step_with(ctx)
        for trader in self.value_traders:  # [realism hook 5] discount buyers
            trader.step(ctx)

        stats, redeem_mg = self._step_holders(t, ctx)
        # [realism hook 6] the liquidity flow trades through the hour; its orders close it.
        self.liquidity_flow.step(ctx)

        settled = self.primary.process(now, float(self.gold[t]))
        mints = sum(x.gold_mg for x in settled if x.kind is Kind.MINT)
        redemptions = sum(x.gold_mg for x in settled if x.kind is Kind.REDEEM)
        self.governance.step_with(ctx, self._deviation_now(ctx))
        self.halted = self.governance.halt_next_step
        self.incident_news *= 0.98  # news fades over a few days
        self._record(t, ctx, stats, mints, redemptions, redeem_mg)
        if t + 1 >= self.n_steps:
            self.running = False

    def _deviation_now(self, ctx: StepContext) -> float:
        mid = self.book.mid()
        ref = mid / 1000 if mid is not None else self._last_ref
        return 1e4 * (ref / ctx.gold_g - 1.0)

    def _step_holders(self, t: int, ctx: StepContext) -> tuple[Any, int]:
        pop = self.holders
        features = self._market_features(t, ctx)
        actions = pop.decide(features, self.incident_news, ctx.mid)
        if t < self.safe_haven_until:  # a share of inactive holders rushes in to buy
            idle = np.flatnonzero(actions < 0)
            extra = idle[self._rng_holders.random(idle.size) < self.safe_haven_strength / 24]
            actions[extra] = 1
        redeem_mg = 0
        if not ctx.trading_halted:
            tokens_before = pop.tokens_mg().copy()
            owners, sides, prices, qtys, kinds = pop.orders(
                actions, ctx.best_bid, ctx.best_ask, ctx.mid
            )
            if owners.size:
                self.venue.submit_batch(owners, sides, prices, qtys, kinds)
            pop.update_cost_basis(tokens_before, ctx.mid)
        if ctx.primary_open:
            free = pop.available(Asset.TOKEN)
            for i in np.flatnonzero(actions == 3):
                qty = int(free[i])
                if qty > 0:
                    ticket = self.primary.request_redeem(
                        int(pop.accounts[i]), qty, ctx.now, ctx.gold_usd_oz
                    )
                    if ticket.accepted:
                        redeem_mg += qty
        return pop.stats(actions), redeem_mg

    def _record(
        self, t: int, ctx: StepContext, stats: Any, mints: int, redemptions: int, redeem_mg: int
    ) -> None:
        book = self.book
        bid, ask = book.best_bid, book.best_ask
        mid_t = book.mid()
        mid = mid_t / 1000 if mid_t is not None else math.nan
        if math.isfinite(mid):
            self._last_ref = mid
        self._mids[t] = mid
        vstats = self.venue.step_stats()
        last = vstats.last_price / 1000 if vstats.last_price else math.nan
        gold_g = ctx.gold_g
        depth = {}
        for pct in (1, 2):
            b = book.depth(BUY, pct / 100) if mid_t is not None else 0
            a = book.depth(SELL, pct / 100) if mid_t is not None else 0
            depth[pct] = (b * mid / 1000 if b else 0.0, a * mid / 1000 if a else 0.0)
        supply = self.ledger.supply
        actual = sum(c.actual_mg for c in self.custodians)
        disclosed = sum(c.disclosed_mg for c in self.custodians)
        pq = self.primary.stats()
        accepted = (
            pq.pending_mint_mg + pq.settled_mint_mg,
            pq.pending_redeem_mg + pq.settled_redeem_mg,
        )
        requested = (accepted[0] - self._accepted[0], accepted[1] - self._accepted[1])
        self._accepted = accepted
        terms = self.primary.terms
        values: dict[str, float] = {
            "gold_usd_oz": ctx.gold_usd_oz,
            "gold_value_usd": gold_g,
            "oracle_usd_per_gram": ctx.oracle_g,
            "is_fix": bool(self.path.is_fix[t]),
            "token_mid": mid,
            "token_last": last,
            "token_bid": bid / 1000 if bid is not None else math.nan,
            "token_ask": ask / 1000 if ask is not None else math.nan,
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
            "volume_tokens": vstats.volume_qty / 1000,
            "volume_usd": vstats.volume_cash / 1e6,
            "trades": vstats.trades,
            "supply_tokens": supply / 1000,
            "reserves_actual_g": actual / 1000,
            "reserves_reported_g": disclosed / 1000,
            "reserve_ratio_actual": actual_reserve_ratio(self.custodians, supply),
            "reserve_ratio_reported": reported_reserve_ratio(self.custodians, supply),
            "mints_g": mints / 1000,
            "redemptions_g": redemptions / 1000,
            "mint_queue_g": pq.pending_mint_mg / 1000,
            "redemption_queue_g": pq.pending_redeem_mg / 1000,
            "mints_requested_g": max(requested[0], 0) / 1000,
            "redemptions_requested_g": max(requested[1], 0) / 1000,
            "holders_hold": stats.hold,
            "holders_buy": stats.buy,
            "holders_sell": stats.sell,
            "holders_redeem": stats.redeem,
            "holders_panicked": stats.panicked,
            "panic_mean": stats.panic_mean,
            "mm_active": sum(mm.active for mm in self.market_makers),
            "mm_inventory_tokens": sum(
                self.ledger.balance(mm.account, Asset.TOKEN) for mm in self.market_makers
            )
            / 1000,
            "arb_capital_usd": sum(
                self.ledger.balance(a.account, Asset.USD) / 1e6
                + self.ledger.balance(a.account, Asset.TOKEN) / 1000 * gold_g
                for a in self.arbitrageurs
            ),
            "arb_locked_usd": sum(
                self.ledger.reserved(a.account, Asset.USD) / 1e6 for a in self.arbitrageurs
            ),
            "mint_fee_bp": terms.mint_fee_bp,
            "redeem_fee_bp": terms.redeem_fee_bp,
            "redemption_gate_g": (
                self.primary.redemption_gate / 1000
                if self.primary.redemption_gate is not None
                else math.nan
            ),
            "primary_open": ctx.primary_open,
            "circuit_breaker": ctx.trading_halted,
            "governance_actions": self.governance.actions_taken,
        }
        for c in self.custodians:
            values[custodian_column(c.name)] = c.actual_mg / 1000
        self.recorder.record(t, ctx.now, values)
        cfg = self.config
        if self._sample.size and (t % cfg.holder_record_every == 0 or t == self.n_steps - 1):
            self._record_holders(t, mid if math.isfinite(mid) else self._last_ref, gold_g)

    def _record_holders(self, t: int, mid: float, gold_g: float) -> None:
        """Holder-level sample: wealth now against simply holding gold since the start."""
        idx = self._sample
        pop = self.holders
        tokens = pop.tokens_mg()[idx] / 1000
        usd = pop.usd_micro()[idx] / 1e6
        wealth = usd + tokens * mid
        # Benchmark: the starting wealth put in gold at the start and simply held.
        gold_hold = self._holder_wealth0[idx] * (self.gold[t] / self._gold0)
        self._holder_rows.append(
            pd.DataFrame(
                {
                    "step": t,
                    "holder": idx,
                    "state": pop.last_action[idx],
                    "panic": pop.panic[idx],
                    "tokens": tokens,
                    "usd": usd,
                    "wealth_usd": wealth,
                    "gold_hold_usd": gold_hold,
                    "pnl_vs_gold": wealth / gold_hold - 1.0,
                }
            )
        )

    # --- running and results ------------------------------------------------------------------------
    def run(self, progress: Callable[[int], None] | None = None) -> RunResult:
        """Run every remaining step and return what was collected.

        The set-up's objects are frozen out of Python's cyclic garbage collector for the run:
        they live as long as the model, and scanning them again and again cost a third of the
        run time in profiles.
        """
        gc.freeze()  # no collect first: a full collection of the set-up costs more than it frees
        try:
            while self.running and self.steps < self.n_steps:
                self.step()
                if progress is not None:
                    progress(self.steps)
        finally:
            gc.unfreeze()
        return self.result()

    def _shock_step_in_run(self) -> int | None:
        """The scenario's shock step, or None when the run ends before the shock comes."""
        shock = self.path.meta.get("shock_step")
        return int(shock) if shock is not None and int(shock) < self.n_steps else None

    def check_invariants(self) -> None:
        """Conservation: ledger totals, supply = minted − burned, no negative balance."""
        self.ledger.check()

    def result(self) -> RunResult:
        """The collected data so far."""
        ts = self.recorder.to_frame()
        holders = (
            pd.concat(self._holder_rows, ignore_index=True)
            if self._holder_rows
            else pd.DataFrame(columns=["step", "holder", "state", "panic", "tokens", "usd"])
        )
        events = pd.DataFrame(self.event_log, columns=["step", "source", "kind", "detail"])
        meta = {
            "scenario": self.path.name,
            "seed": self.path.seed,
            "shock_step": self._shock_step_in_run(),
            "step_hours": self.config.step_hours,
            "config": self.config.model_dump(),
            "initial_supply_tokens": self.initial_supply_mg / 1000,
        }
        return RunResult(ts, holders, events, meta)


def _pareto_wealth(cfg: ModelConfig, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed initial wealth with the configured mean (classical Pareto)."""
    alpha = cfg.holders.wealth_pareto_alpha
    xm = cfg.holders.mean_wealth_usd * (alpha - 1) / alpha
    return xm * (1.0 + rng.pareto(alpha, cfg.holders.n))


def _override_terms(terms: Any, cfg: ModelConfig) -> Any:
    from dataclasses import replace

    from gramabm.data.calendar import ALWAYS_OPEN

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


def _generate_path(cfg: ModelConfig, prices: pd.Series | None, seed: int) -> ScenarioPath:
    from gramabm.scenarios import get_scenario

    params = dict(cfg.scenario_params)
    if cfg.initial_price_usd_oz is not None:
        params.setdefault("start_price", cfg.initial_price_usd_oz)
    scenario = get_scenario(cfg.scenario, prices, **params)
    return scenario.generate(cfg.steps, seed=seed)
