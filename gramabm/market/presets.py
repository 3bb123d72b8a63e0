"""Primary-market presets of the real designs (docs/model.md D2).

Sources, cited per field below:

* [PAXG-guide] Paxos, *PAX Gold User Guide* (paxos.com/paxg-user-guide): orders received by
  5 pm ET on a business day settle the next business day; purchases and sales only during
  London gold-market hours.
* [PAXG-fees] Paxos, *How does Paxos collect fees?*: all PAXG fees are charged in PAXG.
* [PAXG-site] Paxos, *Pax Gold* (paxos.com/PAXGold): redeemable for LBMA Good Delivery bars,
  reserves audited monthly.
* [TG-2022] Tether Gold whitepaper (2022) and docs/model.md D2: 25 bp each way, 50 oz minimum
  purchase, KYC'd clients, settlement in days, quarterly attestations.
* [GRAM] the GRAM contract's repository (its README and ``src/GRAM.sol``; docs/model.md D2): permissionless, immutable
  wrapper; mint fee 5 bp taken in GRAM and minted to the treasury, no burn fee, 1 XAUT =
  31.1034768 GRAM. (Some early versions of GRAM.sol set ``FEE_BASIS_POINTS = 50``; the README
  gives 5 bp.)

Where a source gives only a range or a word, the value chosen is marked *assumption*.
"""

from __future__ import annotations

from gramabm.data.calendar import ALWAYS_OPEN, LONDON_GOLD, TradingCalendar
from gramabm.errors import ConfigError
from gramabm.market.custody import AttestationSchedule
from gramabm.market.primary import PrimaryTerms, SettlementDelay, oz_to_mg
from gramabm.preset_names import PRESET_NAMES as PRESET_NAMES
from gramabm.preset_names import PresetName as PresetName

PAXG = PrimaryTerms(
    # Creation/destruction fees are tiered "from 100 bp down to 12.5 bp for large orders"
    # [docs/model.md D2]; fees are charged in PAXG [PAXG-fees].
    mint_fee_bp=100.0,
    redeem_fee_bp=100.0,
    # Assumption: the intermediate tier boundaries are not published with the range; the fee
    # halves at $100k, $1M and $10M of notional to reach 12.5 bp.
    mint_fee_tiers=((100_000.0, 50.0), (1_000_000.0, 25.0), (10_000_000.0, 12.5)),
    redeem_fee_tiers=((100_000.0, 50.0), (1_000_000.0, 25.0), (10_000_000.0, 12.5)),
    # No minimum for cash: the token is divisible ("low minimum purchase amount") [PAXG-site].
    min_mint_mg=1,
    min_redeem_mg=1,
    # Good Delivery bars are 350–430 oz; Paxos redeems whole bars, taken at 430 oz [docs/model.md D2].
    bar_mg=oz_to_mg(430),
    # London gold-market hours, closed at weekends [PAXG-guide, docs/model.md D2]. Paxos states its own
    # window as Sunday 6 pm to Friday 5 pm ET (nearly 24/5); the kit's LBMA session is narrower.
    calendar=LONDON_GOLD,
    # T+1 for purchases, "up to T+2" for sales [PAXG-guide, docs/model.md D2].
    mint_delay=SettlementDelay(business_days=1),
    redeem_delay=SettlementDelay(business_days=2),
    # KYC'd Paxos account holders only [docs/model.md D2].
    authorised_only=True,
    # Redeem for USD at the current gold price, or for bars [PAXG-site].
    cash_redemption=True,
    in_kind_redemption=True,
    atomic=False,
    # Monthly attestations by a third-party accountant [PAXG-site].
    attestation=AttestationSchedule.monthly(),
)

XAUT = PrimaryTerms(
    # 25 bp each way [TG-2022].
    mint_fee_bp=25.0,
    redeem_fee_bp=25.0,
    # 50 oz minimum purchase [TG-2022]; assumption: the same minimum for cash redemptions.
    min_mint_mg=oz_to_mg(50),
    min_redeem_mg=oz_to_mg(50),
    # Physical delivery in whole 430 oz bars [docs/model.md D2].
    bar_mg=oz_to_mg(430),
    # Business days, all day (no session hours published) [docs/model.md D2].
    calendar=TradingCalendar(),
    # "Settlement in days" [docs/model.md D2]; assumption: two business days each way.
    mint_delay=SettlementDelay(business_days=2),
    redeem_delay=SettlementDelay(business_days=2),
    # KYC'd clients, USD only [docs/model.md D2].
    authorised_only=True,
    cash_redemption=True,
    in_kind_redemption=True,
    atomic=False,
    # Quarterly attestations [TG-2022].
    attestation=AttestationSchedule.quarterly(),
)

GRAM_WRAPPER = PrimaryTerms(
    # 5 bp mint fee, paid in GRAM to the treasury; no burn fee [GRAM].
    mint_fee_bp=5.0,
    redeem_fee_bp=0.0,
    # Any non-zero amount (the contract only rejects zero) [GRAM].
    min_mint_mg=1,
    min_redeem_mg=1,
    # A contract call: 24/7 and settled in the same transaction [GRAM].
    calendar=ALWAYS_OPEN,
    mint_delay=SettlementDelay(),
    redeem_delay=SettlementDelay(),
    atomic=True,
    # No access control in the contract [GRAM].
    authorised_only=False,
    # Burning returns the underlying (XAUT); in the one-tier model the collateral leg stands in
    # for it, so "cash" here means the collateral leg. There are no bars at this tier.
    cash_redemption=True,
    in_kind_redemption=False,
    # The wrapper's reserve is its own on-chain XAUT balance, public at every block [GRAM].
    attestation=AttestationSchedule.continuous(),
)


PRESETS: dict[PresetName, PrimaryTerms] = {
    "paxg": PAXG,
    "xaut": XAUT,
    "gram_wrapper": GRAM_WRAPPER,
    # The two-tier system: the primary market of its first tier is XAUT's at Tether; the GRAM
    # wrapper and its pools sit on top (gramabm.market.gram_tier).
    "gram": XAUT,
}
"""Primary-market terms by preset name."""


def get_preset(name: str) -> PrimaryTerms:
    """The primary-market terms of a preset.

    Args:
        name: One of :data:`PRESETS` (case-insensitive; ``-`` and ``_`` are equivalent).

    Returns:
        The preset's terms.

    Raises:
        ConfigError: For an unknown name, listing the valid ones.
    """
    key = name.strip().lower().replace("-", "_")
    for preset, terms in PRESETS.items():
        if preset == key:
            return terms
    raise ConfigError(
        f"unknown primary-market preset {name!r}; valid presets: {', '.join(sorted(PRESETS))}"
    )
