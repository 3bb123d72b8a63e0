"""The model as the agents see it: the few attributes they read from the Mesa model they live in.

Agents sit a floor below the model (ARCHITECTURE.md), so they cannot name
:class:`gramabm.model.GramModel`; this protocol states what they rely on instead, and each agent
class annotates its ``model`` attribute with it so that the type checker knows those attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gramabm.agents.holders import HolderPopulation
    from gramabm.market.ledger import Ledger
    from gramabm.market.primary import PrimaryMarket
    from gramabm.market.venue import Venue


class AgentModel(Protocol):
    """What agents read from (and, for ``incident_news``, write to) their model."""

    incident_news: float
    """Freshness of custodian-incident news, 0..1 (a custodian sets it to 1 on a revealed loss)."""

    @property
    def steps(self) -> int:
        """Mesa's step counter (steps begun so far)."""

    @property
    def ledger(self) -> Ledger:
        """The ledger holding every balance."""

    @property
    def venue(self) -> Venue:
        """The exchange the trading agents use."""

    @property
    def primary(self) -> PrimaryMarket:
        """The issuer's primary market."""

    @property
    def holders(self) -> HolderPopulation:
        """The holder population (governance tallies its token-weighted vote)."""

    def log_event(self, step: int, source: str, kind: str, detail: str) -> None:
        """Record an event for the run's event log."""
