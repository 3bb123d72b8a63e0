"""The calibration targets and the statistics that measure them on model runs.

Each **target** (:class:`Target`) is a published fact about gold-token markets (docs/model.md D3), a
statistic that measures it on a run of one **calibration scenario** (:class:`ScenarioSpec`), a
tolerance and a weight. One table, :data:`TARGETS`:

=========================  ==========  ======================  =================  ======  ======
target                     scenario    statistic               target             scale   weight
=========================  ==========  ======================  =================  ======  ======
``calm_abs_deviation_bp``  calm        median abs. deviation   30 to 70 bp        linear  1.0
``shock_half_life_hours``  shock       AR(1) half-life         3 to 31 h          log     1.0
``safe_haven_premium_bp``  safe_haven  worst premium           at least 100 bp    linear  1.0
``severe_mm_withdrawal``   severe      makers withdrew (0/1)   at least 1         linear  1.0
``calm_mm_withdrawal``     calm        makers withdrew (0/1)   at most 0          linear  1.0
``calm_spread_bp``         calm        median quoted spread    5 to 40 bp         log     0.5
``calm_vol_ratio``         calm        token/gold daily vol    0.75 to 1.25       linear  0.5
``calm_turnover``          calm        volume / supply per day 1% to 10%          log     0.5
=========================  ==========  ======================  =================  ======  ======

Sources: Lyons & Viswanath-Natraj (arbitrage spreads of about 30 to 70 bp; premiums above 100 bp
under safe-haven demand, March 2020); Mohanty & Krishnamachari 2026 (deviation half-lives from
under 3 h to about 31 h); docs/model.md D4 (market makers withdraw when volatility breaches their
limits: the liquidity spiral, in a severe shock and not in calm markets); docs/model.md D5 (a gold
token should move with gold: its daily volatility near gold's). The spread and turnover ranges
are **assumptions**, not published figures (docs/model.md D3): gold tokens on major venues quote within a few tens
of bp, and trade about 1-10% of their market value a day (public 24 h volume over market cap of
PAXG and XAUT, 2024-2025); they carry half weight for that reason.

**Gold's own stylised facts** (volatility, fat tails, clustering; docs/model.md D5) are not targets:
the model does not generate gold prices, it replays the scenario's path (a bootstrap, a GARCH-t
simulation, a shaped shock or a dated replay), so they are properties of the scenario generators
(checked in :mod:`gramabm.scenarios`), not of any behavioural parameter. What the model does
generate is the **token's** price; ``calm_vol_ratio`` checks that it carries gold's volatility
rather than adding its own noise.

**Scores.** A target's statistic is measured on each seed's run; the simulated moment is the
mean over seeds on the target's scale (a geometric mean on the log scale). With ``s`` the scale
(identity or natural log):

* a **range** ``[lo, hi]`` has centre ``c = (s(lo) + s(hi)) / 2`` and tolerance
  ``tol = (s(hi) - s(lo)) / 2``; ``z = (s(m) - c) / tol``; within iff ``lo <= m <= hi``
  (``|z| <= 1``);
* **at least** ``lo`` (with a standardising ``width``): ``z = max(0, (s(lo) - s(m)) / width)``;
  within iff ``m >= lo``; **at most** ``hi``: ``z = max(0, (s(m) - s(hi)) / width)``.

A moment that could not be measured on any seed (no quote, no variation), or whose scenario
failed to run on some seed, gets ``z = MISSING_Z`` and counts as outside. On the log scale,
values below ``LOG_FLOOR_SHARE * lo`` are raised to it (a zero turnover must still have a
logarithm).

**Calibration scenarios** (:data:`CALIBRATION_SCENARIOS`; built on the **calibration period**,
the built-in history up to :data:`CALIBRATION_END`): ``calm`` is the ``baseline`` calm-regime
bootstrap; ``shock`` is ``adverse`` (the 1-in-10-year 5-day fall with its scripted market-maker
withdrawal; the half-life is fitted from the shock step on); ``severe`` replays January 1980
(gold's wildest weeks in the data) *without* scripted events, so any withdrawal is the makers'
own; ``safe_haven`` is calm gold with a ``safe_haven_demand`` event (the model's default
strength, 48 steps) from step 48. The **out-of-sample** set (:data:`OUT_OF_SAMPLE_SCENARIOS`)
rebuilds them on the later years (from :data:`OUT_OF_SAMPLE_START`), with the September 2011
replay as the severe shock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from gramabm.analysis.runs.halflife import FLAG_NO_MEAN_REVERSION, ar1_half_life
from gramabm.analysis.token import FACT_KEYS, MARKET_FACTS
from gramabm.errors import ConfigError

CALIBRATION_END: str = "2004-12-31"
"""Last day of the calibration period (the default learned policy's training rows end in 2004)."""

OUT_OF_SAMPLE_START: str = "2005-01-01"
"""First day of the later period used for the out-of-sample check."""

MISSING_Z: float = 10.0
"""Standardised distance of a moment that could not be measured."""

LOG_FLOOR_SHARE: float = 0.01
"""On the log scale, values are raised to at least this share of the target's lower bound."""

OBSERVED: str = "observed"
"""The scenario key of a **data target**: a fact ``gramabm validate`` measures on an observed token
series, matched by the model replaying the same gold period (:mod:`gramabm.calibration.observed`).
Its statistic is the fact's key (:data:`OBSERVED_STATISTICS`)."""

OBSERVED_STATISTICS: frozenset[str] = frozenset(FACT_KEYS) | {f.key for f in MARKET_FACTS}
"""The statistics of data targets: the facts of :func:`gramabm.analysis.token.token_facts` and
:func:`gramabm.analysis.token.market_facts`."""

Kind = Literal["range", "at_least", "at_most"]
Run = tuple[pd.DataFrame, Mapping[str, Any]] | None
"""One run: its per-step series and its metadata (``shock_step``, ``step_hours``), or None for a
run that failed."""


# --------------------------------------------------------------------------- statistics


def _floats(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _step_hours(meta: Mapping[str, Any]) -> float:
    hours = float(meta.get("step_hours", 1.0) or 1.0)
    if not hours > 0:
        raise ConfigError(f"step_hours must be > 0, got {hours!r}")
    return hours


def _shock_pos(ts: pd.DataFrame, meta: Mapping[str, Any]) -> int:
    shock = meta.get("shock_step")
    if shock is None:
        return 0
    return int(ts.index.searchsorted(int(shock), side="left"))


def median_spread_bp(ts: pd.DataFrame, meta: Mapping[str, Any]) -> float:
    """Median quoted bid-ask spread (bp) over the steps with a two-sided quote."""
    spread = _floats(ts["spread_bp"])
    spread = spread[np.isfinite(spread)]
    return float(np.median(spread)) if spread.size else math.nan


def median_abs_deviation_bp(ts: pd.DataFrame, meta: Mapping[str, Any]) -> float:
    """Median ``|deviation|`` (bp) over quoted steps."""
    dev = np.abs(_floats(ts["deviation_bp"]))
    dev = dev[np.isfinite(dev)]
    return float(np.median(dev)) if dev.size else math.nan


def half_life_hours(ts: pd.DataFrame, meta: Mapping[str, Any]) -> float:
    """AR(1) half-life (hours) of the deviation from the shock step to the end of the run.

    The whole run without a shock. A deviation that does not revert (``phi >= 1``) counts as a
    half-life of the whole fitting window; a half-life under half a step counts as half a step
    (the step length cannot resolve less). NaN when nothing can be fitted.
    """
    hours = _step_hours(meta)
    start = _shock_pos(ts, meta)
    fit = ar1_half_life(_floats(ts["deviation_bp"]), step_hours=hours, start=start)
    if fit.half_life_hours is None:
        if fit.flag == FLAG_NO_MEAN_REVERSION:
            return (len(ts) - start) * hours
        return math.nan
    return max(float(fit.half_life_hours), 0.5 * hours)


def worst_premium_bp(ts: pd.DataFrame, meta: Mapping[str, Any]) -> float:
    """Largest deviation (bp) of the run; negative if the token never traded above gold."""
    dev = _floats(ts["deviation_bp"])
    dev = dev[np.isfinite(dev)]
    return float(dev.max()) if dev.size else math.nan


def mm_withdrew(ts: pd.DataFrame, meta: Mapping[str, Any]) -> float:
    """1.0 if fewer market makers quoted at some step than at the first, else 0.0."""
    active = _floats(ts["mm_active"])
    active = active[np.isfinite(active)]
    if not active.size:
        return math.nan
    return float(active.min() < active[0])


def daily_vol_ratio(ts: pd.DataFrame, meta: Mapping[str, Any]) -> float:
    """Volatility of the token's daily log returns over gold's, on the same days.

    Prices are sampled once a day (every ``24 / step_hours`` steps, the token at its last known
    mid). NaN with fewer than three daily returns or a flat gold path.
    """
    per_day = max(1, round(24.0 / _step_hours(meta)))
    token = ts["token_mid"].ffill().bfill().to_numpy(dtype=np.float64)[::per_day]
    gold = _floats(ts["gold_value_usd"])[::per_day]
    ok = np.isfinite(token) & np.isfinite(gold) & (token > 0) & (gold > 0)
    if ok.sum() < 4 or not ok.all():
        return math.nan
    r_token = np.diff(np.log(token))
    r_gold = np.diff(np.log(gold))
    sd_gold = float(np.std(r_gold))
    if not sd_gold > 0:
        return math.nan
    return float(np.std(r_token)) / sd_gold


def turnover_per_day(ts: pd.DataFrame, meta: Mapping[str, Any]) -> float:
    """Traded tokens per day as a fraction of the mean supply."""
    hours = _step_hours(meta)
    days = len(ts) * hours / 24.0
    supply = float(np.nanmean(_floats(ts["supply_tokens"])))
    if not (days > 0 and supply > 0):
        return math.nan
    return float(np.nansum(_floats(ts["volume_tokens"]))) / supply / days


STATISTICS: dict[str, Callable[[pd.DataFrame, Mapping[str, Any]], float]] = {
    "median_spread_bp": median_spread_bp,
    "median_abs_deviation_bp": median_abs_deviation_bp,
    "half_life_hours": half_life_hours,
    "worst_premium_bp": worst_premium_bp,
    "mm_withdrew": mm_withdrew,
    "daily_vol_ratio": daily_vol_ratio,
    "turnover_per_day": turnover_per_day,
}
"""Statistics by name: ``f(timeseries, meta) -> float`` (NaN when not measurable)."""


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One calibration target (see the module docstring for the scoring).

    Args:
        name: Identifier (CSV and report key).
        scenario: Key of the calibration scenario it is measured on.
        statistic: Key of :data:`STATISTICS`.
        kind: ``"range"``, ``"at_least"`` or ``"at_most"``.
        lo: Lower bound (range, at least).
        hi: Upper bound (range, at most).
        width: Standardising width of a one-sided target, on its scale.
        log: Score on the natural-log scale (for quantities spanning orders of magnitude).
        magnitude: Score each seed's absolute value: a size rule (a supply change of at most 15%
            either way), where seeds at -23% and +27% must not average to +2%.
        weight: Weight in the objective (>= 0).
        unit: Unit shown in reports (``"bp"``, ``"h"``, ``""``).
        description: What is measured, in words.
        source: Where the target comes from.
    """

    name: str
    scenario: str
    statistic: str
    kind: Kind
    lo: float | None = None
    hi: float | None = None
    width: float | None = None
    log: bool = False
    magnitude: bool = False
    weight: float = 1.0
    unit: str = ""
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        known = OBSERVED_STATISTICS if self.scenario == OBSERVED else STATISTICS
        if self.statistic not in known:
            raise ConfigError(f"target {self.name}: unknown statistic {self.statistic!r}")
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ConfigError(f"target {self.name}: weight must be >= 0, got {self.weight!r}")
        needs = {"range": ("lo", "hi"), "at_least": ("lo", "width"), "at_most": ("hi", "width")}
        if self.kind not in needs:
            raise ConfigError(f"target {self.name}: unknown kind {self.kind!r}")
        for attr in needs[self.kind]:
            value = getattr(self, attr)
            if value is None or not math.isfinite(value):
                raise ConfigError(f"target {self.name}: a {self.kind} target needs a finite {attr}")
        if self.width is not None and not self.width > 0:
            raise ConfigError(f"target {self.name}: width must be > 0, got {self.width!r}")
        if self.kind == "range" and not self.lo < self.hi:  # type: ignore[operator]
            raise ConfigError(f"target {self.name}: lo must be below hi")
        if self.log:
            bound = self.lo if self.lo is not None else self.hi
            if not (bound is not None and bound > 0 and (self.hi is None or self.hi > 0)):
                raise ConfigError(f"target {self.name}: a log-scale target needs positive bounds")

    @property
    def origin(self) -> str:
        """``"data"`` for a fact measured on an observed series, ``"literature"`` otherwise."""
        return "data" if self.scenario == OBSERVED else "literature"

    # --- the scale ------------------------------------------------------------------------
    def _floor(self) -> float:
        bound = self.lo if self.lo is not None else self.hi
        return LOG_FLOOR_SHARE * float(bound)  # type: ignore[arg-type]

    def scaled(self, value: float) -> float:
        """``value`` on the target's scale (log values floored, see the module docstring)."""
        if not self.log:
            return float(value)
        return math.log(max(float(value), self._floor()))

    def aggregate(self, values: Sequence[float]) -> float:
        """The simulated moment: the seeds' mean on the target's scale (of sizes if ``magnitude``).

        Args:
            values: One value per seed (NaN for a seed where it was not measurable).

        Returns:
            The mean in natural units (a geometric mean on the log scale); NaN if no seed
            measured it.
        """
        finite = [abs(float(v)) if self.magnitude else float(v) for v in values if math.isfinite(v)]
        if not finite:
            return math.nan
        mean = float(np.mean([self.scaled(v) for v in finite]))
        return math.exp(mean) if self.log else mean

    @property
    def centre(self) -> float | None:
        """Centre of a range target on its scale (None for one-sided targets)."""
        if self.kind != "range":
            return None
        return (self.scaled(self.lo) + self.scaled(self.hi)) / 2  # type: ignore[arg-type]

    @property
    def tolerance(self) -> float:
        """Half-width of a range, or the width of a one-sided target, on its scale."""
        if self.kind == "range":
            return (self.scaled(self.hi) - self.scaled(self.lo)) / 2  # type: ignore[arg-type]
        return float(self.width)  # type: ignore[arg-type]

    def z(self, value: float) -> float:
        """Standardised distance of a simulated moment from the target."""
        if not math.isfinite(value):
            return MISSING_Z
        s = self.scaled(value)
        if self.kind == "range":
            return (s - self.centre) / self.tolerance  # type: ignore[operator]
        if self.kind == "at_least":
            return max(0.0, (self.scaled(self.lo) - s) / self.tolerance)  # type: ignore[arg-type]
        return max(0.0, (s - self.scaled(self.hi)) / self.tolerance)  # type: ignore[arg-type]

    def within(self, value: float) -> bool:
        """Whether a simulated moment meets the target."""
        if not math.isfinite(value):
            return False
        if self.kind == "range":
            return self.lo <= value <= self.hi  # type: ignore[operator]
        if self.kind == "at_least":
            return value >= self.lo  # type: ignore[operator]
        return value <= self.hi  # type: ignore[operator]

    def target_text(self) -> str:
        """The target in words: ``"30 to 70 bp"``, ``"at least 100 bp"``."""
        unit = f" {self.unit}" if self.unit else ""
        if self.kind == "range":
            return f"{format_number(self.lo)} to {format_number(self.hi)}{unit}"
        if self.kind == "at_least":
            return f"at least {format_number(self.lo)}{unit}"
        return f"at most {format_number(self.hi)}{unit}"

    def verdict(self, value: float) -> str:
        """A plain sentence on whether the simulated moment meets the target, and by how much."""
        unit = f" {self.unit}" if self.unit else ""
        if not math.isfinite(value):
            return f"{self.name}: could not be measured on any seed (counted as outside)."
        shown = f"{format_number(value)}{unit}"
        if self.within(value):
            return f"{self.name}: {shown} is within the target ({self.target_text()})."
        low = self.lo is not None and value < self.lo
        if low:
            gap = f"{format_number(self.lo - value)}{unit} below"  # type: ignore[operator]
            edge = format_number(self.lo)
        else:
            gap = f"{format_number(value - self.hi)}{unit} above"  # type: ignore[operator]
            edge = format_number(self.hi)
        return (
            f"{self.name}: {shown} is OUTSIDE the target ({self.target_text()}): "
            f"{gap} its bound of {edge}{unit}."
        )


def format_number(value: float | None) -> str:
    """A number for reports: 3 significant digits, thousands separated, no exponent."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


TARGETS: tuple[Target, ...] = (
    Target(
        "calm_abs_deviation_bp",
        "calm",
        "median_abs_deviation_bp",
        "range",
        lo=30.0,
        hi=70.0,
        unit="bp",
        description="median |deviation| of the token from its gold value in calm markets",
        source="Lyons & Viswanath-Natraj: arbitrage spreads of about 30 to 70 bp",
    ),
    Target(
        "shock_half_life_hours",
        "shock",
        "half_life_hours",
        "range",
        lo=3.0,
        hi=31.0,
        log=True,
        unit="h",
        description="AR(1) half-life of the deviation after the adverse shock",
        source="Mohanty & Krishnamachari 2026: under 3 h (USDT, May 2022) to about 31 h "
        "(USDT, July 2023)",
    ),
    Target(
        "safe_haven_premium_bp",
        "safe_haven",
        "worst_premium_bp",
        "at_least",
        lo=100.0,
        width=50.0,
        unit="bp",
        description="largest premium under safe-haven demand",
        source="Lyons & Viswanath-Natraj: premiums above 100 bp under safe-haven demand "
        "(March 2020)",
    ),
    Target(
        "severe_mm_withdrawal",
        "severe",
        "mm_withdrew",
        "at_least",
        lo=1.0,
        width=0.5,
        description="share of seeds in which market makers withdraw on their own in a severe "
        "shock (no scripted withdrawal)",
        source="docs/model.md D4: makers withdraw when volatility or losses breach their limits "
        "(the liquidity spiral); BIS WP 1164: large shocks break convertibility",
    ),
    Target(
        "calm_mm_withdrawal",
        "calm",
        "mm_withdrew",
        "at_most",
        hi=0.0,
        width=0.5,
        description="share of seeds in which market makers withdraw in calm markets",
        source="docs/model.md D4: withdrawal is a stress response, absent in calm markets",
    ),
    Target(
        "calm_spread_bp",
        "calm",
        "median_spread_bp",
        "range",
        lo=5.0,
        hi=40.0,
        log=True,
        weight=0.5,
        unit="bp",
        description="median quoted bid-ask spread in calm markets",
        source="assumption (not a published figure; docs/model.md D3): gold tokens on major venues quote within a few "
        "tens of bp",
    ),
    Target(
        "calm_vol_ratio",
        "calm",
        "daily_vol_ratio",
        "range",
        lo=0.75,
        hi=1.25,
        weight=0.5,
        description="volatility of the token's daily returns over gold's in calm markets",
        source="docs/model.md D5: a gold token carries gold's volatility (tolerance assumed)",
    ),
    Target(
        "calm_turnover",
        "calm",
        "turnover_per_day",
        "range",
        lo=0.01,
        hi=0.10,
        log=True,
        weight=0.5,
        description="traded volume per day as a share of supply in calm markets",
        source="assumption (not a published figure; docs/model.md D3): public 24 h volume over market cap of PAXG "
        "and XAUT, 2024-2025",
    ),
)
"""The calibration targets (the table of the module docstring)."""

STRESS_TARGETS: tuple[Target, ...] = tuple(
    t
    for t in TARGETS
    if t.name in ("shock_half_life_hours", "safe_haven_premium_bp", "severe_mm_withdrawal")
)
"""The literature targets a calm observed series cannot show: how the token behaves in shocks and
under safe-haven demand. A fit on observed data (``gramabm calibrate --observed``) keeps these
beside its data targets; the calm literature targets give way to the facts measured on the data."""


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class ScenarioSpec:
    """A calibration scenario: a catalogue scenario, its parameters and its length.

    Args:
        scenario: Catalogue name (``gramabm scenarios list``).
        steps: Steps to run.
        params: Scenario parameters (``scenario_params`` of the configuration).
        description: What it stands for.
    """

    scenario: str
    steps: int
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def scaled(self, factor: float, minimum: int = 96) -> ScenarioSpec:
        """The same scenario over ``factor`` times the steps (at least ``minimum``)."""
        if not factor > 0:
            raise ConfigError(f"steps scale must be > 0, got {factor!r}")
        steps = max(minimum, round(self.steps * factor))
        return ScenarioSpec(self.scenario, steps, dict(self.params), self.description)


_SAFE_HAVEN = ScenarioSpec(
    "drop",
    168,
    {"severity": 0.0, "shock_step": 48, "events": [(0, "safe_haven_demand", {"steps": 48})]},
    "calm gold; safe-haven buying (the model's default strength) for 48 steps from step 48",
)

CALIBRATION_SCENARIOS: dict[str, ScenarioSpec] = {
    "calm": ScenarioSpec("baseline", 336, {}, "calm-regime bootstrap of the calibration period"),
    "shock": ScenarioSpec(
        "adverse", 336, {}, "1-in-10-year 5-day fall with the scripted market-maker withdrawal"
    ),
    "severe": ScenarioSpec("replay_jan_1980", 336, {}, "January 1980 replayed, no scripted events"),
    "safe_haven": _SAFE_HAVEN,
}
"""Scenarios of the calibration period, by key."""

OUT_OF_SAMPLE_SCENARIOS: dict[str, ScenarioSpec] = {
    "calm": ScenarioSpec("baseline", 336, {}, "calm-regime bootstrap of the later years"),
    "shock": ScenarioSpec(
        "adverse", 336, {}, "1-in-10-year 5-day fall of the later years' tail fit"
    ),
    "severe": ScenarioSpec(
        "replay_sep_2011", 336, {}, "September 2011 replayed, no scripted events"
    ),
    "safe_haven": _SAFE_HAVEN,
}
"""Scenarios of the later period, by key (same keys, so the same targets apply)."""


def split_periods(prices: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The calibration period and the later period of a price series.

    The first runs to :data:`CALIBRATION_END`, the second from :data:`OUT_OF_SAMPLE_START`; each
    keeps the series' ``attrs`` (its source gains the period's name).

    Raises:
        ConfigError: Either period is empty.
    """
    early = prices.loc[:CALIBRATION_END].copy()
    late = prices.loc[OUT_OF_SAMPLE_START:].copy()
    if early.empty or late.empty:
        raise ConfigError(
            f"the data ({prices.index[0]:%Y-%m-%d} to {prices.index[-1]:%Y-%m-%d}) must cover "
            f"both the calibration period (to {CALIBRATION_END}) and the later one (from "
            f"{OUT_OF_SAMPLE_START})"
        )
    for part, label in ((early, "calibration period"), (late, "later period")):
        part.attrs = dict(prices.attrs)
        part.attrs["source"] = f"{prices.attrs.get('source', 'prices')} ({label})"
    return early, late


# --------------------------------------------------------------------------- moments


@dataclass(frozen=True)
class MomentResult:
    """One target measured over the seeds.

    Args:
        target: The target.
        values: The statistic on each seed's run, in seed order.
        simulated: The simulated moment (:meth:`Target.aggregate`).
        z: Its standardised distance (:meth:`Target.z`).
        within: Whether it meets the target.
    """

    target: Target
    values: tuple[float, ...]
    simulated: float
    z: float
    within: bool

    @property
    def verdict(self) -> str:
        """The plain sentence of :meth:`Target.verdict`."""
        return self.target.verdict(self.simulated)


def measure(target: Target, runs: Sequence[Run]) -> MomentResult:
    """Measure one target on its scenario's runs (one per seed).

    A seed whose run failed (None) has the value NaN, and then the whole moment counts as not
    measured: averaging over the seeds that survived would hide the failure.

    Args:
        target: The target.
        runs: ``(timeseries, meta)`` per seed, None for a failed run.

    Returns:
        The per-seed values, the simulated moment, ``z`` and the verdict.
    """
    statistic = STATISTICS[target.statistic]
    values = tuple(math.nan if run is None else float(statistic(*run)) for run in runs)
    failed = any(run is None for run in runs)
    simulated = math.nan if failed else target.aggregate(values)
    return MomentResult(target, values, simulated, target.z(simulated), target.within(simulated))


def simulated_moments(
    runs: Mapping[str, Sequence[Run]], targets: Sequence[Target] = TARGETS
) -> tuple[MomentResult, ...]:
    """Measure every target on the runs of its scenario.

    Args:
        runs: Runs by scenario key.
        targets: The targets.

    Returns:
        One result per target, in order.

    Raises:
        ConfigError: A target's scenario has no runs.
    """
    out = []
    for target in targets:
        if target.scenario not in runs or not runs[target.scenario]:
            raise ConfigError(f"target {target.name}: no runs of scenario {target.scenario!r}")
        out.append(measure(target, runs[target.scenario]))
    return tuple(out)


def weighted_loss(moments: Sequence[MomentResult]) -> float:
    """The objective: ``sum(w * z**2) / sum(w)`` (1.0 = every target at its tolerance's edge).

    Raises:
        ConfigError: Every weight is zero.
    """
    total = sum(m.target.weight for m in moments)
    if not total > 0:
        raise ConfigError("the targets' weights sum to zero")
    return float(sum(m.target.weight * m.z * m.z for m in moments) / total)
