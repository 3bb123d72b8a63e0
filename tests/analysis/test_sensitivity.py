"""Global sensitivity: Sobol' indices on a Saltelli design, surrogate permutation importance otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.sweeps.sensitivity import (
    encode_parameters,
    sensitivity,
    sobol_indices,
    surrogate_importance,
)
from gramabm.errors import ConfigError
from gramabm.sweeps.design import design_points, param_column, salib_problem
from gramabm.sweeps.spec import parse_spec
from tests.analysis.test_aggregate import synthetic_results

# Ishigami function (a=7, b=0.1) on [-pi, pi]^3: analytic Sobol' indices.
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])


# Three parameters the drop scenario takes stand for x1, x2, x3 (only the design is used, no run).
X = ("scenario_params.severity", "scenario_params.vol", "scenario_params.noise_df")


def ishigami_sweep(samples: int = 1024, replications: int = 1) -> tuple[pd.DataFrame, dict]:
    """A Sobol' design from the experiments package, with the Ishigami function as the metric."""
    spec = parse_spec(
        {
            "name": "ishigami",
            "root_seed": 11,
            "scenarios": ["drop"],
            "design": {"kind": "sobol", "samples": samples},
            "parameters": {x: {"min": -np.pi, "max": np.pi} for x in X},
        }
    )
    points = design_points(spec)
    rows = []
    for i, point in enumerate(points):
        x1, x2, x3 = (point[x] for x in X)
        y = np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
        for r in range(replications):
            rows.append(
                {
                    "run_id": f"{i}-{r}",
                    "scenario": "drop",
                    "replication": r,
                    "design_index": i,
                    **{param_column(k): v for k, v in point.items()},
                    # Seed noise that averages out over replications.
                    "m_y": y + (0.5 if r % 2 else -0.5) * (replications > 1),
                    "status": "ok",
                }
            )
    return pd.DataFrame(rows), {"salib": salib_problem(spec)}


def test_sobol_indices_recover_the_ishigami_values() -> None:
    results, manifest = ishigami_sweep()
    res = sobol_indices(results, "y", manifest["salib"])
    ix = res.indices.pivot(index="parameter", columns="index", values="value")
    names = [param_column(x) for x in X]
    assert np.allclose(ix.loc[names, "S1"], ISHIGAMI_S1, atol=0.06)
    assert np.allclose(ix.loc[names, "ST"], ISHIGAMI_ST, atol=0.06)
    assert res.ranking("y") == [names[0], names[1], names[2]]
    assert (res.indices["conf"] >= 0).all()


def test_sobol_averages_replications_and_refuses_incomplete_designs() -> None:
    results, manifest = ishigami_sweep(samples=256, replications=2)
    res = sobol_indices(results, "m_y", manifest["salib"])
    single, _ = ishigami_sweep(samples=256, replications=1)
    ref = sobol_indices(single, "y", manifest["salib"])
    # The +-0.5 seed noise cancels in the per-point mean: the same indices as without it.
    assert np.allclose(res.indices["value"], ref.indices["value"])
    with pytest.raises(ConfigError, match="design points"):
        sobol_indices(results[results["design_index"] != 5], "y", manifest["salib"])


def test_surrogate_puts_the_only_driver_first_with_a_high_r2() -> None:
    # Noise sd 0.5 against a fee effect of sd ~3.6: the best possible R² is about 0.98.
    results = synthetic_results(fees=(0.0, 10.0, 25.0, 50.0, 100.0), seeds=4, noise=0.5)
    res = surrogate_importance(results, "mean_abs_deviation_bp", seed=1)
    assert res.ranking("mean_abs_deviation_bp")[0] == "p_primary__redeem_fee_bp"
    imp = res.indices.set_index("parameter")["value"]
    assert imp["p_primary__redeem_fee_bp"] > 0.5
    assert abs(imp["p_scenario_params__severity"]) < 0.1
    assert res.fit.loc[0, "r2_test"] > 0.8


def test_surrogate_reports_a_low_r2_when_the_metric_is_pure_noise() -> None:
    results = synthetic_results(seeds=4)
    rng = np.random.default_rng(3)
    results["m_noise"] = rng.standard_normal(len(results))
    res = surrogate_importance(results, "noise", seed=0, model="boosting")
    assert res.fit.loc[0, "r2_test"] < 0.2


def test_sensitivity_dispatches_and_skips_what_it_cannot_analyse() -> None:
    results = synthetic_results(seeds=3)
    res = sensitivity(results, ["worst_discount_bp", "min_reserve_ratio_actual"])
    assert set(res.indices["method"]) == {"permutation"}
    top = res.ranking("worst_discount_bp", scenario="drop")[0]
    assert top == "p_scenario_params__severity"
    # A constant metric has nothing to explain: zero importances, no R².
    const = res.indices[res.indices["metric"] == "min_reserve_ratio_actual"]
    assert (const["value"] == 0).all()
    sob, manifest = ishigami_sweep(samples=64)
    res = sensitivity(sob, ["y"], manifest=manifest)
    assert set(res.indices["method"]) == {"sobol"}
    few = sensitivity(results.head(6), ["worst_discount_bp"])
    assert few.indices.empty
    assert few.fit.loc[0, "method"].startswith("skipped: ")


def test_encode_parameters_codes_text_columns() -> None:
    frame = pd.DataFrame({"p_primary__preset": ["xaut", "paxg", "xaut"], "p_n": [1, 2, 3]})
    enc = encode_parameters(frame, ["p_primary__preset", "p_n"])
    assert list(enc["p_primary__preset"]) == [1.0, 0.0, 1.0]
    assert enc["p_n"].dtype == np.float64


def test_surrogate_errors() -> None:
    results = synthetic_results(seeds=2)
    with pytest.raises(ConfigError, match="not in the results"):
        surrogate_importance(results, "nope")
    with pytest.raises(ConfigError, match="no parameter varies"):
        surrogate_importance(results, "worst_discount_bp", parameters=["p_unknown"][:0])
