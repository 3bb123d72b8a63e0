"""Governance: token-weighted votes with a quorum and a voting delay, plus an emergency path.

Three mechanisms, in the order they can act (docs/model.md D4):

* **Circuit breaker** (automatic): when the token deviates from gold by more than
  ``circuit_breaker_bp`` after a step's trading, the secondary market is halted for the next step
  (only for that one: the halted step's untraded book does not trip it again).
* **Emergency path** (a council, no vote): when the reported reserve ratio falls below
  ``emergency_reserve_ratio`` it gates redemptions at ``gate_share_per_day`` of supply per day, so
  the first redeemers cannot drain what is left of a short reserve.
* **Token-weighted proposals**: when |deviation| stays above ``trigger_deviation_bp`` for
  ``trigger_steps`` steps, a proposal to halve the primary-market fee on the side that would close
  the gap is put to a vote. After ``voting_delay_steps`` it is tallied: turnout is the token-weighted
  share of holders who vote (worried holders vote more: each votes with probability
  ``0.02 + panic``: the holders cast their votes in :meth:`HolderPopulation.vote
  <gramabm.agents.holders.HolderPopulation.vote>`, governance only counts them), it passes with turnout at or above ``quorum`` and a majority of the votes cast.
  Holders vote for stability measures with probability ``0.5 + panic / 2``.

Scenario ``governance_action`` events apply a lever directly (a decision taken outside the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from collections.abc import Callable

    from gramabm.agents.host import AgentModel
    from gramabm.agents.reports import Reports
    from gramabm.config import GovernanceConfig
    from gramabm.market.context import StepContext
    from gramabm.market.primary import PrimaryMarket


@dataclass
class Proposal:
    """A pending governance proposal."""

    kind: str  # "mint_fee_bp" or "redeem_fee_bp"
    value: float
    created: int
    execute_at: int


class Governance(mesa.Agent):
    """The token's governance.

    Args:
        model: The model it belongs to.
        cfg: Governance parameters.
        primary: The primary market whose levers it pulls.
    """

    model: AgentModel  # Mesa sets it; typed by what the agents read from it

    def __init__(self, model: mesa.Model, cfg: GovernanceConfig, primary: PrimaryMarket) -> None:
        super().__init__(model)
        self.cfg = cfg
        self.primary = primary
        self.pending: list[Proposal] = []
        self.actions_taken = 0
        self.halt_next_step = False
        self._outside_steps = 0
        self._gated = False

    def _act(self, reports: Reports, step: int, kind: str, detail: str) -> None:
        self.actions_taken += 1
        reports.event(step, "governance", kind, detail)

    def apply_action(
        self, step: int, lever: str, value: float | bool | None, reports: Reports
    ) -> str:
        """Set a lever a scenario's ``governance_action`` names (validated when it was built)."""
        if lever in ("mint_fee_bp", "redeem_fee_bp"):
            fee = round(float(value), 2)  # type: ignore[arg-type]  # fees are set in 0.01 bp
            self.primary.set_fee(lever.removesuffix("_fee_bp"), fee)
        elif lever == "redemption_gate_g":
            self.primary.set_redemption_gate(None if value is None else round(float(value) * 1000))
        elif lever == "suspend_redemptions":
            self.primary.suspend("redeem", bool(value))
        elif lever == "suspend_mints":
            self.primary.suspend("mint", bool(value))
        else:
            raise ValueError(f"unknown lever {lever!r}")  # parse_event refuses it first
        detail = f"{lever} set to {value}"
        self._act(reports, step, "lever", detail)
        return detail

    def step(
        self,
        ctx: StepContext,
        deviation_bp: float,
        supply_mg: int,
        poll: Callable[[], Votes],
        reports: Reports,
    ) -> None:
        """Review the peg and the reserves; count the holders' votes on proposals that are due.

        Args:
            ctx: The step's observation.
            deviation_bp: The token's deviation from gold now (after this step's trading).
            supply_mg: Tokens in circulation.
            poll: The holders' vote on a stability measure (asked only when a proposal is due).
            reports: Where governance reports what it did.
        """
        cfg = self.cfg
        self.halt_next_step = False
        if not cfg.enabled:
            return
        t = ctx.step
        # A halted step's book did not trade: its stale deviation must not halt the market again,
        # or a halt would outlast the move that caused it (the breaker halts for one step).
        if not ctx.trading_halted and abs(deviation_bp) > cfg.circuit_breaker_bp:
            self.halt_next_step = True
            self._act(
                reports,
                t,
                "circuit_breaker",
                f"deviation {deviation_bp:+.0f} bp: market halted one step",
            )
        if not self._gated and ctx.nav_ratio < cfg.emergency_reserve_ratio:
            gate = round(supply_mg * cfg.gate_share_per_day)
            self.primary.set_redemption_gate(gate)
            self._gated = True
            self._act(
                reports,
                t,
                "emergency_gate",
                f"reported reserve ratio {ctx.nav_ratio:.3f}: redemptions gated at "
                f"{gate / 1e6:,.1f} kg/day",
            )
        self._outside_steps = (
            self._outside_steps + 1 if abs(deviation_bp) > cfg.trigger_deviation_bp else 0
        )
        if self._outside_steps >= cfg.trigger_steps and not self.pending:
            side = "redeem" if deviation_bp < 0 else "mint"
            terms = self.primary.terms
            current = terms.redeem_fee_bp if side == "redeem" else terms.mint_fee_bp
            if current > 0:
                halved = round(current / 2, 2)  # fees are set in 0.01 bp
                self.pending.append(
                    Proposal(f"{side}_fee_bp", halved, t, t + cfg.voting_delay_steps)
                )
                reports.event(t, "governance", "proposal", f"halve the {side} fee to {halved:g} bp")
        for proposal in [p for p in self.pending if p.execute_at <= t]:
            self.pending.remove(proposal)
            turnout, support = count(poll(), supply_mg)
            if turnout >= cfg.quorum and support > 0.5:
                self.primary.set_fee(proposal.kind.removesuffix("_fee_bp"), proposal.value)
                self._act(
                    reports,
                    t,
                    "vote_passed",
                    f"{proposal.kind} -> {proposal.value:g} bp (turnout {turnout:.1%}, yes {support:.0%})",
                )
            else:
                reports.event(
                    t,
                    "governance",
                    "vote_failed",
                    f"{proposal.kind} (turnout {turnout:.1%}, yes {support:.0%})",
                )


@dataclass(frozen=True)
class Votes:
    """The holders' token-weighted vote on a stability measure (what governance counts).

    Args:
        held_mg: Tokens the holders hold.
        cast_mg: Expected tokens voting.
        yes_mg: Expected tokens voting yes.
    """

    held_mg: float
    cast_mg: float
    yes_mg: float


def count(votes: Votes, supply_mg: float) -> tuple[float, float]:
    """Turnout (share of the supply that voted) and the yes-share of the votes cast."""
    supply = float(supply_mg)
    if supply <= 0 or votes.held_mg <= 0:
        return 0.0, 0.0
    turnout = votes.cast_mg
    return turnout / supply, votes.yes_mg / turnout if turnout > 0 else 0.0
