"""Expand an :class:`~gramabm.sweeps.spec.ExperimentSpec` into the deterministic list of runs.

Seeds derive from the root seed through numpy's :class:`~numpy.random.SeedSequence` by position, never
by execution order, so a run's outcome does not depend on the worker count or on which runs came first:

* design samples (random, Latin hypercube, Sobol'): ``SeedSequence(root_seed, spawn_key=(0,))``;
* the run at design point ``i``, replication ``r``: ``SeedSequence(root_seed, spawn_key=(1, i, r))``
  (with ``common_random_numbers``: ``(1, r)``, the same seed at every design point).

``spawn_key=(1, i, r)`` is what ``SeedSequence(root_seed).spawn(2)[1].spawn(i + 1)[i].spawn(r + 1)[r]``
gives, written directly so that no stateful spawning counter is involved. Every scenario of a design
point uses the same seed (common random numbers across scenarios), as ``gramabm stress`` does.

A run's id is the first 16 hex digits of the SHA-256 of the canonical JSON of
``{experiment, scenario, parameters (sorted), replication, seed}``, plus the scenario's own
parameters (``[scenario_params.<scenario>]``) when it has any: a scenario's runs change id when its
own parameters change, the other scenarios' runs keep theirs.

A run's configuration (:func:`run_config`) is the base table, then the scenario, then the
scenario's own parameters merged over ``base.scenario_params``, then the varied parameters. The gold
data are not part of a run's id or configuration: they belong to the whole sweep, which records
their digest (:func:`gramabm.sweeps.runner.run_sweep`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gramabm.analysis.sweeps.columns import param_column
from gramabm.errors import ConfigError
from gramabm.sweeps.spec import ExperimentSpec, ParameterSpec


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: everything a worker needs, as plain JSON-safe data.

    Args:
        run_id: Hash of experiment, scenario, parameters, replication and seed.
        experiment: The experiment's name.
        scenario: Scenario name.
        params: Varied parameters, dotted path → value.
        replication: Replication number (0-based).
        seed: Model seed.
        design_index: Position of the design point (Sobol' designs: SALib's row order).
        config: Nested configuration mapping (validated by the worker, so a bad value fails one run).
        keep_timeseries: Also return the per-step series.
    """

    run_id: str
    experiment: str
    scenario: str
    params: dict[str, Any]
    replication: int
    seed: int
    design_index: int
    config: dict[str, Any] = field(repr=False)
    keep_timeseries: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The run as a plain dict (what crosses to a worker process)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        """Rebuild a run from :meth:`to_dict`'s output."""
        return cls(**data)


def make_run_id(
    experiment: str,
    scenario: str,
    params: dict[str, Any],
    replication: int,
    seed: int,
    scenario_params: dict[str, Any] | None = None,
) -> str:
    """The run's id: SHA-256 (16 hex digits) of its canonical JSON description.

    Args:
        experiment: The experiment's name.
        scenario: Scenario name.
        params: Varied parameters, dotted path → value.
        replication: Replication number.
        seed: Model seed.
        scenario_params: The scenario's own fixed parameters; left out of the hash when empty,
            so runs without any keep the ids they always had.
    """
    payload: dict[str, Any] = {
        "experiment": experiment,
        "scenario": scenario,
        "parameters": dict(sorted(params.items())),
        "replication": replication,
        "seed": seed,
    }
    if scenario_params:
        payload["scenario_params"] = scenario_params
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_seed(spec: ExperimentSpec, design_index: int, replication: int) -> int:
    """The model seed of one design point and replication (63 bits, fits a signed int64)."""
    key = (1, replication) if spec.common_random_numbers else (1, design_index, replication)
    ss = np.random.SeedSequence(spec.root_seed, spawn_key=key)
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _design_rng(spec: ExperimentSpec) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(spec.root_seed, spawn_key=(0,)))


def saltelli_rows(base: np.ndarray, second_order: bool) -> np.ndarray:
    """Saltelli's cross-sampling of a ``(N, 2D)`` base sample, in SALib's row order.

    Per base row: A, then A with column j taken from B (j = 1..D), then (second order) B with
    column j taken from A, then B; ``SALib.analyze.sobol`` splits its outputs in this order.
    """
    n, two_d = base.shape
    d = two_d // 2
    a, b = base[:, :d], base[:, d:]
    step = 2 * d + 2 if second_order else d + 2
    rows = np.empty((n, step, d))
    rows[:, 0] = a
    for j in range(d):
        rows[:, 1 + j] = a
        rows[:, 1 + j, j] = b[:, j]
        if second_order:
            rows[:, 1 + d + j] = b
            rows[:, 1 + d + j, j] = a[:, j]
    rows[:, -1] = b
    return rows.reshape(n * step, d)


def unit_sample(spec: ExperimentSpec) -> np.ndarray:
    """The design's points in the unit cube, shape ``(points, parameters)``; empty for grids."""
    from scipy.stats import qmc

    d = len(spec.parameters)
    n = spec.design.samples or 0
    kind = spec.design.kind
    rng = _design_rng(spec)
    if kind == "grid":
        return np.empty((0, d))
    if kind == "random":
        return rng.random((n, d))
    if kind == "lhs":
        return qmc.LatinHypercube(d=d, rng=rng).random(n)
    base = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random_base2(int(n).bit_length() - 1)
    return saltelli_rows(base, spec.design.second_order)


def scale_unit(param: ParameterSpec, u: np.ndarray) -> list[Any]:
    """Map unit-interval draws to a parameter's values (uniform, log-uniform, integer or categorical)."""
    u = np.asarray(u, dtype=float)
    if not param.is_range:
        values = param.typed_values()
        idx = np.minimum((u * len(values)).astype(int), len(values) - 1)
        return [values[i] for i in idx]
    lo, hi = float(param.min), float(param.max)  # type: ignore[arg-type]
    if param.integer:
        lo_i, hi_i = int(np.ceil(lo)), int(np.floor(hi))
        if hi_i < lo_i:
            raise ConfigError(f"parameters.{param.name}: no integer lies in [{lo}, {hi}]")
        ints = np.minimum(np.floor(lo_i + u * (hi_i - lo_i + 1)), hi_i).astype(np.int64)
        return [int(v) for v in ints]
    x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))) if param.log else lo + u * (hi - lo)
    return [float(v) for v in x]


def grid_values(param: ParameterSpec) -> list[Any]:
    """A parameter's grid: its values, or ``num`` points spread over its range."""
    if not param.is_range:
        return param.typed_values()
    lo, hi, num = float(param.min), float(param.max), int(param.num or 1)  # type: ignore[arg-type]
    pts = np.geomspace(lo, hi, num) if param.log else np.linspace(lo, hi, num)
    if param.integer:
        return list(dict.fromkeys(int(np.rint(v)) for v in pts))
    # 12 significant digits: 0.15, not linspace's 0.15000000000000002, in ids and tables.
    return [float(f"{v:.12g}") for v in pts]


def design_points(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """Every design point, in design order, as ``{dotted name: value}``."""
    params = spec.parameters
    if spec.design.kind == "grid":
        axes = [grid_values(p) for p in params]
        return [
            {p.name: v for p, v in zip(params, combo, strict=True)}
            for combo in itertools.product(*axes)
        ]
    u = unit_sample(spec)
    columns = [scale_unit(p, u[:, j]) for j, p in enumerate(params)]
    return [{p.name: columns[j][i] for j, p in enumerate(params)} for i in range(u.shape[0])]


def _set_nested(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{dotted}: {part!r} is not a table in the base configuration")
        node = child
    node[parts[-1]] = value


def run_config(spec: ExperimentSpec, scenario: str, params: dict[str, Any]) -> dict[str, Any]:
    """The nested configuration mapping of one run.

    Base, overrides, scenario, the scenario's own parameters (merged over
    ``base.scenario_params``), then the varied parameters.
    """
    data = spec.scenario_data(scenario)
    for name, value in params.items():
        _set_nested(data, name, value)
    return data


def expand(spec: ExperimentSpec) -> list[RunSpec]:
    """All runs of a spec, in a fixed order: scenario, then design point, then replication."""
    points = design_points(spec)
    seeds = [[run_seed(spec, i, r) for r in range(spec.replications)] for i in range(len(points))]
    runs: list[RunSpec] = []
    for scenario in spec.scenarios:
        own = spec.scenario_params.get(scenario)
        for i, params in enumerate(points):
            config = run_config(spec, scenario, params)
            for r in range(spec.replications):
                seed = seeds[i][r]
                runs.append(
                    RunSpec(
                        run_id=make_run_id(spec.name, scenario, params, r, seed, own),
                        experiment=spec.name,
                        scenario=scenario,
                        params=dict(params),
                        replication=r,
                        seed=seed,
                        design_index=i,
                        config=config,
                        keep_timeseries=spec.keep_timeseries,
                    )
                )
    return runs


def salib_problem(spec: ExperimentSpec) -> dict[str, Any] | None:
    """What ``SALib.analyze.sobol`` needs for a Sobol' design, or None for other designs.

    ``problem`` holds ``num_vars``, ``names`` (dotted) and ``bounds`` (categorical parameters: the
    index range ``[0, k]``); ``N`` and ``calc_second_order`` are the analysis arguments; outputs must
    be passed in ``design_index`` order, per scenario and replication.
    """
    if spec.design.kind != "sobol":
        return None
    bounds = [
        [float(p.min), float(p.max)] if p.is_range else [0.0, float(len(p.values or []))]  # type: ignore[arg-type]
        for p in spec.parameters
    ]
    return {
        "problem": {
            "num_vars": len(spec.parameters),
            "names": [p.name for p in spec.parameters],
            "bounds": bounds,
        },
        "columns": [param_column(p.name) for p in spec.parameters],
        "N": spec.design.samples,
        "calc_second_order": spec.design.second_order,
        "order_by": "design_index",
    }


def describe_design(
    spec: ExperimentSpec,
    runs: list[RunSpec] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A JSON-safe description of the design (written beside the results as ``experiment.json``).

    Args:
        spec: The experiment.
        runs: Its runs (default: expanded here).
        data: The gold data's record (source, digest, rows, dates), stored under ``data``.
    """
    runs = runs if runs is not None else expand(spec)
    described = {
        "experiment": spec.name,
        "description": spec.description,
        "fingerprint": spec.fingerprint(),
        "root_seed": spec.root_seed,
        "design": spec.design.model_dump(),
        "parameters": [
            {"column": param_column(p.name), **p.model_dump(exclude_none=True)}
            for p in spec.parameters
        ],
        "roles": {param_column(p.name): p.resolved_role for p in spec.parameters},
        "scenarios": list(spec.scenarios),
        "replications": spec.replications,
        "common_random_numbers": spec.common_random_numbers,
        "points": len({r.design_index for r in runs}),
        "runs": len(runs),
        "config": spec.config,
        "base_config": spec.base_config().model_dump(mode="json"),
        "scenario_params": spec.scenario_params,
        "salib": salib_problem(spec),
    }
    if data is not None:
        described["data"] = data
    return described
