"""Replay an observed token's gold period through the model and compare the token's facts.

:func:`validate` takes an observed token's candles and the gold fix series, replays that period's
gold (the ``replay:<start>:<end>`` scenario: the historical fixes, a seeded intraday path between
them) through the model once per seed, measures each simulated token with the same
:func:`~gramabm.analysis.token.token_facts` as the observed one, and judges each fact against
:data:`~gramabm.validate.tolerances.TOLERANCES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from gramabm.analysis.token import (
    FACTS,
    MARKET_FACTS,
    TokenFacts,
    candles_from_run,
    daily_candles,
    fixes_from_run,
    market_facts,
    token_facts,
)
from gramabm.config import ModelConfig
from gramabm.errors import DataValidationError
from gramabm.validate.defaults import DEFAULT_SEEDS, FIRM_AGREEMENT
from gramabm.validate.tick import TickReading, observed_ticks, read_tick
from gramabm.validate.tolerances import BY_FACT, TOLERANCES, Tolerance
from gramabm.validate.venue import (
    NOT_SCALED,
    VenueScale,
    VenueSizing,
    scaled_venue,
    traded_value_usd,
    venue_sizing,
)

RUN_COLUMNS: tuple[str, ...] = (
    "timestamp",
    "gold_usd_oz",
    "is_fix",
    "token_last",
    "token_high",
    "token_low",
    "token_mid",
    "token_bid",
    "token_ask",
    "volume_tokens",
    "supply_tokens",
    "holders_panicked",
    "circuit_breaker",
)
"""The per-step columns the comparison reads from each run."""


@dataclass
class SeedRun:
    """One simulated seed: its token facts, its run-only facts and its run's series."""

    seed: int
    facts: TokenFacts
    market: dict[str, float]
    timeseries: pd.DataFrame = field(repr=False)

    def value(self, key: str) -> float:
        """A fact of this seed, token or run-only."""
        return self.market[key] if key in self.market else self.facts.values[key]


@dataclass
class ValidationResult:
    """Observed against simulated: the facts, the table and the verdicts."""

    observed: TokenFacts
    runs: list[SeedRun]
    scenario: str
    start: str
    end: str
    config: dict[str, Any]
    tolerances: tuple[Tolerance, ...] = TOLERANCES
    venue: VenueSizing = NOT_SCALED
    tick: TickReading | None = None
    table: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.table = comparison_table(self.observed, self.runs, self.tolerances)

    @property
    def failed(self) -> list[str]:
        """Facts whose verdict is ``fail``."""
        return list(self.table.index[self.table["verdict"] == "fail"])

    @property
    def unjudged(self) -> list[str]:
        """Facts with a rule that the observed series cannot show (verdict ``not judged``)."""
        return list(self.table.index[self.table["verdict"] == "not judged"])

    @property
    def uncertain(self) -> list[str]:
        """Judged facts whose verdict the seeds' spread leaves open (agreement below the firm share)."""
        return list(self.table.index[self.table["agreement"] < FIRM_AGREEMENT])

    @property
    def status(self) -> str:
        """The verdict in words: what failed, what is uncertain, what the data could not judge."""
        text = (
            "every judged fact passes" if not self.failed else "failed: " + ", ".join(self.failed)
        )
        if self.uncertain:
            shares = self.table.loc[self.uncertain, "agreement"]
            text += f"; uncertain with {len(self.runs)} seeds (run more): " + ", ".join(
                f"{fact} ({self.table.at[fact, 'verdict']} in {share:.0%} of resampled medians)"
                for fact, share in shares.items()
            )
        if self.unjudged:
            text += "; not judged (the observed series cannot show them): " + ", ".join(
                self.unjudged
            )
        return text

    @property
    def tick_note(self) -> str | None:
        """Why the hourly facts may compare unlike venues (a coarse observed tick), or None."""
        if self.tick is None:
            return None
        ticks = [float(self.config.get("tick_usd_oz", 0.0))]
        ticks += [float(t) for t in self.config.get("tick_changes", {}).values()]
        return self.tick.note(max(ticks))

    @property
    def exit_status(self) -> int:
        """0 when every judged fact passes, 1 when some fail."""
        return 1 if self.failed else 0


def comparison_table(
    observed: TokenFacts, runs: Sequence[SeedRun], tolerances: Sequence[Tolerance] = TOLERANCES
) -> pd.DataFrame:
    """One row per fact: observed, the seeds' min / median / max, the rule and the verdict."""
    rules = {t.fact: t for t in tolerances}
    rows = []
    entries = [(f.key, f.label, f.unit) for f in FACTS] + [
        (f.key, f.label, f.unit) for f in MARKET_FACTS
    ]
    for key, label, unit in entries:
        obs = observed.values.get(key, math.nan)
        sims = np.array([r.value(key) for r in runs], float)
        finite = sims[np.isfinite(sims)]
        median = float(np.median(finite)) if len(finite) else math.nan
        rule = rules.get(key)
        passing, verdict, agreement = math.nan, "", math.nan
        if rule is not None and rule.compares and math.isnan(obs):
            # A rule against the observed value cannot judge a fact the data cannot show (hourly
            # facts of a daily series): "not judged", neither pass nor fail, and said so.
            verdict = "not judged"
        elif rule is not None:
            passing = int(sum(rule.passes(float(v), obs) for v in sims))
            verdict = "pass" if rule.passes(rule.judged(sims), obs) else "fail"
            agreement = rule.agreement(sims, obs)
        row: dict[str, Any] = {
            "fact": key,
            "label": label,
            "unit": unit,
            "observed": obs,
            "sim_min": float(finite.min()) if len(finite) else math.nan,
            "sim_median": median,
            "sim_max": float(finite.max()) if len(finite) else math.nan,
            "tolerance": rule.text() if rule else "",
            "seeds_passing": passing,
            "verdict": verdict,
            "agreement": agreement,
        }
        rows.append(row)
    return pd.DataFrame(rows).set_index("fact")


def replay_period(
    observed: pd.DataFrame, gold: pd.Series, start: Any = None, end: Any = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days to compare: the asked range within the observed token's and the gold data's.

    Raises:
        DataValidationError: The ranges do not overlap, or the range is reversed.
    """
    source = str(observed.attrs.get("source", "token"))
    lo = max(observed.index[0].normalize(), gold.index[0].normalize() + pd.Timedelta(days=1))
    hi = min(observed.index[-1].normalize(), gold.index[-1].normalize())
    first = max(lo, pd.Timestamp(start).normalize()) if start is not None else lo
    last = min(hi, pd.Timestamp(end).normalize()) if end is not None else hi
    if last < first:
        raise DataValidationError(
            source,
            f"no period to compare: the token covers {observed.index[0].date()} to "
            f"{observed.index[-1].date()}, the gold data {gold.index[0].date()} to "
            f"{gold.index[-1].date()}, and the range asked is {start or '…'} to {end or '…'}",
        )
    return first, last


@dataclass(frozen=True)
class ReplayPlan:
    """The replay of one period: the days compared and the configuration that runs them.

    Attributes:
        scenario: The ``replay:<first>:<last>`` scenario name.
        compare_from: First day compared (the replay's first day: the day after the last fix
            before ``first``, which may be a few days earlier than asked).
        last: Last day compared.
        steps: Steps of the run (to the end of ``last``).
    """

    scenario: str
    compare_from: pd.Timestamp
    last: pd.Timestamp
    steps: int


def plan_replay(observed: pd.DataFrame, gold: pd.Series, start: Any, end: Any) -> ReplayPlan:
    """The replay of the asked period within the observed token's and the gold data's ranges.

    Raises:
        DataValidationError: The ranges do not overlap, or the range is reversed.
        ConfigError: The replay cannot be built from the gold data.
    """
    from gramabm.scenarios.replay import Replay

    first, last = replay_period(observed, gold, start, end)
    replay = Replay(gold, first, last)
    return ReplayPlan(
        f"replay:{first.date()}:{last.date()}", replay.start.normalize(), last, replay.default_steps
    )


def observed_facts(observed: pd.DataFrame, gold: pd.Series, plan: ReplayPlan) -> TokenFacts:
    """The observed token's facts over the days a replay compares."""
    return token_facts(observed, gold, start=plan.compare_from, end=plan.last)


def _run_seed(config: dict[str, Any], seed: int, gold: pd.Series) -> pd.DataFrame:
    """One run of the replay; only the columns the comparison reads come back."""
    from gramabm.config import build_config
    from gramabm.simulation import simulate

    output = simulate(build_config(config), seed, prices=gold)
    return output.result.timeseries[list(RUN_COLUMNS)].copy()


def replay_runs(
    config: ModelConfig,
    gold: pd.Series,
    plan: ReplayPlan,
    seeds: Sequence[int],
    *,
    workers: int = 1,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[dict[str, Any], dict[int, pd.DataFrame]]:
    """Run the replay once per seed.

    Returns:
        The configuration that ran (JSON-ready) and each seed's per-step series
        (:data:`RUN_COLUMNS`).
    """
    cfg = config.with_updates({"scenario": plan.scenario, "steps": plan.steps})
    dumped = cfg.model_dump(mode="json")
    series: dict[int, pd.DataFrame] = {}
    if workers > 1 and len(seeds) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(seeds))) as pool:
            futures = {s: pool.submit(_run_seed, dumped, s, gold) for s in seeds}
            for i, (s, fut) in enumerate(futures.items()):
                series[s] = fut.result()
                if progress is not None:
                    progress(f"seed {s}", (i + 1) / len(seeds))
    else:
        for i, s in enumerate(seeds):
            series[s] = _run_seed(dumped, s, gold)
            if progress is not None:
                progress(f"seed {s}", (i + 1) / len(seeds))
    return dumped, series


def seed_run(
    seed: int, parts: Sequence[pd.DataFrame], n_holders: int, observed: pd.DataFrame
) -> SeedRun:
    """One seed's facts, measured on its run (or on several runs of disjoint periods, pooled).

    Pooled runs are measured as one token whose candles have gaps between the periods: an
    hourly return never spans a gap, and the run-only facts read the steps of every period.
    The run's candles take the ``observed`` token's frequency: against daily candles they are
    first made daily, so both tokens' facts are computed from candles of one kind.
    """
    frames = [candles_from_run(ts, source=f"simulation seed {seed}") for ts in parts]
    candles = pd.concat(frames).sort_index()
    candles.attrs = dict(frames[0].attrs)
    if observed.attrs.get("frequency") == "daily":
        candles = daily_candles(candles)
    fixes = pd.concat([fixes_from_run(ts) for ts in parts]).sort_index()
    steps = pd.concat(list(parts), ignore_index=True)
    facts = token_facts(candles, fixes)
    return SeedRun(seed, facts, market_facts(steps, n_holders), steps)


def validate(
    observed: pd.DataFrame,
    gold: pd.Series,
    config: ModelConfig,
    *,
    seeds: Sequence[int] = tuple(range(DEFAULT_SEEDS)),
    start: Any = None,
    end: Any = None,
    workers: int = 1,
    progress: Callable[[str, float], None] | None = None,
    venue_scale: VenueScale = "auto",
    tick: float | Literal["auto"] | None = None,
) -> ValidationResult:
    """Replay the observed token's gold period through the model and compare the facts.

    Args:
        observed: The observed token's candles (:func:`~gramabm.analysis.token.load_token_candles`).
        gold: Daily gold fixes (USD/oz) covering the period.
        config: The model configuration; its scenario and steps are replaced by the replay.
        seeds: Model seeds, one run each.
        start: First day to compare (default: where token and gold data both begin).
        end: Last day to compare (default: where both end).
        workers: Processes running seeds at once (1: in this process).
        progress: Called as ``progress(what, share_done)``.
        venue_scale: ``"auto"``: size the simulated venue to the observed one by their traded
            values (:mod:`gramabm.validate.venue`); a number: that scale (1: as configured).
        tick: ``"auto"``: the simulated venue takes the observed closes' price step month by
            month (:func:`~gramabm.validate.tick.observed_ticks`); a number: that tick, USD per
            ounce, throughout; None: the configuration's.

    Raises:
        DataValidationError: No period both series cover, or no seed given.
        ConfigError: The replay cannot be built from the gold data, or a bad venue scale.
    """
    if not seeds:
        raise DataValidationError("validate", "at least one seed is needed")
    plan = plan_replay(observed, gold, start, end)
    observed_values = observed_facts(observed, gold, plan)
    venue = venue_sizing(config, traded_value_usd(observed_values), venue_scale)
    config = scaled_venue(config, venue.scale)
    if tick == "auto":
        config = config.with_updates(observed_ticks(observed, plan.compare_from, plan.last))
    elif tick is not None:
        config = config.with_updates({"tick_usd_oz": tick, "tick_changes": {}})
    dumped, series = replay_runs(config, gold, plan, seeds, workers=workers, progress=progress)
    runs = [seed_run(s, [series[s]], config.holders.n, observed) for s in seeds]
    return ValidationResult(
        observed_values,
        runs,
        plan.scenario,
        f"{plan.compare_from.date()}",
        f"{plan.last.date()}",
        dumped,
        tuple(TOLERANCES),
        venue,
        read_tick(observed, plan.compare_from, plan.last),
    )


__all__ = [
    "BY_FACT",
    "ReplayPlan",
    "SeedRun",
    "ValidationResult",
    "comparison_table",
    "observed_facts",
    "plan_replay",
    "replay_runs",
    "seed_run",
    "validate",
]
