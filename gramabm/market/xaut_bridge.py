"""Where XAUT crosses between the exchange's books and Ethereum: the one unit conversion.

XAUT lives in two ledgers in a two-tier run. Tether's primary market, its vaults and XAUT's
order book count it in the kit's token unit, the milligram of gold (the market world's ledger).
On Ethereum, where the pools and the GRAM wrapper are, it counts its own base unit, a millionth
of a troy ounce (the two-tier market's XAUT ledger). The conversion between them is declared
here once, as the GRAM contract's own rate (31.1034768 g to the ounce, exact in integers): a
milligram is ``10**21 / CONVERSION_RATE`` micro-ounces.

The bridge is the exchange's XAUT wallet: on-chain XAUT is a claim on XAUT locked in it. A
withdrawal to the chain locks milligrams in the bridge's world account and mints the micro-ounces
they are worth, floored; a deposit back burns micro-ounces and releases the milligrams they are
worth, floored. Rounding always stays in the bridge, so the locked milligrams always cover every
on-chain micro-ounce (:meth:`XautBridge.check`). Dollars cross 1:1 from the bridge's float on the
other side, never more than it holds.
"""

from __future__ import annotations

from gramabm.market.ledger import Asset, InvariantError, Ledger
from gramabm.market.wrapper import CONVERSION_RATE

_MICRO_OZ_SCALE: int = 10**21
"""``mg * _MICRO_OZ_SCALE / CONVERSION_RATE`` micro-ounces: CONVERSION_RATE is GRAM at 18 decimals
per whole XAUT, and a milligram is 10**15 of those, a micro-ounce 10**-6 of a whole XAUT."""


def mg_to_micro_oz(mg: int) -> int:
    """Micro-ounces of XAUT worth ``mg`` milligrams of gold, floored."""
    return mg * _MICRO_OZ_SCALE // CONVERSION_RATE


def micro_oz_to_mg(micro_oz: int) -> int:
    """Milligrams of gold worth ``micro_oz`` micro-ounces of XAUT, floored."""
    return micro_oz * CONVERSION_RATE // _MICRO_OZ_SCALE


def micro_oz_for_mg(mg: int) -> int:
    """The fewest micro-ounces whose release gives at least ``mg`` milligrams."""
    return -(-mg * _MICRO_OZ_SCALE // CONVERSION_RATE)


class XautBridge:
    """The exchange's wallet between the world ledger (mg) and the chain's XAUT ledger (micro-oz).

    Args:
        world: The market world's ledger (XAUT in mg, dollars in micro-dollars).
        world_account: The bridge's account there (its locked XAUT and its dollar float).
        chain: The two-tier market's XAUT ledger (XAUT in micro-ounces, dollars).
        chain_account: The bridge's account there (its dollar float).
    """

    def __init__(
        self, world: Ledger, world_account: int, chain: Ledger, chain_account: int
    ) -> None:
        self.world = world
        self.world_account = world_account
        self.chain = chain
        self.chain_account = chain_account

    @property
    def locked_mg(self) -> int:
        """XAUT locked behind the chain's XAUT, mg."""
        return self.world.balance(self.world_account, Asset.TOKEN)

    def to_chain(self, world_src: int, chain_dst: int, mg: int) -> int:
        """Lock ``mg`` of ``world_src``'s XAUT and mint its worth on chain to ``chain_dst``.

        Returns:
            Micro-ounces minted (0 for a zero amount).

        Raises:
            InsufficientBalanceError: If ``world_src`` lacks the XAUT (nothing moves).
        """
        if mg <= 0:
            return 0
        self.world.transfer(world_src, self.world_account, Asset.TOKEN, mg)
        out = mg_to_micro_oz(mg)
        if out:
            self.chain.mint_tokens(chain_dst, out)
        return out

    def to_world(self, chain_src: int, world_dst: int, micro_oz: int) -> int:
        """Burn ``micro_oz`` of ``chain_src``'s XAUT and release its worth to ``world_dst``.

        Returns:
            Milligrams released (0 for a zero amount).

        Raises:
            InsufficientBalanceError: If ``chain_src`` lacks the XAUT (nothing moves).
        """
        if micro_oz <= 0:
            return 0
        self.chain.burn_tokens(chain_src, micro_oz)
        out = micro_oz_to_mg(micro_oz)
        if out:
            self.world.transfer(self.world_account, world_dst, Asset.TOKEN, out)
        return out

    def usd_float(self) -> tuple[int, int]:
        """The bridge's dollars ``(world, chain)``, micro-dollars."""
        return (
            self.world.available(self.world_account, Asset.USD),
            self.chain.available(self.chain_account, Asset.USD),
        )

    def usd_to_chain(self, world_src: int, chain_dst: int, micro_usd: int) -> int:
        """Move dollars to the chain, at most the bridge's chain float; returns what moved."""
        amount = min(micro_usd, self.usd_float()[1], self.world.available(world_src, Asset.USD))
        if amount > 0:
            self.world.transfer(world_src, self.world_account, Asset.USD, amount)
            self.chain.transfer(self.chain_account, chain_dst, Asset.USD, amount)
        return max(amount, 0)

    def usd_to_world(self, chain_src: int, world_dst: int, micro_usd: int) -> int:
        """Move dollars off the chain, at most the bridge's world float; returns what moved."""
        amount = min(micro_usd, self.usd_float()[0], self.chain.available(chain_src, Asset.USD))
        if amount > 0:
            self.chain.transfer(chain_src, self.chain_account, Asset.USD, amount)
            self.world.transfer(self.world_account, world_dst, Asset.USD, amount)
        return max(amount, 0)

    def check(self) -> None:
        """The locked milligrams cover every on-chain micro-ounce.

        Raises:
            InvariantError: If on-chain XAUT is worth more than the XAUT locked behind it.
        """
        supply = self.chain.supply
        if supply * CONVERSION_RATE > self.locked_mg * _MICRO_OZ_SCALE:
            raise InvariantError(
                f"on-chain XAUT ({supply} micro-oz) exceeds the {self.locked_mg} mg locked behind it"
            )
