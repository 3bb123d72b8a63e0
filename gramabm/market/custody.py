"""Custodians: the vaults that hold the bars, their attestations and their incidents.

A custodian's **actual** reserves are the GOLD balance of its vault account in the ledger; nothing
else holds them, so they move only by ledger transfers (mints in, redemptions out, losses to a
``lost`` sink). What the public knows is different:

* ``reported_mg`` is the snapshot of the last **attestation** (monthly for PAXG, quarterly for
  XAUT, every N days, or continuous for an on-chain reserve);
* ``disclosed_mg`` is what the public believes the vault holds now: the last attestation plus the
  mints and redemptions since, which are public because tokens are minted and burned on chain.
  Losses are the one thing the public cannot see between attestations, so
  ``disclosed_mg = actual_mg + undisclosed_loss_mg``, and the reported reserve ratio uses it (a
  reported ratio built from the stale snapshot alone would fall after every ordinary mint).

Incidents (docs/model.md D4): :meth:`Custodian.freeze`, :meth:`Custodian.lose_share`,
:meth:`Custodian.slow`, :meth:`Custodian.insolvent`. Time is a naive-UTC ``pd.Timestamp`` passed in
on each call; the custodian catches up on attestations that fell due whenever it is given a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from gramabm.errors import ConfigError, MarketError
from gramabm.market.ledger import Asset, Ledger

UNLIMITED_MG: int = 2**62
"""Remaining capacity reported by a custodian without a daily limit."""

_KINDS = ("continuous", "monthly", "quarterly", "every")


class CustodyError(MarketError, ValueError):
    """An impossible custodian operation (for example a loss share outside [0, 1])."""


@dataclass(frozen=True)
class AttestationSchedule:
    """When a custodian's reserves are attested (made public).

    Attestations fall at midnight UTC: the first day of each month (``monthly``), of each calendar
    quarter (``quarterly``), every ``every_days`` days from ``anchor`` (``every``), or at every
    instant the custodian is looked at (``continuous``, an on-chain proof of reserve).

    Args:
        kind: One of ``continuous``, ``monthly``, ``quarterly``, ``every``.
        every_days: Period in days; required (> 0) for ``every`` and 0 otherwise.
        anchor: First attestation of an ``every`` schedule; the others are ``anchor + k*every_days``.
    """

    kind: str
    every_days: int = 0
    anchor: pd.Timestamp = field(default_factory=lambda: pd.Timestamp("2000-01-01"))

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ConfigError(f"attestation kind must be one of {_KINDS}, got {self.kind!r}")
        if (self.kind == "every") != (self.every_days > 0) or self.every_days < 0:
            raise ConfigError(
                f"every_days must be > 0 for kind 'every' and 0 otherwise; got kind "
                f"{self.kind!r} with every_days={self.every_days}"
            )
        object.__setattr__(self, "anchor", pd.Timestamp(self.anchor))

    @classmethod
    def continuous(cls) -> AttestationSchedule:
        """Reserves public at all times (on-chain proof of reserve, or a wrapper's own balance)."""
        return cls("continuous")

    @classmethod
    def monthly(cls) -> AttestationSchedule:
        """Attestation on the first day of every month (PAXG style)."""
        return cls("monthly")

    @classmethod
    def quarterly(cls) -> AttestationSchedule:
        """Attestation on the first day of every calendar quarter (XAUT style)."""
        return cls("quarterly")

    @classmethod
    def every(cls, days: int, anchor: pd.Timestamp | str = "2000-01-01") -> AttestationSchedule:
        """Attestation every ``days`` days counted from ``anchor``."""
        return cls("every", days, pd.Timestamp(anchor))

    def last_at_or_before(self, ts: pd.Timestamp) -> pd.Timestamp:
        """The latest scheduled attestation at or before ``ts`` (``ts`` itself if continuous)."""
        t = pd.Timestamp(ts)
        if self.kind == "continuous":
            return t
        if self.kind == "monthly":
            return t.normalize().replace(day=1)
        if self.kind == "quarterly":
            return t.normalize().replace(month=3 * ((t.month - 1) // 3) + 1, day=1)
        period = pd.Timedelta(days=self.every_days)
        return self.anchor + ((t - self.anchor) // period) * period

    def next_after(self, ts: pd.Timestamp) -> pd.Timestamp:
        """The first scheduled attestation strictly after ``ts`` (``ts`` itself if continuous)."""
        last = self.last_at_or_before(ts)
        if self.kind == "continuous":
            return last
        if self.kind == "monthly":
            return last + pd.DateOffset(months=1)
        if self.kind == "quarterly":
            return last + pd.DateOffset(months=3)
        return last + pd.Timedelta(days=self.every_days)


class Custodian:
    """One vault holding the issuer's bars.

    Args:
        name: Unique name (used in tickets, reports and errors).
        ledger: The ledger holding the vault's gold.
        vault_account: Ledger account whose GOLD balance is this custodian's actual reserve.
        daily_capacity_mg: Gold (mg) the custodian can take in or pay out per calendar day of
            requests (mints and redemptions together); ``None`` for no limit.
        extra_settlement_hours: Hours this custodian adds to every settlement delay.
        attestation: When reserves are made public.
        lost_account: Sink account for lost gold; a ``"<name>:lost"`` account is opened if absent.

    Raises:
        ConfigError: For a negative capacity or delay.
    """

    def __init__(
        self,
        name: str,
        ledger: Ledger,
        vault_account: int,
        *,
        daily_capacity_mg: int | None,
        extra_settlement_hours: float = 0.0,
        attestation: AttestationSchedule,
        lost_account: int | None = None,
    ) -> None:
        if daily_capacity_mg is not None and daily_capacity_mg < 0:
            raise ConfigError(
                f"custodian {name!r}: daily_capacity_mg must be >= 0 or None, "
                f"got {daily_capacity_mg}"
            )
        if not extra_settlement_hours >= 0:
            raise ConfigError(
                f"custodian {name!r}: extra_settlement_hours must be >= 0, "
                f"got {extra_settlement_hours}"
            )
        self.name = name
        self.ledger = ledger
        self.vault_account = vault_account
        self.daily_capacity_mg = daily_capacity_mg
        self.extra_settlement_hours = float(extra_settlement_hours)
        self.attestation = attestation
        self.lost_account = (
            ledger.open_account(f"{name}:lost") if lost_account is None else lost_account
        )
        self.reported_mg: int = self.actual_mg
        self.reported_at: pd.Timestamp | None = None
        self._next_due: pd.Timestamp | None = None  # no attestation can fall due before this
        self.undisclosed_loss_mg: int = 0
        self.lost_mg: int = 0
        self.frozen_until: pd.Timestamp | None = None
        self.is_insolvent: bool = False
        self._capacity_day: pd.Timestamp | None = None
        self._capacity_used: int = 0

    def __repr__(self) -> str:
        return (
            f"Custodian({self.name!r}, actual_mg={self.actual_mg}, "
            f"reported_mg={self.reported_mg}, insolvent={self.is_insolvent})"
        )

    # --- reserves -------------------------------------------------------------------------
    @property
    def actual_mg(self) -> int:
        """Gold actually in the vault now (mg)."""
        return self.ledger.balance(self.vault_account, Asset.GOLD)

    @property
    def disclosed_mg(self) -> int:
        """Gold the public believes the vault holds: actual plus losses not yet attested."""
        return self.actual_mg + self.undisclosed_loss_mg

    def attest(self, now: pd.Timestamp) -> None:
        """Publish the actual reserves now: the snapshot updates and hidden losses come out."""
        self.reported_mg = self.actual_mg
        self.reported_at = pd.Timestamp(now)
        self.undisclosed_loss_mg = 0
        self._next_due = self.attestation.next_after(self.reported_at)

    def update(self, now: pd.Timestamp) -> bool:
        """Catch up to ``now``: attest if a scheduled attestation fell due since the last one.

        The first call always attests (the custodian starts from a public position).

        Returns:
            Whether an attestation happened.
        """
        if self._next_due is not None and now < self._next_due:
            return False  # the common case, checked without date arithmetic
        due = self.attestation.last_at_or_before(now)
        if self.reported_at is not None and due <= self.reported_at:
            return False
        self.attest(due if self.attestation.kind != "continuous" else now)
        return True

    def next_attestation(self, now: pd.Timestamp) -> pd.Timestamp:
        """When the next attestation after ``now`` falls."""
        return self.attestation.next_after(now)

    # --- incidents ------------------------------------------------------------------------
    def freeze(self, until: pd.Timestamp | None) -> None:
        """Stop all movements of gold in or out until ``until`` (``None``: until :meth:`unfreeze`)."""
        self.frozen_until = pd.Timestamp.max if until is None else pd.Timestamp(until)

    def unfreeze(self) -> None:
        """End a freeze at once."""
        self.frozen_until = None

    def is_frozen(self, now: pd.Timestamp) -> bool:
        """Whether a freeze is in force at ``now``."""
        return self.frozen_until is not None and now < self.frozen_until

    def lose_share(self, share: float, now: pd.Timestamp) -> int:
        """Lose a share of the vault's gold (theft, fraud, a bad bar count).

        The gold moves to the lost sink at once, so the actual reserve drops now; the public learns
        of it only at the next attestation (at once for a continuous schedule).

        Args:
            share: Fraction of the vault's current gold lost, in [0, 1].
            now: When the loss happens.

        Returns:
            Gold lost (mg, rounded down).

        Raises:
            CustodyError: If ``share`` is outside [0, 1].
        """
        if not 0.0 <= share <= 1.0:
            raise CustodyError(
                f"custodian {self.name!r}: loss share must be in [0, 1], got {share}"
            )
        self.update(now)  # attestations due before the loss must not reveal it
        amount = math.floor(self.actual_mg * share)
        if amount > 0:
            self.ledger.transfer(self.vault_account, self.lost_account, Asset.GOLD, amount)
        self.lost_mg += amount
        self.undisclosed_loss_mg += amount
        if self.attestation.kind == "continuous":
            self.attest(now)
        return amount

    def slow(self, extra_hours: float) -> None:
        """Set the hours this custodian adds to settlements accepted from now on (0 restores)."""
        if not extra_hours >= 0:
            raise CustodyError(
                f"custodian {self.name!r}: extra settlement hours must be >= 0, got {extra_hours}"
            )
        self.extra_settlement_hours = float(extra_hours)

    def insolvent(self) -> None:
        """Declare the custodian insolvent: no gold moves in or out of it again."""
        self.is_insolvent = True

    # --- capacity -------------------------------------------------------------------------
    def remaining_capacity(self, now: pd.Timestamp) -> int:
        """Gold (mg) the custodian can still accept for the calendar day of ``now``."""
        if self.daily_capacity_mg is None:
            return UNLIMITED_MG
        used = self._capacity_used if self._capacity_day == now.normalize() else 0
        return max(self.daily_capacity_mg - used, 0)

    def consume_capacity(self, grams_mg: int, now: pd.Timestamp) -> None:
        """Book ``grams_mg`` against the day's capacity.

        Raises:
            CustodyError: If that exceeds what remains today.
        """
        remaining = self.remaining_capacity(now)
        if grams_mg > remaining:
            raise CustodyError(
                f"custodian {self.name!r}: {grams_mg} mg exceeds today's remaining capacity "
                f"of {remaining} mg"
            )
        day = now.normalize()
        if self._capacity_day != day:
            self._capacity_day, self._capacity_used = day, 0
        self._capacity_used += grams_mg


def reserve_ratio(grams_mg: int, supply_mg: int) -> float:
    """Gold (mg) per token (mg) outstanding (NaN when no tokens exist)."""
    return grams_mg / supply_mg if supply_mg > 0 else math.nan


def actual_reserve_ratio(custodians: Iterable[Custodian], supply_mg: int) -> float:
    """Gold actually held by ``custodians`` per token outstanding (NaN when no tokens exist)."""
    return reserve_ratio(sum(c.actual_mg for c in custodians), supply_mg)


def reported_reserve_ratio(custodians: Iterable[Custodian], supply_mg: int) -> float:
    """Gold the public believes ``custodians`` hold per token outstanding (NaN when none exist)."""
    return reserve_ratio(sum(c.disclosed_mg for c in custodians), supply_mg)
