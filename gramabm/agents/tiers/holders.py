"""GRAM's holders, one vectorised population behind one address, and the migration they may vote.

Holders keep GRAM and dollars on chain in the omnibus address the tier gave them; the population
keeps each holder's part in arrays, and what the arrays do not assign (rounding, the set-up's gas
float) stays unallocated in the address, never negative (:meth:`GramHolders.check`).

Each holder has a fear threshold, drawn once (log-normal around ``gram_holder_fear_bp``). A step,
its signal is GRAM's deviation from gold, smoothed over a few hours (holders watch a price that
stays off, not the pools' hourly noise inside their fee bands), less the gold backing GRAM is
missing (a frozen wrapper or disclosed XAUT losses count at once, before any price moves). A
holder beyond its threshold sells :data:`SELL_SHARE` of its GRAM with probability
``gram_holder_activity`` (GRAM for XAUT, XAUT for dollars: two swaps, each paying gas); one that
sold buys back with what the sales brought, with the same probability, once the signal is back
within a quarter of its threshold. A trade worth less than :data:`MIN_GAS_MULTIPLE` times its
gas is not made, nor any while a pool is too shallow to quote a price. The population trades
as one batch per direction through the pools, and each holder gets its pro-rata share of the
output, floored.

A migration (the contract's contingency: holders move to a wrapper over another gold token) picks
``take_up`` of the holders at the vote; from the delay on, an equal part of them leaves each step:
their GRAM is unwrapped (sold in the pool while the wrapper is frozen) and the XAUT sold for
dollars, which they take to the new contract; they trade no more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from gramabm.market.ledger import Asset
from gramabm.market.two_tier import MICRO

if TYPE_CHECKING:
    from gramabm.config import TierConfig
    from gramabm.market.gram_tier import GramTier

MIN_GAS_MULTIPLE: float = 20.0
"""A holder trades only if the trade is worth this many times its gas."""

SELL_SHARE: float = 0.25
"""Share of its GRAM a worried holder sells in one decision."""

SMOOTHING_STEPS: float = 6.0
"""Steps of the exponential average of GRAM's deviation that holders watch."""

_SWAPS_PER_TRADE = 2  # GRAM -> XAUT -> USD, or back


class GramHolders(mesa.Agent):
    """The GRAM holder population (one Mesa agent; its decisions are vectorised).

    Args:
        model: The Mesa model.
        tier: The GRAM tier (its omnibus address holds the population's GRAM and dollars).
        cfg: The tier's configuration.
        rng: The population's random stream.
    """

    def __init__(
        self, model: mesa.Model, tier: GramTier, cfg: TierConfig, rng: np.random.Generator
    ) -> None:
        super().__init__(model)
        self.tier = tier
        self.cfg = cfg
        self._draws = rng
        n = cfg.gram_holders
        market = tier.market
        acct = tier.holders_account
        # Equal halves of a heavy-tailed wealth in GRAM and dollars, scaled to what was wrapped.
        weights = 1.0 + rng.pareto(1.8, n)
        weights /= weights.sum() if n else 1.0
        gram_total = market.gram.available(acct)
        usd_total = round(n * cfg.gram_holder_wealth_usd / 2 * MICRO)
        self.gram = np.floor(weights * gram_total).astype(np.int64)
        self.usd = np.floor(weights * usd_total).astype(np.int64)
        self.fear_bp = cfg.gram_holder_fear_bp * np.exp(0.5 * rng.standard_normal(n))
        self.sold = np.zeros(n, dtype=bool)
        self.proceeds = np.zeros(n, dtype=np.int64)  # dollars from sales not yet bought back
        self._smoothed_bp = 0.0
        self.migrated = np.zeros(n, dtype=bool)
        self._leaving = np.zeros(n, dtype=bool)
        self._migration: tuple[int, int, int] | None = None  # (start step, steps, chosen count)
        self.flows = (0, 0)  # GRAM sold, bought this step (mg)

    # --- reading -----------------------------------------------------------------------------------
    def signal_bp(self) -> float:
        """GRAM's smoothed deviation from gold less the gold backing it is missing, bp."""
        dev = self.tier.gram_dev
        if np.isfinite(dev) and all(self.tier.quoted()):
            alpha = 1.0 / SMOOTHING_STEPS
            self._smoothed_bp += alpha * (1e4 * dev - self._smoothed_bp)
        backing = self.tier.gold_backing(reported=True)
        return self._smoothed_bp - 1e4 * max(0.0, 1.0 - backing)

    # --- the step ----------------------------------------------------------------------------------
    def step(self, t: int) -> None:
        """Migrate those due, then sell in fear and buy back in calm, one batch each way."""
        self.flows = (0, 0)
        self._migrate(t)
        n = self.gram.size
        signal = self.signal_bp()
        if not n or not all(self.tier.quoted()):
            return  # no pool to trade in: holders wait
        act = self._draws.random(n) < self.cfg.gram_holder_activity
        active = ~self.migrated
        gas = _SWAPS_PER_TRADE * self.tier.market.chain.gas_cost("v2_swap")
        gram_usd = self.tier.gram_usd() / 1000 * MICRO  # micro-dollars per mg
        worth = SELL_SHARE * self.gram * gram_usd if gram_usd > 0 else np.zeros(n)
        sell = (
            active
            & act
            & (self.gram > 0)
            & (signal < -self.fear_bp)
            & (worth >= MIN_GAS_MULTIPLE * gas)
        )
        buy = (
            active
            & act
            & self.sold
            & (signal > -self.fear_bp / 4)
            & (self.proceeds > max(gas, MIN_GAS_MULTIPLE * gas))
            & (self.usd > gas)
        )
        sold = self._sell(np.flatnonzero(sell), gas)
        self.sold[sell] = True
        bought = self._buy(np.flatnonzero(buy), gas)
        self.sold[buy] = False
        self.flows = (sold, bought)

    def _sell(self, who: np.ndarray, gas: int) -> int:
        """Sell all the GRAM of ``who`` for dollars; returns the GRAM sold (mg)."""
        if not who.size:
            return 0
        m, acct = self.tier.market, self.tier.holders_account
        amounts = np.ceil(self.gram[who] * SELL_SHARE).astype(np.int64)
        total = int(amounts.sum())
        xaut = m.gram_pool.swap_exact_in(acct, True, total).amount_out
        usd = self._sell_xaut(acct, xaut)
        self.gram[who] -= amounts
        self.proceeds[who] += self._pay(who, amounts, total, usd, gas)
        return total

    def _buy(self, who: np.ndarray, gas: int) -> int:
        """Spend all the dollars of ``who`` less gas on GRAM; returns the GRAM bought (mg)."""
        if not who.size:
            return 0
        m, acct = self.tier.market, self.tier.holders_account
        spend = np.minimum(self.proceeds[who], self.usd[who] - gas)
        total = int(spend.sum())
        self._charge_gas(who.size * gas)
        self.usd[who] -= spend + gas
        self.proceeds[who] = 0
        xaut = m.xaut_pool.swap_exact_in(acct, False, total).amount_out
        gram = m.gram_pool.swap_exact_in(acct, False, xaut).amount_out if xaut else 0
        self.gram[who] += gram * spend // total
        return gram

    def _pay(
        self, who: np.ndarray, amounts: np.ndarray, total: int, usd: int, gas: int
    ) -> np.ndarray:
        """Give ``who`` its pro-rata dollars of ``usd`` less each one's gas (never below zero)."""
        share = usd * amounts // total
        paid = np.minimum(share, gas)
        self._charge_gas(int(paid.sum()))
        self.usd[who] += share - paid
        return share - paid

    def _charge_gas(self, paid: int) -> None:
        """Pass on the gas the holders paid, less the batch's two swaps the pools charged already.

        Each holder's trade is its own transaction; the batch ran as two, so the rest of what the
        holders paid goes to the gas sink here.
        """
        m = self.tier.market
        extra = max(0, paid - _SWAPS_PER_TRADE * m.chain.gas_cost("v2_swap"))
        m.chain.charge(
            self.tier.holders_account, min(extra, m.usd.available(self.tier.holders_account))
        )

    # --- migration ---------------------------------------------------------------------------------
    def schedule_migration(self, start: int, take_up: float, steps: int) -> int:
        """Choose who migrates (``take_up`` of those still here); they leave from ``start`` on.

        Returns:
            How many holders will migrate.
        """
        here = np.flatnonzero(~self.migrated & ~self._leaving)
        chosen = self._draws.choice(here, size=round(take_up * here.size), replace=False)
        self._leaving[chosen] = True
        self._migration = (start, steps, int(chosen.size))
        return int(chosen.size)

    def _sell_xaut(self, account: int, xaut: int) -> int:
        """Dollars for ``xaut`` sold in the XAUT pool; 0 when it would pay nothing (kept as XAUT)."""
        pool = self.tier.market.xaut_pool
        if xaut <= 0 or pool.quote_exact_in(True, xaut) <= 0:
            return 0
        return int(pool.swap_exact_in(account, True, xaut).amount_out)

    def _migrate(self, t: int) -> None:
        if self._migration is None:
            return
        start, steps, count = self._migration
        if t < start:
            return
        left = np.flatnonzero(self._leaving & ~self.migrated)
        due = left if t >= start + steps - 1 else left[: -(-count // steps)]
        if not due.size:
            self._migration = None
            return
        m, acct = self.tier.market, self.tier.holders_account
        amounts = self.gram[due]
        total = int(amounts.sum())
        if total and m.wrapper.frozen and m.gram_pool.quote_exact_in(True, total) <= 0:
            return  # a frozen wrapper and a drained pool: no way out yet, they keep their GRAM
        self.migrated[due] = True
        self.gram[due] = 0
        if not total:
            return
        gas = _SWAPS_PER_TRADE * m.chain.gas_cost("v2_swap")
        if m.wrapper.frozen:
            xaut = m.gram_pool.swap_exact_in(acct, True, total).amount_out
        else:
            xaut = m.wrapper.burn(acct, total).xaut
        usd = self._sell_xaut(acct, xaut)
        self._pay(due, amounts, total, usd, gas)

    # --- invariants ---------------------------------------------------------------------------------
    def unallocated(self) -> tuple[int, int]:
        """GRAM (mg) and dollars (micro) in the omnibus address no holder owns."""
        m, acct = self.tier.market, self.tier.holders_account
        return (
            m.gram_ledger.balance(acct, Asset.TOKEN) - int(self.gram.sum()),
            m.xaut_ledger.balance(acct, Asset.USD) - int(self.usd.sum()),
        )

    def check(self) -> None:
        """Every holder's part is non-negative and the parts fit in the address.

        Raises:
            AssertionError: If a part is negative or the parts exceed the address's balance.
        """
        if (self.gram < 0).any() or (self.usd < 0).any():
            raise AssertionError("a GRAM holder's balance went negative")
        gram, usd = self.unallocated()
        if gram < 0 or usd < 0:
            raise AssertionError(f"GRAM holders' parts exceed their address: {gram} mg, {usd} µ$")
