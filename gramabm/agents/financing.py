"""Financing of a dealer's inventory: cash lent against its tokens, tokens lent against its cash.

A dealer whose tokens are hedged in gold carries only the token's basis, so a real one funds the
position on credit (a repo against the tokens, a prime broker's margin) instead of paying it all
in cash: that is why a dealer at its inventory limit or a discount buyer keeps bidding while the
primary market is frozen. :class:`InventoryFinancing` lends against the gold value of the tokens
held, up to ``advance`` of it and never more than ``limit_usd`` in all; the cash comes from the
world gold market's account and goes back to it as the tokens are sold, so nothing is created.

The other way round, a dealer that has sold its tokens cannot mint more while the primary market
is shut (a weekend), yet a real one keeps offering: it borrows tokens from the venue's other
holders and covers when it can mint or buy back. :class:`TokenLoan` keeps the dealer's tokens at a
floor (its ladder's worth) by borrowing what its own position lacks, up to ``limit_mg`` and to
what the lender holds free; it sets aside cash worth the tokens borrowed at the gold price (the
loan's collateral, which it cannot spend meanwhile) and gives the tokens back as its own position
recovers. Nothing is created: the tokens move between two accounts and the loan remembers them.
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


class TokenLoan:
    """Tokens borrowed by a dealer so its offers do not run dry while it cannot mint.

    Args:
        ledger: The ledger.
        account: The dealer's account.
        lender: The account the tokens are borrowed from (the venue's other holders).
        limit_mg: The most borrowed at once (milligrams; 0 disables the loan).
    """

    def __init__(self, ledger: Ledger, account: int, lender: int, limit_mg: int) -> None:
        if limit_mg < 0:
            raise ValueError("a token loan needs a limit >= 0")
        self.ledger = ledger
        self.account = account
        self.lender = lender
        self.limit_mg = int(limit_mg)
        self.loan_mg = 0
        self.collateral_micro = 0  # the dealer's cash set aside against the loan

    def rebalance(self, floor_mg: int, price_g: float) -> int:
        """Borrow so the dealer holds ``floor_mg`` tokens, or give back what it no longer needs.

        The dealer's own position is what it holds less what it owes; the loan makes up the gap
        between that and the floor, within the limit, the lender's free tokens and the cash the
        dealer can set aside at ``price_g`` USD per gram (the tokens' value, as collateral). A
        repayment takes only the tokens the dealer has free; the rest waits for the next call.
        Without a price nothing is borrowed and the collateral stays as it was.

        Returns:
            Milligrams borrowed in this call (negative when given back).
        """
        ledger = self.ledger
        own = ledger.balance(self.account, Asset.TOKEN) - self.loan_mg
        wanted = min(max(floor_mg - own, 0), self.limit_mg)
        if wanted == self.loan_mg == 0:  # the usual case: nothing owed, nothing needed
            return 0
        gap = wanted - self.loan_mg
        priced = math.isfinite(price_g) and price_g > 0.0
        if priced:  # the collateral is set aside afresh below, at this price
            self._release()
        if gap > 0 and priced:
            # A milligram is worth price_g * 1e3 micro-dollars.
            affordable = int(ledger.available(self.account, Asset.USD) / (price_g * 1e3))
            affordable -= self.loan_mg
            gap = max(min(gap, ledger.available(self.lender, Asset.TOKEN), affordable), 0)
            if gap:
                ledger.transfer(self.lender, self.account, Asset.TOKEN, gap)
        elif gap < 0:
            gap = -min(-gap, ledger.available(self.account, Asset.TOKEN))
            if gap:
                ledger.transfer(self.account, self.lender, Asset.TOKEN, -gap)
        else:
            gap = 0
        self.loan_mg += gap
        if priced:
            want = round(self.loan_mg * price_g * 1e3)
            self.collateral_micro = min(want, ledger.available(self.account, Asset.USD))
            ledger.reserve(self.account, Asset.USD, self.collateral_micro)
        return gap

    def _release(self) -> None:
        if self.collateral_micro:
            self.ledger.release(self.account, Asset.USD, self.collateral_micro)
            self.collateral_micro = 0
