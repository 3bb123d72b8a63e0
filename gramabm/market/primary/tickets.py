"""What a primary-market request is and what became of it.

Kinds, statuses, refusals, quotes, tickets, settlements and the market's running statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from gramabm.errors import MarketError


class PrimaryMarketError(MarketError, ValueError):
    """A call the primary market cannot take (bad quantity or price, unknown custodian)."""


class Kind(StrEnum):
    """What a ticket asks for."""

    MINT = "mint"
    REDEEM = "redeem"


class Status(StrEnum):
    """Where a ticket stands."""

    REFUSED = "refused"
    PENDING = "pending"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class Refusal(StrEnum):
    """Why a request was refused."""

    SUSPENDED = "suspended"
    NOT_OFFERED = "not_offered"
    UNAUTHORISED = "unauthorised"
    CLOSED = "closed"
    BELOW_MINIMUM = "below_minimum"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    GATED = "gated"
    OVER_CAPACITY = "over_capacity"
    INSUFFICIENT_RESERVES = "insufficient_reserves"
    CUSTODIAN_FROZEN = "custodian_frozen"
    CUSTODIAN_INSOLVENT = "custodian_insolvent"
    MARKET_ILLIQUID = "market_illiquid"


@dataclass(frozen=True, slots=True)
class Quote:
    """What a request would move, at a given gold price.

    Attributes:
        kind: Mint or redemption.
        in_kind: Redemption for bars.
        tokens_mg: Tokens issued in all (mint, fee included) or surrendered (redemption).
        fee_mg: Tokens going to the fee account.
        gold_mg: Gold moving into (mint) or out of (redemption) the vaults.
        cash_units: Collateral paid (mint) or received (cash redemption); 0 in kind.
        fee_bp: Fee rate applied.
    """

    kind: Kind
    in_kind: bool
    tokens_mg: int
    fee_mg: int
    gold_mg: int
    cash_units: int
    fee_bp: float


@dataclass(frozen=True, slots=True)
class Settlement:
    """A settled ticket.

    Attributes:
        ticket_id: The ticket.
        kind: Mint or redemption.
        account: The client.
        custodian: Name of the custodian whose vault moved.
        in_kind: Redemption for bars.
        tokens_mg: Tokens issued (mint) or surrendered (redemption), fee included.
        fee_mg: Tokens paid to the fee account.
        gold_mg: Gold into (mint) or out of (redemption) the vault.
        cash_units: Collateral paid (mint) or received (cash redemption).
        requested_at: Acceptance time.
        due_at: Due time.
        settled_at: Settlement time.
        price_at_request: Gold price (USD/oz) the ticket was priced at.
        price_at_settlement: Gold price (USD/oz) when it settled.
    """

    ticket_id: int
    kind: Kind
    account: int
    custodian: str
    in_kind: bool
    tokens_mg: int
    fee_mg: int
    gold_mg: int
    cash_units: int
    requested_at: pd.Timestamp
    due_at: pd.Timestamp
    settled_at: pd.Timestamp
    price_at_request: float
    price_at_settlement: float


@dataclass(slots=True)
class Ticket:
    """A request and what became of it (mutable: its status moves on as the queue is processed).

    Attributes:
        id: Unique id (refused requests get one too).
        kind: Mint or redemption.
        account: The client.
        requested_mg: Gold asked for (mint) or tokens offered (redemption).
        in_kind: Redemption for bars.
        requested_at: Request time.
        price: Gold price (USD/oz) at the request; the ticket is priced at it.
        status: Refused, pending, settled or cancelled.
        refusal: Why it was refused, if it was.
        message: Words for a refusal or cancellation.
        custodian: Custodian it was routed to.
        tokens_mg: See :class:`Quote`.
        fee_mg: See :class:`Quote`.
        gold_mg: See :class:`Quote`.
        cash_units: See :class:`Quote`.
        due_at: When it is due.
        settlement: The settlement, once settled.
    """

    id: int
    kind: Kind
    account: int
    requested_mg: int
    in_kind: bool
    requested_at: pd.Timestamp
    price: float
    status: Status = Status.PENDING
    refusal: Refusal | None = None
    message: str = ""
    custodian: str | None = None
    tokens_mg: int = 0
    fee_mg: int = 0
    gold_mg: int = 0
    cash_units: int = 0
    due_at: pd.Timestamp | None = None
    settlement: Settlement | None = None

    @property
    def accepted(self) -> bool:
        """Whether the request was accepted (pending, settled or later cancelled)."""
        return self.status is not Status.REFUSED


@dataclass(frozen=True)
class PrimaryStats:
    """Queue and flow statistics of a primary market.

    Attributes:
        pending_mints: Accepted mints not yet settled.
        pending_mint_mg: Their gold.
        pending_redemptions: Accepted redemptions not yet settled.
        pending_redeem_mg: Their gold.
        settled_mints: Mints settled so far.
        settled_mint_mg: Their gold.
        settled_redemptions: Redemptions settled so far.
        settled_redeem_mg: Their gold.
        settled_burned_mg: Tokens those redemptions burned (more than their gold when they were
            paid at a net asset value below one).
        cancelled: Tickets cancelled (mints at an insolvent custodian).
        fees_mg: Fee tokens paid to the fee account.
        refusals: Refused requests by reason.
    """

    pending_mints: int
    pending_mint_mg: int
    pending_redemptions: int
    pending_redeem_mg: int
    settled_mints: int
    settled_mint_mg: int
    settled_redemptions: int
    settled_redeem_mg: int
    settled_burned_mg: int
    cancelled: int
    fees_mg: int
    refusals: dict[Refusal, int]
