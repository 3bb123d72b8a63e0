"""Custodian agents: the Mesa face of the market layer's vaults.

The vault's state (gold, attestations, incidents) lives in :class:`gramabm.market.custody.Custodian`,
tested without Mesa; the agent gives it a place in the model's agent set and its per-step duty:
publishing the attestations that fell due, which is when holders learn of a hidden loss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import pandas as pd

from gramabm.market.custody import Custodian

if TYPE_CHECKING:
    from gramabm.agents.host import AgentModel
    from gramabm.agents.reports import Reports


class CustodianAgent(mesa.Agent):
    """A custodian holding part of the reserve.

    Args:
        model: The model it belongs to.
        custodian: The vault it operates.
    """

    model: AgentModel  # Mesa sets it; typed by what the agents read from it

    def __init__(self, model: mesa.Model, custodian: Custodian) -> None:
        super().__init__(model)
        self.custodian = custodian

    def step(self, step: int, now: pd.Timestamp, reports: Reports) -> None:
        """Attest if due; a revealed loss becomes public news at once."""
        hidden = self.custodian.undisclosed_loss_mg
        if self.custodian.update(now) and hidden > 0:
            reports.breaking_news()
            reports.event(
                step,
                self.custodian.name,
                "attestation",
                f"reveals a loss of {hidden / 1e6:,.1f} kg",
            )
