"""Depth of a pool: the price impact of a trade of a given size, from a quote (no state change)."""

from __future__ import annotations

from gramabm.market.amm.concentrated import ConcentratedPool
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.chain import AmmError, positive


def price_impact(
    pool: ConstantProductPool | ConcentratedPool, zero_for_one: bool, amount: int
) -> float:
    """How far below the pool's mid an exact-input trade of ``amount`` executes on average.

    ``1 - (amount_out / amount_in) / mid``, with ``mid`` in the same direction (output base units
    per input base unit); it includes the fee. A trade the pool cannot fill in full is worth
    nothing, an impact of 1.

    Args:
        pool: Either pool.
        zero_for_one: Pay token0 (else token1).
        amount: Base units of the input token (> 0).

    Raises:
        AmmError: If the pool is empty or the amount is not positive.
    """
    amount = positive("amount in", amount)
    t0, t1 = pool.tokens
    mid = pool.price() * t1.unit / t0.unit  # token1 base units per token0 base unit
    if not mid > 0:
        raise AmmError("an empty pool has no price to measure an impact from")
    if not zero_for_one:
        mid = 1.0 / mid
    q = pool.quote_exact_in(zero_for_one, amount)
    if isinstance(q, int):
        got, paid = q, amount
    else:
        if q.amount_in < amount:
            return 1.0
        got, paid = q.amount_out, q.amount_in
    return 1.0 - (got / paid) / mid
