"""The primary-market preset names, declared once (a light module: the CLI reads it without numpy).

:mod:`gramabm.market.presets` holds each preset's terms under these names.
"""

from __future__ import annotations

from typing import Literal, get_args

PresetName = Literal["paxg", "xaut", "gram_wrapper", "gram"]
"""The preset names: the one declaration the configuration, CLI, API and browser view read.

``gram`` is the two-tier system: XAUT on Tether's terms (as ``xaut``) with the GRAM wrapper and its
pools on top (:mod:`gramabm.market.gram_tier`)."""

TWO_TIER_PRESETS: frozenset[str] = frozenset({"gram"})
"""Presets whose run adds the GRAM tier over the token the primary market issues."""

PRESET_NAMES: tuple[str, ...] = get_args(PresetName)
"""The preset names in declaration order."""
