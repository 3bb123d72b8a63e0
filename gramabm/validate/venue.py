"""The simulated venue sized to the observed one: liquidity scales with the venue's traded value.

A configuration is fitted to one real venue (``calibrated``: PAXG/USDT on Binance, 2021-2023, a
median of about 2.8 M USD traded a day). Another token or another year trades on a thinner or a
deeper venue: PAXG's own Binance market traded 0.3 M USD a day in late 2020, against 1.6-3.9 M a
year in 2021-2024. A thinner venue has fewer orders and a thinner book, so each order moves the
price further and the hourly bounce is larger. Replaying a thin venue's period with the fitted
venue's depth would judge the model on a market it does not describe.

So ``validate`` sizes the venue to the observed one: with the observed median daily traded value
``V`` and the fitted venue's ``V0`` (``liquidity_traders.venue_volume_usd``, written by
``gramabm calibrate``), the liquidity flow's order rate and the makers' tokens per level are both
multiplied by ``(V / V0) ** VENUE_EXPONENT``. The square root is an assumption, the rule of thumb
that depth and trading activity grow with the square root of traded value (the square-root law of
price impact); the ratio is clipped to :data:`SCALE_LIMITS`. The holders, arbitrageurs, discount
buyers and the makers' capital are not scaled: they are the token's, not the venue's.

Nothing is scaled where the observed series has no volume, where the configuration names no fitted
venue, or where the user gives the scale (``venue_scale=1.0`` keeps the configuration as it is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from gramabm.errors import ConfigError

if TYPE_CHECKING:
    from gramabm.analysis.token import TokenFacts
    from gramabm.config import ModelConfig

VENUE_EXPONENT: float = 0.5
"""Liquidity grows with the traded value to this power (square-root law; an assumption)."""

SCALE_LIMITS: tuple[float, float] = (0.05, 20.0)
"""Smallest and largest scale: beyond them the venue is another market, not a resized one."""

SCALED_KEYS: tuple[str, ...] = ("liquidity_traders.orders_per_hour", "market_makers.level_size_g")
"""The settings a venue scale multiplies."""

VenueScale = float | Literal["auto"]


@dataclass(frozen=True)
class VenueSizing:
    """The scale a replay ran its venue at, and why."""

    scale: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"scale": self.scale, "reason": self.reason}


NOT_SCALED = VenueSizing(1.0, "not scaled")
"""The sizing of a replay that kept the configured venue."""


def traded_value_usd(facts: TokenFacts) -> float:
    """A token's median daily traded value (USD) over the facts' period; NaN without volume."""
    return float(facts.values.get("volume_usd_median_daily", math.nan))


def has_volume(volume_usd: float) -> bool:
    """Whether a traded value can size a venue (finite and > 0)."""
    return math.isfinite(volume_usd) and volume_usd > 0


def checked_scale(scale: float, shown: object) -> float:
    """``scale`` if it is a positive finite number, else a ConfigError showing ``shown``."""
    if not (math.isfinite(scale) and scale > 0):
        raise ConfigError(f"venue scale must be 'auto' or a number > 0, got {shown!r}")
    return scale


def auto_or_number(text: str) -> float | Literal["auto"]:
    """``"auto"`` (any case, spaces around), else ``text`` as a number (NaN if it is none)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        return math.nan


def parse_venue_scale(text: str) -> VenueScale:
    """``"auto"`` or a positive number, from a command line or a request.

    Raises:
        ConfigError: Anything else, named.
    """
    scale = auto_or_number(text)
    return scale if scale == "auto" else checked_scale(scale, text)


def venue_sizing(
    config: ModelConfig, observed_volume_usd: float, wanted: VenueScale
) -> VenueSizing:
    """The venue scale of a replay (see the module docstring).

    Args:
        config: The configuration replayed (its ``liquidity_traders.venue_volume_usd``).
        observed_volume_usd: The observed series' median daily traded value (NaN: none).
        wanted: ``"auto"`` or a scale the user gave (> 0).

    Raises:
        ConfigError: A given scale that is not a positive finite number.
    """
    if wanted != "auto":
        return VenueSizing(checked_scale(float(wanted), wanted), "given")
    fitted = config.liquidity_traders.venue_volume_usd
    if not has_volume(fitted):
        return VenueSizing(1.0, "the configuration names no fitted venue volume: not scaled")
    if not has_volume(observed_volume_usd):
        return VenueSizing(1.0, "the observed series has no volume: not scaled")
    scale = scale_between(observed_volume_usd, fitted)
    return VenueSizing(
        scale,
        f"observed {observed_volume_usd / 1e6:.2f} M USD a day against the fitted venue's "
        f"{fitted / 1e6:.2f} M: liquidity x {scale:.3g} (square root of the ratio)",
    )


def scale_between(observed_volume_usd: float, fitted_volume_usd: float) -> float:
    """The liquidity scale of a venue trading ``observed`` against one trading ``fitted`` (> 0)."""
    lo, hi = SCALE_LIMITS
    return min(max((observed_volume_usd / fitted_volume_usd) ** VENUE_EXPONENT, lo), hi)


def scaled_venue(config: ModelConfig, scale: float) -> ModelConfig:
    """``config`` with each of :data:`SCALED_KEYS` multiplied by ``scale``."""
    if scale == 1.0:
        return config
    updates = {}
    for key in SCALED_KEYS:
        section, name = key.split(".")
        updates[key] = getattr(getattr(config, section), name) * scale
    return config.with_updates(updates)
