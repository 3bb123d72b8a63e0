"""Properties every registered scenario keeps, checked with hypothesis (profile in conftest)."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from gramabm.data.loaders import load_builtin
from gramabm.scenarios.base import Scenario
from gramabm.scenarios.catalogue import REGISTRY, available_scenarios, get_scenario
from gramabm.scenarios.shaped import BUSINESS_DAYS_PER_YEAR

GOLD = load_builtin()
NAMES = available_scenarios(GOLD)
RANDOM_FAMILIES = ("standard", "stochastic", "shaped")
SEEDS = st.integers(0, 2**32 - 1)


@cache
def scenario(name: str) -> Scenario:
    """Built once per name: fits are cached anyway, construction need not repeat."""
    return get_scenario(name, GOLD)


@given(name=st.sampled_from(NAMES), n_steps=st.integers(1, 600), seed=SEEDS)
def test_paths_are_finite_positive_regular_and_of_the_asked_length(name, n_steps, seed):
    path = scenario(name).generate(n_steps, seed=seed)
    assert path.n_steps == n_steps
    assert len(path.gold_usd_oz) == len(path.is_fix) == n_steps
    assert path.gold_usd_oz.dtype == np.float64
    assert np.isfinite(path.gold_usd_oz).all()
    assert (path.gold_usd_oz > 0).all()
    assert path.is_fix.dtype == bool
    if n_steps > 1:
        gaps = path.timestamps[1:] - path.timestamps[:-1]
        assert (gaps == pd.Timedelta(hours=1)).all()
    assert path.timestamps.tz is None
    # Fixes only on business days, at most one a day.
    fixed = path.timestamps[path.is_fix]
    assert (fixed.day_of_week < 5).all()
    assert fixed.normalize().is_unique
    assert all(0 <= e.step < n_steps for e in path.events)
    assert path.seed == seed


@given(name=st.sampled_from(NAMES), n_steps=st.integers(1, 400), seed=SEEDS)
def test_one_seed_gives_the_same_path(name, n_steps, seed):
    a = scenario(name).generate(n_steps, seed=seed)
    b = scenario(name).generate(n_steps, seed=seed)
    np.testing.assert_array_equal(a.gold_usd_oz, b.gold_usd_oz)
    np.testing.assert_array_equal(a.is_fix, b.is_fix)
    assert a.timestamps.equals(b.timestamps)
    assert a.events == b.events


@given(
    name=st.sampled_from([n for n in NAMES if REGISTRY[n].family in RANDOM_FAMILIES]),
    seeds=st.lists(SEEDS, min_size=2, max_size=2, unique=True),
)
def test_different_seeds_give_different_paths(name, seeds):
    # 100 hourly steps from a business-day midnight always include open-market hours.
    a, b = (scenario(name).generate(100, seed=s).gold_usd_oz for s in seeds)
    assert not np.array_equal(a, b)


@given(
    shape=st.sampled_from(["drop", "v_shape", "slow_bear"]),
    severity=st.floats(0.01, 0.9),
    duration_steps=st.integers(1, 240),
    shock_step=st.integers(0, 120),
    vol=st.floats(0.0, 0.4),
    seed=SEEDS,
)
def test_shaped_shocks_hit_their_severity(shape, severity, duration_steps, shock_step, vol, seed):
    shaped = get_scenario(
        shape,
        GOLD,
        severity=severity,
        duration_steps=duration_steps,
        shock_step=shock_step,
        vol=vol,
    )
    path = shaped.generate(shaped.default_steps, seed=seed)
    s, t = path.meta["shock_start_step"], path.meta["trough_step"]
    p = path.gold_usd_oz
    assert s == shock_step
    # The fall ends exactly at the stated severity...
    assert math.isclose(p[t] / p[s], 1.0 - severity, rel_tol=1e-9)
    # ...and the trough of the fall is within noise of it: the pinned noise strays by a few
    # standard deviations of its sum over the fall at most.
    sigma = vol * math.sqrt(duration_steps / (24 * BUSINESS_DAYS_PER_YEAR))
    trough = p[s : t + 1].min() / p[s] - 1.0
    assert -severity + 1e-12 >= trough >= math.expm1(math.log1p(-severity) - 6 * sigma) - 1e-12
    if shape == "v_shape":
        assert math.isclose(p[path.meta["recovery_end_step"]] / p[s], 1.0, rel_tol=1e-9)
