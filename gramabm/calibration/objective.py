"""The method-of-simulated-moments objective: how far a parameter set's runs are from the targets.

One **evaluation** of a parameter set (:meth:`MomentObjective.evaluate`):

1. the base configuration with the parameters applied (:meth:`CalibrationSetup.config_for`);
2. the holder policy for it: by default the **default learned policy** trained with the
   configuration's herding and risk aversion (:mod:`gramabm.policies.default`), in memory;
   ``rule_based`` lets the model build its rule; anything else is a policy file;
3. every calibration scenario (:data:`~gramabm.calibration.moments.CALIBRATION_SCENARIOS`) run
   once per seed of ``seeds``; **common random numbers**: every evaluation uses the same seeds, so
   the same gold paths and the same random streams, and differences between parameter sets are
   not sampling noise (the objective is a deterministic function of the parameters);
4. the moments (:func:`~gramabm.calibration.moments.simulated_moments`) and the **loss**

       L = sum_i w_i z_i**2 / sum_i w_i

   the weighted mean squared standardised distance of each target's simulated moment (the mean
   over seeds on its scale) from the target (:mod:`gramabm.calibration.moments` defines ``z``
   and the weights). ``L <= 1`` roughly means "on average within tolerance".

**Parameters** (:data:`DEFAULT_PARAMETERS`) are searched in a unit cube: each maps ``u`` in
[0, 1] to its bounds, linearly or log-linearly, and is rounded to :data:`SIGNIFICANT_DIGITS`
significant digits before use, so the preset written afterwards holds exactly the values that
were simulated. Evaluations of a parameter set already seen are answered from memory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gramabm.calibration.moments import (
    CALIBRATION_SCENARIOS,
    OUT_OF_SAMPLE_SCENARIOS,
    TARGETS,
    MomentResult,
    Run,
    ScenarioSpec,
    Target,
    simulated_moments,
    split_periods,
    weighted_loss,
)
from gramabm.calibration.observed import ObservedFit
from gramabm.config import ModelConfig, build_config
from gramabm.errors import ConfigError, GramabmError

SIGNIFICANT_DIGITS: int = 4
"""Parameters are rounded to this many significant digits before they are simulated."""

DEFAULT_POLICY: str = "default"
"""Policy of a calibration unless told otherwise: the default learned policy."""


@dataclass(frozen=True)
class ParameterSpec:
    """A calibrated parameter and its search bounds.

    Args:
        key: Dotted configuration key (``"holders.activity"``).
        lo: Lower bound.
        hi: Upper bound.
        log: Search on the log scale (bounds must be positive).
        description: What it does, in words.
    """

    key: str
    lo: float
    hi: float
    log: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise ConfigError(f"parameter {self.key}: bounds must be finite with lo < hi")
        if self.log and not self.lo > 0:
            raise ConfigError(f"parameter {self.key}: a log-scale search needs lo > 0")

    def from_unit(self, u: float) -> float:
        """The parameter at position ``u`` in [0, 1] (clipped), rounded."""
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            value = math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        else:
            value = self.lo + u * (self.hi - self.lo)
        return min(self.hi, max(self.lo, round_significant(value)))

    def to_unit(self, value: float) -> float:
        """Position in [0, 1] of a value (clipped to the bounds)."""
        value = min(self.hi, max(self.lo, float(value)))
        if self.log:
            return (math.log(value) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        return (value - self.lo) / (self.hi - self.lo)


def round_significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits (0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(round(value, digits - 1 - math.floor(math.log10(abs(value)))))


DEFAULT_PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "holders.activity",
        0.005,
        0.25,
        log=True,
        description="chance a holder acts in a step (the learned policy decides once a day)",
    ),
    ParameterSpec(
        "holders.herding",
        0.0,
        5.0,
        description="herding strength: how much neighbours' panic moves a holder",
    ),
    ParameterSpec(
        "holders.risk_aversion",
        0.25,
        4.0,
        log=True,
        description="risk aversion: how strongly losses and volatility make a holder sell",
    ),
    ParameterSpec(
        "market_makers.withdraw_vol",
        0.2,
        1.2,
        log=True,
        # Above 1.2 the threshold binds in no calibration scenario (January 1980's hourly gold
        # volatility peaks near 120%), so the objective is flat there: nothing to identify.
        description="annualised volatility at which market makers withdraw",
    ),
    ParameterSpec(
        "arbitrageurs.capital_usd",
        1e5,
        2e7,
        log=True,
        description="cash per arbitrageur (authorised participant)",
    ),
    ParameterSpec(
        "market_makers.half_spread_bp",
        2.0,
        40.0,
        log=True,
        description="market makers' calm half-spread",
    ),
    ParameterSpec(
        "arbitrageurs.closed_premium_bp",
        0.0,
        200.0,
        description="extra edge arbitrageurs demand while the primary market is shut",
    ),
)
"""The parameters calibrated by default, with their search bounds."""


@dataclass(frozen=True)
class CalibrationSetup:
    """Everything an objective evaluation depends on besides the parameters.

    Args:
        base: Base configuration (population size, presets, fees); parameters are applied on top.
        scenarios: Scenario specifications by key.
        targets: The targets (each names a key of ``scenarios``).
        seeds: Model seeds, the same for every evaluation (common random numbers).
        prices: Gold history the scenarios are built on.
        policy: ``"default"`` (default learned policy), ``"rule_based"`` or a policy file.
        policy_prices: Training data of the default learned policy (default: built-in series).
        label: Name of the period, for reports.
    """

    base: ModelConfig
    scenarios: Mapping[str, ScenarioSpec]
    targets: tuple[Target, ...] = TARGETS
    seeds: tuple[int, ...] = (0, 1, 2)
    prices: pd.Series | None = None
    policy: str = DEFAULT_POLICY
    policy_prices: pd.Series | None = None
    label: str = "calibration period"

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ConfigError("a calibration needs at least one seed")
        missing = sorted({t.scenario for t in self.targets} - set(self.scenarios))
        if missing:
            raise ConfigError(f"targets name scenarios that are not set up: {', '.join(missing)}")

    def base_value(self, key: str) -> Any:
        """The base configuration's value at a dotted key.

        Raises:
            ConfigError: The key is not a configuration field.
        """
        node: Any = self.base.model_dump()
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"unknown configuration key {key!r}")
            node = node[part]
        return node

    def config_for(self, params: Mapping[str, Any]) -> ModelConfig:
        """The base configuration with ``params`` (dotted keys) applied and validated."""
        cfg = self.base.with_updates(dict(params))
        if self.policy != DEFAULT_POLICY:
            cfg = cfg.with_updates({"holders.policy": self.policy})
        return cfg

    def with_period(
        self, prices: pd.Series, scenarios: Mapping[str, ScenarioSpec], label: str
    ) -> CalibrationSetup:
        """The same setup on other data and scenarios (the out-of-sample check)."""
        return CalibrationSetup(
            self.base,
            scenarios,
            self.targets,
            self.seeds,
            prices,
            self.policy,
            self.policy_prices,
            label,
        )


def calibration_setups(
    *,
    holders: int = 10_000,
    seeds: int = 3,
    steps_scale: float = 1.0,
    policy: str = DEFAULT_POLICY,
    prices: pd.Series | None = None,
    base: ModelConfig | None = None,
    targets: Sequence[Target] = TARGETS,
) -> tuple[CalibrationSetup, CalibrationSetup]:
    """The standard calibration setup and its out-of-sample twin.

    Args:
        holders: Holders per run (the moments depend on it: market makers and arbitrageurs have
            fixed sizes, so the population sets the flow against the liquidity).
        seeds: Seeds per evaluation (``0 .. seeds-1``).
        steps_scale: Factor on every scenario's length (below 1 for quick checks).
        policy: ``"default"``, ``"rule_based"`` or a policy file.
        prices: Gold history covering both periods (default: the built-in series).
        base: Base configuration (default: the configuration defaults).
        targets: The literature targets (default: all); only their scenarios are set up, so
            none leaves both setups without scenarios (a fit on observed data alone).

    Returns:
        ``(calibration, out_of_sample)``: the first on the data up to
        :data:`~gramabm.calibration.moments.CALIBRATION_END`, the second on the later years.

    Raises:
        ConfigError: A count is out of range or the data do not cover both periods.
    """
    if seeds < 1:
        raise ConfigError(f"seeds must be >= 1, got {seeds}")
    if prices is None:
        from gramabm.data.loaders import load_builtin

        prices = load_builtin()
    early, late = split_periods(prices)
    cfg = (base or build_config()).with_updates({"holders.n": int(holders)})

    needed = {t.scenario for t in targets}

    def specs(table: Mapping[str, ScenarioSpec]) -> dict[str, ScenarioSpec]:
        used = {key: spec for key, spec in table.items() if key in needed}
        if steps_scale == 1.0:
            return used
        return {key: spec.scaled(steps_scale) for key, spec in used.items()}

    calibration = CalibrationSetup(
        cfg,
        specs(CALIBRATION_SCENARIOS),
        tuple(targets),
        tuple(range(seeds)),
        early,
        policy,
        None,
        f"calibration period (data to {early.index[-1]:%Y-%m-%d})",
    )
    later = calibration.with_period(
        late,
        specs(OUT_OF_SAMPLE_SCENARIOS),
        f"out of sample (data from {late.index[0]:%Y-%m-%d})",
    )
    return calibration, later


@dataclass(frozen=True)
class Evaluation:
    """One objective evaluation.

    Args:
        index: 0-based position among the evaluations that simulated.
        params: The parameters (rounded, as simulated).
        moments: The targets measured.
        loss: The objective value.
        errors: Messages of runs that failed (their targets count as not measured).
    """

    index: int
    params: dict[str, float]
    moments: tuple[MomentResult, ...]
    loss: float
    errors: tuple[str, ...] = ()

    @property
    def n_within(self) -> int:
        """Targets met."""
        return sum(m.within for m in self.moments)


class BudgetExhausted(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by :meth:`MomentObjective.unit_loss` once the budget of evaluations is used."""


@dataclass
class MomentObjective:
    """The objective over a setup and a parameter list (see the module docstring).

    Args:
        setup: What every evaluation runs.
        parameters: The parameters searched.
        budget: Most evaluations that may simulate (None: no limit).
        on_evaluation: Called with each new :class:`Evaluation`.
        observed: The data targets and their replays (:mod:`gramabm.calibration.observed`),
            measured after the setup's scenarios and scored in the same loss; None: none.
    """

    setup: CalibrationSetup
    parameters: tuple[ParameterSpec, ...] = DEFAULT_PARAMETERS
    budget: int | None = None
    on_evaluation: Any = None
    observed: ObservedFit | None = None
    history: list[Evaluation] = field(default_factory=list)
    _memo: dict[tuple[float, ...], Evaluation] = field(default_factory=dict, repr=False)
    _policies: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        keys = [p.key for p in self.parameters]
        if len(set(keys)) != len(keys):
            raise ConfigError("a parameter is listed twice")
        for key in keys:  # unknown keys fail now, not after the first simulation
            self.setup.base_value(key)

    # --- parameters ---------------------------------------------------------------------------
    def decode(self, u: Sequence[float] | np.ndarray) -> dict[str, float]:
        """Parameters at a point of the unit cube (rounded)."""
        if len(u) != len(self.parameters):
            raise ConfigError(f"expected {len(self.parameters)} coordinates, got {len(u)}")
        return {p.key: p.from_unit(x) for p, x in zip(self.parameters, u, strict=True)}

    def encode(self, params: Mapping[str, float]) -> np.ndarray:
        """The unit-cube point of a parameter set."""
        return np.array([p.to_unit(params[p.key]) for p in self.parameters])

    def start_point(self) -> dict[str, float]:
        """The base configuration's values of the parameters, clipped into their bounds."""
        return {
            p.key: p.from_unit(p.to_unit(self.setup.base_value(p.key))) for p in self.parameters
        }

    # --- running ------------------------------------------------------------------------------
    def _policy(self, cfg: ModelConfig) -> Any:
        from gramabm.policies.factory import policy_for

        holders = cfg.holders.model_copy(update={"policy": self.setup.policy})
        # One estimator at a time, by what it depends on: a search rarely comes back to a recipe.
        key = (self.setup.policy, holders.herding, holders.risk_aversion)
        if key not in self._policies:
            self._policies.clear()
            self._policies[key] = policy_for(holders, prices=self.setup.policy_prices)
        return self._policies[key]

    def run(self, params: Mapping[str, float]) -> tuple[dict[str, list[Run]], tuple[str, ...]]:
        """Run every scenario once per seed with ``params`` applied.

        A run that stops on one of the kit's errors (a :class:`~gramabm.errors.GramabmError`
        raised inside the model) is recorded as None with its message, so a long search survives
        a parameter set the model cannot run; its scenario's targets count as not measured.

        Returns:
            ``(timeseries, meta)`` (or None) per seed by scenario key, and the failures' messages.
        """
        from gramabm.model import GramModel

        cfg = self.setup.config_for(params)
        if not self.setup.scenarios:
            return {}, ()
        policy = self._policy(cfg)
        runs: dict[str, list[Run]] = {}
        errors: list[str] = []
        for key, spec in self.setup.scenarios.items():
            scen = cfg.with_updates(
                {
                    "scenario": spec.scenario,
                    "scenario_params": dict(spec.params),
                    "steps": spec.steps,
                }
            )
            runs[key] = []
            for seed in self.setup.seeds:
                model = GramModel(scen, rng=seed, prices=self.setup.prices, policy=policy)
                try:
                    result = model.run()
                except GramabmError as exc:
                    errors.append(f"{key} (seed {seed}): {type(exc).__name__}: {exc}")
                    runs[key].append(None)
                    continue
                runs[key].append((result.timeseries, result.meta))
        return runs, tuple(errors)

    def evaluate(self, params: Mapping[str, float]) -> Evaluation:
        """Simulate a parameter set (or recall it) and score it.

        Args:
            params: Values by dotted key (each parameter of the objective; rounded here).

        Returns:
            The evaluation.

        Raises:
            BudgetExhausted: The budget is used up and ``params`` is new.
        """
        rounded = {p.key: round_significant(float(params[p.key])) for p in self.parameters}
        key = tuple(rounded[p.key] for p in self.parameters)
        if key in self._memo:
            return self._memo[key]
        if self.budget is not None and len(self.history) >= self.budget:
            raise BudgetExhausted(f"the budget of {self.budget} evaluations is used")
        runs, errors = self.run(rounded)
        moments = simulated_moments(runs, self.setup.targets)
        if self.observed is not None:
            cfg = self.setup.config_for(rounded).with_updates({"holders.policy": self.setup.policy})
            data, data_errors = self.observed.measure(cfg)
            moments, errors = moments + data, errors + data_errors
        evaluation = Evaluation(len(self.history), rounded, moments, weighted_loss(moments), errors)
        self.history.append(evaluation)
        self._memo[key] = evaluation
        if self.on_evaluation is not None:
            self.on_evaluation(evaluation)
        return evaluation

    def unit_loss(self, u: Sequence[float]) -> float:
        """The loss at a point of the unit cube (what optimisers minimise)."""
        return self.evaluate(self.decode(np.asarray(u, dtype=float))).loss

    @property
    def best(self) -> Evaluation | None:
        """The lowest-loss evaluation so far (the earliest among ties)."""
        if not self.history:
            return None
        return min(self.history, key=lambda e: (e.loss, e.index))
