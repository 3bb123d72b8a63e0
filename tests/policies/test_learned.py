"""Learned policies: scikit-learn compatibility, action columns, and compiled trees = scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from gramabm.errors import ConfigError, DataValidationError
from gramabm.policies.base import ACTIONS, FEATURES, Action, HolderPolicy
from gramabm.policies.learned import GradientBoostedPolicy, LogisticPolicy, action_codes


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    # scikit-learn's boosting spins OpenMP threads; on a shared 2-core machine one is faster.
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


EXPECTED_FAILED_CHECKS = {
    "check_classifiers_classes": (
        "labels must be actions (codes 0..3 or names); the check fits string labels such as "
        "'one', 'two' and signed labels such as -1/1"
    ),
    "check_classifiers_train": (
        "predict_proba always has one column per action (4), also when y holds fewer classes; "
        "the check expects one column per class in y"
    ),
}


def expected_failures(estimator: object) -> dict[str, str]:
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [LogisticPolicy(), GradientBoostedPolicy()], expected_failed_checks=expected_failures
)
def test_sklearn_estimator_checks(estimator, check) -> None:
    check(estimator)


def three_action_data(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Nine features; hold/buy/sell depend on a few of them, never redeem."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES)))
    score = X[:, 0] - 0.7 * X[:, 2] + 0.5 * X[:, 3] * X[:, 4] + rng.normal(0, 0.7, n)
    y = np.where(score > 0.8, Action.BUY, np.where(score < -0.8, Action.SELL, Action.HOLD))
    return X, y.astype(np.int64)


@pytest.mark.parametrize("cls", [LogisticPolicy, GradientBoostedPolicy])
def test_absent_action_gets_a_zero_column_in_action_order(cls: type) -> None:
    X, y = three_action_data()
    policy = cls().fit(X, y)
    proba = policy.predict_proba(X[:500])
    assert proba.shape == (500, len(ACTIONS))
    assert np.all(proba[:, Action.REDEEM] == 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert policy.classes_.tolist() == [0, 1, 2, 3]
    assert policy.seen_actions_.tolist() == [0, 1, 2]
    assert isinstance(policy, HolderPolicy)
    # The learned policy ranks the actions it was taught: buyers get higher buy probabilities.
    buy = proba[:, Action.BUY]
    assert buy[y[:500] == Action.BUY].mean() > buy[y[:500] == Action.SELL].mean() + 0.2


@pytest.mark.parametrize("cls", [LogisticPolicy, GradientBoostedPolicy])
def test_two_actions_and_one_action(cls: type) -> None:
    X, y = three_action_data()
    binary = np.where(y == Action.SELL, Action.SELL, Action.HOLD)
    proba = cls().fit(X, binary).predict_proba(X)
    assert np.all(proba[:, [Action.BUY, Action.REDEEM]] == 0.0)
    assert 0 < proba[:, Action.SELL].mean() < 1
    only = cls().fit(X, np.full(len(X), Action.HOLD))
    np.testing.assert_array_equal(only.predict_proba(X[:5])[:, Action.HOLD], 1.0)
    assert only.predict(X[:5]).tolist() == [Action.HOLD] * 5


def test_labels_may_be_names_or_codes_and_nothing_else() -> None:
    assert action_codes(["hold", "BUY", "sell", "redeem"]).tolist() == [0, 1, 2, 3]
    assert action_codes([Action.SELL, 0, 1.0]).tolist() == [2, 0, 1]
    with pytest.raises(DataValidationError, match="not actions"):
        action_codes(["hold", "panic"])
    with pytest.raises(DataValidationError, match=r"codes \[4\]"):
        action_codes([0, 4])
    with pytest.raises(DataValidationError, match="continuous"):
        action_codes([0.5, 1.5, 0.2])


def test_names_and_codes_train_the_same_policy() -> None:
    X, y = three_action_data(800)
    names = np.array(ACTIONS)[y]
    a = LogisticPolicy().fit(X, y).predict_proba(X)
    b = LogisticPolicy().fit(X, names).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_fast_path_equals_the_validated_path() -> None:
    X, y = three_action_data(800)
    for policy in (LogisticPolicy().fit(X, y), GradientBoostedPolicy().fit(X, y)):
        fast = policy.predict_proba(X)
        np.testing.assert_allclose(policy.predict_proba(X.tolist()), fast, rtol=0, atol=1e-15)
        np.testing.assert_allclose(
            policy.predict_proba(X.astype(np.float32)),
            policy.predict_proba(X.astype(np.float32).astype(float)),
            atol=1e-15,
        )
        frame = pd.DataFrame(X, columns=list(FEATURES))
        named = clone(policy).fit(frame, y)
        np.testing.assert_allclose(named.predict_proba(frame), fast, atol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_refused(bad: float) -> None:
    X, y = three_action_data(500)
    for policy in (LogisticPolicy().fit(X, y), GradientBoostedPolicy().fit(X, y)):
        Xb = X.copy()
        Xb[3, 5] = bad
        with pytest.raises(ValueError, match="NaN or infinity"):
            policy.predict_proba(Xb)


def test_logistic_equals_sklearn_on_standardised_features() -> None:
    X, y = three_action_data(2000)
    X = X * np.array([0.01, 0.05, 0.1, 0.2, 0.1, 50.0, 0.3, 0.5, 0.1]) + 0.3  # raw scales
    mean, std = X.mean(axis=0), X.std(axis=0)
    ref = LogisticRegression(C=0.5, max_iter=5000, tol=1e-10).fit((X - mean) / std, y)
    ours = LogisticPolicy(C=0.5, tol=1e-10, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X)[:, :3], ref.predict_proba((X - mean) / std), atol=1e-6
    )


def test_bad_parameters_are_named() -> None:
    X, y = three_action_data(200)
    with pytest.raises(ConfigError, match="min_samples_leaf"):
        GradientBoostedPolicy(min_samples_leaf=1.5).fit(X, y)
    with pytest.raises(ConfigError, match="C must be"):
        LogisticPolicy(C=0).fit(X, y)


# ----------------------------------------------------------------------------- compiled trees


def assert_matches_sklearn(policy: GradientBoostedPolicy, X: np.ndarray) -> None:
    ours = policy.predict_proba(X)
    ref = policy.model_.predict_proba(X)
    np.testing.assert_allclose(ours[:, policy.seen_actions_], ref, rtol=0, atol=1e-9)


def at_thresholds(policy: GradientBoostedPolicy, n: int, seed: int) -> np.ndarray:
    """Rows whose values sit exactly on split thresholds (and just beside them)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES)))
    for j, t in enumerate(policy.compiled_.thresholds):
        if t.size:
            pick = t[rng.integers(0, t.size, n)]
            X[:, j] = np.where(rng.random(n) < 0.5, pick, np.nextafter(pick, np.inf))
    return X


@pytest.mark.parametrize(
    ("interaction_cst", "max_leaf_nodes", "tabulated_only"),
    [("no_interactions", 4, True), ("pairwise", 6, True), (None, 15, False)],
)
def test_compiled_trees_equal_sklearn(
    interaction_cst: object, max_leaf_nodes: int, tabulated_only: bool
) -> None:
    X, y = three_action_data(2000, seed=3)
    policy = GradientBoostedPolicy(
        interaction_cst=interaction_cst,
        max_leaf_nodes=max_leaf_nodes,
        max_iter=20,
        min_samples_leaf=5,
    ).fit(X, y)
    compiled = policy.compiled_
    assert (len(compiled.fallback) == 0) == tabulated_only
    if interaction_cst == "no_interactions":
        assert all(g.features.size == 1 for g in compiled.groups)
    assert_matches_sklearn(policy, np.random.default_rng(9).normal(size=(5000, 9)))
    assert_matches_sklearn(policy, at_thresholds(policy, 3000, seed=4))
    assert_matches_sklearn(policy, X)


def test_compiled_trees_fall_back_when_tables_would_be_too_large() -> None:
    from gramabm.policies.trees import compile_hist_gradient_boosting

    X, y = three_action_data(2000, seed=5)
    policy = GradientBoostedPolicy(interaction_cst="pairwise", max_iter=20).fit(X, y)
    small = compile_hist_gradient_boosting(policy.model_, max_table_cells=4)
    assert small.fallback
    assert len(small.fallback) > len(policy.compiled_.fallback)
    Xt = at_thresholds(policy, 3000, seed=6)
    np.testing.assert_allclose(
        small.raw_scores(Xt), policy.compiled_.raw_scores(Xt), rtol=0, atol=1e-12
    )


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(40, 300),
    n_classes=st.integers(2, 4),
    leaves=st.integers(2, 12),
    interactions=st.sampled_from(["no_interactions", "pairwise", None]),
)
def test_compiled_trees_equal_sklearn_on_random_problems(
    seed: int, n: int, n_classes: int, leaves: int, interactions: object
) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES)))
    X[:, 1] = np.round(X[:, 1], 1)  # repeated values: thresholds between few distinct values
    y = rng.integers(0, n_classes, n)
    y[:n_classes] = np.arange(n_classes)  # every class present
    policy = GradientBoostedPolicy(
        max_iter=10,
        max_leaf_nodes=leaves,
        min_samples_leaf=2,
        interaction_cst=interactions,
        learning_rate=0.3,
    ).fit(X, y)
    assert_matches_sklearn(policy, np.vstack([X, at_thresholds(policy, 300, seed % 1000)]))
