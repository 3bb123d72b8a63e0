"""What holders can observe of gold, computed for a whole path at once.

The oracle's published path is known when the model is built (and recomputed when an outage
event changes it), so the population-wide policy features are whole-path numpy arrays instead of
per-step Python. They are the same features the policies are trained on
(:func:`gramabm.policies.features.market_feature_arrays`), at the model's step length, with
windows cut at the first step.
"""

from __future__ import annotations

import numpy as np

from gramabm.policies.features import MARKET_FEATURES, market_feature_arrays

__all__ = ["MARKET_FEATURES", "observed_features"]


def observed_features(seen: np.ndarray, steps_per_day: int = 24) -> dict[str, np.ndarray]:
    """Whole-path feature arrays from the published gold prices (what agents see)."""
    return market_feature_arrays(seen, steps_per_day, partial_windows=True)
