"""Liquidity providers of the GRAM tier's pools, who leave when volatility or losses pass limits.

Each provider deposited in both pools at the start. Every step it reads the pools' realised
volatility over a day and its own loss against holding in each pool
(:mod:`gramabm.market.liquidity_rule`); past either limit it withdraws all its liquidity from that
pool and stays out. Leaving thins the pool, which widens the next swing: the liquidity spiral.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from gramabm.market.liquidity_rule import WithdrawalLimits, loss_vs_hold, should_withdraw

if TYPE_CHECKING:
    from gramabm.agents.reports import Reports
    from gramabm.market.amm.constant_product import ConstantProductPool
    from gramabm.market.gram_tier import GramTier


class LiquidityProvider(mesa.Agent):
    """A provider in both pools with its withdrawal limits.

    Args:
        model: The Mesa model.
        tier: The GRAM tier.
        account: Its on-chain address.
        limits: Volatility and loss it stays through.
    """

    def __init__(
        self, model: mesa.Model, tier: GramTier, account: int, limits: WithdrawalLimits
    ) -> None:
        super().__init__(model)
        self.tier = tier
        self.account = account
        self.limits = limits

    def pools(self) -> tuple[ConstantProductPool, ConstantProductPool]:
        """The pools it may be in: GRAM/XAUT, then XAUT/USD."""
        return self.tier.market.gram_pool, self.tier.market.xaut_pool

    @property
    def active(self) -> bool:
        """Whether it still has liquidity in a pool."""
        return any(pool.shares.get(self.account, 0) for pool in self.pools())

    def step(self, t: int, reports: Reports) -> None:
        """Withdraw from a pool whose volatility or own loss is past its limit."""
        vols = self.tier.volatility
        market = self.tier.market
        for pool, vol in zip(self.pools(), vols, strict=True):
            deposit = market.deposit(self.account, pool)
            if not pool.shares.get(self.account, 0) or not any(deposit):
                continue
            loss = loss_vs_hold(pool, self.account, deposit)
            if should_withdraw(vol, loss, self.limits):
                market.withdraw(self.account, pool, 1.0)
                reports.event(
                    t,
                    "liquidity_provider",
                    "lp_withdrawal",
                    f"provider {self.account} left the {pool_name(pool)} pool "
                    f"(volatility {vol:.2%}/step, loss {loss:.2%})",
                )

    def withdraw_share(self, share: float) -> None:
        """Pull ``share`` of its liquidity from both pools (a scenario's exit)."""
        for pool in self.pools():
            if pool.shares.get(self.account, 0):
                self.tier.market.withdraw(self.account, pool, share)


def pool_name(pool: ConstantProductPool) -> str:
    """``GRAM/XAUT`` or ``XAUT/USD``."""
    t0, t1 = pool.tokens
    return f"{t0.symbol}/{t1.symbol}"
