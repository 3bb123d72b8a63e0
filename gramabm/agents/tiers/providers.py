"""Liquidity providers of the GRAM tier's pools, who leave when volatility or losses pass limits.

Each provider deposited in both pools at the start. Every step it reads the pools' realised
volatility over a day and its own loss against holding in each pool
(:mod:`gramabm.market.liquidity_rule`); past either limit it withdraws all its liquidity from that
pool. Leaving thins the pool, which widens the next swing: the liquidity spiral. A provider that
left comes back once XAUT's market has been calm (volatility under half its limit) and the pool's price
is back within :data:`RETURN_BAND` of the reference (GRAM at the wrapper's rate against XAUT,
never while the wrapper is frozen; XAUT at its order-book mid), depositing what it holds of the
two tokens at the pool's price.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from gramabm.market.chain import AmmError
from gramabm.market.liquidity_rule import WithdrawalLimits, loss_vs_hold, should_withdraw

RETURN_BAND: float = 0.005
"""How close to its reference a pool's price must be for a provider to come back (fraction)."""

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

    def step(self, t: int, xaut_usd_oz: float, market_vol: float, reports: Reports) -> None:
        """Withdraw from a pool whose volatility or own loss is past its limit; return when calm.

        Args:
            t: The step.
            xaut_usd_oz: XAUT's order-book mid, the XAUT/USD pool's reference (USD/oz).
            market_vol: XAUT's own volatility per step (a pool it left has no price worth
                reading; it comes back when XAUT's market is calm).
            reports: Where withdrawals and returns are reported.
        """
        vols = self.tier.volatility
        market = self.tier.market
        refs = (market.rate_xaut_per_gram, xaut_usd_oz)
        for pool, vol, ref in zip(self.pools(), vols, refs, strict=True):
            deposit = market.deposit(self.account, pool)
            if not pool.shares.get(self.account, 0) or not any(deposit):
                self._return(t, pool, market_vol, ref, reports)
                continue
            loss = loss_vs_hold(pool, self.account, deposit)
            if should_withdraw(vol, loss, self.limits):
                if not self._can_pay_exit():
                    continue  # a gas spike past its dollars: stuck in the pool until gas falls
                market.withdraw(self.account, pool, 1.0)
                reports.event(
                    t,
                    "liquidity_provider",
                    "lp_withdrawal",
                    f"provider {self.account} left the {pool_name(pool)} pool "
                    f"(volatility {vol:.2%}/step, loss {loss:.2%})",
                )

    def _return(
        self, t: int, pool: ConstantProductPool, vol: float, ref: float, reports: Reports
    ) -> None:
        """Deposit again what it holds of the pool's tokens, if the pool is calm and near par.

        A pool left nearly empty has a price nobody corrects (the gain is less than the gas), so
        a returning provider first swaps the dust to the reference price itself, then deposits.
        """
        x, y = pool.reserves
        t0, t1 = pool.tokens
        if not (x and y and ref > 0 and vol < self.limits.max_volatility / 2):
            return
        if pool is self.tier.market.gram_pool and self.tier.market.wrapper.frozen:
            return  # GRAM is worth the wrapper's rate only while the wrapper can pay out
        a0 = t0.available(self.account)
        a1 = t1.available(self.account)
        if t1 is self.tier.market.usd:
            a1 -= self._gas_reserve()
        target = ref * t1.unit / t0.unit  # token1 base units per token0 base unit
        if abs(y / x / target - 1.0) > RETURN_BAND:
            if y > a1 // 100:  # a pool of some size: its price is the arbitrageurs' to correct
                return
            k = x * y
            need1 = int(math.sqrt(k * target)) - y  # token1 to pay in to lift the price
            need0 = int(math.sqrt(k / target)) - x  # token0 to pay in to lower it
            try:
                if need1 > 0 and a1 > 2 * need1:
                    pool.swap_exact_in(self.account, False, need1)
                elif need0 > 0 and a0 > 2 * need0:
                    pool.swap_exact_in(self.account, True, need0)
            except AmmError:  # too small to move the price by a unit: wait for the next step
                return
            x, y = pool.reserves
            if abs(y / x / target - 1.0) > RETURN_BAND:
                return
            a0 = t0.available(self.account)
            a1 = t1.available(self.account) - (
                self._gas_reserve() if t1 is self.tier.market.usd else 0
            )
        # Both sides at the pool's ratio, as much as the scarcer side allows.
        use0 = min(a0, a1 * x // y)
        use1 = use0 * y // x
        if use0 <= 0 or use1 <= 0:
            return
        self.tier.market.provide(self.account, pool, use0, use1)
        reports.event(
            t,
            "liquidity_provider",
            "lp_return",
            f"provider {self.account} back in the {pool_name(pool)} pool",
        )

    def _gas_reserve(self) -> int:
        """Dollars it keeps for gas (a hundred swaps at today's price)."""
        return 100 * self.tier.market.chain.gas_cost("v2_swap")

    def _can_pay_exit(self) -> bool:
        """Whether its dollars cover the gas of removing liquidity at today's gas price."""
        market = self.tier.market
        return market.usd.available(self.account) >= market.chain.gas_cost("v2_remove_liquidity")

    def withdraw_share(self, share: float) -> None:
        """Pull ``share`` of its liquidity from both pools (a scenario's exit; not without gas)."""
        for pool in self.pools():
            if pool.shares.get(self.account, 0) and self._can_pay_exit():
                self.tier.market.withdraw(self.account, pool, share)


def pool_name(pool: ConstantProductPool) -> str:
    """``GRAM/XAUT`` or ``XAUT/USD``."""
    t0, t1 = pool.tokens
    return f"{t0.symbol}/{t1.symbol}"
