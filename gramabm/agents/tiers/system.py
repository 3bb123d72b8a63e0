"""The two-tier system as the model hooks it in: the GRAM tier, its agents, its events.

:func:`build_tiers` gives a ``gram`` run its :class:`TwoTier` (and refuses a two-tier event in
any other run). Each step, after XAUT's own market has traded, :meth:`TwoTier.step` activates the
tier's agents by type, in this order, because each reacts to the one before:

1. what the scenario scheduled to end this step ends (a gas spike, a freeze, a halt);
2. the distressed seller sells XAUT on its book (while a selling-pressure event runs);
3. GRAM holders sell in fear or buy back (one vectorised batch), migrants leave;
4. wrap/unwrap arbitrageurs close GRAM's gap to the wrapper's rate (shuffled);
5. cross-venue arbitrageurs carry XAUT's book price to its pool (shuffled), which GRAM's
   dollar price follows; where the book has no quote on the side needed, they trade the pool
   against gold, hedged;
6. liquidity providers withdraw where volatility or their losses pass their limits (and come
   back once a pool is calm and near par again).

Arbitrage comes after the holders' flow, as it comes in the next block on chain.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import mesa
import numpy as np
from mesa.agent import AgentSet

from gramabm.agents.tiers.arbitrageurs import CrossVenueArbitrageur, WrapArbitrageur
from gramabm.agents.tiers.holders import GramHolders
from gramabm.agents.tiers.providers import LiquidityProvider
from gramabm.agents.tiers.seller import DistressedSeller
from gramabm.errors import ConfigError
from gramabm.market.gram_tier import GramTier
from gramabm.market.liquidity_rule import WithdrawalLimits
from gramabm.market.world import MarketWorld
from gramabm.preset_names import TWO_TIER_PRESETS
from gramabm.run_columns import TIER_COLUMNS
from gramabm.scenarios.base import Event
from gramabm.scenarios.events import (
    TIER_EVENTS,
    GasSpike,
    GramMigration,
    LpExit,
    ScenarioEvent,
    WrapperFreeze,
    XautIssuerIncident,
    XautSellPressure,
)
from gramabm.units import GRAMS_PER_TROY_OUNCE, MG_PER_GRAM

if TYPE_CHECKING:
    from gramabm.agents.reports import Reports
    from gramabm.config import ModelConfig
    from gramabm.market.context import StepContext


class _Recorder(Protocol):
    def add_column(self, name: str) -> None: ...


def build_tiers(
    model: mesa.Model,
    world: MarketWorld,
    cfg: ModelConfig,
    events: Iterable[Event],
    order: random.Random,
    seed: np.random.SeedSequence,
) -> TwoTier | None:
    """The GRAM tier of a two-tier run, or None for a single-tier one.

    Raises:
        ConfigError: If a single-tier run schedules a two-tier event (naming it and the preset).
    """
    events = list(events)
    if cfg.primary.preset not in TWO_TIER_PRESETS:
        for ev in events:
            if isinstance(ev.typed, TIER_EVENTS):
                raise ConfigError(
                    f"event {ev.kind!r} at step {ev.step} needs the two-tier system; "
                    f"primary.preset = {cfg.primary.preset!r}, so use one of "
                    f"{', '.join(sorted(TWO_TIER_PRESETS))}"
                )
        return None
    return TwoTier(model, world, cfg, events, order, seed)


class TwoTier:
    """The GRAM tier and its agents in one run.

    Args:
        model: The Mesa model.
        world: XAUT's tier (the run's market world).
        cfg: The run's configuration.
        events: The scenario's events (the selling-pressure ones size the seller's budget).
        order: The model's seeded activation order.
        seed: The tier's own random stream (GRAM holders).
    """

    def __init__(
        self,
        model: mesa.Model,
        world: MarketWorld,
        cfg: ModelConfig,
        events: list[Event],
        order: random.Random,
        seed: np.random.SeedSequence,
    ) -> None:
        tc = cfg.tiers
        sell_oz = sum(e.typed.oz for e in events if isinstance(e.typed, XautSellPressure))
        self.tier = tier = GramTier(world, cfg, sell_budget_oz=sell_oz)
        self.times = world.times
        self.seller = DistressedSeller(model, tier, tier.seller, tier.seller_chain)
        self.cross_arbs = AgentSet(
            [
                CrossVenueArbitrageur(model, tier, a, tc.arb_capital_usd / 2)
                for a in tier.cross_arbs
            ],
            random=order,
        )
        self.wrap_arbs = AgentSet(
            [WrapArbitrageur(model, tier, a, tc.arb_capital_usd / 2) for a in tier.wrap_arbs],
            random=order,
        )
        self.holders = GramHolders(model, tier, tc, np.random.default_rng(seed))
        limits = WithdrawalLimits(tc.lp_max_volatility, tc.lp_max_loss)
        self.providers = AgentSet(
            [LiquidityProvider(model, tier, a, limits) for a in tier.providers], random=order
        )
        self._due: dict[int, list[tuple[str, Callable[[], str]]]] = {}

    # --- the step ---------------------------------------------------------------------------------
    def step(self, ctx: StepContext, reports: Reports) -> None:
        """Run the tier's agents for step ``ctx.step`` (see the module docstring for the order)."""
        t = ctx.step
        for kind, end in self._due.pop(t, ()):
            reports.event(t, "scenario", f"{kind}_end", end())
        self.tier.observe(t, ctx.gold_usd_oz)
        self.seller.step(t, ctx.gold_g, ctx.trading_halted)
        self.holders.step(t)
        self.wrap_arbs.shuffle_do("step", ctx.mid * GRAMS_PER_TROY_OUNCE)
        self.cross_arbs.shuffle_do(
            "step", ctx.trading_halted, ctx.reference_g * GRAMS_PER_TROY_OUNCE
        )
        self.providers.do("step", t, ctx.mid * GRAMS_PER_TROY_OUNCE, ctx.vol_hourly, reports)

    def add_columns(self, recorder: _Recorder) -> None:
        """Give the recorder the tier's columns."""
        for col in TIER_COLUMNS:
            recorder.add_column(col.name)

    def row(self, ctx: StepContext, xaut_dev_bp: float) -> dict[str, float]:
        """The tier's columns of the step's row."""
        lp_active = sum(p.active for p in self.providers)
        return self.tier.row(ctx.gold_usd_oz, xaut_dev_bp, lp_active)

    def check(self) -> None:
        """Conservation and cover in the chain ledgers, the bridge and the holders' parts."""
        self.tier.check()
        self.holders.check()

    # --- events -----------------------------------------------------------------------------------
    def apply(self, t: int, ev: ScenarioEvent, reports: Reports) -> str:
        """Run the one handler of a two-tier event; return what it did."""
        return _HANDLERS[type(ev)](self, t, ev, reports)

    def _later(self, t: int, kind: str, end: Callable[[], str]) -> None:
        self._due.setdefault(t, []).append((kind, end))

    def _on_sell_pressure(self, t: int, ev: XautSellPressure, reports: Reports) -> str:
        mg = round(ev.oz * GRAMS_PER_TROY_OUNCE * MG_PER_GRAM)
        self.seller.start(t, ev.discount, ev.steps, mg)
        return f"{ev.oz:,.0f} oz of XAUT sold down to {ev.discount:.1%} below gold for {ev.steps} steps"

    def _on_issuer_incident(self, t: int, ev: XautIssuerIncident, reports: Reports) -> str:
        world, now = self.tier.world, self.times[t]
        done = []
        if ev.loss_share > 0:
            lost = sum(c.lose_share(ev.loss_share, now) for c in world.custodians)
            done.append(f"{lost / 1e6:,.1f} kg of XAUT's gold lost (undisclosed)")
        if ev.insolvent:
            for c in world.custodians:
                c.insolvent()
            done.append("XAUT's issuer insolvent")
        if ev.halt_steps:
            world.primary.suspend("redeem", True)
            self._later(t + ev.halt_steps, "xaut_redemption_halt", self._resume_redemptions)
            done.append(f"XAUT redemptions halted for {ev.halt_steps} steps")
        if ev.insolvent or ev.halt_steps:
            reports.breaking_news()
        return "; ".join(done) or "no effect (all parameters zero)"

    def _resume_redemptions(self) -> str:
        self.tier.world.primary.suspend("redeem", False)
        return "XAUT redemptions resume"

    def _on_wrapper_freeze(self, t: int, ev: WrapperFreeze, reports: Reports) -> str:
        self.tier.market.wrapper.frozen = True
        reports.breaking_news()
        if ev.steps:
            self._later(t + ev.steps, "wrapper_freeze", self._unfreeze)
            return f"the GRAM contract's XAUT frozen for {ev.steps} steps"
        return "the GRAM contract's XAUT frozen for good"

    def _unfreeze(self) -> str:
        self.tier.market.wrapper.frozen = False
        return "the GRAM contract's XAUT released"

    def _on_gas_spike(self, t: int, ev: GasSpike, reports: Reports) -> str:
        self.tier.set_gas_multiplier(ev.multiple)
        self._later(t + ev.steps, "gas_spike", self._gas_back)
        return f"gas at {ev.multiple:g}x for {ev.steps} steps"

    def _gas_back(self) -> str:
        self.tier.set_gas_multiplier(1.0)
        return "gas back to its configured price"

    def _on_lp_exit(self, t: int, ev: LpExit, reports: Reports) -> str:
        for p in self.providers:
            p.withdraw_share(ev.share)
        return f"liquidity providers pulled {ev.share:.0%} of their liquidity"

    def _on_migration(self, t: int, ev: GramMigration, reports: Reports) -> str:
        n = self.holders.schedule_migration(t + ev.delay_steps, ev.take_up, ev.steps)
        return (
            f"migration voted: {n} GRAM holders move to another gold token from step "
            f"{t + ev.delay_steps} over {ev.steps} steps"
        )


_HANDLERS: dict[type[ScenarioEvent], Callable[[TwoTier, int, Any, Reports], str]] = {
    XautSellPressure: TwoTier._on_sell_pressure,
    XautIssuerIncident: TwoTier._on_issuer_incident,
    WrapperFreeze: TwoTier._on_wrapper_freeze,
    GasSpike: TwoTier._on_gas_spike,
    LpExit: TwoTier._on_lp_exit,
    GramMigration: TwoTier._on_migration,
}
"""One handler per two-tier event type (:data:`gramabm.scenarios.events.TIER_EVENTS`)."""
