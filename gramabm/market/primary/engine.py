"""The primary market's engine: requests, routing and the settlement queue.

Access checks, routing to custodians, the daily redemption gate, gold earmarked for pending
redemptions, settlement and the running statistics.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pandas as pd

from gramabm.errors import ConfigError
from gramabm.market.custody import Custodian, actual_reserve_ratio, reported_reserve_ratio
from gramabm.market.ledger import Asset, Ledger
from gramabm.market.primary.collateral import CollateralLeg, WorldGoldLeg
from gramabm.market.primary.terms import PrimaryTerms
from gramabm.market.primary.tickets import (
    Kind,
    PrimaryMarketError,
    PrimaryStats,
    Quote,
    Refusal,
    Settlement,
    Status,
    Ticket,
)

# When no custodian can take a request, the most temporary obstacle is reported.
_ROUTING_PRIORITY = (
    Refusal.OVER_CAPACITY,
    Refusal.INSUFFICIENT_RESERVES,
    Refusal.CUSTODIAN_FROZEN,
    Refusal.CUSTODIAN_INSOLVENT,
)


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
