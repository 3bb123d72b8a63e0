"""What every holder policy shares: the actions, the observed features, and the interface.

A policy is a scikit-learn style estimator: the constructor only stores parameters, ``fit`` returns
``self`` and ``predict_proba(X)`` returns one row of action probabilities per holder. The model calls it
once per step for the whole population with ``X`` of shape ``(n_holders, len(FEATURES))``.
"""

from __future__ import annotations

import functools
from enum import IntEnum
from typing import Protocol, runtime_checkable

import numpy as np


class Action(IntEnum):
    """What a holder may do in one step (column order of ``predict_proba``)."""

    HOLD = 0
    BUY = 1
    SELL = 2
    REDEEM = 3


ACTIONS: tuple[str, ...] = tuple(a.name.lower() for a in Action)

FEATURES: tuple[str, ...] = (
    "ret_1d",  # gold log return over the last day, as the oracle shows it
    "ret_5d",  # ... over five days
    "ret_20d",  # ... over twenty days
    "vol_20d",  # annualised realised volatility of gold over twenty days
    "drawdown",  # fall of gold from its 60-day high, a positive fraction
    "deviation_bp",  # token price against its fair value (gold x reported reserve ratio), bp
    "neighbour_panic",  # mean panic of the holder's neighbours on the social graph, 0..1
    "incident",  # news of a custodian incident, 1 when fresh, decaying to 0
    "own_pnl",  # the holder's return on its tokens since it bought them, a fraction
)
"""Columns of the feature matrix, in order."""

FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(FEATURES)}

HOLDER_FEATURES: tuple[str, ...] = ("neighbour_panic", "own_pnl")
"""The features that differ from holder to holder; in the model's matrix every other column holds
one value for the whole population (the market and the news), which a policy's
``predict_proba_population`` may compute once instead of once per row."""


@functools.lru_cache(maxsize=4)
def shared_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """A read-only array of zeros of ``shape``, kept for the next call and for every caller.

    ``np.maximum(x, 0.0)`` runs several times slower than against an array of zeros, and
    allocating a population's zeros every step cost as much as the comparison. One array for
    the policy and the holders alike: the step reads it twice, and one copy in the cache is
    cheaper than two.
    """
    array = np.zeros(shape)
    array.flags.writeable = False
    return array


@runtime_checkable
class HolderPolicy(Protocol):
    """The interface the model needs from a policy.

    A policy may also define ``predict_proba_population(X)``, the same probabilities bit for bit
    for a matrix whose columns other than :data:`HOLDER_FEATURES` hold one value each, read from
    the first row only; the model then calls it instead, and writes those columns into the first
    row alone (see :class:`~gramabm.policies.rule_based.RuleBasedPolicy`). Such a policy may
    also define ``predict_exit_population(X, rows)``: bit for bit ``proba[:, SELL] +
    proba[:, REDEEM]`` of every row and ``proba[rows].T`` of those probabilities, which the model
    then asks for instead of the whole matrix (it draws actions for the few active rows only).
    """

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Action probabilities, shape ``(n, len(ACTIONS))``, rows summing to one."""
        ...
