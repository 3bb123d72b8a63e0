"""Per-tier metrics of a two-tier (gold -> XAUT -> GRAM) run, from its per-step series.

The columns read, one row per step (index = integer step), listed in :data:`READ_COLUMNS` and declared in :mod:`gramabm.run_columns`:

* ``xaut_dev_bp`` (bp) - XAUT's price (its order book's mid) against gold;
* ``gram_dev_bp`` (bp) - GRAM's dollar price against gold (milligram of gold per GRAM unit);
* ``gram_xaut_gap_bp`` (bp) - GRAM's price in XAUT against the wrapper's rate;
* ``backing_redeemable`` (ratio) - XAUT the wrapper can pay out times the rate over GRAM supply
  (0 while its XAUT is frozen);
* ``lp_loss`` (fraction) - liquidity providers' loss against holding their deposits;
* ``wrapped_gram_mg`` / ``unwrapped_gram_mg`` (mg) - GRAM minted and burned during the step;
* ``gram_impact_1m`` (fraction) - price impact of selling $1M of GRAM into its pool.

A NaN marks a step without a value; every statistic skips it (never counts it as zero).

Pass-through is how much of XAUT's deviation reaches GRAM: the slope of ``gram_dev`` on
``xaut_dev`` (ordinary least squares with an intercept) and the *share*, the slope through the
origin ``sum(g * x) / sum(x * x)``, i.e. the fraction of XAUT's deviation seen in GRAM. Its speed
is the lag (in steps, up to ``max_lag``) at which GRAM's deviation best fits XAUT's (largest
correlation), the steps from the first step XAUT passes ``threshold_bp`` until GRAM carries half
of that deviation, and the AR(1) half-life of the catch-up gap ``gram_dev - xaut_dev``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from gramabm.analysis.runs.halflife import ar1_half_life
from gramabm.analysis.runs.metrics import validate_timeseries
from gramabm.errors import ConfigError
from gramabm.run_columns import declared

READ_COLUMNS: tuple[str, ...] = declared(
    "xaut_dev_bp",
    "gram_dev_bp",
    "gram_xaut_gap_bp",
    "backing_redeemable",
    "lp_loss",
    "wrapped_gram_mg",
    "unwrapped_gram_mg",
    "gram_impact_1m",
)
"""Per-step columns the tier metrics read (their units: :data:`gramabm.run_columns.TIER_COLUMNS`)."""


@dataclass(frozen=True)
class PassThrough:
    """How much of XAUT's deviation reaches GRAM, and how fast.

    Attributes:
        slope: OLS slope of GRAM's deviation on XAUT's (with an intercept); None if XAUT's
            deviation never varies.
        share: Slope through the origin: the fraction of XAUT's deviation seen in GRAM; None if
            XAUT never deviates.
        lag_steps: Lag at which GRAM's deviation correlates best with XAUT's earlier deviation;
            None if no lag can be fitted.
        steps_to_half: Steps from XAUT's first deviation beyond the threshold until GRAM's
            deviation carries half of it (same sign); None if XAUT never passes it or GRAM never
            follows.
        catch_up_half_life_steps: AR(1) half-life of ``gram_dev - xaut_dev``; None if it does not
            revert or cannot be fitted.
    """

    slope: float | None
    share: float | None
    lag_steps: int | None
    steps_to_half: int | None
    catch_up_half_life_steps: float | None


@dataclass(frozen=True)
class TierMetrics:
    """Per-tier results of one run.

    Attributes:
        pass_through: XAUT -> GRAM pass-through and its speed.
        worst_gram_xaut_gap_bp: GRAM's largest gap from XAUT x rate, signed (bp).
        worst_gram_dev_bp: GRAM's largest deviation from gold, signed (bp).
        worst_xaut_dev_bp: XAUT's largest deviation from gold, signed (bp).
        min_backing_ratio: Lowest redeemable backing ratio.
        max_lp_loss: Largest loss of liquidity providers against holding (fraction).
        final_lp_loss: Their loss at the last step with a value (fraction).
        wrapped_gram_mg: GRAM minted over the run (mg).
        unwrapped_gram_mg: GRAM burned over the run (mg).
        worst_gram_impact_1m: Largest price impact of a $1M GRAM sale (fraction).
    """

    pass_through: PassThrough
    worst_gram_xaut_gap_bp: float | None
    worst_gram_dev_bp: float | None
    worst_xaut_dev_bp: float | None
    min_backing_ratio: float | None
    max_lp_loss: float | None
    final_lp_loss: float | None
    wrapped_gram_mg: int
    unwrapped_gram_mg: int
    worst_gram_impact_1m: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (non-finite floats become None)."""
        return {k: _clean(v) for k, v in asdict(self).items()}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _floats(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=float)


def _worst_signed(x: np.ndarray) -> float | None:
    """The value of largest magnitude, with its sign; None if all are NaN."""
    finite = x[np.isfinite(x)]
    if not finite.size:
        return None
    return float(finite[np.argmax(np.abs(finite))])


def _extreme(x: np.ndarray, fn: Any) -> float | None:
    finite = x[np.isfinite(x)]
    return float(fn(finite)) if finite.size else None


def best_lag(gram: np.ndarray, xaut: np.ndarray, max_lag: int) -> int | None:
    """The lag ``k`` in ``[0, max_lag]`` maximising the correlation of GRAM's and XAUT's deviation.

    ``gram[t]`` is paired with ``xaut[t - k]``; of equal correlations the smallest lag wins. None
    if no lag has three finite pairs in which both series vary.
    """
    best: tuple[float, int] | None = None
    for k in range(max_lag + 1):
        g = gram[k:]
        x = xaut[: len(xaut) - k] if k else xaut
        ok = np.isfinite(g) & np.isfinite(x)
        if ok.sum() < 3 or np.std(g[ok]) == 0 or np.std(x[ok]) == 0:
            continue
        r = float(np.corrcoef(g[ok], x[ok])[0, 1])
        if best is None or r > best[0] + 1e-12:
            best = (r, k)
    return None if best is None else best[1]


def pass_through(
    gram_dev: np.ndarray, xaut_dev: np.ndarray, *, threshold_bp: float, max_lag: int
) -> PassThrough:
    """Pass-through of XAUT's deviation to GRAM's (see the module docstring).

    Args:
        gram_dev: GRAM's deviation from gold per step (bp).
        xaut_dev: XAUT's deviation from gold per step (bp).
        threshold_bp: XAUT deviation (magnitude, bp, > 0) that starts the steps-to-half clock.
        max_lag: Largest lag tried, in steps (>= 0).

    Raises:
        ConfigError: For a non-positive threshold, a negative lag or series of unequal length.
    """
    if not threshold_bp > 0 or max_lag < 0:
        raise ConfigError(
            f"threshold_bp must be > 0 and max_lag >= 0, got {threshold_bp}, {max_lag}"
        )
    if gram_dev.shape != xaut_dev.shape:
        raise ConfigError(f"series lengths differ: {gram_dev.shape} and {xaut_dev.shape}")
    ok = np.isfinite(gram_dev) & np.isfinite(xaut_dev)
    g, x = gram_dev[ok], xaut_dev[ok]
    sxx = float(np.dot(x, x))
    share = float(np.dot(g, x)) / sxx if sxx > 0 else None
    xc = x - x.mean() if x.size else x
    var = float(np.dot(xc, xc))
    slope = float(np.dot(xc, g - g.mean())) / var if var > 0 else None
    steps_to_half = None
    onset = np.flatnonzero(np.isfinite(xaut_dev) & (np.abs(xaut_dev) >= threshold_bp))
    if onset.size:
        t0 = int(onset[0])
        half = xaut_dev[t0] / 2
        hit = np.flatnonzero(
            np.isfinite(gram_dev[t0:]) & (gram_dev[t0:] * np.sign(half) >= abs(half))
        )
        steps_to_half = int(hit[0]) if hit.size else None
    hl = ar1_half_life(gram_dev - xaut_dev, min_obs=3)
    return PassThrough(
        slope=slope,
        share=share,
        lag_steps=best_lag(gram_dev, xaut_dev, max_lag),
        steps_to_half=steps_to_half,
        catch_up_half_life_steps=hl.half_life_steps,
    )


def tier_metrics(
    timeseries: pd.DataFrame, *, threshold_bp: float = 50.0, max_lag: int = 24
) -> TierMetrics:
    """Per-tier metrics of one run's per-step frame (columns :data:`READ_COLUMNS`).

    Args:
        timeseries: One row per step, integer step index.
        threshold_bp: XAUT deviation that starts the steps-to-half clock (bp).
        max_lag: Largest lag tried for the pass-through lag (steps).

    Raises:
        DataValidationError: For an empty frame, a bad index or a missing column (all named).
        ConfigError: For a bad threshold or lag.
    """
    validate_timeseries(timeseries, READ_COLUMNS)
    gram = _floats(timeseries, "gram_dev_bp")
    xaut = _floats(timeseries, "xaut_dev_bp")
    lp = _floats(timeseries, "lp_loss")
    lp_finite = lp[np.isfinite(lp)]
    return TierMetrics(
        pass_through=pass_through(gram, xaut, threshold_bp=threshold_bp, max_lag=max_lag),
        worst_gram_xaut_gap_bp=_worst_signed(_floats(timeseries, "gram_xaut_gap_bp")),
        worst_gram_dev_bp=_worst_signed(gram),
        worst_xaut_dev_bp=_worst_signed(xaut),
        min_backing_ratio=_extreme(_floats(timeseries, "backing_redeemable"), np.min),
        max_lp_loss=_extreme(lp, np.max),
        final_lp_loss=float(lp_finite[-1]) if lp_finite.size else None,
        wrapped_gram_mg=int(np.nansum(_floats(timeseries, "wrapped_gram_mg"))),
        unwrapped_gram_mg=int(np.nansum(_floats(timeseries, "unwrapped_gram_mg"))),
        worst_gram_impact_1m=_extreme(_floats(timeseries, "gram_impact_1m"), np.max),
    )


TIER_HEADLINE: tuple[str, ...] = (
    "gram_worst_dev_bp",
    "xaut_worst_dev_bp",
    "gram_worst_gap_bp",
    "pass_through_share",
    "pass_through_half_hours",
    "gram_recovery_hours",
    "min_backing_redeemable",
    "min_backing_gold",
    "max_lp_loss",
    "worst_gram_impact_1m",
)
"""The per-tier numbers a run summary, report and stress table show (keys of :func:`tier_summary`)."""


def recovery_steps(dev_bp: np.ndarray, *, band_bp: float, window: int) -> int | None:
    """Steps from the largest ``|dev|`` until it stays within ``band_bp`` for ``window`` steps.

    0 if it never left the band; None if it never settles within the run.
    """
    finite = np.isfinite(dev_bp)
    if not finite.any():
        return None
    mag = np.where(finite, np.abs(dev_bp), 0.0)
    peak = int(np.argmax(mag))
    if mag[peak] <= band_bp:
        return 0
    inside = finite & (np.abs(np.where(finite, dev_bp, 0.0)) <= band_bp)
    run = 0
    for t in range(peak, dev_bp.size):
        run = run + 1 if inside[t] else 0
        if run >= window:
            return t - window + 1 - peak
    return None


RECOVERY_BAND_BP: float = 100.0
"""Band GRAM must come back within, and stay in for a day, to count as recovered (bp): wider
than the order book's, as GRAM's price carries two pools' fee bands (XAUT/USD and GRAM/XAUT)."""


def tier_summary(
    timeseries: pd.DataFrame, *, step_hours: float = 1.0, band_bp: float = RECOVERY_BAND_BP
) -> dict[str, Any]:
    """The flat per-tier numbers of one run (:data:`TIER_HEADLINE` first), JSON-safe.

    Args:
        timeseries: A two-tier run's per-step frame.
        step_hours: Hours per step.
        band_bp: Band GRAM must come back within (and stay a day) to count as recovered.
    """
    m = tier_metrics(timeseries)
    pt = m.pass_through
    window = max(1, round(24 / step_hours))
    rec = recovery_steps(_floats(timeseries, "gram_dev_bp"), band_bp=band_bp, window=window)
    gold = (
        _extreme(_floats(timeseries, "backing_gold"), np.min)
        if "backing_gold" in timeseries
        else None
    )

    def hours(steps: float | None) -> float | None:
        return None if steps is None else steps * step_hours

    out = {
        "gram_worst_dev_bp": m.worst_gram_dev_bp,
        "xaut_worst_dev_bp": m.worst_xaut_dev_bp,
        "gram_worst_gap_bp": m.worst_gram_xaut_gap_bp,
        "pass_through_share": pt.share,
        "pass_through_half_hours": hours(pt.steps_to_half),
        "gram_recovery_hours": hours(rec),
        "min_backing_redeemable": m.min_backing_ratio,
        "min_backing_gold": gold,
        "max_lp_loss": m.max_lp_loss,
        "worst_gram_impact_1m": m.worst_gram_impact_1m,
        "pass_through_slope": pt.slope,
        "pass_through_lag_hours": hours(pt.lag_steps),
        "catch_up_half_life_hours": hours(pt.catch_up_half_life_steps),
        "wrapped_gram_g": m.wrapped_gram_mg / 1000,
        "unwrapped_gram_g": m.unwrapped_gram_mg / 1000,
    }
    return {k: _clean(v) for k, v in out.items()}


def is_two_tier(timeseries: pd.DataFrame) -> bool:
    """Whether a run's frame carries the two-tier columns."""
    return all(name in timeseries.columns for name in READ_COLUMNS)


def backing_notes(summary: dict[str, Any]) -> list[str]:
    """Plain-language notes when GRAM was not fully backed at some step (none when it was)."""
    notes = []
    redeemable = summary.get("min_backing_redeemable")
    gold = summary.get("min_backing_gold")
    if redeemable is not None and redeemable < 1.0:
        notes.append(
            f"GRAM's backing broke: the XAUT its wrapper could pay out fell to {redeemable:.2f} "
            "of GRAM supply (0: the wrapper's XAUT frozen, no GRAM redeemable)"
        )
    if gold is not None and gold < 1.0 and (redeemable is None or gold < redeemable):
        notes.append(
            f"GRAM's gold backing fell to {gold:.2f}: XAUT's own reserves were short of its supply"
        )
    return notes
