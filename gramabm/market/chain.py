"""Tokens and gas: what every on-chain contract of the kit (pools, the GRAM wrapper) shares.

A :class:`Token` is one asset of one :class:`~gramabm.market.ledger.Ledger`. Account ids are
addresses: the same id names the same holder in every ledger of a world (accounts are opened in
the same order in each), just as one Ethereum address holds every ERC-20 token. So a two-tier world
can keep GRAM and XAUT in separate ledgers, or in one ledger with an asset each, and the contracts
work unchanged.

Gas: each transaction burns a fixed number of gas units for its kind (:data:`GAS_UNITS`), priced
at :class:`GasPrice` (wei per gas unit and the ETH price) and paid in micro-dollars, rounded up,
from the caller's USD to the chain's gas sink account (the block producers), so USD stays
conserved in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import index

from gramabm.errors import ConfigError, MarketError
from gramabm.market.ledger import Asset, AssetIndex, InsufficientBalanceError, Ledger

WEI_PER_ETH: int = 10**18
"""Wei (ETH's base unit) per ether."""

GAS_UNITS: dict[str, int] = {
    # Assumption: the gas an Ethereum transaction of each kind uses, rounded (an ERC-20 transfer
    # is 21,000 base plus about 30,000; a mint or burn that also moves the underlying about twice
    # that; a pool swap about 100,000-150,000; liquidity changes a little more).
    "wrap": 80_000,
    "unwrap": 60_000,
    "v2_swap": 110_000,
    "v2_add_liquidity": 150_000,
    "v2_remove_liquidity": 130_000,
    "v3_swap": 140_000,
    "v3_add_liquidity": 200_000,
    "v3_remove_liquidity": 170_000,
}
"""Gas units per transaction kind, the one place they are declared."""


class AmmError(MarketError, ValueError):
    """A call an on-chain contract refuses (zero or negative amount, price limit, empty pool)."""


@dataclass(frozen=True, eq=False)
class Token:
    """One token: an asset of a ledger, in the ledger's integer base units.

    Args:
        symbol: Display name (``"GRAM"``, ``"XAUT"``, ``"USDT"``).
        ledger: The ledger holding every account's balance of it.
        asset: Which of the ledger's assets it is.
        decimals: Base units per whole token are ``10**decimals`` (for prices and display).
    """

    symbol: str
    ledger: Ledger
    asset: AssetIndex
    decimals: int

    @property
    def unit(self) -> int:
        """Base units per whole token."""
        return 10**self.decimals

    def available(self, account: int) -> int:
        """Available balance of ``account`` in base units."""
        return self.ledger.available(account, self.asset)

    def balance(self, account: int) -> int:
        """Whole balance of ``account`` in base units."""
        return self.ledger.balance(account, self.asset)

    def transfer(self, src: int, dst: int, amount: int) -> None:
        """Move ``amount`` base units from ``src``'s available balance to ``dst``."""
        self.ledger.transfer(src, dst, self.asset, amount)


def require_funds(account: int, needs: list[tuple[Token, int]]) -> None:
    """Check, before anything moves, that ``account`` can pay every ``(token, amount)`` at once.

    Amounts of the same ledger asset are added up (a USD pool's input and the gas are one need).

    Raises:
        InsufficientBalanceError: Naming the first asset that falls short.
    """
    total: dict[tuple[int, int], tuple[Token, int]] = {}
    for token, amount in needs:
        key = (id(token.ledger), int(token.asset))
        prev = total.get(key)
        total[key] = (token, amount + (prev[1] if prev else 0))
    for token, amount in total.values():
        have = token.available(account)
        if have < amount:
            raise InsufficientBalanceError(
                account,
                token.ledger.name(account),
                Asset(token.asset),
                amount,
                have,
                "available",
            )


@dataclass(frozen=True)
class GasPrice:
    """What one gas unit costs.

    Args:
        wei_per_gas: Gas price in wei per unit (1 gwei = 10**9 wei).
        micro_usd_per_eth: ETH price in micro-dollars.

    Raises:
        ConfigError: If either is negative.
    """

    wei_per_gas: int
    micro_usd_per_eth: int

    def __post_init__(self) -> None:
        if index(self.wei_per_gas) < 0 or index(self.micro_usd_per_eth) < 0:
            raise ConfigError(f"gas price and ETH price must be >= 0, got {self}")

    @classmethod
    def from_gwei(cls, gwei: float, eth_usd: float) -> GasPrice:
        """A price from gwei per gas unit and dollars per ETH (rounded to wei and micro-dollars)."""
        return cls(round(gwei * 10**9), round(eth_usd * 10**6))

    def cost(self, gas_units: int) -> int:
        """Micro-dollars ``gas_units`` cost, rounded up (the payer never pays less)."""
        return -(-gas_units * self.wei_per_gas * self.micro_usd_per_eth // WEI_PER_ETH)


class Chain:
    """Where gas is paid: the USD token, the gas sink account and the current gas price.

    Args:
        usd: The token gas is paid in (micro-dollars).
        sink: Account receiving every gas payment (the block producers).
        price: Gas price; reassign :attr:`price` for a gas spike.
    """

    def __init__(self, usd: Token, sink: int, price: GasPrice) -> None:
        self.usd = usd
        self.sink = sink
        self.price = price
        self.gas_paid = 0  # micro-dollars paid so far by all callers

    def gas_cost(self, kind: str) -> int:
        """Micro-dollars a transaction of ``kind`` costs at the current price.

        Raises:
            ConfigError: For an unknown kind, listing the known ones.
        """
        try:
            units = GAS_UNITS[kind]
        except KeyError:
            raise ConfigError(
                f"unknown transaction kind {kind!r}; known: {', '.join(sorted(GAS_UNITS))}"
            ) from None
        return self.price.cost(units)

    def charge(self, account: int, micro_usd: int) -> None:
        """Take ``micro_usd`` of gas from ``account`` (checked beforehand by the caller)."""
        if micro_usd:
            self.usd.transfer(account, self.sink, micro_usd)
            self.gas_paid += micro_usd


def gas_need(chain: Chain | None, kind: str) -> tuple[list[tuple[Token, int]], int]:
    """The funds need and the cost of a transaction's gas (nothing without a chain)."""
    if chain is None:
        return [], 0
    cost = chain.gas_cost(kind)
    return [(chain.usd, cost)], cost


def positive(name: str, amount: int) -> int:
    """``amount`` as an int, refused unless it is > 0.

    Raises:
        AmmError: If it is zero or negative.
    """
    amount = index(amount)
    if amount <= 0:
        raise AmmError(f"{name} must be > 0, got {amount}")
    return amount


@dataclass(frozen=True, slots=True)
class SwapResult:
    """What one swap moved.

    Attributes:
        amount_in: Base units of the input token paid into the pool (fee included).
        amount_out: Base units of the output token paid out.
        fee: Base units of the input that are the liquidity providers' fee.
        gas: Micro-dollars of gas the caller paid (0 for a quote or without a chain).
    """

    amount_in: int
    amount_out: int
    fee: int
    gas: int = 0
