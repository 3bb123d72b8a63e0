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

from gramabm.market.primary.collateral import CollateralLeg, WorldGoldLeg
from gramabm.market.primary.engine import PrimaryMarket
from gramabm.market.primary.terms import (
    BAR_400_OZ_MG,
    BP_DENOMINATOR,
    FeeTiers,
    PrimaryTerms,
    SettlementDelay,
    oz_to_mg,
)
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

__all__ = [
    "BAR_400_OZ_MG",
    "BP_DENOMINATOR",
    "CollateralLeg",
    "FeeTiers",
    "Kind",
    "PrimaryMarket",
    "PrimaryMarketError",
    "PrimaryStats",
    "PrimaryTerms",
    "Quote",
    "Refusal",
    "Settlement",
    "SettlementDelay",
    "Status",
    "Ticket",
    "WorldGoldLeg",
    "oz_to_mg",
]
