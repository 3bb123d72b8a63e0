"""Minimise the simulated-moments objective within a budget of evaluations.

Two methods, both from SciPy, both searching the unit cube of
:class:`~gramabm.calibration.objective.MomentObjective` (bounds are the cube's faces):

* ``"nelder-mead"`` (default; suits small budgets): the starting configuration first (so the
  report can say how far the defaults were), then a Latin-hypercube design of
  ``max(d + 1, budget // 4)`` points (``d`` parameters) to find a good basin, then bounded
  Nelder-Mead (``scipy.optimize.minimize``, adaptive coefficients) from the best point so far;
  when it converges with budget left, it restarts from the best point with a simplex half as
  large, until the budget is used or the simplex is tiny.
* ``"differential-evolution"``: the starting configuration, then
  ``scipy.optimize.differential_evolution`` (Latin-hypercube initial population seeded with the
  start, no polishing) until the budget is used; better for larger budgets.

**Budget** = the number of evaluations that simulate (a point seen before is answered from
memory and costs nothing). The objective refuses to simulate past it, so the count is exact
whatever the optimiser's own bookkeeping. One ``seed`` makes the whole search reproducible: with
common random numbers the objective is deterministic, and the design and the evolution are
seeded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import differential_evolution, minimize
from scipy.stats import qmc

from gramabm.calibration.objective import (
    DEFAULT_PARAMETERS,
    BudgetExhausted,
    CalibrationSetup,
    Evaluation,
    MomentObjective,
    ParameterSpec,
)
from gramabm.calibration.observed import ObservedFit
from gramabm.config import ModelConfig, build_config
from gramabm.errors import ConfigError
from gramabm.validate.venue import has_volume

Method = Literal["nelder-mead", "differential-evolution"]
METHODS: tuple[str, ...] = ("nelder-mead", "differential-evolution")

MIN_BUDGET: int = 2
"""Fewest evaluations a calibration accepts (the start and one more)."""

_INITIAL_STEP = 0.15  # Nelder-Mead's first simplex edge, as a share of each parameter's range
_MIN_STEP = 0.01


@dataclass(frozen=True)
class CalibrationResult:
    """What a calibration found.

    Args:
        setup: The setup that was calibrated.
        parameters: The parameters searched.
        method: The optimiser.
        budget: Evaluations allowed.
        seed: Seed of the search.
        history: Every evaluation, in order.
        best: The lowest-loss evaluation.
        seconds: Wall time of the search (reports only; never in the preset or the CSVs' values).
        observed: The data targets' side of the fit (None: literature targets only).
    """

    setup: CalibrationSetup
    parameters: tuple[ParameterSpec, ...]
    method: str
    budget: int
    seed: int
    history: tuple[Evaluation, ...]
    best: Evaluation
    seconds: float
    observed: ObservedFit | None = None

    @property
    def label(self) -> str:
        """What the fit was on: the observed period and/or the literature setup's period."""
        if self.observed is None:
            return self.setup.label
        if not self.setup.targets:
            return f"observed {self.observed.period}"
        return f"observed {self.observed.period} and the {self.setup.label}"

    @property
    def start(self) -> Evaluation:
        """The evaluation of the starting configuration (always the first)."""
        return self.history[0]

    def preset_overrides(self) -> dict[str, object]:
        """Configuration overrides of the calibrated preset (dotted keys).

        Every setting of the base configuration that differs from the defaults (a base file's or
        preset's choices, so the preset rebuilds the configuration that was fitted), the
        population size it was fitted at, the policy, and the calibrated parameters.
        """
        out: dict[str, object] = dict(config_differences(self.setup.base))
        out["holders.n"] = self.setup.base.holders.n
        out["holders.policy"] = self.setup.policy
        out.update(self.venue())
        out.update(self.best.params)
        return out

    def venue(self) -> dict[str, float]:
        """The fitted venue's size, when the fit had an observed series with volume."""
        volume = math.nan if self.observed is None else self.observed.venue_volume_usd
        return {"liquidity_traders.venue_volume_usd": volume} if has_volume(volume) else {}


RUN_KEYS: frozenset[str] = frozenset({"scenario", "scenario_params", "steps"})
"""Settings of one run, not of the model: never carried into a preset."""


def config_differences(config: ModelConfig) -> dict[str, object]:
    """The settings of ``config`` that differ from the defaults, by dotted key (run keys aside)."""
    found: dict[str, object] = {}

    def walk(value: object, default: object, prefix: str) -> None:
        if isinstance(value, dict) and isinstance(default, dict):
            for key in value:
                walk(value[key], default.get(key), f"{prefix}{key}.")
        elif value != default:
            found[prefix.rstrip(".")] = value

    defaults = build_config().model_dump()
    current = config.model_dump()
    for key in current:
        if key not in RUN_KEYS:
            walk(current[key], defaults.get(key), f"{key}.")
    return found


def calibrate(
    setup: CalibrationSetup,
    parameters: Sequence[ParameterSpec] = DEFAULT_PARAMETERS,
    *,
    budget: int = 40,
    method: str = "nelder-mead",
    seed: int = 0,
    progress: Callable[[Evaluation, Evaluation], None] | None = None,
    observed: ObservedFit | None = None,
) -> CalibrationResult:
    """Fit the parameters by the method of simulated moments.

    Args:
        setup: Scenarios, targets, seeds and data (see
            :func:`~gramabm.calibration.objective.calibration_setups`).
        parameters: The parameters and their bounds.
        budget: Evaluations allowed (each runs every scenario once per seed).
        method: ``"nelder-mead"`` or ``"differential-evolution"``.
        seed: Seed of the design and of the evolution.
        progress: Called after each evaluation as ``progress(latest, best_so_far)``.
        observed: Data targets measured on an observed token's replays, scored with the
            setup's targets (:func:`gramabm.calibration.observed.observed_fit`).

    Returns:
        The result, with every evaluation.

    Raises:
        ConfigError: Unknown method, a budget below :data:`MIN_BUDGET`, or no parameters.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if budget < MIN_BUDGET:
        raise ConfigError(f"the budget must be at least {MIN_BUDGET} evaluations, got {budget}")
    params = tuple(parameters)
    if not params:
        raise ConfigError("nothing to calibrate: the parameter list is empty")

    def report(evaluation: Evaluation) -> None:
        if progress is not None:
            progress(evaluation, objective.best or evaluation)

    objective = MomentObjective(
        setup, params, budget=budget, on_evaluation=report, observed=observed
    )
    began = time.perf_counter()
    start = objective.evaluate(objective.start_point())
    u0 = objective.encode(start.params)
    try:
        if method == "nelder-mead":
            _nelder_mead(objective, u0, budget, seed)
        else:
            _differential_evolution(objective, u0, budget, seed)
    except BudgetExhausted:
        pass
    best = objective.best
    assert best is not None  # the start was evaluated
    return CalibrationResult(
        setup,
        params,
        method,
        budget,
        seed,
        tuple(objective.history),
        best,
        time.perf_counter() - began,
        observed,
    )


def _remaining(objective: MomentObjective, budget: int) -> int:
    return budget - len(objective.history)


def _nelder_mead(objective: MomentObjective, u0: np.ndarray, budget: int, seed: int) -> None:
    d = u0.size
    n_design = min(_remaining(objective, budget), max(d + 1, budget // 4))
    if n_design > 0:
        design = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n_design)
        for point in design:
            objective.unit_loss(point)
    step = _INITIAL_STEP
    calls = 0
    while _remaining(objective, budget) > 0 and step >= _MIN_STEP and calls < 4 * budget:
        best = objective.best
        assert best is not None
        x0 = objective.encode(best.params)
        # Each edge points into the cube, so the first simplex is feasible.
        simplex = np.vstack([x0] + [_nudge(x0, i, step) for i in range(d)])
        result = minimize(
            objective.unit_loss,
            x0,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * d,
            options={
                "initial_simplex": simplex,
                "maxfev": 2 * budget,
                "xatol": _MIN_STEP / 2,
                "fatol": 1e-4,
                "adaptive": True,
            },
        )
        calls += int(result.nfev)
        step /= 2


def _nudge(x: np.ndarray, i: int, step: float) -> np.ndarray:
    out = x.copy()
    out[i] = x[i] + step if x[i] + step <= 1.0 else x[i] - step
    return out


def _differential_evolution(
    objective: MomentObjective, u0: np.ndarray, budget: int, seed: int
) -> None:
    d = u0.size
    # A population of about a quarter of the budget leaves room for a few generations.
    popsize = max(1, min(15, math.ceil(max(5, budget // 4) / d)))
    differential_evolution(
        objective.unit_loss,
        bounds=[(0.0, 1.0)] * d,
        popsize=popsize,
        maxiter=budget,
        init="latinhypercube",
        x0=u0,
        seed=seed,
        polish=False,
        tol=0.0,
        atol=0.0,
        updating="immediate",
    )
