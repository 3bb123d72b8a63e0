"""Financing of hedged inventory: a secured credit line against the tokens a dealer holds.

A dealer whose tokens are hedged in gold carries only the token's basis, so a real one funds the
position on credit (a repo against the tokens, a prime broker's margin) instead of paying it all
in cash: that is why a dealer at its inventory limit or a discount buyer keeps bidding while the
primary market is frozen. :class:`InventoryFinancing` lends against the gold value of the tokens
held, up to ``advance`` of it and never more than ``limit_usd`` in all; the cash comes from the
world gold market's account and goes back to it as the tokens are sold, so nothing is created.
"""

from __future__ import annotations

import math

from gramabm.market.ledger import Asset, Ledger


class InventoryFinancing:
    """A credit line secured on a dealer's tokens, drawn and repaid against their gold value.

    Args:
        ledger: The ledger.
        account: The dealer's account.
        lender: The world gold market's account, which lends and is repaid.
        advance: Share of the tokens' gold value lent (the haircut's complement), 0 to 1.
        limit_usd: The most lent in all.
    """

    def __init__(
        self, ledger: Ledger, account: int, lender: int, advance: float, limit_usd: float
    ) -> None:
        if not 0.0 <= advance <= 1.0 or limit_usd < 0.0:
            raise ValueError("financing needs 0 <= advance <= 1 and a limit >= 0")
        self.ledger = ledger
        self.account = account
        self.lender = lender
        self.advance = advance
        self.limit_micro = round(limit_usd * 1e6)
        self.loan_micro = 0

    def line_micro(self, tokens_mg: int, gold_g: float) -> int:
        """The most that may be owed against ``tokens_mg`` at ``gold_g`` USD per gram."""
        if not math.isfinite(gold_g) or gold_g <= 0.0:
            return self.loan_micro  # no price: the line stays where it is
        return min(self.limit_micro, round(tokens_mg / 1000 * gold_g * self.advance * 1e6))

    def rebalance(self, collateral_mg: int, gold_g: float) -> int:
        """Draw up to the line on ``collateral_mg`` tokens, or repay what is above it.

        A repayment takes only the cash the dealer has; the rest waits for the next step.

        Returns:
            Micro-dollars drawn this step (negative when repaid).
        """
        ledger = self.ledger
        line = self.line_micro(max(collateral_mg, 0), gold_g)
        gap = line - self.loan_micro
        if gap > 0:
            ledger.transfer(self.lender, self.account, Asset.USD, gap)
        elif gap < 0:
            gap = -min(-gap, max(ledger.available(self.account, Asset.USD), 0))
            if gap:
                ledger.transfer(self.account, self.lender, Asset.USD, -gap)
        self.loan_micro += gap
        return gap
