"""When a liquidity provider leaves a pool: volatility or its loss against holding past a limit.

A provider of a constant-product pool who deposited ``(a0, a1)`` holds, at a later price ``p``
(token1 per token0), its share of the reserves; had it held the tokens instead it would have
``a0 * p + a1``. The relative difference is its loss against holding (the "impermanent loss",
net of fees earned, since fees sit in the reserves). The rule is pure: the model decides when to
read it and executes the withdrawal (``pool.remove_liquidity``). Pools that lose providers as
prices swing lose depth, which widens the next swing: the liquidity spiral.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gramabm.errors import ConfigError
from gramabm.market.amm.constant_product import ConstantProductPool


@dataclass(frozen=True, slots=True)
class WithdrawalLimits:
    """A provider's limits.

    Attributes:
        max_volatility: Largest standard deviation of per-step log price changes it stays through.
        max_loss: Largest loss against holding it stays through (0.01 = 1% of the held value).
    """

    max_volatility: float
    max_loss: float

    def __post_init__(self) -> None:
        if not (self.max_volatility >= 0 and self.max_loss >= 0):
            raise ConfigError(f"withdrawal limits must be >= 0, got {self}")


def loss_vs_hold(pool: ConstantProductPool, account: int, deposit: tuple[int, int]) -> float:
    """``account``'s loss in ``pool`` against holding ``deposit``, a fraction of the held value.

    Valued at the pool's own price in token1 base units; positive is a loss.

    Raises:
        ConfigError: If the deposit is empty or the pool has no price.
    """
    x, y = pool.reserves
    if not (x and pool.total_shares) or not (deposit[0] > 0 or deposit[1] > 0):
        raise ConfigError("a loss against holding needs a priced pool and a non-empty deposit")
    p = y / x  # token1 base units per token0 base unit
    share = pool.shares.get(account, 0) / pool.total_shares
    now = share * (x * p + y)
    held = deposit[0] * p + deposit[1]
    return 1.0 - now / held


def constant_product_loss(price_ratio: float) -> float:
    """Loss against holding of a fee-less constant-product position after a price move.

    ``1 - 2 sqrt(r) / (1 + r)`` for a move by ``r = price_ratio`` (0 at ``r = 1``, always >= 0).

    Raises:
        ConfigError: If the ratio is not positive.
    """
    if not price_ratio > 0:
        raise ConfigError(f"price ratio must be > 0, got {price_ratio!r}")
    return 1.0 - 2.0 * math.sqrt(price_ratio) / (1.0 + price_ratio)


def realised_volatility(prices: Sequence[float] | np.ndarray) -> float:
    """Standard deviation of per-step log changes of ``prices`` (0 with fewer than 3 prices)."""
    p = np.asarray(prices, dtype=float)
    p = p[np.isfinite(p) & (p > 0)]
    if p.size < 3:
        return 0.0
    return float(np.std(np.diff(np.log(p)), ddof=1))


def should_withdraw(volatility: float, loss: float, limits: WithdrawalLimits) -> bool:
    """Whether a provider with this recent ``volatility`` and ``loss`` against holding leaves."""
    return volatility > limits.max_volatility or loss > limits.max_loss
