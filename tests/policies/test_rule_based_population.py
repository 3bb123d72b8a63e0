"""The rule-based policy's population path gives predict_proba's probabilities bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.policies.base import FEATURE_INDEX, FEATURES, HOLDER_FEATURES, Action
from gramabm.policies.rule_based import RuleBasedPolicy

_SHARED = [name for name in FEATURES if name not in HOLDER_FEATURES]
_value = st.floats(-80.0, 80.0, allow_nan=False, allow_infinity=False)


def _population(rng: np.random.Generator, n: int, shared: list[float], scale: float) -> np.ndarray:
    """A population matrix: the shared columns one value each, the holders' own columns drawn."""
    X = np.zeros((n, len(FEATURES)), order="F")
    for name, value in zip(_SHARED, shared, strict=True):
        X[:, FEATURE_INDEX[name]] = value
    X[:, FEATURE_INDEX["neighbour_panic"]] = rng.random(n)
    X[:, FEATURE_INDEX["own_pnl"]] = rng.normal(0.0, scale, n)
    return X


# A population matrix's draws: the shared market values, its size and its own columns' scale.
_POPULATIONS = {
    "shared": st.lists(_value, min_size=len(_SHARED), max_size=len(_SHARED)),
    "n": st.integers(1, 300),
    "scale": st.sampled_from([0.01, 1.0, 40.0]),
}


@settings(max_examples=200, deadline=None)
@given(
    **_POPULATIONS,
    risk_aversion=st.floats(0.0, 10.0),
    herding=st.floats(0.0, 5.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_population_path_equals_predict_proba_bit_for_bit(
    shared: list[float], n: int, scale: float, risk_aversion: float, herding: float, seed: int
) -> None:
    policy = RuleBasedPolicy(risk_aversion=risk_aversion, herding=herding)
    X = _population(np.random.default_rng(seed), n, shared, scale)
    expected = policy.predict_proba(X)
    got = policy.predict_proba_population(X)
    assert got.shape == expected.shape == (n, 4)
    assert np.array_equal(got.view(np.int64), expected.view(np.int64))


def test_population_path_on_a_large_calm_population() -> None:
    """The model's case: 10,000 holders, calm market, the SIMD loops' whole width in use."""
    rng = np.random.default_rng(7)
    X = _population(rng, 10_000, [0.001, -0.002, 0.01, 0.16, 0.03, -12.0, 0.4], 0.05)
    policy = RuleBasedPolicy()
    assert np.array_equal(
        policy.predict_proba_population(X).view(np.int64), policy.predict_proba(X).view(np.int64)
    )


def test_population_path_of_no_rows() -> None:
    X = np.zeros((0, len(FEATURES)))
    assert RuleBasedPolicy().predict_proba_population(X).shape == (0, 4)


def test_the_rule_reads_each_holder_column_per_row() -> None:
    """A worse own P&L and more panicked neighbours raise the sell probability, row by row."""
    X = _population(np.random.default_rng(1), 3, [0.0] * len(_SHARED), 0.0)
    X[:, FEATURE_INDEX["own_pnl"]] = [0.0, -0.5, -0.5]
    X[:, FEATURE_INDEX["neighbour_panic"]] = [0.0, 0.0, 1.0]
    sell = RuleBasedPolicy().predict_proba_population(X)[:, 2]
    assert sell[0] < sell[1] < sell[2]


@settings(max_examples=100, deadline=None)
@given(
    **_POPULATIONS,
    share=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_exit_path_equals_the_population_probabilities_bit_for_bit(
    shared: list[float], n: int, scale: float, share: float, seed: int
) -> None:
    """The exit propensity of every row and the drawn rows' probabilities, as the full path's."""
    rng = np.random.default_rng(seed)
    X = _population(rng, n, shared, scale)
    rows = np.flatnonzero(rng.random(n) < share)
    policy = RuleBasedPolicy()
    proba = policy.predict_proba_population(X)
    exit_proba, by_action = policy.predict_exit_population(X, rows)
    expected_exit = proba[:, Action.SELL] + proba[:, Action.REDEEM]
    assert np.array_equal(exit_proba.view(np.int64), expected_exit.view(np.int64))
    assert np.array_equal(by_action.view(np.int64), proba[rows].T.view(np.int64))


def test_exit_path_of_no_rows() -> None:
    exit_proba, by_action = RuleBasedPolicy().predict_exit_population(
        np.zeros((0, len(FEATURES))), np.zeros(0, dtype=np.int64)
    )
    assert exit_proba.shape == (0,)
    assert by_action.shape == (4, 0)
