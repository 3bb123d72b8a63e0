"""The GRAM tier's reads of its pools: the day's volatility is numpy's sample deviation, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gramabm.market.gram_tier import MIN_QUOTED_DEPTH_USD, _quotes, _sample_std

_moves = arrays(
    np.float64,
    st.tuples(st.integers(2, 40), st.just(2)),
    elements=st.floats(-0.5, 0.5, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=300, deadline=None)
@given(moves=_moves, offset=st.floats(-1.0, 1.0))
def test_sample_std_is_numpys_bit_for_bit(moves: np.ndarray, offset: float) -> None:
    moves = moves + offset  # a common drift: the mean is subtracted, not assumed zero
    for pool in (0, 1):
        column = moves[:, pool]  # a strided column, as the tier reads it
        assert _sample_std(column) == float(column.std(ddof=1))


def test_sample_std_of_two_moves_and_of_constant_ones() -> None:
    assert _sample_std(np.array([0.01, 0.03])) == float(np.std([0.01, 0.03], ddof=1))
    flat = np.full(24, 0.002)
    assert _sample_std(flat) == float(flat.std(ddof=1))


def test_a_pool_quotes_from_the_minimum_depth() -> None:
    just_under = MIN_QUOTED_DEPTH_USD * (1 - 1e-12)
    assert _quotes(MIN_QUOTED_DEPTH_USD, just_under) == (True, False)
    assert _quotes(just_under, MIN_QUOTED_DEPTH_USD) == (False, True)
