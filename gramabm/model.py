"""GramModel: holders, arbitrageurs, market makers, custodians and governance react to a gold scenario.

The market they trade in, built and read without Mesa, is a
:class:`~gramabm.market.world.MarketWorld`; the model puts the agents in it and runs the scenario's
gold path step by step (one hour by default). Each step, in this order, because each reacts to what
the one before it did:

1. the scenario's events for this step happen (one handler per event type) and custodians publish
   the attestations that fell due;
2. the world gives every agent the same observation (a :class:`StepContext`);
3. market makers, then arbitrageurs, act in a shuffled order (Mesa agent sets), then the
   discount buyers;
4. the holder population decides in one vectorised policy call and those that act trade, then the
   liquidity flow's small orders close the hour; if a side of the book now stands empty, a market
   maker with none of its orders left there re-quotes (real dealers re-quote within seconds);
5. the primary market settles what is due; governance reviews the peg and counts votes;
6. the recorder writes one row (``datacollector`` gives it Mesa's interface).

Agents never write to the model: they hand back events and news in a
:class:`~gramabm.agents.reports.Reports`. Every random draw comes from generators seeded from the
model's ``rng`` in a fixed order, so one seed gives an identical run.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.agent import AgentSet

from gramabm.agents.arbitrageurs import Arbitrageur
from gramabm.agents.custodians import CustodianAgent
from gramabm.agents.governance import Governance
from gramabm.agents.holders import HolderPopulation, build_social_graph
from gramabm.agents.liquidity_traders import LiquidityFlow
from gramabm.agents.market_makers import MarketMaker
from gramabm.agents.reports import Reports
from gramabm.agents.tiers.system import build_tiers
from gramabm.agents.value_traders import ValueTrader
from gramabm.config import ModelConfig, build_config
from gramabm.errors import ConfigError
from gramabm.market.context import StepContext
from gramabm.market.custody import (
    Custodian,
)
from gramabm.market.world import MarketWorld
from gramabm.policies.base import HolderPolicy
from gramabm.policies.factory import policy_for
from gramabm.recorder import RecorderCollector, StepRecorder
from gramabm.run_columns import BOOL_COLUMNS, FLOAT_COLUMNS, INT_COLUMNS, custodian_column
from gramabm.scenarios.base import Event, ScenarioPath
from gramabm.scenarios.events import (
    CUSTODIAN_EVENTS,
    TIER_EVENTS,
    CustodianFreeze,
    CustodianInsolvency,
    CustodianLoss,
    CustodianSlowdown,
    GovernanceAction,
    MarketMakerWithdrawal,
    OracleOutage,
    SafeHavenDemand,
    ScenarioEvent,
)
from gramabm.scenarios.gold_session import (
    SessionSettings,
    gold_market_open,
    session_gold_path,
    weekend_information,
)
from gramabm.units import MG_PER_GRAM, MICRO_USD_PER_USD, units_to_grams, usd_per_gram

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
        policy: Holder policy (default: the estimator ``holders.policy`` names, through
            :func:`gramabm.policies.factory.policy_for`).
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
        gold_info = self._gold_session(cfg, path, seeds[4])
        self.events_by_step: dict[int, list[Event]] = {}
        for ev in path.events:
            if isinstance(ev.typed, CUSTODIAN_EVENTS) and ev.typed.custodian >= cfg.custody.n:  # type: ignore[attr-defined]
                raise ConfigError(
                    f"event {ev.kind!r} at step {ev.step}: custodian={ev.typed.custodian} "  # type: ignore[attr-defined]
                    f"is refused; custody.n = {cfg.custody.n}, so it accepts 0 to {cfg.custody.n - 1}"
                )
            if 0 <= ev.step < cfg.steps:
                self.events_by_step.setdefault(ev.step, []).append(ev)
        self.market = world = MarketWorld(
            cfg,
            self.timestamps,
            self.gold,
            self._rng_holders,
            gold_info=gold_info,
            gold_open=gold_market_open(pd.DatetimeIndex(self.timestamps), SessionSettings()),
        )
        gold_g0 = usd_per_gram(float(self.gold[0]))

        if policy is None:  # an estimator passed in wins over the configured name
            policy = policy_for(cfg.holders)
        graph = build_social_graph(cfg.holders, int(seeds[3].generate_state(1)[0]))
        self.network = graph
        self.holders = HolderPopulation(
            cfg.holders,
            world.holder_accounts,
            world.institutional,
            graph,
            policy,
            world.ledger,
            self._rng_holders,
            entry_price=gold_g0,
        )
        # Agent sets activate in an order drawn from the model's seeded stream.
        order = _SeededOrder(self._rng_agents)
        self.market_makers = AgentSet(
            [
                MarketMaker(
                    self,
                    a,
                    cfg.market_makers,
                    gold_g0,
                    f"market_maker_{i}",
                    counterparty=world.gold_market,
                    lender=world.flow_account,
                )
                for i, a in enumerate(world.mm_accounts)
            ],
            random=order,
        )
        self.arbitrageurs = AgentSet(
            [Arbitrageur(self, a, cfg.arbitrageurs) for a in world.arb_accounts], random=order
        )
        self.value_traders = AgentSet(
            [ValueTrader(self, a, cfg.value_traders, world.gold_market) for a in world.vt_accounts],
            random=order,
        )
        self.liquidity_flow = LiquidityFlow(
            self,
            world.flow_account,
            cfg.liquidity_traders,
            np.random.default_rng(seeds[5]),
            loans=[mm.token_loan for mm in self.market_makers if mm.token_loan is not None],
        )
        self.custodian_agents = AgentSet(
            [CustodianAgent(self, c) for c in self.custodians], random=order
        )
        self.governance = Governance(self, cfg.governance, self.primary)
        # The GRAM tier over XAUT in a two-tier (``gram``) run, else None.
        self.tiers = build_tiers(self, world, cfg, path.events, order, seeds[5].spawn(1)[0])

        # --- state and recording --------------------------------------------------------------
        self._refresh_observations()
        self.incident_news = 0.0
        self.halted = False
        self.reports = Reports()
        self.recorder = StepRecorder(
            cfg.steps, FLOAT_COLUMNS, int_columns=INT_COLUMNS, bool_columns=BOOL_COLUMNS
        )
        for c in self.custodians:
            self.recorder.add_column(custodian_column(c.name))
        if self.tiers is not None:
            self.tiers.add_columns(self.recorder)
        self.datacollector = RecorderCollector(self.recorder, self._scalar_metrics)
        self._sample = np.sort(
            self._rng_holders.choice(
                cfg.holders.n, size=min(cfg.holder_sample, cfg.holders.n), replace=False
            )
        )
        self._holder_rows: list[dict[str, np.ndarray]] = []
        self._holder_wealth0 = world.holder_wealth
        self._gold0 = float(self.gold[0])
        for c in self.custodians:
            c.update(self.timestamps[0])

    def _gold_session(
        self, cfg: ModelConfig, path: ScenarioPath, seed: np.random.SeedSequence
    ) -> np.ndarray | None:
        """Give hourly gold its trading session; return what the token market reads of it.

        Between fixes gold follows the day's volatility pattern and stays flat while its market is
        shut, while a hidden weekend move goes on that the token market reads in part
        (:mod:`gramabm.scenarios.gold_session`). A path shaped hour by hour (a shock with its own
        intraday profile) keeps its shape. None: the token market reads gold as it trades.
        """
        session = cfg.gold_session
        shaped = path.meta.get("shock_step") is not None or "shock_start_step" in path.meta
        if not session.enabled or cfg.step_hours != 1.0 or shaped:
            return None
        traded, latent = session_gold_path(
            pd.DatetimeIndex(self.timestamps),
            self.gold,
            np.asarray(path.is_fix[: cfg.steps]),
            np.random.default_rng(seed),
            SessionSettings.of(session),
        )
        self.gold = traded
        return weekend_information(traded, latent, session.weekend_info_share)

    # --- the market world, as agents and Mesa tools know it ------------------------------------
    ledger = property(lambda self: self.market.ledger, doc="The ledger holding every balance.")
    venue = property(lambda self: self.market.venue, doc="The exchange.")
    book = property(lambda self: self.market.book, doc="The exchange's order book.")
    primary = property(lambda self: self.market.primary, doc="The issuer's primary market.")
    custodians = property(lambda self: self.market.custodians, doc="The vaults.")
    oracle = property(lambda self: self.market.oracle, doc="The gold price oracle.")

    # --- events ---------------------------------------------------------------------------------
    @property
    def event_log(self) -> list[tuple[int, str, str, str]]:
        """The run's events so far: ``(step, source, kind, detail)`` in order."""
        return self.reports.events

    def holder_agents(self) -> AgentSet:
        """The holders as Mesa agents, created on the first call (the step never needs them)."""
        return AgentSet(self.holders.as_agents(self), random=self.random)

    def _apply_event(self, t: int, ev: Event) -> None:
        """Run the one handler of the event's type and log what it did."""
        detail = _HANDLERS[type(ev.typed)](self, t, ev.typed)
        self.reports.event(t, "scenario", ev.kind, detail)

    def _custodian(self, ev: Any) -> Custodian:
        return self.custodians[ev.custodian]

    def _on_custodian_loss(self, t: int, ev: CustodianLoss) -> str:
        custodian = self._custodian(ev)
        lost = custodian.lose_share(ev.share, self._times[t])
        return f"{custodian.name} lost {lost / 1e6:,.1f} kg (undisclosed until attestation)"

    def _on_custodian_freeze(self, t: int, ev: CustodianFreeze) -> str:
        custodian = self._custodian(ev)
        custodian.freeze(self._times[t] + pd.Timedelta(hours=ev.hours))
        self.incident_news = 1.0
        return f"{custodian.name} frozen for {ev.hours:g} h"

    def _on_custodian_slowdown(self, t: int, ev: CustodianSlowdown) -> str:
        custodian = self._custodian(ev)
        custodian.slow(ev.extra_hours)
        return f"{custodian.name} settles {ev.extra_hours:g} h slower"

    def _on_custodian_insolvency(self, t: int, ev: CustodianInsolvency) -> str:
        custodian = self._custodian(ev)
        custodian.insolvent()
        self.incident_news = 1.0
        return f"{custodian.name} insolvent"

    def _on_mm_withdrawal(self, t: int, ev: MarketMakerWithdrawal) -> str:
        ctx = self._context(t)
        until = t + ev.steps
        for mm in self.market_makers:
            mm.withdraw(ctx, "scenario event", self.reports, until=until)
        return f"all market makers out until step {until}"

    def _on_oracle_outage(self, t: int, ev: OracleOutage) -> str:
        self.oracle.add_outage(t, t + ev.steps)
        self._refresh_observations()
        return f"oracle down for {ev.steps} steps"

    def _on_governance_action(self, t: int, ev: GovernanceAction) -> str:
        return self.governance.apply_action(t, ev.lever, ev.value, self.reports)

    def _on_tier_event(self, t: int, ev: ScenarioEvent) -> str:
        assert self.tiers is not None  # build_tiers refuses a two-tier event in a one-tier run
        return self.tiers.apply(t, ev, self.reports)

    def _on_safe_haven_demand(self, t: int, ev: SafeHavenDemand) -> str:
        self.holders.start_safe_haven(t + ev.steps, ev.strength)
        return f"safe-haven buying {ev.strength:.0%} for {ev.steps} steps"

    def _context(self, t: int) -> StepContext:
        return self.market.observe(t, self.halted)

    def _refresh_observations(self) -> None:
        """Holders see the oracle's published path anew (at set-up and after an outage)."""
        self.holders.observe_oracle(self.oracle.observed_prices(), _STEPS_PER_DAY)

    # --- the step ---------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one step (see the module docstring for the order)."""
        t = self.steps - 1
        if t >= self.n_steps:
            self.running = False
            return
        for ev in self.events_by_step.get(t, ()):
            self._apply_event(t, ev)
        self.custodian_agents.do("step", t, self._times[t], self.reports)
        if self.reports.take_news():
            self.incident_news = 1.0
        if self.market.change_tick(t):  # the venue cleared its book for the new tick
            self.reports.event(t, "venue", "tick", "price step changed, resting orders cancelled")
        ctx = self.market.observe(t, self.halted)
        self.venue.take_step_stats()  # only this step's trades count below
        self.market_makers.shuffle_do("step", ctx, self.reports)
        self.arbitrageurs.shuffle_do("step", ctx)
        self.value_traders.do("step", ctx)
        holders = self.holders.step(ctx, self.incident_news, self.venue, self.primary)
        self.liquidity_flow.step(ctx)
        # A fixed order, no shuffle: refilling draws nothing, so the seeds' streams stay as they were.
        self.market_makers.do("replenish", ctx)
        if self.tiers is not None:
            self.tiers.step(ctx, self.reports)
        settled = self.market.settle(t)
        deviation = self.market.deviation_now(ctx)
        self.governance.step(ctx, deviation, self.ledger.supply, self.holders.vote, self.reports)
        self.halted = self.governance.halt_next_step
        self.incident_news *= 0.98  # news fades over a few days
        self._record(t, ctx, settled, holders)
        if t + 1 >= self.n_steps:
            self.running = False

    def _record(self, t: int, ctx: StepContext, settled: tuple[int, int], holders: Any) -> None:
        row = self.market.row(t, ctx, settled)
        row["is_fix"] = bool(self.path.is_fix[t])
        row.update(holders.columns())
        row["mm_active"] = sum(mm.active for mm in self.market_makers)
        row["governance_actions"] = self.governance.actions_taken
        if self.tiers is not None:
            row.update(self.tiers.row(ctx, row["deviation_bp"]))
        self.recorder.record(t, ctx.now, row)
        if self._sample.size and (
            t % self.config.holder_record_every == 0 or t == self.n_steps - 1
        ):
            self._record_holders(t, self.market.reference_price())

    def _record_holders(self, t: int, mid: float) -> None:
        """Holder-level sample: wealth now against simply holding gold since the start."""
        idx = self._sample
        pop = self.holders
        tokens = pop.tokens_mg()[idx] / MG_PER_GRAM
        usd = pop.usd_micro()[idx] / MICRO_USD_PER_USD
        wealth = usd + tokens * mid
        # Benchmark: the starting wealth put in gold at the start and simply held.
        gold_hold = self._holder_wealth0[idx] * (self.gold[t] / self._gold0)
        # Columns kept as arrays and joined into one frame by result(): a DataFrame per record
        # cost more than the rest of the recording.
        self._holder_rows.append(
            {
                "step": np.full(idx.size, t, dtype=np.int64),
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
        if self.tiers is not None:
            self.tiers.check()

    def metrics(self, result: RunResult | None = None) -> Any:
        """The stress metrics of the run so far (:class:`~gramabm.analysis.runs.metrics.RunMetrics`)."""
        from gramabm.analysis.runs.metrics import run_metrics

        res = result if result is not None else self.result()
        return run_metrics(
            res.timeseries,
            shock_step=res.meta.get("shock_step"),
            step_hours=self.config.step_hours,
            events=res.events,
            holders=res.holders,
        )

    def _scalar_metrics(self) -> dict[str, Any]:
        return {k: v for k, v in self.metrics().to_dict().items() if not isinstance(v, list)}

    def result(self) -> RunResult:
        """The collected data so far."""
        ts = self.recorder.to_frame()
        holders = (
            pd.DataFrame(
                {
                    name: np.concatenate([rows[name] for rows in self._holder_rows])
                    for name in self._holder_rows[0]
                }
            )
            if self._holder_rows
            else pd.DataFrame(columns=["step", "holder", "state", "panic", "tokens", "usd"])
        )
        events = pd.DataFrame(self.reports.events, columns=["step", "source", "kind", "detail"])
        meta = {
            "scenario": self.path.name,
            "seed": self.path.seed,
            "shock_step": self._shock_step_in_run(),
            "step_hours": self.config.step_hours,
            "config": self.config.model_dump(),
            "initial_supply_tokens": units_to_grams(self.market.initial_supply_mg),
        }
        return RunResult(ts, holders, events, meta)


_HANDLERS: dict[type[ScenarioEvent], Callable[[GramModel, int, Any], str]] = {
    CustodianLoss: GramModel._on_custodian_loss,
    CustodianFreeze: GramModel._on_custodian_freeze,
    CustodianSlowdown: GramModel._on_custodian_slowdown,
    CustodianInsolvency: GramModel._on_custodian_insolvency,
    MarketMakerWithdrawal: GramModel._on_mm_withdrawal,
    OracleOutage: GramModel._on_oracle_outage,
    GovernanceAction: GramModel._on_governance_action,
    SafeHavenDemand: GramModel._on_safe_haven_demand,
    **dict.fromkeys(TIER_EVENTS, GramModel._on_tier_event),
}
"""One handler per event type (the types and their parameters: :mod:`gramabm.scenarios.events`)."""


class _SeededOrder(random.Random):
    """Activation order for Mesa's ``shuffle_do``, drawn from one of the model's numpy streams."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(0)
        self._rng = rng

    def shuffle(self, x: list[Any]) -> None:  # type: ignore[override]
        """Permute ``x`` in place with the numpy stream.

        ``Generator.shuffle`` of a list makes the same swaps from the same draws as
        ``x[:] = [x[i] for i in rng.permutation(len(x))]``, at a fraction of its cost.
        """
        self._rng.shuffle(x)


def _generate_path(cfg: ModelConfig, prices: pd.Series | None, seed: int) -> ScenarioPath:
    from gramabm.scenarios import get_scenario

    params = dict(cfg.scenario_params)
    if cfg.initial_price_usd_oz is not None:
        params.setdefault("start_price", cfg.initial_price_usd_oz)
    scenario = get_scenario(cfg.scenario, prices, **params)
    return scenario.generate(cfg.steps, seed=seed)
