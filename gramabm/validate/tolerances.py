"""The pass/fail rules of ``gramabm validate``, declared once.

Each rule reads one fact: of the simulated token against the observed one (``relative``: within a
share of the observed value; ``points``: within an absolute distance), or of the simulation alone
(``at_least`` / ``at_most`` a bound; ``negative_within``: below zero and within a distance of the
observed). A verdict is on the median over seeds (for ``abs_at_most``, the median of the seeds'
absolute values: a seed at −23% and one at +27% must not pass as a median of 2%); the seeds that
pass on their own are counted too.

A median over a few seeds is itself uncertain. :meth:`Tolerance.agreement` says how firm a verdict
is: the share of the seeds resampled with replacement whose median gives the same verdict. Below
:data:`~gramabm.validate.defaults.FIRM_AGREEMENT` the verdict is called uncertain: it stands (the
exit status does not change), and the report says to run more seeds before reading it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

_DRAWS = 2000
_RESAMPLE_SEED = 20_240_101  # fixed: a verdict's firmness is a function of the seeds' values

Rule = Literal["relative", "points", "negative_within", "at_least", "at_most", "abs_at_most"]


@dataclass(frozen=True)
class Tolerance:
    """One rule: ``fact`` passes when ``rule`` holds with ``bound``."""

    fact: str
    rule: Rule
    bound: float

    def text(self) -> str:
        """The rule in words, for tables."""
        return {
            "relative": f"within ±{self.bound:.0%} of observed",
            "points": f"within ±{self.bound * 100:g} points of observed",
            "negative_within": f"< 0 and within ±{self.bound:g} of observed",
            "at_least": f">= {self.bound:g}",
            "at_most": f"<= {self.bound:g}",
            "abs_at_most": f"|value| <= {self.bound:g}",
        }[self.rule]

    @property
    def compares(self) -> bool:
        """Whether the rule reads the observed value (it cannot judge where the data lack it)."""
        return self.rule in ("relative", "points", "negative_within")

    def _read(self, values: np.ndarray) -> np.ndarray:
        """What the rule reads of each value: its size for ``abs_at_most``, else the value."""
        return np.abs(values) if self.rule == "abs_at_most" else values

    def judged(self, simulated: np.ndarray) -> float:
        """The seeds' value the verdict reads: their median (of absolute values for ``abs_at_most``)."""
        finite = simulated[np.isfinite(simulated)]
        if not len(finite):
            return math.nan
        return float(np.median(self._read(finite)))

    def agreement(self, simulated: np.ndarray, observed: float, draws: int = _DRAWS) -> float:
        """Share of resampled seed sets whose median gives the verdict of the seeds themselves.

        The resampling is seeded, so one set of values always gives the same share; NaN when no
        seed has a finite value.
        """
        finite = simulated[np.isfinite(simulated)]
        if not len(finite):
            return math.nan
        verdict = self.passes(self.judged(finite), observed)
        rng = np.random.default_rng(_RESAMPLE_SEED)
        picks = finite[rng.integers(0, len(finite), size=(draws, len(finite)))]
        medians = np.median(self._read(picks), axis=1)
        same = sum(self.passes(float(m), observed) == verdict for m in medians)
        return same / draws

    def passes(self, simulated: float, observed: float) -> bool:
        """Whether a simulated value meets the rule (NaN never does, nor NaN observed if needed)."""
        if math.isnan(simulated):
            return False
        if self.rule == "at_least":
            return simulated >= self.bound
        if self.rule == "at_most":
            return simulated <= self.bound
        if self.rule == "abs_at_most":
            return abs(simulated) <= self.bound
        if math.isnan(observed):
            return False
        if self.rule == "relative":
            return abs(simulated - observed) <= self.bound * abs(observed)
        if self.rule == "points":
            return abs(simulated - observed) <= self.bound
        return simulated < 0 and abs(simulated - observed) <= self.bound


TOLERANCES: tuple[Tolerance, ...] = (
    Tolerance("dev_mean_abs_bp", "relative", 0.25),
    Tolerance("dev_p99_abs_bp", "relative", 0.25),
    Tolerance("dev_share_beyond", "points", 0.05),
    Tolerance("hourly_median_abs_weekday_bp", "relative", 0.25),
    Tolerance("hourly_median_abs_weekend_bp", "relative", 0.25),
    Tolerance("hourly_autocorr_lag1_winsorised", "negative_within", 0.1),
    Tolerance("book_two_sided_calm_share", "at_least", 0.99),
    Tolerance("supply_change_worst_year", "abs_at_most", 0.15),
    Tolerance("holders_panicked_max_share", "at_most", 0.05),
)
"""The default rules: what a calm replay of a real token's period must show."""

BY_FACT: dict[str, Tolerance] = {t.fact: t for t in TOLERANCES}
