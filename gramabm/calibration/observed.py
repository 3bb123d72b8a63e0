"""Data targets: a calibration fitted to the facts ``gramabm validate`` measures on a real token.

:func:`observed_fit` measures the observed token's facts over the fit period exactly as
``gramabm validate`` does (:func:`gramabm.validate.study.observed_facts`) and turns each of
``validate``'s rules (:data:`~gramabm.validate.tolerances.TOLERANCES`) into a **data target**
(:func:`data_target`): the observed value is the target and the rule's tolerance is the scale of
its standardised distance, so ``|z| <= 1`` is "``validate`` would pass it":

=====================  ==============================================  =====================
rule                   target                                          ``z``
=====================  ==============================================  =====================
within ±r of observed  range ``observed × (1 ± r)``                    ``(sim − obs) / (r·|obs|)``
within ±p points       range ``observed ± p``                          ``(sim − obs) / p``
< 0 and within ±d      range ``observed − d`` to ``min(observed + d, 0)``  distance from its centre
>= b (a share)         at least ``b``                                  shortfall / ``(1 − b)``
<= b                   at most ``b``                                   excess / ``b``
|value| <= b           range ``−b`` to ``b``                           ``sim / b``
=====================  ==============================================  =====================

A rule whose observed value the data cannot give (no supply column, say) is left out and listed
(:attr:`ObservedFit.skipped`), never replaced by a number.

**One evaluation** of the data targets (:meth:`ObservedFit.measure`) replays the gold path through
the model with :func:`gramabm.validate.study.replay_runs`, once per seed (the same seeds every
time: common random numbers), and measures each seed with
:func:`gramabm.validate.study.seed_run`, the code ``validate`` uses. By default it replays the
whole fit period; with ``windows`` it replays a **sample of windows** of it
(:func:`sample_windows`: one window in each of ``windows`` equal slices of the period, drawn once
from the search seed and reused by every evaluation) and measures each seed's windows pooled as
one token with gaps. The simulated moment is the mean over seeds. The final verdict is not this
sample: it is a full ``validate`` run of the best parameters (:func:`verdict`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gramabm.analysis.token import FACTS, MARKET_FACTS, TokenFacts
from gramabm.analysis.token.facts import median_daily_volume_usd
from gramabm.calibration.moments import OBSERVED, MomentResult, Target, format_number
from gramabm.config import ModelConfig
from gramabm.errors import ConfigError, GramabmError
from gramabm.validate.study import (
    ReplayPlan,
    ValidationResult,
    observed_facts,
    plan_replay,
    replay_runs,
    seed_run,
    validate,
)
from gramabm.validate.tolerances import TOLERANCES, Tolerance
from gramabm.validate.venue import has_volume, scale_between, scaled_venue, traded_value_usd

_LABELS: dict[str, tuple[str, str, str]] = {
    **{f.key: (f.label, f.unit, f.meaning) for f in FACTS},
    **{f.key: (f.label, f.unit, f.meaning) for f in MARKET_FACTS},
}


@dataclass(frozen=True)
class Window:
    """A stretch of the fit period replayed by every evaluation (first and last day, whole)."""

    start: pd.Timestamp
    end: pd.Timestamp

    def text(self) -> str:
        """``"2021-03-08 to 2021-04-06"``."""
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def sample_windows(
    first: pd.Timestamp, last: pd.Timestamp, count: int, days: int, seed: int
) -> tuple[Window, ...]:
    """``count`` windows of ``days`` days, one in each equal slice of ``first`` .. ``last``.

    Each window starts on a weekday (so its replay starts on its first day and windows never
    overlap), drawn uniformly within its slice from ``seed``: the same seed, the same windows.

    Raises:
        ConfigError: A count or length below one, or slices too short for a window.
    """
    if count < 1 or days < 1:
        raise ConfigError(f"windows and window days must be >= 1, got {count} and {days}")
    first, last = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    total = (last - first).days + 1
    slice_days = total // count
    if slice_days < days + 2:
        raise ConfigError(
            f"{count} windows of {days} days do not fit in {total} days "
            f"({first.date()} to {last.date()}) with room to draw them: use fewer or shorter ones"
        )
    rng = np.random.default_rng(seed)
    windows = []
    for k in range(count):
        begin = first + pd.Timedelta(days=k * slice_days)
        starts = pd.bdate_range(begin, begin + pd.Timedelta(days=slice_days - days))
        start = starts[int(rng.integers(len(starts)))]
        windows.append(Window(start, start + pd.Timedelta(days=days - 1)))
    return tuple(windows)


def data_target(rule: Tolerance, facts: TokenFacts) -> Target | str:
    """The data target of one ``validate`` rule (see the module docstring), or why there is none.

    Args:
        rule: The rule.
        facts: The observed token's facts over the fit period.

    Returns:
        The target, or a sentence saying why the rule cannot be a target on these data.
    """
    label, unit, meaning = _LABELS[rule.fact]
    observed = float(facts.values.get(rule.fact, math.nan))
    b = rule.bound
    period = f"{facts.period[0]} to {facts.period[1]}"
    shown = f"{format_number(observed)}{' ' + unit if unit else ''}"
    source = f"observed: {facts.source}, {period}: {shown}; validate: {rule.text()}"
    kw: dict[str, Any] = {
        "unit": unit,
        "description": f"{label}: {meaning}",
        "source": source,
    }
    needs_observed = rule.rule in ("relative", "points", "negative_within")
    if needs_observed and not math.isfinite(observed):
        return f"{rule.fact}: the observed series cannot give it (no value over {period})"
    if rule.rule == "relative":
        if observed == 0:
            return f"{rule.fact}: observed 0, so a relative tolerance has no width"
        lo, hi = sorted((observed * (1 - b), observed * (1 + b)))
        return Target(rule.fact, OBSERVED, rule.fact, "range", lo=lo, hi=hi, **kw)
    if rule.rule == "points":
        return Target(
            rule.fact, OBSERVED, rule.fact, "range", lo=observed - b, hi=observed + b, **kw
        )
    if rule.rule == "negative_within":
        lo, hi = observed - b, min(observed + b, 0.0)
        if not lo < hi:
            return f"{rule.fact}: observed {shown}, so no value is both < 0 and within ±{b:g}"
        return Target(rule.fact, OBSERVED, rule.fact, "range", lo=lo, hi=hi, **kw)
    kw["source"] = f"validate's rule on the simulation alone: {rule.text()}"
    if rule.rule == "at_least":
        width = 1.0 - b if 0 < b < 1 else abs(b) or 1.0  # a share: the room the bound leaves
        return Target(rule.fact, OBSERVED, rule.fact, "at_least", lo=b, width=width, **kw)
    # at_most, or abs_at_most: a size rule, scored on each seed's size as validate judges it.
    return Target(
        rule.fact,
        OBSERVED,
        rule.fact,
        "at_most",
        hi=b,
        width=b if b > 0 else 1.0,
        magnitude=rule.rule == "abs_at_most",
        **kw,
    )


@dataclass(frozen=True)
class ObservedFit:
    """The data side of a calibration: the observed facts, the targets and the replays.

    Attributes:
        candles: The observed token's candles.
        gold: The daily gold fixes.
        plan: The replay of the whole fit period (the days compared).
        facts: The observed token's facts over it.
        targets: The data targets.
        skipped: ``validate`` rules left out, with the reason.
        seeds: Model seeds of every evaluation.
        windows: The windows every evaluation replays (empty: the whole fit period).
        window_seed: The seed the windows were drawn from (None without windows).
        workers: Processes running seeds at once.
    """

    candles: pd.DataFrame = field(repr=False)
    gold: pd.Series = field(repr=False)
    plan: ReplayPlan
    facts: TokenFacts = field(repr=False)
    targets: tuple[Target, ...]
    skipped: tuple[str, ...]
    seeds: tuple[int, ...]
    windows: tuple[Window, ...] = ()
    window_seed: int | None = None
    workers: int = 1

    @property
    def period(self) -> str:
        """The fit period, ``"2021-01-01 to 2023-12-31"``."""
        return f"{self.plan.compare_from:%Y-%m-%d} to {self.plan.last:%Y-%m-%d}"

    @property
    def venue_volume_usd(self) -> float:
        """The observed venue's median daily traded value over the fit period (NaN: no volume).

        The fitted configuration describes a venue of this size; ``validate`` sizes another venue
        against it (:mod:`gramabm.validate.venue`).
        """
        return traded_value_usd(self.facts)

    def window_scale(self, plan: ReplayPlan) -> float:
        """The venue scale of one window: its own traded value against the whole fit period's.

        The fitted settings describe the fit period's venue; a window where the token traded less
        replays a thinner venue, exactly as ``validate`` sizes any period
        (:mod:`gramabm.validate.venue`). 1 without volume or without windows.
        """
        whole = self.venue_volume_usd
        if not self.windows or not has_volume(whole):
            return 1.0
        days = self.candles.loc[plan.compare_from : plan.last + pd.Timedelta(hours=23)]
        window = median_daily_volume_usd(days)
        return scale_between(window, whole) if has_volume(window) else 1.0

    @property
    def sample_text(self) -> str:
        """What every evaluation replays, in words."""
        if not self.windows:
            return f"the whole fit period ({self.period})"
        days = (self.windows[0].end - self.windows[0].start).days + 1
        return (
            f"{len(self.windows)} windows of {days} days drawn from seed {self.window_seed}: "
            + "; ".join(
                f"{w.text()} (venue x{self.window_scale(plan):.2f})"
                for w, plan in zip(self.windows, self.plans(), strict=True)
            )
        )

    def plans(self) -> tuple[ReplayPlan, ...]:
        """The replays of one evaluation."""
        if not self.windows:
            return (self.plan,)
        return tuple(plan_replay(self.candles, self.gold, w.start, w.end) for w in self.windows)

    def measure(self, config: ModelConfig) -> tuple[tuple[MomentResult, ...], tuple[str, ...]]:
        """Replay the sample once per seed with ``config`` and measure the data targets.

        A replay that stops on one of the kit's errors leaves every data target not measured
        (``z`` = :data:`~gramabm.calibration.moments.MISSING_Z`) and its message is returned.

        Returns:
            One result per target, and the failures' messages.
        """
        parts: dict[int, list[pd.DataFrame]] = {s: [] for s in self.seeds}
        try:
            for plan in self.plans():
                sized = scaled_venue(config, self.window_scale(plan))
                _, series = replay_runs(sized, self.gold, plan, self.seeds, workers=self.workers)
                for s in self.seeds:
                    parts[s].append(series[s])
            runs = [seed_run(s, parts[s], config.holders.n, self.candles) for s in self.seeds]
        except GramabmError as exc:
            missing = tuple(
                MomentResult(t, (math.nan,) * len(self.seeds), math.nan, t.z(math.nan), False)
                for t in self.targets
            )
            return missing, (f"{OBSERVED} replay: {type(exc).__name__}: {exc}",)
        moments = []
        for target in self.targets:
            values = tuple(float(r.value(target.statistic)) for r in runs)
            simulated = target.aggregate(values)
            moments.append(
                MomentResult(
                    target, values, simulated, target.z(simulated), target.within(simulated)
                )
            )
        return tuple(moments), ()


def observed_fit(
    candles: pd.DataFrame,
    gold: pd.Series,
    *,
    seeds: Sequence[int],
    start: Any = None,
    end: Any = None,
    windows: int = 0,
    window_days: int = 30,
    window_seed: int = 0,
    workers: int = 1,
    tolerances: Sequence[Tolerance] = TOLERANCES,
) -> ObservedFit:
    """The data side of a calibration on an observed token over ``start`` .. ``end``.

    Args:
        candles: The observed token's candles.
        gold: Daily gold fixes covering the period.
        seeds: Model seeds of every evaluation.
        start: First day of the fit period (default: where token and gold data both begin).
        end: Last day (default: where both end).
        windows: Windows every evaluation replays (0: the whole fit period).
        window_days: Days per window.
        window_seed: Seed the windows are drawn from (the search seed).
        workers: Processes running seeds at once.
        tolerances: ``validate``'s rules.

    Raises:
        DataValidationError: No period both series cover.
        ConfigError: No seed, no rule the data can give, or windows that do not fit.
    """
    if not seeds:
        raise ConfigError("a calibration needs at least one seed")
    plan = plan_replay(candles, gold, start, end)
    facts = observed_facts(candles, gold, plan)
    targets: list[Target] = []
    skipped: list[str] = []
    for rule in tolerances:
        made = data_target(rule, facts)
        if isinstance(made, str):
            skipped.append(made)
        else:
            targets.append(made)
    if not targets:
        raise ConfigError(f"no data target: {'; '.join(skipped)}")
    chosen: tuple[Window, ...] = ()
    if windows:
        chosen = sample_windows(plan.compare_from, plan.last, windows, window_days, window_seed)
    return ObservedFit(
        candles,
        gold,
        plan,
        facts,
        tuple(targets),
        tuple(skipped),
        tuple(seeds),
        chosen,
        window_seed if windows else None,
        workers,
    )


def verdict(
    fit: ObservedFit,
    config: ModelConfig,
    *,
    seeds: Sequence[int],
    start: Any = None,
    end: Any = None,
    workers: int = 1,
    progress: Callable[[str, float], None] | None = None,
) -> ValidationResult:
    """A full ``validate`` run of ``config`` on the observed token over ``start`` .. ``end``."""
    return validate(
        fit.candles,
        fit.gold,
        config,
        seeds=seeds,
        start=start,
        end=end,
        workers=workers,
        progress=progress,
    )
