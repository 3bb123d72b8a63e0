"""The primary-market preset names, declared once (a light module: the CLI reads it without numpy).

:mod:`gramabm.market.presets` holds each preset's terms under these names.
"""

from __future__ import annotations

from typing import Literal, get_args

PresetName = Literal["paxg", "xaut", "gram_wrapper"]
"""The preset names: the one declaration the configuration, CLI, API and browser view read."""

PRESET_NAMES: tuple[str, ...] = get_args(PresetName)
"""The preset names in declaration order."""
