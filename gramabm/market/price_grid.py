"""An exchange's price step: the grid every limit price must sit on.

A real venue accepts prices only in multiples of its tick. On a token worth two thousand dollars
the tick is not a detail: PAXG/USDT on Binance moved in steps of 0.01 USDT until August 2021 and
of 1 USDT from September 2021, about 5 bp of the price. Then the tightest spread is one tick, an
hour whose last trade is at the same price as the previous hour's is common (a fifth of PAXG's
hours in 2022-2023, against a few percent before), and a quiet hour moves by one tick or none: the
hourly return distribution is as much the tick's as the market's.

The book keeps prices in integer ticks of 0.001 USD per gram (:mod:`gramabm.units`); a venue
tick quoted per troy ounce is a step of ``tick * 1000 / 31.1035`` book ticks, not a whole
number, so the grid's points are that step's multiples rounded to the nearest book tick. A price
is moved onto the grid away from the other side (a bid down, an offer up): the venue never fills
an order at a worse price than its owner wrote.
"""

from __future__ import annotations

import math

from gramabm.errors import ConfigError
from gramabm.units import GRAMS_PER_TROY_OUNCE


class PriceGrid:
    """The prices a venue accepts: multiples of ``step`` book ticks, rounded to whole ticks.

    Args:
        step: The price step in book ticks (0.001 USD per gram); at least 1 (1: every price).

    Raises:
        ConfigError: A step below one book tick or not finite.
    """

    def __init__(self, step: float) -> None:
        if not (math.isfinite(step) and step >= 1.0):
            raise ConfigError(f"a venue's price step must be at least one book tick, got {step!r}")
        self.step = float(step)

    @classmethod
    def per_troy_ounce(cls, tick_usd_oz: float) -> PriceGrid | None:
        """The grid of a tick quoted in USD per troy ounce; None where it is finer than the book's."""
        if not (math.isfinite(tick_usd_oz) and tick_usd_oz >= 0.0):
            raise ConfigError(
                f"a venue's tick must be a finite USD amount >= 0, got {tick_usd_oz!r}"
            )
        step = tick_usd_oz * 1000.0 / GRAMS_PER_TROY_OUNCE
        return cls(step) if step > 1.0 else None

    def point(self, k: int) -> int:
        """The ``k``-th price of the grid, in book ticks."""
        return round(k * self.step)

    def bid(self, price: int) -> int:
        """The highest grid price at or below ``price`` (0 below the first step)."""
        k = int(price // self.step) + 1  # float division may land one step either side
        while self.point(k) > price:
            k -= 1
        return self.point(k)

    def ask(self, price: int) -> int:
        """The lowest grid price at or above ``price``."""
        k = max(int(price // self.step) - 1, 0)
        while self.point(k) < price:
            k += 1
        return self.point(k)
