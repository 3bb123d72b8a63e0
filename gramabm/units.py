"""Physical and monetary units shared by the whole kit.

All balances are integers so that nothing is created or lost by rounding:

* tokens and gold are counted in milligrams (one token = one gram = 1,000 units);
* US dollars are counted in micro-dollars (1 USD = 1,000,000 units);
* order-book prices are integer ticks of 0.001 USD per token, and quantities integer lots of
  0.001 token (1 mg), so the cash value of a fill is exactly ``price_ticks * qty_lots`` micro-dollars.
"""

from __future__ import annotations

GRAMS_PER_TROY_OUNCE: float = 31.1034768
"""Grams of fine gold in one troy ounce (exact, by definition)."""

MG_PER_GRAM: int = 1_000
"""Token and gold base units (milligrams) per gram."""

MICRO_USD_PER_USD: int = 1_000_000
"""Cash base units (micro-dollars) per dollar."""

TICK_USD: float = 0.001
"""Order-book tick size in USD per token (about 0.1 bp of a ~$100 token)."""

LOT_TOKENS: float = 0.001
"""Order-book lot size in tokens (one lot is one milligram, the token base unit)."""


def usd_per_gram(usd_per_troy_ounce: float) -> float:
    """Gold value of one gram (one token at a full reserve) from a USD-per-ounce price."""
    return usd_per_troy_ounce / GRAMS_PER_TROY_OUNCE


TICKS_PER_USD: int = 1_000
"""Order-book ticks per US dollar (the inverse of :data:`TICK_USD`, exact)."""


def price_to_ticks(usd_per_token: float) -> int:
    """Nearest integer tick for a USD price per token."""
    return round(usd_per_token * TICKS_PER_USD)


def ticks_to_price(ticks: float) -> float:
    """USD price per token of a tick count (float ticks allowed, e.g. a mid).

    Divided by the exact integer rather than multiplied by the inexact 0.001: one rounding, not two.
    """
    return ticks / TICKS_PER_USD


def usd_to_units(usd: float) -> int:
    """Micro-dollars, rounded to the nearest unit."""
    return round(usd * MICRO_USD_PER_USD)


def units_to_usd(units: int) -> float:
    """Dollars from micro-dollars."""
    return units / MICRO_USD_PER_USD


def grams_to_units(grams: float) -> int:
    """Milligrams (token or gold base units), rounded to the nearest unit."""
    return round(grams * MG_PER_GRAM)


def units_to_grams(units: int) -> float:
    """Grams from milligrams."""
    return units / MG_PER_GRAM


def deviation_bp(token_usd: float, gold_usd_per_oz: float) -> float:
    """Peg deviation in basis points: ``1e4 * (token / (gold / 31.1034768) - 1)`` (docs/model.md D1)."""
    return 1e4 * (token_usd / usd_per_gram(gold_usd_per_oz) - 1.0)
