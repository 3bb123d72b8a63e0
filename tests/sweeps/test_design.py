"""Designs: sizes, seeds from the root seed by position, run ids per the contract, sample layouts."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from gramabm.config import build_config
from gramabm.sweeps.design import (
    design_points,
    expand,
    make_run_id,
    param_column,
    run_seed,
    salib_problem,
    saltelli_rows,
    unit_sample,
)
from gramabm.sweeps.spec import parse_spec


def _spec(**extra):
    data = {
        "name": "d",
        "root_seed": 42,
        "scenarios": ["drop", "v_shape"],
        "replications": 3,
        "holders": 200,
        "base": {"scenario_params": {"severity": 0.1}, "holders": {"herding": 0.7}},
        "parameters": {
            "primary.mint_fee_bp": [0, 25, 50],
            "arbitrageurs.n": {"min": 1, "max": 9, "num": 3, "integer": True},
        },
    }
    data.update(extra)
    return parse_spec(data)


def _sampled(kind: str, samples: int, **design):
    return _spec(
        design={"kind": kind, "samples": samples, **design},
        parameters={
            "holders.herding": {"min": 0.1, "max": 2.0},
            "arbitrageurs.n": {"min": 1, "max": 10, "integer": True},
            "primary.mint_fee_bp": {"min": 1.0, "max": 100.0, "log": True},
            "primary.preset": ["paxg", "xaut"],
        },
    )


def test_grid_size_order_and_unique_ids() -> None:
    spec = _spec()
    runs = expand(spec)
    assert len(runs) == 2 * 9 * 3  # scenarios x grid points x replications
    assert len({r.run_id for r in runs}) == len(runs)
    assert [r.scenario for r in runs[:27]] == ["drop"] * 27
    assert runs[0].params == {"primary.mint_fee_bp": 0, "arbitrageurs.n": 1}
    assert runs[3].params == {"primary.mint_fee_bp": 0, "arbitrageurs.n": 5}
    assert [r.replication for r in runs[:3]] == [0, 1, 2]
    assert expand(spec) == runs  # deterministic


def test_run_id_is_the_contract_hash() -> None:
    run = expand(_spec())[5]
    payload = {
        "experiment": "d",
        "scenario": run.scenario,
        "parameters": dict(sorted(run.params.items())),
        "replication": run.replication,
        "seed": run.seed,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    assert run.run_id == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert run.run_id == make_run_id("d", run.scenario, run.params, run.replication, run.seed)


def test_seeds_come_from_the_root_seed_by_position() -> None:
    spec = _spec()
    runs = expand(spec)
    # Documented equivalence with plain SeedSequence spawning.
    i, r = 4, 2
    child = np.random.SeedSequence(42).spawn(2)[1].spawn(i + 1)[i].spawn(r + 1)[r]
    expected = int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    assert run_seed(spec, i, r) == expected
    match = [x for x in runs if x.design_index == i and x.replication == r]
    assert {x.seed for x in match} == {expected}  # one seed across scenarios
    assert all(0 <= x.seed < 2**63 for x in runs)
    # Adding replications leaves the existing runs (ids and seeds) untouched.
    more = {x.run_id: x.seed for x in expand(_spec(replications=5))}
    assert all(more[x.run_id] == x.seed for x in runs)
    # Another root seed changes every seed.
    other = {x.seed for x in expand(_spec(root_seed=43))}
    assert not other & {x.seed for x in runs}


def test_common_random_numbers_share_seeds_across_points() -> None:
    runs = expand(_spec(common_random_numbers=True))
    by_rep = {}
    for run in runs:
        by_rep.setdefault(run.replication, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in by_rep.values())
    assert len({next(iter(s)) for s in by_rep.values()}) == 3


def test_run_config_merges_base_overrides_scenario_and_parameters() -> None:
    run = expand(_spec())[40]
    cfg = build_config(run.config)
    assert cfg.scenario == run.scenario
    assert cfg.holders.n == 200
    assert cfg.holders.herding == 0.7
    assert cfg.scenario_params == {"severity": 0.1}
    assert cfg.primary.mint_fee_bp == run.params["primary.mint_fee_bp"]
    assert cfg.arbitrageurs.n == run.params["arbitrageurs.n"]


def test_varied_scenario_params_merge_with_the_base_ones() -> None:
    spec = _spec(
        base={"scenario_params": {"severity": 0.1, "shock_step": 10}},
        scenarios=["drop"],
        parameters={"scenario_params.severity": [0.2, 0.3]},
    )
    configs = [r.config["scenario_params"] for r in expand(spec)]
    assert configs[0] == {"severity": 0.2, "shock_step": 10}
    assert configs[-1] == {"severity": 0.3, "shock_step": 10}


def test_per_scenario_parameters_reach_only_their_scenario() -> None:
    own = {"recovery_steps": 24, "shock_step": 5}
    plain = _spec(parameters={"scenario_params.severity": [0.2, 0.3]})
    tuned = _spec(
        parameters={"scenario_params.severity": [0.2, 0.3]},
        scenario_params={"v_shape": own},
    )
    runs, before = expand(tuned), {r.run_id: r for r in expand(plain)}
    for run in runs:
        params = build_config(run.config).scenario_params
        severity = run.params["scenario_params.severity"]
        if run.scenario == "v_shape":
            # Merged over the base table, under the varied parameter.
            assert params == {"severity": severity, **own}
            assert run.run_id not in before  # its own parameters are part of its id
            assert run.run_id == make_run_id(
                "d", "v_shape", run.params, run.replication, run.seed, own
            )
        else:
            assert params == {"severity": severity}
            assert before[run.run_id] == run  # the other scenario's runs are unchanged
    assert make_run_id("d", "drop", {}, 0, 1, {}) == make_run_id("d", "drop", {}, 0, 1)


def test_grid_ranges_integer_and_log() -> None:
    spec = _spec(
        parameters={
            "arbitrageurs.n": {"min": 1, "max": 4, "num": 7, "integer": True},
            "primary.mint_fee_bp": {"min": 1.0, "max": 100.0, "num": 3, "log": True},
        }
    )
    points = design_points(spec)
    assert sorted({p["arbitrageurs.n"] for p in points}) == [1, 2, 3, 4]
    assert sorted({p["primary.mint_fee_bp"] for p in points}) == pytest.approx([1.0, 10.0, 100.0])


@pytest.mark.parametrize("kind", ["random", "lhs"])
def test_sampled_values_respect_ranges_and_types(kind) -> None:
    points = design_points(_sampled(kind, 64))
    assert len(points) == 64
    herding = np.array([p["holders.herding"] for p in points])
    assert ((herding >= 0.1) & (herding <= 2.0)).all()
    arbs = [p["arbitrageurs.n"] for p in points]
    assert all(isinstance(a, int) and 1 <= a <= 10 for a in arbs)
    assert len(set(arbs)) >= 8
    fees = np.array([p["primary.mint_fee_bp"] for p in points])
    assert ((fees >= 1.0) & (fees <= 100.0)).all()
    assert np.median(fees) < 30  # log-uniform: median near 10, not 50
    assert {p["primary.preset"] for p in points} == {"paxg", "xaut"}
    assert design_points(_sampled(kind, 64)) == points


def test_latin_hypercube_is_stratified() -> None:
    n = 20
    u = unit_sample(_sampled("lhs", n))
    strata = np.floor(u * n).astype(int)
    for j in range(u.shape[1]):
        assert sorted(strata[:, j]) == list(range(n))


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_design_has_saltelli_layout(second_order) -> None:
    n, d = 8, 4
    spec = _sampled("sobol", n, second_order=second_order)
    u = unit_sample(spec)
    step = 2 * d + 2 if second_order else d + 2
    assert u.shape == (n * step, d)
    blocks = u.reshape(n, step, d)
    a, b = blocks[:, 0], blocks[:, -1]
    for j in range(d):
        ab = blocks[:, 1 + j]
        assert np.array_equal(np.delete(ab, j, axis=1), np.delete(a, j, axis=1))
        assert np.array_equal(ab[:, j], b[:, j])
        if second_order:
            ba = blocks[:, 1 + d + j]
            assert np.array_equal(np.delete(ba, j, axis=1), np.delete(b, j, axis=1))
            assert np.array_equal(ba[:, j], a[:, j])
    problem = salib_problem(spec)
    assert problem["problem"]["num_vars"] == d
    assert problem["problem"]["names"][0] == "holders.herding"
    assert problem["problem"]["bounds"][3] == [0.0, 2.0]  # categorical: index range
    assert problem["N"] == n
    assert problem["calc_second_order"] is second_order
    assert problem["columns"][0] == param_column("holders.herding") == "p_holders__herding"
    runs = expand(spec)
    assert len(runs) == 2 * n * step * 3


def test_saltelli_rows_small_example() -> None:
    base = np.array([[0.1, 0.2, 0.7, 0.8]])
    rows = saltelli_rows(base, second_order=True)
    expected = [[0.1, 0.2], [0.7, 0.2], [0.1, 0.8], [0.1, 0.8], [0.7, 0.2], [0.7, 0.8]]
    assert np.allclose(rows, expected)


def test_grid_without_parameters_is_one_point() -> None:
    spec = parse_spec({"name": "n", "root_seed": 1, "replications": 2})
    runs = expand(spec)
    assert len(runs) == 2
    assert runs[0].params == {}
    assert salib_problem(spec) is None
