"""Reverse stress test: the smallest shock that breaks a stated criterion, found by bisection.

A forward stress test asks "what happens under this shock?"; a reverse one asks "how large must the
shock be before the peg fails?". For one configuration, a **criterion** states what failing means
(:data:`NAMED_CRITERIA`: the worst discount beyond -100 bp; more than 24 h outside ±100 bp; the lowest
reported reserve ratio below 0.97), and a **shock** is scaled by one number, its severity in [0, 1]:

* ``gold_drop``: the shaped ``drop`` scenario's fall (``0.15`` = gold falls 15% within a business
  day); a configuration already on a shaped scenario (``drop``, ``v_shape``, ``slow_bear``) keeps its
  shape and other parameters;
* ``custodian_loss``: the share of one custodian's gold lost at the shock step (a ``custodian_loss``
  event; undisclosed until the custodian's next attestation, at once under continuous proof of
  reserve), on the configuration's shaped scenario or else a ``drop`` of ``base_severity``.

**Judging a severity.** The model is stochastic, so each severity is run with several seeds, the
*same* seeds at every severity (common random numbers: the response to severity is then as smooth
as the model allows). A run whose criterion metric is missing (None: e.g. no quote at all) counts as
broken, since the criterion cannot be shown to hold. A severity **breaks** the criterion by the
``rule``:

* ``"majority"`` (default): more than half of the seeds break;
* ``"mean"``: the criterion applied to the mean metric over the seeds breaks;
* ``"any"``: at least one seed breaks (the cautious reading).

**Search.** The ends ``low`` and ``high`` are judged first: if ``low`` already breaks, the status is
``always_breaks``; if ``high`` holds, ``never_breaks`` (no threshold in range). Otherwise bisection
keeps a bracket ``[holds, breaks]`` and halves it until it is narrower than ``tol`` (or
``max_evaluations`` severities were judged). The threshold reported is the bracket's upper end, the
smallest severity seen to break. Bisection assumes the judgement flips once over the range; the
evaluations table shows every severity tried, so a non-monotone response is visible.

**Data.** The shocks are shaped on the gold history given as ``prices`` (default: the built-in
series); the series is sent to each worker once, not with every evaluation, and the result records
its source and digest (:func:`gramabm.sweeps.runner.data_record`).
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from gramabm.config import ModelConfig, build_config
from gramabm.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance  # typeshed-only: any dataclass type

SHAPED_SCENARIOS: tuple[str, ...] = ("drop", "v_shape", "slow_bear")
"""Scenarios with a ``severity`` parameter."""

Shock = Literal["gold_drop", "custodian_loss"]
Rule = Literal["majority", "mean", "any"]
SHOCKS: tuple[str, ...] = ("gold_drop", "custodian_loss")
RULES: tuple[str, ...] = ("majority", "mean", "any")

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_CRITERION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Criterion:
    """What breaking means: a run breaks when ``metric op threshold`` is true.

    Args:
        metric: Key of :meth:`RunMetrics.to_dict` (``worst_discount_bp``).
        op: ``<``, ``<=``, ``>`` or ``>=``.
        threshold: The level.
        label: Words for reports (default: the expression).
    """

    metric: str
    op: str
    threshold: float
    label: str = ""

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ConfigError(f"criterion operator must be one of {list(_OPS)}, got {self.op!r}")
        if not math.isfinite(self.threshold):
            raise ConfigError(f"criterion threshold must be finite, got {self.threshold!r}")

    @property
    def expression(self) -> str:
        """``worst_discount_bp < -100``."""
        return f"{self.metric} {self.op} {self.threshold:g}"

    def describe(self) -> str:
        """The label, or the expression."""
        return self.label or self.expression

    def breaks(self, value: Any) -> bool:
        """Whether one metric value breaks the criterion (a missing value does)."""
        if value is None:
            return True
        v = float(value)
        return True if math.isnan(v) else bool(_OPS[self.op](v, self.threshold))


NAMED_CRITERIA: dict[str, Criterion] = {
    "discount_100bp": Criterion("worst_discount_bp", "<", -100.0, "worst discount beyond -100 bp"),
    "outside_100bp_24h": Criterion(
        "hours_outside_100bp", ">", 24.0, "more than 24 h outside ±100 bp"
    ),
    "reserve_ratio_97": Criterion(
        "min_reserve_ratio_reported", "<", 0.97, "lowest reported reserve ratio below 0.97"
    ),
}
"""Criteria by name (``--criterion discount_100bp``)."""


def parse_criterion(text: str) -> Criterion:
    """A criterion from a name of :data:`NAMED_CRITERIA` or an expression ``metric<value``.

    Raises:
        ConfigError: Neither a known name nor a valid expression on a known metric.
    """
    if text in NAMED_CRITERIA:
        return NAMED_CRITERIA[text]
    match = _CRITERION.match(text)
    if match is None:
        raise ConfigError(
            f"criterion {text!r}: give a name ({', '.join(NAMED_CRITERIA)}) or an expression "
            "such as 'worst_discount_bp<-100' or 'hours_outside_100bp>24'"
        )
    metric, op, value = match.groups()
    from gramabm.analysis.runs.metrics import RunMetrics

    known = _metric_keys(RunMetrics)
    if metric not in known:
        raise ConfigError(
            f"criterion {text!r}: unknown metric {metric!r}; known: {', '.join(sorted(known))}"
        )
    try:
        threshold = float(value)
    except ValueError as exc:
        raise ConfigError(f"criterion {text!r}: {value!r} is not a number") from exc
    return Criterion(metric, op, threshold)


def _metric_keys(cls: type[DataclassInstance]) -> set[str]:
    """Scalar keys of ``RunMetrics.to_dict`` (bands at the default 50 and 100 bp)."""
    keys = {
        n
        for n in cls.__dataclass_fields__
        if n not in ("bands", "half_life", "notes", "governance_actions")
    }
    for b in ("50", "100"):
        keys |= {f"steps_outside_{b}bp", f"hours_outside_{b}bp", f"fraction_outside_{b}bp"}
    keys |= {"half_life_hours", "half_life_steps", "half_life_phi"}
    return keys


def shocked_config(
    config: ModelConfig,
    shock: Shock,
    severity: float,
    *,
    custodian: int = 0,
    base_severity: float = 0.0,
) -> ModelConfig:
    """The configuration with the shock applied at one severity.

    Args:
        config: The configuration under test.
        shock: ``gold_drop`` or ``custodian_loss``.
        severity: The gold fall (fraction) or the custodian's lost share.
        custodian: Index of the custodian that loses gold (0: the largest).
        base_severity: Gold fall under a custodian loss when the configuration's scenario is not a
            shaped one (0: the loss alone, in calm gold).

    Raises:
        ConfigError: Unknown shock or a severity outside its range.
    """
    shaped = config.scenario in SHAPED_SCENARIOS
    params = dict(config.scenario_params) if shaped else {}
    scenario = config.scenario if shaped else "drop"
    if shock == "gold_drop":
        if not 0.0 <= severity < 1.0:
            raise ConfigError(f"gold_drop severity must be in [0, 1), got {severity}")
        params["severity"] = float(severity)
    elif shock == "custodian_loss":
        if not 0.0 <= severity <= 1.0:
            raise ConfigError(
                f"custodian_loss severity (share lost) must be in [0, 1], got {severity}"
            )
        params.setdefault("severity", float(base_severity))
        events = [list(e) for e in params.get("events", [])]
        if severity > 0:  # losing nothing is no event (the event refuses a zero share)
            events.append(
                [0, "custodian_loss", {"custodian": int(custodian), "share": float(severity)}]
            )
        params["events"] = events
    else:
        raise ConfigError(f"shock must be one of {list(SHOCKS)}, got {shock!r}")
    return config.with_updates({"scenario": scenario, "scenario_params": params})


def evaluate_task(task: dict[str, Any], prices: pd.Series | None = None) -> dict[str, Any]:
    """Run one (severity, seed) of a reverse stress test; a top-level, picklable worker function.

    Args:
        task: ``config`` (nested mapping), ``seed``, ``severity``, ``metric``.
        prices: Gold history (None: the built-in series); shipped once per worker by the backend.

    Returns:
        ``severity``, ``seed``, ``value`` (the criterion's metric, None if missing) and the
        headline metrics ``worst_discount_bp``, ``hours_outside_100bp``,
        ``min_reserve_ratio_reported``, ``min_reserve_ratio_actual``.
    """
    from gramabm.simulation import simulate

    config = build_config(task["config"])
    # Evaluations on one worker share the shipped series: each gets its own copy.
    own = None if prices is None else prices.copy()
    metrics = simulate(config, int(task["seed"]), prices=own).metrics.to_dict()
    out = {
        "severity": float(task["severity"]),
        "seed": int(task["seed"]),
        "value": metrics.get(task["metric"]),
    }
    for key in EXTRA_METRICS:
        out[key] = metrics.get(key)
    return out


EXTRA_METRICS: tuple[str, ...] = (
    "worst_discount_bp",
    "hours_outside_100bp",
    "min_reserve_ratio_reported",
    "min_reserve_ratio_actual",
    "share_initial_supply_redeemed",
)
"""Metrics kept for every evaluation besides the criterion's."""


@dataclass
class ReverseResult:
    """The outcome of a reverse stress test.

    Attributes:
        criterion: What breaking means.
        shock: The shock scaled.
        rule: How seeds are combined into one judgement.
        status: ``found`` (threshold bracketed), ``never_breaks`` (``high`` holds) or
            ``always_breaks`` (``low`` already breaks).
        threshold: Smallest severity seen to break (None if ``never_breaks``).
        bracket: ``(largest severity seen to hold, smallest seen to break)``; an end is None when
            no severity of that kind was seen.
        evaluations: One row per severity and seed: ``order`` (which judgement), ``severity``,
            ``seed``, ``value``, ``broke`` and the headline metrics.
        summary: One row per severity: ``order``, ``severity``, ``n``, ``n_broken``,
            ``share_broken``, ``mean_value``, ``breaks``.
        seeds: The seeds used at every severity.
        low: Lower end of the search.
        high: Upper end of the search.
        tol: Bracket width at which the search stops.
        config: The configuration under test (nested mapping).
        data: The gold data's source, digest, rows and dates.
        warnings: Why the answer may not hold (:func:`size_warnings`): runs too short after
            the shock, too few holders or seeds.
    """

    criterion: Criterion
    shock: str
    rule: str
    status: str
    threshold: float | None
    bracket: tuple[float | None, float | None]
    evaluations: pd.DataFrame
    summary: pd.DataFrame
    seeds: list[int]
    low: float
    high: float
    tol: float
    config: dict[str, Any] = field(default_factory=dict, repr=False)
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()

    def sentence(self) -> str:
        """The result in one plain sentence."""
        what = "gold fall" if self.shock == "gold_drop" else "custodian loss (share of its gold)"
        crit = self.criterion.describe()
        n = len(self.seeds)
        if self.status == "never_breaks":
            return (
                f"No {what} up to {self.high:.4g} breaks the criterion ({crit}) by the {self.rule} "
                f"rule over {n} seeds."
            )
        if self.status == "always_breaks":
            return (
                f"The criterion ({crit}) already breaks at the smallest {what} tried, "
                f"{self.low:.4g} ({self.rule} rule over {n} seeds)."
            )
        lo, hi = self.bracket
        return (
            f"The smallest {what} that breaks the criterion ({crit}) lies between {lo:.4g} "
            f"(holds) and {hi:.4g} (breaks), by the {self.rule} rule over {n} seeds."
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary (no timings)."""
        return {
            "criterion": self.criterion.expression,
            "criterion_label": self.criterion.describe(),
            "shock": self.shock,
            "rule": self.rule,
            "status": self.status,
            "threshold": self.threshold,
            "bracket": list(self.bracket),
            "low": self.low,
            "high": self.high,
            "tol": self.tol,
            "seeds": self.seeds,
            "severities_judged": len(self.summary),
            "runs": len(self.evaluations),
            "sentence": self.sentence(),
            "config": self.config,
            "data": self.data,
            "warnings": list(self.warnings),
        }


def judge(values: Sequence[Any], criterion: Criterion, rule: Rule) -> bool:
    """Whether a severity breaks the criterion, from its seeds' metric values."""
    broke = [criterion.breaks(v) for v in values]
    if rule == "majority":
        return sum(broke) * 2 > len(broke)
    if rule == "any":
        return any(broke)
    if rule == "mean":
        nums = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
        return criterion.breaks(float(np.nanmean(nums)) if np.isfinite(nums).any() else None)
    raise ConfigError(f"rule must be one of {list(RULES)}, got {rule!r}")


def reverse_seeds(root_seed: int, n: int) -> list[int]:
    """``n`` model seeds from one root seed (SeedSequence; the same at every severity)."""
    if n < 1:
        raise ConfigError(f"seeds must be at least 1, got {n}")
    states = np.random.SeedSequence(root_seed).generate_state(n, dtype=np.uint64)
    return [int(s >> np.uint64(1)) for s in states]


def reverse_stress(
    config: ModelConfig,
    criterion: Criterion | str,
    *,
    shock: Shock = "gold_drop",
    low: float = 0.0,
    high: float = 0.5,
    tol: float = 0.01,
    seeds: int | Sequence[int] = 5,
    root_seed: int = 0,
    rule: Rule = "majority",
    max_evaluations: int = 20,
    custodian: int = 0,
    base_severity: float = 0.0,
    workers: int = 1,
    prices: pd.Series | None = None,
    progress: Callable[[int, float, bool], None] | None = None,
    run_done: Callable[[], None] | None = None,
) -> ReverseResult:
    """Find the smallest shock severity that breaks the criterion (see the module docstring).

    Args:
        config: The configuration under test.
        criterion: A :class:`Criterion`, a name of :data:`NAMED_CRITERIA` or an expression.
        shock: ``gold_drop`` or ``custodian_loss``.
        low: Smallest severity searched.
        high: Largest severity searched.
        tol: Stop when the bracket is narrower than this.
        seeds: Number of seeds (derived from ``root_seed``) or the seeds themselves.
        root_seed: Root of the derived seeds.
        rule: ``majority``, ``mean`` or ``any``.
        max_evaluations: Most severities judged (ends included).
        custodian: Custodian losing gold (``custodian_loss``).
        base_severity: Gold fall beside a custodian loss on a non-shaped scenario.
        workers: Processes running one severity's seeds in parallel (1: this process).
        prices: Gold history for the scenario (default: the built-in series); sent to each
            worker once.
        progress: Called after each judgement with ``(judgements so far, severity, breaks)``.
        run_done: Called after each run (one seed at one severity), for a progress bar.

    Returns:
        The threshold, its bracket and every evaluation.

    Raises:
        ConfigError: Bad range, tolerance, rule, shock or criterion.
    """
    crit = parse_criterion(criterion) if isinstance(criterion, str) else criterion
    if rule not in RULES:
        raise ConfigError(f"rule must be one of {list(RULES)}, got {rule!r}")
    if not low < high:
        raise ConfigError(f"low ({low}) must be below high ({high})")
    if not tol > 0:
        raise ConfigError(f"tol must be positive, got {tol}")
    if max_evaluations < 2:
        raise ConfigError(
            f"max_evaluations must be at least 2 (the two ends), got {max_evaluations}"
        )
    seed_list = (
        reverse_seeds(root_seed, seeds) if isinstance(seeds, int) else [int(s) for s in seeds]
    )
    if not seed_list:
        raise ConfigError("seeds: give at least one seed")
    # Validate both ends before running anything (a bad range fails fast).
    for s in (low, high):
        shocked_config(config, shock, s, custodian=custodian, base_severity=base_severity)

    from gramabm.sweeps.backends import open_backend
    from gramabm.sweeps.runner import data_record

    if prices is None:
        from gramabm.data.loaders import load_builtin

        data = data_record(load_builtin(), builtin=True)
    else:
        data = data_record(prices, builtin=False)
    rows: list[dict[str, Any]] = []
    judged: list[dict[str, Any]] = []

    with open_backend(min(workers, len(seed_list)), shared=prices) as backend:

        def judge_at(severity: float) -> bool:
            cfg = shocked_config(
                config, shock, severity, custodian=custodian, base_severity=base_severity
            )
            data = cfg.model_dump(mode="json")
            tasks = [
                {
                    "config": data,
                    "seed": s,
                    "severity": severity,
                    "metric": crit.metric,
                }
                for s in seed_list
            ]
            found = {}
            for r in backend.map_unordered(evaluate_task, tasks):
                found[r["seed"]] = r
                if run_done is not None:
                    run_done()
            results = [found[s] for s in seed_list]  # seed order, whatever the completion order
            order = len(judged) + 1
            for r in results:
                rows.append({"order": order, **r, "broke": crit.breaks(r["value"])})
            values = [r["value"] for r in results]
            breaks = judge(values, crit, rule)
            nums = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
            n_broken = sum(crit.breaks(v) for v in values)
            judged.append(
                {
                    "order": order,
                    "severity": severity,
                    "n": len(values),
                    "n_broken": n_broken,
                    "share_broken": n_broken / len(values),
                    "mean_value": float(np.nanmean(nums))
                    if np.isfinite(nums).any()
                    else float("nan"),
                    "breaks": breaks,
                }
            )
            if progress is not None:
                progress(order, severity, breaks)
            return breaks

        bracket: tuple[float | None, float | None]
        if judge_at(low):
            status, bracket = "always_breaks", (None, low)
        elif not judge_at(high):
            status, bracket = "never_breaks", (high, None)
        else:
            lo, hi = low, high
            while hi - lo > tol and len(judged) < max_evaluations:
                mid = 0.5 * (lo + hi)
                if judge_at(mid):
                    hi = mid
                else:
                    lo = mid
            status, bracket = "found", (lo, hi)

    evaluations = (
        pd.DataFrame(rows).sort_values(["severity", "seed"], kind="stable").reset_index(drop=True)
    )
    summary = pd.DataFrame(judged).sort_values("severity", kind="stable").reset_index(drop=True)
    return ReverseResult(
        criterion=crit,
        shock=shock,
        rule=rule,
        status=status,
        threshold=bracket[1],
        bracket=bracket,
        evaluations=evaluations,
        summary=summary,
        seeds=seed_list,
        low=low,
        high=high,
        tol=tol,
        config=config.model_dump(mode="json"),
        data=data,
        warnings=tuple(
            size_warnings(
                shocked_config(
                    config, shock, high, custodian=custodian, base_severity=base_severity
                ),
                len(seed_list),
                status,
            )
        ),
    )


MIN_HOURS_AFTER_SHOCK = 240.0
"""Hours a run should go on after the shock for a break to show (a run-out takes days)."""
MIN_HOLDERS = 5_000
"""Holders below which the population's selling and redeeming are too lumpy to scale up."""
MIN_SEEDS = 3
"""Seeds below which a majority or mean judgement rests on one or two runs."""


def planned_runs(low: float, high: float, tol: float, seeds: int, max_evaluations: int) -> int:
    """Runs a search takes at most: both ends, then one judgement per halving, each ``seeds``."""
    halvings = max(0, math.ceil(math.log2((high - low) / tol))) if high > low and tol > 0 else 0
    return seeds * min(2 + halvings, max_evaluations)


def size_warnings(config: ModelConfig, seeds: int, status: str) -> list[str]:
    """Why a reverse stress test's answer may depend on a size too small to hold it.

    Args:
        config: The shocked configuration (its steps, step length, holders, shock step).
        seeds: Seeds per severity.
        status: The search's outcome; a ``never_breaks`` on a short run is the likeliest to
            mislead (the break may simply come after the run ends).

    Returns:
        One sentence per concern (empty: none).
    """
    out: list[str] = []
    shock_step = int(config.scenario_params.get("shock_step", 48))
    after = (config.steps - shock_step) * config.step_hours
    if after < MIN_HOURS_AFTER_SHOCK:
        verdict = (
            "'no break' may only mean the run ended first"
            if status == "never_breaks"
            else "a break that builds over days is missed"
        )
        out.append(
            f"the runs end {after:g} h after the shock (fewer than {MIN_HOURS_AFTER_SHOCK:g} h): "
            f"{verdict}; run longer with --steps"
        )
    if config.holders.n < MIN_HOLDERS:
        out.append(
            f"{config.holders.n} holders (fewer than {MIN_HOLDERS:,}): their selling and "
            "redemptions come in lumps and the answer may not hold for a larger population"
        )
    if seeds < MIN_SEEDS:
        out.append(f"{seeds} seed(s) per severity (fewer than {MIN_SEEDS}): one run decides")
    return out


def write_reverse_outputs(result: ReverseResult, out_dir: str | Path) -> dict[str, Path]:
    """Write a reverse stress test's files: evaluations and summary (CSV), result (JSON), figure (PNG).

    Returns:
        Paths by name: ``evaluations``, ``summary``, ``result``, ``figure``.
    """
    from gramabm.analysis.render.plots import save_figure
    from gramabm.analysis.render.sweep_plots import reverse_figure

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "evaluations": out / "evaluations.csv",
        "summary": out / "summary.csv",
        "result": out / "result.json",
        "figure": out / "reverse.png",
    }
    result.evaluations.to_csv(paths["evaluations"], index=False, lineterminator="\n")
    result.summary.to_csv(paths["summary"], index=False, lineterminator="\n")
    paths["result"].write_text(
        json.dumps(result.to_dict(), indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    axis = "gold fall (fraction)" if result.shock == "gold_drop" else "custodian loss (share)"
    fig = reverse_figure(
        result.evaluations,
        metric=result.criterion.metric,
        threshold=result.criterion.threshold,
        label=result.criterion.describe(),
        bracket=result.bracket,
        severity_label=axis,
    )
    save_figure(fig, paths["figure"])
    return paths
