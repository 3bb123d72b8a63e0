"""Primary market: minting and redeeming tokens through the issuer.

Only the primary market mints and burns tokens. A **mint** pays collateral (USD) for gold; the
issuer buys that gold on the world gold market and lodges it with a custodian, then issues one
token per gram. A **redemption** surrenders tokens; they are burned and the holder receives either
cash (the issuer sells the gold back to the world market) or, in kind, whole bars taken out of a
vault. Gold is never created: it only moves between the world market, the vaults, redeemers and the
custodians' ``lost`` sinks.

Rules, chosen once and used everywhere:

* **Fees are charged in tokens** (Paxos charges PAXG fees in PAXG; GRAM.sol mints its fee to the
  treasury). A mint of ``G`` mg of gold issues ``G`` tokens, of which the fee goes to the fee
  account; a redemption of ``S`` tokens sends the fee to the fee account and redeems the rest. So
  fee tokens stay backed by gold and the reserve ratio is untouched by fees. A size tier is chosen
  by the order's notional value at the request price.
* **Trade-date pricing**: both the mint cost and the cash proceeds of a redemption are fixed at the
  gold price of the request (Paxos prices orders on receipt, then settles T+1/T+2). Both sides are
  locked at once: the client's USD (mint) or tokens (redemption), and the world market's gold
  (mint) or USD (cash redemption), so settlement can never fail for want of funds. The gold price
  given to :meth:`PrimaryMarket.process` is recorded on each settlement, to measure how far the
  price moved while capital was locked.
* **In-kind redemptions deliver whole bars only**: after the fee, the largest whole number of bars
  is delivered; the change (less than one bar) is not surrendered and stays with the holder.
* **Settlement delay** is a number of business days plus hours (:class:`SettlementDelay`), plus the
  custodian's extra hours; a ticket settles at the first :meth:`PrimaryMarket.process` call at or
  after its due time, never before. Atomic terms (a wrapper contract) settle inside the request.
* **Capacity** is an intake limit: each custodian accepts at most ``daily_capacity_mg`` of gold
  (mints and redemptions together) per calendar day of requests; requests beyond it are refused.
  A redemption gate limits the gold redeemed per calendar day across the whole market.
* Incidents: a frozen custodian accepts nothing and its due tickets wait until the freeze ends; an
  insolvent one accepts nothing, its pending mints are cancelled (collateral released, the issuer
  never bought the gold) and its pending redemptions stay stuck, tokens locked, for good. A
  redemption due at a vault that lost its gold waits until the vault holds enough.

The **collateral leg** is the seam for stacking a second tier (GRAM over an XAUT-like token): the
primary market handles tokens, fees, custodians and the queue, and asks a :class:`CollateralLeg`
to price, lock and move what the client pays for a mint and receives for a cash redemption. Here
that is :class:`WorldGoldLeg` (USD buys gold on the world market); a wrapper tier would pass a leg
that moves the underlying token into and out of the wrapper's vault instead.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

import pandas as pd

from gramabm.data.calendar import ALWAYS_OPEN, TradingCalendar
from gramabm.errors import ConfigError, MarketError
from gramabm.market.custody import (
    AttestationSchedule,
    Custodian,
    actual_reserve_ratio,
    reported_reserve_ratio,
)
from gramabm.market.ledger import Asset, Ledger
from gramabm.units import GRAMS_PER_TROY_OUNCE, grams_to_units

BP_DENOMINATOR: int = 1_000_000
"""Fees are exact integers in hundredths of a basis point: ``fee = ceil(amount * cbp / 1e6)``."""

_MG_PER_OZ_E4: int = 311_034_768
"""Milligrams per troy ounce times 10,000 (31,103.4768 mg), for exact integer pricing."""


def oz_to_mg(ounces: float) -> int:
    """Milligrams of gold in ``ounces`` troy ounces (rounded to the nearest mg)."""
    return grams_to_units(ounces * GRAMS_PER_TROY_OUNCE)


BAR_400_OZ_MG: int = oz_to_mg(400)
"""A nominal London Good Delivery bar, 400 troy ounces (about 12.4 kg)."""

_CONTINUOUS = AttestationSchedule.continuous()  # default: reserves public at all times


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


# When no custodian can take a request, the most temporary obstacle is reported.
_ROUTING_PRIORITY = (
    Refusal.OVER_CAPACITY,
    Refusal.INSUFFICIENT_RESERVES,
    Refusal.CUSTODIAN_FROZEN,
    Refusal.CUSTODIAN_INSOLVENT,
)


def _centi_bp(bp: float, what: str) -> int:
    """Validate a fee in basis points and express it in exact hundredths of a basis point."""
    if not (0.0 <= bp < 10_000.0):
        raise ConfigError(f"{what} must be in [0, 10000) basis points, got {bp}")
    cbp = round(bp * 100)
    if abs(bp * 100 - cbp) > 1e-6:
        raise ConfigError(f"{what} must be a multiple of 0.01 bp, got {bp}")
    return cbp


def _fee(amount: int, cbp: int) -> int:
    """Fee on ``amount`` at ``cbp`` hundredths of a bp, rounded up (the issuer never undercharges)."""
    return -(-amount * cbp // BP_DENOMINATOR)


@dataclass(frozen=True)
class SettlementDelay:
    """Time from acceptance to delivery.

    ``business_days`` moves to the same time of day that many business days later (on the
    primary market's calendar); ``hours`` is then added. ``SettlementDelay(1)`` is T+1.

    Args:
        business_days: Whole business days (>= 0).
        hours: Further hours (>= 0).
    """

    business_days: int = 0
    hours: float = 0.0

    def __post_init__(self) -> None:
        if int(self.business_days) != self.business_days or self.business_days < 0:
            raise ConfigError(f"business_days must be an integer >= 0, got {self.business_days}")
        if not self.hours >= 0:
            raise ConfigError(f"settlement hours must be >= 0, got {self.hours}")

    @property
    def is_zero(self) -> bool:
        """Whether delivery is immediate."""
        return self.business_days == 0 and self.hours == 0

    def due(
        self, now: pd.Timestamp, calendar: TradingCalendar, extra_hours: float = 0.0
    ) -> pd.Timestamp:
        """When a request accepted at ``now`` is due, with ``extra_hours`` added (a slow custodian)."""
        due = now
        if self.business_days:
            day = calendar.add_business_days(now, int(self.business_days))
            due = day + (now - now.normalize())
        hours = self.hours + extra_hours
        return due + pd.Timedelta(hours=hours) if hours else due


FeeTiers = tuple[tuple[float, float], ...]
"""Size tiers ``((min_notional_usd, bp), ...)``, thresholds ascending; the highest tier reached
applies to the whole order, below the first threshold the base fee applies."""


@dataclass(frozen=True)
class PrimaryTerms:
    """The rules of one issuer's primary market (see :mod:`gramabm.market.presets`).

    Args:
        mint_fee_bp: Base mint fee, basis points of the gold bought, charged in tokens.
        redeem_fee_bp: Base redemption fee, basis points of the tokens offered, charged in tokens.
        mint_fee_tiers: Size tiers for mints by USD notional (overrides the base fee when reached).
        redeem_fee_tiers: Size tiers for redemptions by USD notional.
        min_mint_mg: Smallest mint, mg of gold.
        min_redeem_mg: Smallest redemption, mg of tokens offered.
        bar_mg: Weight of one bar for in-kind redemptions (whole bars only).
        calendar: Business days and hours in which requests are accepted; business days also
            count settlement delays.
        mint_delay: Settlement delay of mints.
        redeem_delay: Settlement delay of redemptions.
        authorised_only: Only authorised participants (KYC'd accounts) may mint and redeem.
        cash_redemption: Redemption for cash is offered.
        in_kind_redemption: Redemption for whole bars is offered.
        atomic: Requests settle inside the request call (a wrapper contract); needs zero delays.
        redeem_at_nav: Once a reserve shortfall is public (reported reserve ratio below one),
            redemptions pay the net asset value, ``ratio`` grams per token, pro rata, instead of
            a full gram: the trust-deed treatment of a short reserve. It keeps the primary market
            from paying the first redeemers in full out of the others' gold. ``False`` pays a full
            gram while any gold is left (first come, first served: the run-prone design).
        attestation: When the issuer's custodians attest their reserves (the schedule to give
            each :class:`~gramabm.market.custody.Custodian`).

    Raises:
        ConfigError: For impossible values: a negative fee or one of 100% or more, tiers out of
            order, non-positive sizes, an atomic market with a delay.
    """

    mint_fee_bp: float = 0.0
    redeem_fee_bp: float = 0.0
    mint_fee_tiers: FeeTiers = ()
    redeem_fee_tiers: FeeTiers = ()
    min_mint_mg: int = 1
    min_redeem_mg: int = 1
    bar_mg: int = BAR_400_OZ_MG
    calendar: TradingCalendar = ALWAYS_OPEN
    mint_delay: SettlementDelay = SettlementDelay()
    redeem_delay: SettlementDelay = SettlementDelay()
    authorised_only: bool = True
    cash_redemption: bool = True
    in_kind_redemption: bool = False
    atomic: bool = False
    redeem_at_nav: bool = True
    attestation: AttestationSchedule = _CONTINUOUS

    def __post_init__(self) -> None:
        _centi_bp(self.mint_fee_bp, "mint_fee_bp")
        _centi_bp(self.redeem_fee_bp, "redeem_fee_bp")
        for name in ("mint_fee_tiers", "redeem_fee_tiers"):
            tiers = tuple((float(t), float(bp)) for t, bp in getattr(self, name))
            object.__setattr__(self, name, tiers)
            previous = 0.0
            for threshold, bp in tiers:
                if not threshold > previous:
                    raise ConfigError(
                        f"{name} thresholds must be > 0 and strictly ascending, got {tiers}"
                    )
                previous = threshold
                _centi_bp(bp, f"{name} fee at ${threshold:,.0f}")
        for name in ("min_mint_mg", "min_redeem_mg", "bar_mg"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1 mg, got {value}")
        if self.atomic and not (self.mint_delay.is_zero and self.redeem_delay.is_zero):
            raise ConfigError(
                f"atomic terms need zero settlement delays, got mint {self.mint_delay} "
                f"and redeem {self.redeem_delay}"
            )

    def fee_bp(self, kind: Kind, notional_units: int) -> float:
        """Fee rate in basis points for an order of ``kind`` worth ``notional_units`` micro-USD."""
        if kind is Kind.MINT:
            bp, tiers = self.mint_fee_bp, self.mint_fee_tiers
        else:
            bp, tiers = self.redeem_fee_bp, self.redeem_fee_tiers
        for threshold, tier_bp in tiers:
            if notional_units < threshold * 1_000_000:
                break
            bp = tier_bp
        return bp

    def fee_mg(self, kind: Kind, amount_mg: int, notional_units: int) -> int:
        """Fee in token mg on ``amount_mg`` (rounded up) at the rate of the order's size tier."""
        return _fee(amount_mg, round(self.fee_bp(kind, notional_units) * 100))


class CollateralLeg(Protocol):
    """What a client pays for a mint and receives for a cash redemption (the tier seam).

    Amounts are in the leg's own units (micro-USD for :class:`WorldGoldLeg`). ``open_*`` locks
    both sides at acceptance and returns ``False``, locking nothing, when the counterparty cannot
    take the trade; ``settle_*`` moves what was locked; ``cancel_mint`` releases it.
    """

    def mint_cost(self, grams_mg: int, gold_usd_oz: float) -> int:
        """Collateral a mint of ``grams_mg`` gold costs (rounded up)."""
        ...

    def redeem_proceeds(self, grams_mg: int, gold_usd_oz: float) -> int:
        """Collateral paid for ``grams_mg`` gold redeemed for cash (rounded down)."""
        ...

    def can_pay(self, client: int, amount: int) -> bool:
        """Whether ``client`` has ``amount`` of collateral available."""
        ...

    def open_mint(self, client: int, grams_mg: int, cost: int) -> bool:
        """Lock the client's ``cost`` and the counterparty's ``grams_mg`` of gold."""
        ...

    def cancel_mint(self, client: int, grams_mg: int, cost: int) -> None:
        """Release what :meth:`open_mint` locked."""
        ...

    def settle_mint(self, client: int, issuer: int, vault: int, grams_mg: int, cost: int) -> None:
        """Move the locked cost via the issuer to the counterparty, and the gold into ``vault``."""
        ...

    def open_redeem(self, grams_mg: int, proceeds: int) -> bool:
        """Lock the counterparty's ``proceeds`` for a cash redemption of ``grams_mg``."""
        ...

    def settle_redeem(
        self, vault: int, issuer: int, client: int, grams_mg: int, proceeds: int
    ) -> None:
        """Move ``grams_mg`` out of ``vault`` to the counterparty and the proceeds via the issuer."""
        ...


class WorldGoldLeg:
    """USD buys and sells gold on the world gold market, an account endowed at genesis.

    Prices are exact integers: the gold price is taken to whole micro-dollars per ounce, and
    ``grams_mg`` mg cost ``grams_mg * price_units * 1e4 / 311,034,768`` micro-USD, rounded up for
    mints and down for redemptions, so the issuer never pays out more than the gold is worth.

    Args:
        ledger: The ledger.
        market_account: The world gold market's account (holds USD and GOLD).
    """

    asset = Asset.USD

    def __init__(self, ledger: Ledger, market_account: int) -> None:
        self.ledger = ledger
        self.market_account = market_account

    @staticmethod
    def _value_e4(grams_mg: int, gold_usd_oz: float) -> int:
        return grams_mg * round(gold_usd_oz * 1_000_000) * 10_000

    def mint_cost(self, grams_mg: int, gold_usd_oz: float) -> int:
        """Micro-USD a mint of ``grams_mg`` gold costs (rounded up)."""
        return -(-self._value_e4(grams_mg, gold_usd_oz) // _MG_PER_OZ_E4)

    def redeem_proceeds(self, grams_mg: int, gold_usd_oz: float) -> int:
        """Micro-USD paid for ``grams_mg`` gold redeemed for cash (rounded down)."""
        return self._value_e4(grams_mg, gold_usd_oz) // _MG_PER_OZ_E4

    def can_pay(self, client: int, amount: int) -> bool:
        """Whether ``client`` has ``amount`` micro-USD available."""
        return self.ledger.available(client, Asset.USD) >= amount

    def open_mint(self, client: int, grams_mg: int, cost: int) -> bool:
        """Reserve the client's USD and the world market's gold."""
        if self.ledger.available(self.market_account, Asset.GOLD) < grams_mg:
            return False
        self.ledger.reserve(client, Asset.USD, cost)
        self.ledger.reserve(self.market_account, Asset.GOLD, grams_mg)
        return True

    def cancel_mint(self, client: int, grams_mg: int, cost: int) -> None:
        """Release both reservations of :meth:`open_mint`."""
        self.ledger.release(client, Asset.USD, cost)
        self.ledger.release(self.market_account, Asset.GOLD, grams_mg)

    def settle_mint(self, client: int, issuer: int, vault: int, grams_mg: int, cost: int) -> None:
        """Client's USD to the issuer, who buys the gold; the gold goes into the vault."""
        self.ledger.transfer_reserved(client, issuer, Asset.USD, cost)
        self.ledger.transfer(issuer, self.market_account, Asset.USD, cost)
        self.ledger.transfer_reserved(self.market_account, vault, Asset.GOLD, grams_mg)

    def open_redeem(self, grams_mg: int, proceeds: int) -> bool:
        """Reserve the world market's USD for the proceeds."""
        if self.ledger.available(self.market_account, Asset.USD) < proceeds:
            return False
        self.ledger.reserve(self.market_account, Asset.USD, proceeds)
        return True

    def settle_redeem(
        self, vault: int, issuer: int, client: int, grams_mg: int, proceeds: int
    ) -> None:
        """The vault's gold is sold to the world market; the proceeds go via the issuer."""
        self.ledger.transfer(vault, self.market_account, Asset.GOLD, grams_mg)
        self.ledger.transfer_reserved(self.market_account, issuer, Asset.USD, proceeds)
        self.ledger.transfer(issuer, client, Asset.USD, proceeds)


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


class PrimaryMarket:
    """An issuer's primary market over one or more custodians.

    Args:
        ledger: The ledger.
        custodians: The issuer's custodians (unique names, all on ``ledger``).
        terms: The rules.
        issuer_account: The issuer's account, counterparty of the cash legs.
        fee_account: Receives fee tokens.
        gold_market_account: The world gold market's account (for the default collateral leg).
        authorised: Authorised participants (used when ``terms.authorised_only``).
        leg: Collateral leg; :class:`WorldGoldLeg` on ``gold_market_account`` by default.

    Raises:
        ConfigError: For no custodians, duplicate names or a custodian on another ledger.
    """

    def __init__(
        self,
        ledger: Ledger,
        custodians: Sequence[Custodian],
        terms: PrimaryTerms,
        *,
        issuer_account: int,
        fee_account: int,
        gold_market_account: int,
        authorised: Iterable[int] = (),
        leg: CollateralLeg | None = None,
    ) -> None:
        if not custodians:
            raise ConfigError("a primary market needs at least one custodian")
        names = [c.name for c in custodians]
        if len(set(names)) != len(names):
            raise ConfigError(f"custodian names must be unique, got {names}")
        for c in custodians:
            if c.ledger is not ledger:
                raise ConfigError(f"custodian {c.name!r} keeps its vault on another ledger")
        self.ledger = ledger
        self.custodians: tuple[Custodian, ...] = tuple(custodians)
        self.terms = terms
        self.issuer_account = issuer_account
        self.fee_account = fee_account
        self.gold_market_account = gold_market_account
        self.leg: CollateralLeg = leg or WorldGoldLeg(ledger, gold_market_account)
        self.authorised: set[int] = {int(a) for a in authorised}
        self._by_name = {c.name: c for c in self.custodians}
        self._earmarked = dict.fromkeys(names, 0)  # gold promised to pending redemptions
        self._suspended = {Kind.MINT: False, Kind.REDEEM: False}
        self._gate_mg: int | None = None
        self._gate_day: pd.Timestamp | None = None
        self._gate_used = 0
        self._next_id = 1
        self._pending: dict[int, Ticket] = {}
        self._queue: list[tuple[int, int]] = []  # (due time in ns, ticket id)
        self._settled = {Kind.MINT: [0, 0], Kind.REDEEM: [0, 0]}  # [count, gold mg]
        self._burned_mg = 0
        self._cancelled = 0
        self._fees_mg = 0
        self._refusals: Counter[Refusal] = Counter()

    # --- access and controls --------------------------------------------------------------
    def custodian(self, name: str) -> Custodian:
        """The custodian called ``name``.

        Raises:
            PrimaryMarketError: If there is none.
        """
        try:
            return self._by_name[name]
        except KeyError:
            raise PrimaryMarketError(
                f"no custodian named {name!r}; custodians: {sorted(self._by_name)}"
            ) from None

    def authorise(self, account: int) -> None:
        """Make ``account`` an authorised participant."""
        self.authorised.add(int(account))

    def revoke(self, account: int) -> None:
        """Withdraw ``account``'s authorisation."""
        self.authorised.discard(int(account))

    def suspend(self, kind: Kind | str, flag: bool = True) -> None:
        """Suspend (or, with ``flag=False``, resume) new mints or redemptions.

        Pending tickets are not affected.
        """
        self._suspended[Kind(kind)] = bool(flag)

    def is_suspended(self, kind: Kind | str) -> bool:
        """Whether new requests of ``kind`` are suspended."""
        return self._suspended[Kind(kind)]

    def set_redemption_gate(self, max_mg_per_day: int | None) -> None:
        """Limit the gold redeemed per calendar day across the market (``None`` lifts the gate)."""
        if max_mg_per_day is not None and max_mg_per_day < 0:
            raise PrimaryMarketError(f"a redemption gate must be >= 0 mg, got {max_mg_per_day}")
        self._gate_mg = max_mg_per_day

    @property
    def redemption_gate(self) -> int | None:
        """The gate in force (mg per day), or ``None``."""
        return self._gate_mg

    def set_fee(self, kind: Kind | str, bp: float) -> None:
        """Set a flat fee for new requests of ``kind`` (a governance lever); size tiers are dropped.

        Raises:
            ConfigError: For an impossible fee (negative, or 100% or more).
        """
        if Kind(kind) is Kind.MINT:
            self.terms = replace(self.terms, mint_fee_bp=float(bp), mint_fee_tiers=())
        else:
            self.terms = replace(self.terms, redeem_fee_bp=float(bp), redeem_fee_tiers=())

    def is_open(self, now: pd.Timestamp) -> bool:
        """Whether the calendar accepts requests at ``now`` (suspensions aside)."""
        return self.terms.calendar.is_open(_timestamp(now))

    # --- quotes ---------------------------------------------------------------------------
    def quote_mint(self, grams_mg: int, gold_usd_oz: float) -> Quote:
        """What a mint of ``grams_mg`` mg of gold would cost and issue."""
        _check_request(grams_mg, gold_usd_oz)
        cost = self.leg.mint_cost(grams_mg, gold_usd_oz)
        fee = self.terms.fee_mg(Kind.MINT, grams_mg, cost)
        return Quote(
            Kind.MINT, False, grams_mg, fee, grams_mg, cost, self.terms.fee_bp(Kind.MINT, cost)
        )

    def quote_redeem(self, grams_mg: int, gold_usd_oz: float, in_kind: bool = False) -> Quote:
        """What offering ``grams_mg`` tokens for redemption would pay out.

        For cash, the fee is taken from the tokens and the rest is paid at gold value. In kind,
        the rest buys whole bars; the change (under one bar) is not surrendered. With
        ``terms.redeem_at_nav`` and a public shortfall, each net token pays :meth:`nav_ratio` grams.
        """
        _check_request(grams_mg, gold_usd_oz)
        notional = self.leg.redeem_proceeds(grams_mg, gold_usd_oz)
        bp = self.terms.fee_bp(Kind.REDEEM, notional)
        fee = self.terms.fee_mg(Kind.REDEEM, grams_mg, notional)
        net = grams_mg - fee
        ratio = self.nav_ratio()
        if in_kind:
            bar = self.terms.bar_mg
            bars = math.floor(net * ratio) // bar
            gold = bars * bar
            tokens = gold if ratio >= 1.0 or gold == 0 else min(net, math.ceil(gold / ratio))
            return Quote(Kind.REDEEM, True, tokens + fee, fee, gold, 0, bp)
        gold = net if ratio >= 1.0 else math.floor(net * ratio)
        cash = self.leg.redeem_proceeds(gold, gold_usd_oz)
        return Quote(Kind.REDEEM, False, grams_mg, fee, gold, cash, bp)

    def nav_ratio(self) -> float:
        """Grams paid per net token redeemed: the reported reserve ratio capped at one.

        Always one unless ``terms.redeem_at_nav`` and a shortfall has been made public.
        """
        if not self.terms.redeem_at_nav:
            return 1.0
        ratio = reported_reserve_ratio(self.custodians, self.ledger.supply)
        return 1.0 if not math.isfinite(ratio) else min(1.0, ratio)

    # --- requests -------------------------------------------------------------------------
    def request_mint(
        self,
        account: int,
        grams_mg: int,
        now: pd.Timestamp,
        gold_usd_oz: float,
        *,
        custodian: str | None = None,
    ) -> Ticket:
        """Ask to buy ``grams_mg`` mg of gold and be issued tokens for it (less the fee).

        Args:
            account: The client.
            grams_mg: Gold to buy (mg); tokens issued are this less the fee.
            now: Request time (naive UTC).
            gold_usd_oz: Gold price now; the mint is priced at it.
            custodian: Route to this custodian only (default: the one with most capacity left).

        Returns:
            The ticket: refused (with a reason), pending, or settled (atomic terms).

        Raises:
            PrimaryMarketError: For ``grams_mg <= 0``, a non-positive price or unknown custodian.
        """
        quote = self.quote_mint(grams_mg, gold_usd_oz)
        ticket = self._new_ticket(Kind.MINT, account, grams_mg, False, now, gold_usd_oz)
        if (refusal := self._access(Kind.MINT, account, ticket.requested_at, False)) is not None:
            return self._refuse(ticket, *refusal)
        if grams_mg < self.terms.min_mint_mg or quote.tokens_mg <= quote.fee_mg:
            return self._refuse(
                ticket,
                Refusal.BELOW_MINIMUM,
                f"mint of {grams_mg} mg is below the minimum of {self.terms.min_mint_mg} mg",
            )
        if not self.leg.can_pay(account, quote.cash_units):
            return self._refuse(
                ticket,
                Refusal.INSUFFICIENT_FUNDS,
                f"account {account} cannot pay {quote.cash_units} units for {grams_mg} mg",
            )
        chosen, refusal = self._route(Kind.MINT, quote.gold_mg, ticket.requested_at, custodian)
        if chosen is None:
            return self._refuse(ticket, *refusal)
        if not self.leg.open_mint(account, quote.gold_mg, quote.cash_units):
            return self._refuse(
                ticket,
                Refusal.MARKET_ILLIQUID,
                f"the gold market cannot deliver {quote.gold_mg} mg of gold",
            )
        return self._accept(ticket, quote, chosen)

    def request_redeem(
        self,
        account: int,
        grams_mg: int,
        now: pd.Timestamp,
        gold_usd_oz: float,
        in_kind: bool = False,
        *,
        custodian: str | None = None,
    ) -> Ticket:
        """Ask to redeem ``grams_mg`` tokens for cash or, ``in_kind``, for whole bars.

        Args:
            account: The client.
            grams_mg: Tokens offered (mg), fee included.
            now: Request time (naive UTC).
            gold_usd_oz: Gold price now; cash proceeds are fixed at it.
            in_kind: Take whole bars instead of cash.
            custodian: Route to this custodian only (default: the one with most free gold).

        Returns:
            The ticket: refused (with a reason), pending, or settled (atomic terms).

        Raises:
            PrimaryMarketError: For ``grams_mg <= 0``, a non-positive price or unknown custodian.
        """
        quote = self.quote_redeem(grams_mg, gold_usd_oz, in_kind)
        ticket = self._new_ticket(Kind.REDEEM, account, grams_mg, in_kind, now, gold_usd_oz)
        if (
            refusal := self._access(Kind.REDEEM, account, ticket.requested_at, in_kind)
        ) is not None:
            return self._refuse(ticket, *refusal)
        if grams_mg < self.terms.min_redeem_mg or quote.gold_mg <= 0:
            bar = (
                f" and yield at least one bar of {self.terms.bar_mg} mg after fees"
                if in_kind
                else ""
            )
            return self._refuse(
                ticket,
                Refusal.BELOW_MINIMUM,
                f"redemption of {grams_mg} mg must be at least {self.terms.min_redeem_mg} mg{bar}",
            )
        have = self.ledger.available(account, Asset.TOKEN)
        if have < quote.tokens_mg:
            return self._refuse(
                ticket,
                Refusal.INSUFFICIENT_FUNDS,
                f"account {account} has {have} tokens (mg) available, needs {quote.tokens_mg}",
            )
        if self._gate_mg is not None:
            used = self._gate_used if self._gate_day == ticket.requested_at.normalize() else 0
            if used + quote.gold_mg > self._gate_mg:
                return self._refuse(
                    ticket,
                    Refusal.GATED,
                    f"redemption gate: {used} of {self._gate_mg} mg already redeemed today, "
                    f"{quote.gold_mg} mg more refused",
                )
        chosen, refusal = self._route(Kind.REDEEM, quote.gold_mg, ticket.requested_at, custodian)
        if chosen is None:
            return self._refuse(ticket, *refusal)
        if not in_kind and not self.leg.open_redeem(quote.gold_mg, quote.cash_units):
            return self._refuse(
                ticket,
                Refusal.MARKET_ILLIQUID,
                f"the gold market cannot pay {quote.cash_units} units for {quote.gold_mg} mg",
            )
        self.ledger.reserve(account, Asset.TOKEN, quote.tokens_mg)
        self._earmarked[chosen.name] += quote.gold_mg
        day = ticket.requested_at.normalize()
        if self._gate_day != day:
            self._gate_day, self._gate_used = day, 0
        self._gate_used += quote.gold_mg
        return self._accept(ticket, quote, chosen)

    # --- the queue ------------------------------------------------------------------------
    def process(self, now: pd.Timestamp, gold_usd_oz: float) -> list[Settlement]:
        """Settle every ticket due by ``now`` that can settle; bring attestations up to date.

        Args:
            now: Current time (naive UTC).
            gold_usd_oz: Gold price now, recorded on each settlement.

        Returns:
            The settlements made, in due-time order (then any redemption that could settle only
            once this call's mints had lodged their gold).
        """
        now = _timestamp(now)
        if not gold_usd_oz > 0:
            raise PrimaryMarketError(f"gold price must be > 0, got {gold_usd_oz}")
        for c in self.custodians:
            c.update(now)
        settled: list[Settlement] = []
        due: list[tuple[int, int]] = []
        while self._queue and self._queue[0][0] <= now.value:
            due.append(heapq.heappop(self._queue))
        waiting = self._settle_due(due, now, gold_usd_oz, settled)
        if waiting and any(s.kind is Kind.MINT for s in settled):
            # Gold that mints just lodged may cover redemptions that waited earlier in this call.
            waiting = self._settle_due(waiting, now, gold_usd_oz, settled)
        for entry in waiting:
            heapq.heappush(self._queue, entry)
        return settled

    def pending_mg(self, kind: Kind | str, account: int | None = None) -> int:
        """Gold (mg) of pending tickets of ``kind``, of one ``account`` or of all."""
        wanted = Kind(kind)
        return sum(
            t.gold_mg
            for t in self._pending.values()
            if t.kind is wanted and (account is None or t.account == account)
        )

    def pending(self, kind: Kind | str | None = None) -> list[Ticket]:
        """Pending tickets (of ``kind``, if given), oldest first."""
        wanted = None if kind is None else Kind(kind)
        return [t for t in self._pending.values() if wanted is None or t.kind is wanted]

    def stats(self) -> PrimaryStats:
        """Queue and flow statistics now."""
        counts = {Kind.MINT: [0, 0], Kind.REDEEM: [0, 0]}
        for t in self._pending.values():
            counts[t.kind][0] += 1
            counts[t.kind][1] += t.gold_mg
        return PrimaryStats(
            pending_mints=counts[Kind.MINT][0],
            pending_mint_mg=counts[Kind.MINT][1],
            pending_redemptions=counts[Kind.REDEEM][0],
            pending_redeem_mg=counts[Kind.REDEEM][1],
            settled_mints=self._settled[Kind.MINT][0],
            settled_mint_mg=self._settled[Kind.MINT][1],
            settled_redemptions=self._settled[Kind.REDEEM][0],
            settled_redeem_mg=self._settled[Kind.REDEEM][1],
            settled_burned_mg=self._burned_mg,
            cancelled=self._cancelled,
            fees_mg=self._fees_mg,
            refusals=dict(self._refusals),
        )

    # --- reserves -------------------------------------------------------------------------
    def genesis_issue(self, account: int, grams_mg: int, custodian: str | None = None) -> None:
        """Set up an existing supply: gold enters a vault at genesis and tokens are issued for it.

        Args:
            account: Receives the tokens.
            grams_mg: Gold (mg) and tokens issued.
            custodian: Vault that receives the gold (default: the first custodian).
        """
        if grams_mg <= 0:
            raise PrimaryMarketError(f"genesis issue must be > 0 mg, got {grams_mg}")
        c = self.custodians[0] if custodian is None else self.custodian(custodian)
        self.ledger.genesis(c.vault_account, Asset.GOLD, grams_mg)
        self.ledger.mint_tokens(account, grams_mg)

    def reserve_ratios(self, now: pd.Timestamp) -> tuple[float, float]:
        """Actual and reported reserve ratios (gold per token) at ``now``, attestations updated."""
        now = _timestamp(now)
        for c in self.custodians:
            c.update(now)
        supply = self.ledger.supply
        return (
            actual_reserve_ratio(self.custodians, supply),
            reported_reserve_ratio(self.custodians, supply),
        )

    # --- internals ------------------------------------------------------------------------
    def _new_ticket(
        self,
        kind: Kind,
        account: int,
        grams_mg: int,
        in_kind: bool,
        now: pd.Timestamp,
        price: float,
    ) -> Ticket:
        ticket = Ticket(
            self._next_id, kind, int(account), int(grams_mg), in_kind, _timestamp(now), price
        )
        self._next_id += 1
        return ticket

    def _refuse(self, ticket: Ticket, reason: Refusal, message: str) -> Ticket:
        ticket.status = Status.REFUSED
        ticket.refusal = reason
        ticket.message = message
        self._refusals[reason] += 1
        return ticket

    def _access(
        self, kind: Kind, account: int, now: pd.Timestamp, in_kind: bool
    ) -> tuple[Refusal, str] | None:
        """Refusals that do not depend on the request's size."""
        if self._suspended[kind]:
            return Refusal.SUSPENDED, f"{kind} requests are suspended"
        if kind is Kind.REDEEM:
            if in_kind and not self.terms.in_kind_redemption:
                return Refusal.NOT_OFFERED, "redemption in kind (bars) is not offered"
            if not in_kind and not self.terms.cash_redemption:
                return Refusal.NOT_OFFERED, "redemption for cash is not offered"
        if self.terms.authorised_only and account not in self.authorised:
            return Refusal.UNAUTHORISED, f"account {account} is not an authorised participant"
        if not self.terms.calendar.is_open(now):
            return (
                Refusal.CLOSED,
                f"the primary market is closed at {now} (opens {self.terms.calendar.next_open(now)})",
            )
        return None

    def _route(
        self, kind: Kind, gold_mg: int, now: pd.Timestamp, name: str | None
    ) -> tuple[Custodian | None, tuple[Refusal, str]]:
        """Pick a custodian: most capacity left (mints) or most free gold (redemptions)."""
        candidates = self.custodians if name is None else (self.custodian(name),)
        best: Custodian | None = None
        best_score = -1
        obstacles: dict[Refusal, list[str]] = {}
        for c in candidates:
            free = c.actual_mg - self._earmarked[c.name]
            capacity = c.remaining_capacity(now)
            if c.is_insolvent:
                reason = Refusal.CUSTODIAN_INSOLVENT
            elif c.is_frozen(now):
                reason = Refusal.CUSTODIAN_FROZEN
            elif capacity < gold_mg:
                reason = Refusal.OVER_CAPACITY
            elif kind is Kind.REDEEM and free < gold_mg:
                reason = Refusal.INSUFFICIENT_RESERVES
            else:
                score = free if kind is Kind.REDEEM else capacity
                if score > best_score:
                    best, best_score = c, score
                continue
            obstacles.setdefault(reason, []).append(c.name)
        if best is not None:
            return best, (Refusal.OVER_CAPACITY, "")
        reason = next(r for r in _ROUTING_PRIORITY if r in obstacles)
        detail = "; ".join(f"{r}: {', '.join(n)}" for r, n in obstacles.items())
        return None, (reason, f"no custodian can take {gold_mg} mg of gold ({detail})")

    def _accept(self, ticket: Ticket, quote: Quote, custodian: Custodian) -> Ticket:
        now = ticket.requested_at
        custodian.consume_capacity(quote.gold_mg, now)
        ticket.custodian = custodian.name
        ticket.tokens_mg = quote.tokens_mg
        ticket.fee_mg = quote.fee_mg
        ticket.gold_mg = quote.gold_mg
        ticket.cash_units = quote.cash_units
        ticket.status = Status.PENDING
        self._pending[ticket.id] = ticket
        if self.terms.atomic:
            ticket.due_at = now
            self._settle(ticket, now, ticket.price)
            return ticket
        delay = self.terms.mint_delay if ticket.kind is Kind.MINT else self.terms.redeem_delay
        ticket.due_at = delay.due(now, self.terms.calendar, custodian.extra_settlement_hours)
        heapq.heappush(self._queue, (ticket.due_at.value, ticket.id))
        return ticket

    def _settle_due(
        self,
        due: list[tuple[int, int]],
        now: pd.Timestamp,
        gold_usd_oz: float,
        settled: list[Settlement],
    ) -> list[tuple[int, int]]:
        """Settle the due queue entries that can settle (appending to ``settled``).

        Returns:
            The entries that must wait (frozen, insolvent or short custodian).
        """
        waiting = []
        for entry in due:
            ticket = self._pending[entry[1]]
            c = self._by_name[ticket.custodian]  # type: ignore[index]
            if c.is_insolvent and ticket.kind is Kind.MINT:
                self._cancel_mint(ticket, f"custodian {c.name!r} is insolvent")
            elif (
                c.is_insolvent
                or c.is_frozen(now)
                or (
                    ticket.kind is Kind.REDEEM
                    and self.ledger.available(c.vault_account, Asset.GOLD) < ticket.gold_mg
                )
            ):
                waiting.append(entry)
            else:
                settled.append(self._settle(ticket, now, gold_usd_oz))
        return waiting

    def _settle(self, ticket: Ticket, now: pd.Timestamp, gold_usd_oz: float) -> Settlement:
        c = self._by_name[ticket.custodian]  # type: ignore[index]
        account, fee = ticket.account, ticket.fee_mg
        if ticket.kind is Kind.MINT:
            self.leg.settle_mint(
                account, self.issuer_account, c.vault_account, ticket.gold_mg, ticket.cash_units
            )
            self.ledger.mint_tokens(account, ticket.tokens_mg - fee)
            if fee:
                self.ledger.mint_tokens(self.fee_account, fee)
        else:
            if fee:
                self.ledger.transfer_reserved(account, self.fee_account, Asset.TOKEN, fee)
            # Every surrendered token but the fee is burned; at NAV below one it pays less gold.
            self.ledger.burn_tokens(account, ticket.tokens_mg - fee, from_reserved=True)
            self._burned_mg += ticket.tokens_mg - fee
            if ticket.in_kind:
                self.ledger.transfer(c.vault_account, account, Asset.GOLD, ticket.gold_mg)
            else:
                self.leg.settle_redeem(
                    c.vault_account, self.issuer_account, account, ticket.gold_mg, ticket.cash_units
                )
            self._earmarked[c.name] -= ticket.gold_mg
        del self._pending[ticket.id]
        self._settled[ticket.kind][0] += 1
        self._settled[ticket.kind][1] += ticket.gold_mg
        self._fees_mg += fee
        ticket.status = Status.SETTLED
        ticket.settlement = Settlement(
            ticket.id,
            ticket.kind,
            account,
            c.name,
            ticket.in_kind,
            ticket.tokens_mg,
            fee,
            ticket.gold_mg,
            ticket.cash_units,
            ticket.requested_at,
            ticket.due_at,
            now,
            ticket.price,
            gold_usd_oz,
        )
        return ticket.settlement

    def _cancel_mint(self, ticket: Ticket, message: str) -> None:
        self.leg.cancel_mint(ticket.account, ticket.gold_mg, ticket.cash_units)
        del self._pending[ticket.id]
        ticket.status = Status.CANCELLED
        ticket.message = message
        self._cancelled += 1


def _timestamp(now: pd.Timestamp) -> pd.Timestamp:
    ts = now if isinstance(now, pd.Timestamp) else pd.Timestamp(now)
    if ts.tzinfo is not None:
        raise PrimaryMarketError(f"times must be naive UTC, got {ts}")
    return ts


def _check_request(grams_mg: int, gold_usd_oz: float) -> None:
    if int(grams_mg) != grams_mg or grams_mg <= 0:
        raise PrimaryMarketError(f"quantity must be a positive integer of mg, got {grams_mg}")
    if not (gold_usd_oz > 0 and math.isfinite(gold_usd_oz)):
        raise PrimaryMarketError(f"gold price must be finite and > 0, got {gold_usd_oz}")
