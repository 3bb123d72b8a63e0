"""A gold hedge settled in cash: how a dealer holding tokens stays flat on gold.

A market maker or a discount buyer holding tokens is long gold; real ones offset it with a short
position in gold (spot, futures) and carry only the token's basis. :class:`GoldHedge` keeps that
position and settles its profit or loss in cash against the world gold market every step (a
variation margin): a dealer whose tokens lost value as gold fell receives cash, so its capacity to
keep bidding is replenished. The position can be changed only while gold trades (``adjust``);
over a weekend the dealer carries what it had at Friday's close. A loss the account cannot pay at
once is owed and paid from the next cash it has; nothing is created or lost.
"""

from __future__ import annotations

import math

from gramabm.market.ledger import Asset, Ledger


class GoldHedge:
    """A gold position (grams, negative when short) marked to market and settled in cash.

    Args:
        ledger: The ledger.
        account: The dealer's account.
        counterparty: The world gold market's account, which pays and receives the margin.
    """

    def __init__(self, ledger: Ledger, account: int, counterparty: int) -> None:
        self.ledger = ledger
        self.account = account
        self.counterparty = counterparty
        self.position_g = 0.0
        self.owed_micro = 0  # margin the dealer could not pay yet
        self.settled_micro = 0  # cumulative margin received (negative: paid)
        self._mark: float | None = None

    def settle(self, gold_g: float) -> int:
        """Mark the position to ``gold_g`` (USD per gram) and settle the change in cash.

        Returns:
            Micro-dollars received this step (negative when paid).
        """
        if not math.isfinite(gold_g) or gold_g <= 0.0:
            return 0
        mark, self._mark = self._mark, gold_g
        if mark is None:
            return 0
        pnl = round(self.position_g * (gold_g - mark) * 1e6) - self.owed_micro
        self.owed_micro = 0
        ledger = self.ledger
        if pnl > 0:
            ledger.transfer(self.counterparty, self.account, Asset.USD, pnl)
            self.settled_micro += pnl
            return pnl
        pay = min(-pnl, max(ledger.available(self.account, Asset.USD), 0))
        if pay:
            ledger.transfer(self.account, self.counterparty, Asset.USD, pay)
        self.owed_micro = -pnl - pay
        self.settled_micro -= pay
        return -pay

    def adjust(self, position_g: float, gold_g: float) -> None:
        """Set the position to ``position_g`` grams (only while gold trades); marks at ``gold_g``."""
        if self._mark is None and math.isfinite(gold_g) and gold_g > 0.0:
            self._mark = gold_g
        self.position_g = float(position_g)
