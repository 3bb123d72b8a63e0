"""Price and amount arithmetic of concentrated liquidity (Uniswap v3), in exact integers.

Prices are square roots in Q64.96 fixed point: ``sqrt_price = sqrt(token1 per token0) * 2**96``
in base units. Tick ``i`` is the price ``1.0001**i``; :func:`sqrt_ratio_at_tick` is the exact
floor of ``sqrt(1.0001**i) * 2**96`` (a 90-digit decimal estimate, checked against the exact
integer root whenever it falls near an integer), so the tick grid is strictly increasing and
:func:`tick_at_sqrt_ratio` inverts it exactly. Amounts between two prices on liquidity ``L`` are
the whitepaper's closed forms, each rounded once, up when the pool is paid and down when it pays:

* token0: ``L * (sqrt_b - sqrt_a) / (sqrt_a * sqrt_b)`` (times ``2**96`` in fixed point);
* token1: ``L * (sqrt_b - sqrt_a)`` (over ``2**96``).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

from gramabm.market.chain import AmmError

Q96: int = 1 << 96
"""One in Q64.96 fixed point."""

Q128: int = 1 << 128
"""One in the Q128.128 fixed point of fee growth per unit of liquidity."""

MIN_TICK: int = -887_272
"""Lowest tick (the price ``1.0001**MIN_TICK`` is about 2**-128)."""

MAX_TICK: int = 887_272
"""Highest tick."""

PIPS: int = 1_000_000
"""Fee denominator (millionths)."""

_ONE_BP = Decimal("1.0001")
_DQ96 = Decimal(Q96)
_GUARD = Decimal("1e-20")  # the estimate is good to ~1e-30 units; nearer an integer, go exact


def _exact_sqrt_ratio(tick: int) -> int:
    if tick >= 0:
        return math.isqrt((10_001**tick << 192) // 10_000**tick)
    return math.isqrt((10_000**-tick << 192) // 10_001**-tick)


@lru_cache(maxsize=1 << 16)
def sqrt_ratio_at_tick(tick: int) -> int:
    """``floor(sqrt(1.0001**tick) * 2**96)``, exactly.

    Raises:
        AmmError: If ``tick`` is outside [MIN_TICK, MAX_TICK].
    """
    if not MIN_TICK <= tick <= MAX_TICK:
        raise AmmError(f"tick {tick} outside [{MIN_TICK}, {MAX_TICK}]")
    with localcontext() as ctx:
        ctx.prec = 90
        s = (_ONE_BP**tick).sqrt() * _DQ96
        f = int(s)
        frac = s - f
        if frac < _GUARD or frac > 1 - _GUARD:
            return _exact_sqrt_ratio(tick)
    return f


MIN_SQRT_RATIO: int = sqrt_ratio_at_tick(MIN_TICK)
"""Square-root price of the lowest tick."""

MAX_SQRT_RATIO: int = sqrt_ratio_at_tick(MAX_TICK)
"""Square-root price of the highest tick."""


def tick_at_sqrt_ratio(sqrt_price: int) -> int:
    """The largest tick whose square-root price is at most ``sqrt_price``.

    Raises:
        AmmError: If ``sqrt_price`` is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO].
    """
    if not MIN_SQRT_RATIO <= sqrt_price <= MAX_SQRT_RATIO:
        raise AmmError(f"sqrt price {sqrt_price} outside the tick range")
    est = 2 * (math.log(sqrt_price) - 96 * math.log(2)) / math.log(1.0001)
    t = min(max(math.floor(est), MIN_TICK), MAX_TICK)
    while t < MAX_TICK and sqrt_ratio_at_tick(t + 1) <= sqrt_price:
        t += 1
    while sqrt_ratio_at_tick(t) > sqrt_price:
        t -= 1
    return t


def sqrt_price_of(price: float) -> int:
    """Q64.96 square root of a price in base units of token1 per base unit of token0, floored.

    Raises:
        AmmError: If the price is not positive and finite or is outside the tick range.
    """
    if not (price > 0 and math.isfinite(price)):
        raise AmmError(f"price must be positive and finite, got {price}")
    # floor(sqrt(x)) == isqrt(floor(x)) for any real x >= 0, and a float is an exact fraction:
    # the root is exact however near an integer it falls.
    sp = math.isqrt(math.floor(Fraction(price) * Q96 * Q96))
    if not MIN_SQRT_RATIO <= sp <= MAX_SQRT_RATIO:
        raise AmmError(f"price {price} outside the tick range")
    return sp


def _div(num: int, den: int, up: bool) -> int:
    return -(-num // den) if up else num // den


def amount0_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two prices on ``liquidity``: ``L * 2**96 * (b - a) / (a * b)``."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    return _div((liquidity << 96) * (sqrt_b - sqrt_a), sqrt_a * sqrt_b, round_up)


def amount1_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two prices on ``liquidity``: ``L * (b - a) / 2**96``."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    return _div(liquidity * (sqrt_b - sqrt_a), Q96, round_up)


def next_sqrt_price_from_input(sqrt_p: int, liquidity: int, amount: int, zero_for_one: bool) -> int:
    """Price after ``amount`` of the input token enters ``liquidity`` (rounded for the pool).

    Token0 in lowers the price: ``L*Q*P / (L*Q + a*P)``, rounded up; token1 in raises it:
    ``P + a*Q/L``, rounded down.
    """
    if zero_for_one:
        lq = liquidity << 96
        return _div(lq * sqrt_p, lq + amount * sqrt_p, True)
    return sqrt_p + (amount << 96) // liquidity


def next_sqrt_price_from_output(
    sqrt_p: int, liquidity: int, amount: int, zero_for_one: bool
) -> int:
    """Price after ``amount`` of the output token leaves ``liquidity`` (rounded for the pool).

    Token1 out lowers the price: ``P - a*Q/L`` rounded down; token0 out raises it:
    ``L*Q*P / (L*Q - a*P)`` rounded up.

    Raises:
        AmmError: If the liquidity cannot pay ``amount``.
    """
    if zero_for_one:
        nxt = sqrt_p - _div(amount << 96, liquidity, True)
        if nxt <= 0:
            raise AmmError(f"liquidity {liquidity} cannot pay {amount} of token1")
        return nxt
    lq = liquidity << 96
    den = lq - amount * sqrt_p
    if den <= 0:
        raise AmmError(f"liquidity {liquidity} cannot pay {amount} of token0")
    return _div(lq * sqrt_p, den, True)


def swap_step(
    sqrt_p: int, target: int, liquidity: int, remaining: int, fee_pips: int, exact_in: bool
) -> tuple[int, int, int, int]:
    """One step of a swap inside a range of constant liquidity, towards ``target``.

    Args:
        sqrt_p: Current square-root price.
        target: Price where the step must stop (the next tick or the caller's limit).
        liquidity: Active liquidity, constant on the step.
        remaining: Input left to spend (``exact_in``) or output left to receive, > 0.
        fee_pips: Fee in millionths of the input.
        exact_in: Whether ``remaining`` counts input or output.

    Returns:
        ``(next_sqrt_price, amount_in, amount_out, fee)``; ``amount_in`` excludes the fee. When
        an exact input stops short of the target, the fee is the rest of the input.
    """
    zero_for_one = sqrt_p >= target
    if exact_in:
        less_fee = remaining * (PIPS - fee_pips) // PIPS
        if zero_for_one:
            a_in = amount0_delta(target, sqrt_p, liquidity, True)
        else:
            a_in = amount1_delta(sqrt_p, target, liquidity, True)
        nxt = (
            target
            if less_fee >= a_in
            else next_sqrt_price_from_input(sqrt_p, liquidity, less_fee, zero_for_one)
        )
    else:
        if zero_for_one:
            a_out = amount1_delta(target, sqrt_p, liquidity, False)
        else:
            a_out = amount0_delta(sqrt_p, target, liquidity, False)
        nxt = (
            target
            if remaining >= a_out
            else next_sqrt_price_from_output(sqrt_p, liquidity, remaining, zero_for_one)
        )
    if zero_for_one:
        a_in = amount0_delta(nxt, sqrt_p, liquidity, True)
        a_out = amount1_delta(nxt, sqrt_p, liquidity, False)
    else:
        a_in = amount1_delta(sqrt_p, nxt, liquidity, True)
        a_out = amount0_delta(sqrt_p, nxt, liquidity, False)
    if not exact_in and a_out > remaining:
        a_out = remaining
    if exact_in and nxt != target:
        fee = remaining - a_in
    else:
        fee = _div(a_in * fee_pips, PIPS - fee_pips, True)
    return nxt, a_in, a_out, fee
