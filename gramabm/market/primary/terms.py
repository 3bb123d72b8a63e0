"""The rules of one issuer's primary market.

Fees (exact integers, with size tiers), minimum sizes, bars, calendar, settlement delays and who
may take part.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gramabm.data.calendar import ALWAYS_OPEN, TradingCalendar
from gramabm.errors import ConfigError
from gramabm.market.custody import AttestationSchedule
from gramabm.market.primary.tickets import Kind
from gramabm.units import GRAMS_PER_TROY_OUNCE, grams_to_units

BP_DENOMINATOR: int = 1_000_000
"""Fees are exact integers in hundredths of a basis point: ``fee = ceil(amount * cbp / 1e6)``."""


def oz_to_mg(ounces: float) -> int:
    """Milligrams of gold in ``ounces`` troy ounces (rounded to the nearest mg)."""
    return grams_to_units(ounces * GRAMS_PER_TROY_OUNCE)


BAR_400_OZ_MG: int = oz_to_mg(400)
"""A nominal London Good Delivery bar, 400 troy ounces (about 12.4 kg)."""

_CONTINUOUS = AttestationSchedule.continuous()  # default: reserves public at all times


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
