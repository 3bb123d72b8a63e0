"""The model as the agents see it: the few attributes they read from the Mesa model they live in.

Agents sit a floor below the model (README, "Architecture"), so they cannot name
:class:`gramabm.model.GramModel`; this protocol states what they rely on instead, and each agent
class annotates its ``model`` attribute with it so that the type checker knows those attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gramabm.market.ledger import Ledger
    from gramabm.market.primary import PrimaryMarket
    from gramabm.market.venue import Venue


class AgentModel(Protocol):
    """What agents read from their model (they never write to it: see :mod:`gramabm.agents.reports`)."""

    @property
    def ledger(self) -> Ledger:
        """The ledger holding every balance."""

    @property
    def venue(self) -> Venue:
        """The exchange the trading agents use."""

    @property
    def primary(self) -> PrimaryMarket:
        """The issuer's primary market."""
