"""What every trading agent shares: a ledger account and the model's market.

Market makers and arbitrageurs are Mesa agents that hold an account in the ledger and trade
through the venue; this base gives them typed access to both and their balances, so each
behaviour module holds only its own decisions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from gramabm.market.ledger import Asset

if TYPE_CHECKING:
    from gramabm.agents.host import AgentModel
    from gramabm.market.context import StepContext
    from gramabm.market.ledger import Ledger
    from gramabm.market.primary import Kind, PrimaryMarket
    from gramabm.market.venue import Venue


class TradingAgent(mesa.Agent):
    """A Mesa agent with a ledger account that trades through the model's venue.

    Args:
        model: The model; it must carry ``ledger``, ``venue`` and ``primary``.
        account: The agent's ledger account.
    """

    model: AgentModel  # Mesa sets it; typed by what the agents read from it

    def __init__(self, model: mesa.Model, account: int) -> None:
        super().__init__(model)
        self.account = account

    @property
    def ledger(self) -> Ledger:
        """The model's ledger."""
        return self.model.ledger

    @property
    def venue(self) -> Venue:
        """The exchange the agent trades on."""
        return self.model.venue

    @property
    def primary(self) -> PrimaryMarket:
        """The issuer's primary market."""
        return self.model.primary

    def balance(self, asset: Asset) -> int:
        """The agent's balance of ``asset`` in base units."""
        return self.ledger.balance(self.account, asset)

    def available(self, asset: Asset) -> int:
        """What the agent can still commit: balance less what orders and requests reserve."""
        return self.ledger.available(self.account, asset)

    def primary_fee_bp(self, kind: Kind, amount_mg: int, ctx: StepContext) -> float:
        """The primary market's fee (bp) on ``amount_mg`` tokens at this step's gold value."""
        notional = round(amount_mg / 1000 * ctx.gold_g * 1e6)
        return self.primary.terms.fee_bp(kind, notional)
