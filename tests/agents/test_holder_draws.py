"""Holders' action draws: the column-wise cumulative sums draw what a row-wise cumsum draws."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.agents.holders import _draw_actions


def _reference(proba: np.ndarray, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(proba[rows], axis=1)
    return (u[:, None] > cdf).sum(axis=1).clip(max=proba.shape[1] - 1).astype(np.int8)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 400), seed=st.integers(0, 2**32 - 1), share=st.floats(0.0, 1.0))
def test_draws_match_the_row_wise_cumsum(n: int, seed: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 4.0, (4, n))
    proba = (np.exp(logits) / np.exp(logits).sum(axis=0)).T  # the policies' layout: (4, n).T
    rows = np.flatnonzero(rng.random(n) < share)
    u = rng.random(rows.size)
    u[: rows.size // 4] = 1.0 - 1e-17  # at the top, where rounding may leave the cdf below u
    got = _draw_actions(proba[rows].T, u)
    assert got.dtype == np.int8
    assert np.array_equal(got, _reference(proba, rows, u))


def test_draws_follow_the_cumulative_probabilities() -> None:
    proba = np.array([[0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 1.0, 0.0]])
    rows = np.array([0, 0, 0, 0, 1])
    u = np.array([0.1, 0.3, 0.6, 0.99, 0.5])
    assert _draw_actions(proba[rows].T, u).tolist() == [0, 1, 2, 3, 2]


def test_a_draw_above_a_cdf_short_of_one_takes_the_last_action() -> None:
    proba = np.array([[0.1, 0.2, 0.3, 0.3999999]])
    assert _draw_actions(proba.T, np.array([0.99999999])).tolist() == [3]
