"""The GRAM contract: a permissionless, immutable wrapper that turns XAUT into GRAM and back.

Units. XAUT is counted in its own smallest on-chain unit, a millionth of a troy ounce (the token
has 6 decimals, one token = one ounce); GRAM in the ledger's token unit, the milligram (3
decimals). The contract itself counts GRAM with 18 decimals; its arithmetic is written here once
for any GRAM precision, so that at 18 decimals it is the contract's to the unit and at 3 decimals
it is the same formulas rounded at the milligram:

* ``mint(x)``: ``gross = floor(x * CONVERSION_RATE / 10**(xaut_dec + 18 - gram_dec))``, a fee
  ``floor(gross * 5 / 10,000)`` is minted to the treasury and ``gross - fee`` to the caller, who
  pays ``x`` XAUT into the contract;
* ``burn(g)``: ``g`` GRAM are destroyed and ``floor(g * 10**(xaut_dec + 18 - gram_dec) /
  CONVERSION_RATE)`` XAUT paid out, no fee; rounding down keeps the contract solvent.

Both round in the contract's favour, so ``XAUT held * rate >= GRAM supply`` holds after every
call (the solvency invariant). Both are atomic, open to anyone at any hour, refuse a zero amount,
and cost the caller gas (:class:`~gramabm.market.chain.Chain`). The one thing outside the
contract is XAUT's issuer: it can freeze the contract's XAUT (:attr:`GramWrapper.frozen`), after
which XAUT can still be paid in but never out, so burns fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from gramabm.errors import ConfigError
from gramabm.market.chain import AmmError, Chain, Token, gas_need, positive, require_funds
from gramabm.market.ledger import Asset

CONVERSION_RATE: int = 31_103_476_800_000_000_000
"""GRAM base units at the contract's 18 decimals per whole XAUT (31.1034768 GRAM, one troy ounce)."""

CONTRACT_GRAM_DECIMALS: int = 18
"""GRAM's decimals in the contract."""

XAUT_DECIMALS: int = 6
"""XAUT's decimals: the base unit is a millionth of a troy ounce."""

GRAM_DECIMALS: int = 3
"""GRAM's decimals in the kit's ledger: the base unit is the milligram, the ledger's token unit."""

FEE_BASIS_POINTS: int = 5
"""Mint fee in basis points of the gross GRAM, minted to the treasury."""

FEE_DENOMINATOR: int = 10_000
"""Basis points per whole."""


def _scale(xaut_decimals: int, gram_decimals: int) -> int:
    if not 0 <= gram_decimals <= CONTRACT_GRAM_DECIMALS or xaut_decimals < 0:
        raise ConfigError(
            f"GRAM decimals must be in [0, {CONTRACT_GRAM_DECIMALS}] and XAUT decimals >= 0, "
            f"got {gram_decimals} and {xaut_decimals}"
        )
    return 10 ** (xaut_decimals + CONTRACT_GRAM_DECIMALS - gram_decimals)


def mint_amounts(
    xaut: int, *, xaut_decimals: int = XAUT_DECIMALS, gram_decimals: int = GRAM_DECIMALS
) -> tuple[int, int, int]:
    """The contract's mint arithmetic: ``(gross, fee, net)`` GRAM for ``xaut`` XAUT base units."""
    gross = xaut * CONVERSION_RATE // _scale(xaut_decimals, gram_decimals)
    fee = gross * FEE_BASIS_POINTS // FEE_DENOMINATOR
    return gross, fee, gross - fee


def burn_amount(
    gram: int, *, xaut_decimals: int = XAUT_DECIMALS, gram_decimals: int = GRAM_DECIMALS
) -> int:
    """The contract's burn arithmetic: XAUT base units paid for ``gram`` GRAM base units."""
    return gram * _scale(xaut_decimals, gram_decimals) // CONVERSION_RATE


@dataclass(frozen=True, slots=True)
class MintResult:
    """What a mint moved: XAUT paid in, GRAM gross, the treasury's fee, the caller's net, gas."""

    xaut: int
    gross: int
    fee: int
    net: int
    gas: int


@dataclass(frozen=True, slots=True)
class BurnResult:
    """What a burn moved: GRAM destroyed, XAUT paid out, gas (micro-dollars)."""

    gram: int
    xaut: int
    gas: int


class GramWrapper:
    """The GRAM contract over a ledger: XAUT held in its account, GRAM minted and burned.

    Args:
        xaut: The XAUT token (base unit 10**-``xaut.decimals`` ounce).
        gram: The GRAM token; must be the ledger's minted asset (``Asset.TOKEN``).
        account: The contract's address, holding its XAUT (open in both ledgers).
        treasury: Account receiving the mint fee in GRAM.
        chain: Where gas is paid; ``None`` charges no gas.

    Raises:
        ConfigError: If GRAM is not its ledger's token asset or the decimals cannot be served.
    """

    def __init__(
        self,
        xaut: Token,
        gram: Token,
        account: int,
        treasury: int,
        *,
        chain: Chain | None = None,
    ) -> None:
        if int(gram.asset) != int(Asset.TOKEN):
            raise ConfigError(f"GRAM must be its ledger's TOKEN asset, got {gram.asset!r}")
        self._scale = _scale(xaut.decimals, gram.decimals)
        self.xaut = xaut
        self.gram = gram
        self.account = account
        self.treasury = treasury
        self.chain = chain
        self.frozen = False  # the XAUT issuer froze the contract's XAUT: nothing can leave
        self.xaut_held = 0
        self.supply = 0  # GRAM outstanding from this contract
        self.minted = [0, 0]  # [to callers, to the treasury] since the start
        self.burned = 0

    # ----------------------------------------------------------------------------- quotes

    def quote_mint(self, xaut: int) -> tuple[int, int, int]:
        """``(gross, fee, net)`` GRAM a mint of ``xaut`` XAUT base units would give."""
        gross = xaut * CONVERSION_RATE // self._scale
        fee = gross * FEE_BASIS_POINTS // FEE_DENOMINATOR
        return gross, fee, gross - fee

    def quote_burn(self, gram: int) -> int:
        """XAUT base units a burn of ``gram`` GRAM base units would pay."""
        return gram * self._scale // CONVERSION_RATE

    # -------------------------------------------------------------------------- contract

    def mint(self, account: int, xaut: int) -> MintResult:
        """Pay ``xaut`` XAUT into the contract; receive GRAM net of the fee.

        Raises:
            AmmError: If ``xaut`` is not positive (the contract's ``ZeroMint``).
            InsufficientBalanceError: If the caller cannot pay the XAUT and the gas.
        """
        xaut = positive("XAUT to wrap", xaut)
        gross, fee, net = self.quote_mint(xaut)
        needs, gas = gas_need(self.chain, "wrap")
        require_funds(account, [(self.xaut, xaut), *needs])
        if self.chain is not None:
            self.chain.charge(account, gas)
        self.xaut.transfer(account, self.account, xaut)
        ledger = self.gram.ledger
        ledger.mint_tokens(account, net)
        ledger.mint_tokens(self.treasury, fee)
        self.xaut_held += xaut
        self.supply += gross
        self.minted[0] += net
        self.minted[1] += fee
        return MintResult(xaut, gross, fee, net, gas)

    def burn(self, account: int, gram: int) -> BurnResult:
        """Destroy ``gram`` GRAM of the caller; receive XAUT, rounded down, no fee.

        Raises:
            AmmError: If ``gram`` is not positive (``ZeroBurn``) or the contract's XAUT is
                frozen (the XAUT transfer would revert).
            InsufficientBalanceError: If the caller cannot pay the GRAM and the gas.
        """
        gram = positive("GRAM to unwrap", gram)
        if self.frozen:
            raise AmmError("the wrapper's XAUT is frozen by its issuer: burns revert")
        out = self.quote_burn(gram)
        needs, gas = gas_need(self.chain, "unwrap")
        require_funds(account, [(self.gram, gram), *needs])
        if self.chain is not None:
            self.chain.charge(account, gas)
        self.gram.ledger.burn_tokens(account, gram)
        self.xaut.transfer(self.account, account, out)
        self.xaut_held -= out
        self.supply -= gram
        self.burned += gram
        return BurnResult(gram, out, gas)

    # ------------------------------------------------------------------------- backing

    def backing_ratio(self) -> float:
        """XAUT held times the rate over GRAM outstanding (1.0 or more when solvent)."""
        if not self.supply:
            return float("inf") if self.xaut_held else 1.0
        return self.xaut_held * CONVERSION_RATE / (self.supply * self._scale)

    def solvent(self) -> bool:
        """Whether ``XAUT held * rate >= GRAM supply``, exactly."""
        return self.xaut_held * CONVERSION_RATE >= self.supply * self._scale

    def check(self) -> None:
        """Verify the contract's books and the solvency invariant.

        Raises:
            AmmError: If the XAUT the account holds differs from the books, the supply differs
                from mints less burns, or the invariant fails.
        """
        held = self.xaut.balance(self.account)
        if held != self.xaut_held:
            raise AmmError(f"wrapper account holds {held} XAUT, books say {self.xaut_held}")
        if self.supply != self.minted[0] + self.minted[1] - self.burned:
            raise AmmError("GRAM supply differs from mints less burns")
        if not self.solvent():
            raise AmmError(
                f"insolvent: {self.xaut_held} XAUT base units back {self.supply} GRAM base units"
            )
