"""Governance: token-weighted votes with a quorum and a voting delay, plus an emergency path.

Three mechanisms, in the order they can act (DOMAIN.md §4):

* **Circuit breaker** (automatic): when the token deviates from gold by more than
  ``circuit_breaker_bp`` the secondary market is halted for the next step.
* **Emergency path** (a council, no vote): when the reported reserve ratio falls below
  ``emergency_reserve_ratio`` it gates redemptions at ``gate_share_per_day`` of supply per day, so
  the first redeemers cannot drain what is left of a short reserve.
* **Token-weighted proposals**: when |deviation| stays above ``trigger_deviation_bp`` for
  ``trigger_steps`` steps, a proposal to halve the primary-market fee on the side that would close
  the gap is put to a vote. After ``voting_delay_steps`` it is tallied: turnout is the token-weighted
  share of holders who vote (worried holders vote more: each votes with probability
  ``0.02 + panic``), it passes with turnout at or above ``quorum`` and a majority of the votes cast.
  Holders vote for stability measures with probability ``0.5 + panic / 2``.

Scenario ``governance_action`` events apply a lever directly (a decision taken outside the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from gramabm.agents.context import StepContext
    from gramabm.agents.host import AgentModel
    from gramabm.config import GovernanceConfig
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
        model: The model (gives ``holders``, ``ledger`` and ``log_event``).
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

    def _log(self, step: int, kind: str, detail: str) -> None:
        self.actions_taken += 1
        self.model.log_event(step, "governance", kind, detail)

    def apply_action(self, step: int, lever: str, value: float | bool | None) -> str:
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
        self._log(step, "lever", detail)
        return detail

    def step_with(self, ctx: StepContext, deviation_bp: float) -> None:
        """Review the peg and the reserves; tally proposals that are due."""
        cfg = self.cfg
        self.halt_next_step = False
        if not cfg.enabled:
            return
        t = ctx.step
        if abs(deviation_bp) > cfg.circuit_breaker_bp:
            self.halt_next_step = True
            self._log(
                t, "circuit_breaker", f"deviation {deviation_bp:+.0f} bp: market halted one step"
            )
        if not self._gated and ctx.nav_ratio < cfg.emergency_reserve_ratio:
            supply = self.model.ledger.supply
            gate = round(supply * cfg.gate_share_per_day)
            self.primary.set_redemption_gate(gate)
            self._gated = True
            self._log(
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
                self.model.log_event(
                    t, "governance", "proposal", f"halve the {side} fee to {halved:g} bp"
                )
        for proposal in [p for p in self.pending if p.execute_at <= t]:
            self.pending.remove(proposal)
            turnout, support = self._tally()
            if turnout >= cfg.quorum and support > 0.5:
                self.primary.set_fee(proposal.kind.removesuffix("_fee_bp"), proposal.value)
                self._log(
                    t,
                    "vote_passed",
                    f"{proposal.kind} -> {proposal.value:g} bp (turnout {turnout:.1%}, yes {support:.0%})",
                )
            else:
                self.model.log_event(
                    t,
                    "governance",
                    "vote_failed",
                    f"{proposal.kind} (turnout {turnout:.1%}, yes {support:.0%})",
                )

    def _tally(self) -> tuple[float, float]:
        """Token-weighted turnout and yes-share of the holders' vote."""
        pop = self.model.holders
        tokens = pop.tokens_mg().astype(float)
        supply = float(self.model.ledger.supply)
        if supply <= 0 or tokens.sum() <= 0:
            return 0.0, 0.0
        p_vote = np.clip(0.02 + pop.panic, 0.0, 1.0)
        turnout_tokens = float((tokens * p_vote).sum())
        yes = float((tokens * p_vote * (0.5 + pop.panic / 2)).sum())
        return turnout_tokens / supply, yes / turnout_tokens if turnout_tokens > 0 else 0.0
