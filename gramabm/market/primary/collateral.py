"""The collateral leg: what a client pays for a mint and receives for a cash redemption.

It is the seam for stacking a second tier: the primary market asks a :class:`CollateralLeg` to
price, lock and move the collateral, and :class:`WorldGoldLeg` does it with USD on the world gold
market.
"""

from __future__ import annotations

from typing import Protocol

from gramabm.market.ledger import Asset, Ledger

_MG_PER_OZ_E4: int = 311_034_768
"""Milligrams per troy ounce times 10,000 (31,103.4768 mg), for exact integer pricing."""


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
