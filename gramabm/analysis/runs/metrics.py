"""Per-run stress metrics: what one stress test reports (docs/model.md D7).

:func:`run_metrics` reads the collected data of one model run (the per-step ``timeseries``, and
optionally the ``events`` and the holder-level ``holders`` sample; see the data contract in
the model's collection docs) and returns a :class:`RunMetrics`, a frozen record of numbers. It never
runs a model.

Conventions, so that the numbers read the same in every report:

* **Deviation** is ``deviation_bp`` as collected: ``1e4 * (token_mid / gold_value_usd - 1)``.
  A step without a quote has NaN there. Such steps are never counted as inside or outside a band:
  they are *unquoted* and counted separately (:attr:`RunMetrics.unquoted_steps`). For recovery a
  NaN step does not count as back inside the band, since a market without a quote has not recovered.
* **Time** is counted in steps and converted with ``step_hours``; a step stands for ``step_hours``
  hours of market time. Steps are reported by their index label (the ``step`` index).
* **Fractions** are in [0, 1] (not percent); **returns** are simple returns (0.01 = 1%).
* The output holds no timestamps and no wall-clock timings, and every float is computed the same
  way from the same input, so two identical runs give byte-identical ``json.dumps(to_dict())``.
  Floats are kept exact (not rounded); non-finite values become None.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from gramabm import run_columns
from gramabm.analysis.runs.halflife import HalfLife, ar1_half_life
from gramabm.errors import ConfigError, DataValidationError

TIMESERIES_SOURCE = "run timeseries"
"""Name used in error messages about the per-step frame."""

HEADLINE_METRICS: tuple[str, ...] = (
    "worst_premium_bp",
    "worst_discount_bp",
    "worst_traded_premium_bp",
    "worst_traded_discount_bp",
    "mean_abs_deviation_bp",
    "hours_outside_50bp",
    "hours_outside_100bp",
    "hours_ask_side_empty",
    "hours_bid_side_empty",
    "half_life_hours",
    "time_to_recover_hours",
    "min_reserve_ratio_actual",
    "min_reserve_ratio_reported",
    "share_initial_supply_redeemed",
    "mm_withdrew",
    "max_spread_bp",
    "governance_actions_count",
)
"""The per-run metrics every face shows first, in this order (keys of :meth:`RunMetrics.to_dict`)."""

Better = Literal["higher", "lower"]

DIRECTIONS: dict[str, Better] = {
    "unquoted_steps": "lower",
    "worst_premium_bp": "lower",
    "worst_discount_bp": "higher",  # signed, <= 0: closer to zero is better
    "worst_traded_premium_bp": "lower",
    "worst_traded_discount_bp": "higher",
    "mean_abs_deviation_bp": "lower",
    "median_abs_deviation_bp": "lower",
    "half_life_hours": "lower",
    "time_to_recover_hours": "lower",
    "min_reserve_ratio_actual": "higher",
    "min_reserve_ratio_reported": "higher",
    "share_initial_supply_redeemed": "lower",
    "max_redemption_queue_g": "lower",
    "token_hold_excess_return_end": "higher",
    "token_hold_excess_return_worst": "higher",
    "holders_mean_excess_return": "higher",
    "holders_median_excess_return": "higher",
    "holders_share_worse_than_gold": "lower",
    "mm_min_active": "higher",
    "mm_withdrew": "lower",
    "min_depth_1pct_usd": "higher",
    "min_depth_1pct_ratio": "higher",
    "max_spread_bp": "lower",
    "median_spread_bp": "lower",
    "hours_ask_side_empty": "lower",
    "hours_bid_side_empty": "lower",
    "hours_primary_closed": "lower",
    "hours_circuit_breaker": "lower",
}
"""The outcome metrics and which way is better for the peg, its reserves and its holders, declared
once (as EMA Workbench declares an outcome to maximise or minimise). Time outside a band
(``steps_``, ``hours_`` and ``fraction_outside_<b>bp``) is better lower for every band; other keys
of :meth:`RunMetrics.to_dict` (steps, counts, volumes) describe a run without a better side."""

_BAND_PREFIXES = ("steps_outside_", "hours_outside_", "fraction_outside_")


def direction(metric: str) -> Better | None:
    """Which way an outcome metric is better (None for a descriptive one)."""
    if metric.startswith(_BAND_PREFIXES) and metric.endswith("bp"):
        return "lower"
    return DIRECTIONS.get(metric)


REQUIRED_COLUMNS: tuple[str, ...] = run_columns.declared(
    "deviation_bp",
    "token_mid",
    "gold_value_usd",
    "spread_bp",
    "depth_1pct_usd",
    "volume_tokens",
    "volume_usd",
    "trades",
    "supply_tokens",
    "reserve_ratio_actual",
    "reserve_ratio_reported",
    "mints_g",
    "redemptions_g",
    "redemption_queue_g",
    "mm_active",
    "primary_open",
    "circuit_breaker",
    "governance_actions",
)
"""Per-step columns :func:`run_metrics` reads: names of the collection contract
(:mod:`gramabm.run_columns`), refused at import if one is not declared there."""

HOLDER_COLUMNS: tuple[str, ...] = ("step", "holder", "tokens", "usd")
"""Columns of the holder sample :func:`run_metrics` reads."""

EVENT_COLUMNS: tuple[str, ...] = ("step", "source", "kind", "detail")
"""Columns of the event log :func:`run_metrics` reads."""

GOVERNANCE_SOURCE = "governance"
"""Events whose ``source`` is this (case-insensitive), or whose ``kind`` starts with it, are
governance actions."""

WORSE_THAN_GOLD_TOL = 1e-12
"""A holder "lost more than gold" when their excess return is below ``-WORSE_THAN_GOLD_TOL``; the
tolerance keeps float rounding of an exact tie from counting as a loss."""


@dataclass(frozen=True)
class BandExposure:
    """Time the deviation spent outside one ``±band_bp`` band.

    Attributes:
        band_bp: Half-width of the band, bp.
        steps_outside: Quoted steps with ``|deviation| > band_bp``.
        hours_outside: ``steps_outside * step_hours``, hours.
        fraction_outside: ``steps_outside / n_steps`` (fraction of the whole run, unquoted steps
            included in the denominator).
    """

    band_bp: float
    steps_outside: int
    hours_outside: float
    fraction_outside: float


@dataclass(frozen=True)
class GovernanceAction:
    """One governance action from the event log.

    Attributes:
        step: Step at which it was taken.
        kind: Event kind (e.g. ``"fee_change"``).
        detail: Event detail as text (mappings as sorted-key JSON).
    """

    step: int
    kind: str
    detail: str


@dataclass(frozen=True)
class RunMetrics:
    """The per-run numbers a stress test reports. Units are in the names and listed here.

    Attributes:
        n_steps: Steps in the run.
        step_hours: Hours per step.
        duration_hours: ``n_steps * step_hours``.
        shock_step: Step of the shock, or None for a run without one.
        unquoted_steps: Steps with no deviation (no quote).
        worst_premium_bp: Largest positive deviation, bp; 0.0 if the token never traded above
            its gold value; None if it was never quoted.
        worst_premium_step: Step of the worst premium (None if there was none).
        worst_discount_bp: Most negative deviation, bp, signed (<= 0); 0.0 if never below.
        worst_discount_step: Step of the worst discount (None if there was none).
        worst_traded_premium_bp: Highest deviation of a step's last trade from the gold value,
            over steps with trades (0 if none was above it; None without ``last_deviation_bp``).
            Unlike the mid, it sees the price paid while one side of the book is empty.
        worst_traded_discount_bp: Lowest such deviation (0 if none was below it).
        mean_abs_deviation_bp: Mean of ``|deviation|`` over quoted steps, bp.
        median_abs_deviation_bp: Median of ``|deviation|`` over quoted steps, bp.
        bands: Time outside each band of ``band_bp`` (see :class:`BandExposure`).
        half_life: AR(1) deviation half-life, fitted from the shock to the end of the run (the
            whole run without a shock); see :mod:`gramabm.analysis.runs.halflife`.
        shock_peak_step: Step of the largest ``|deviation|`` at or after the shock.
        shock_peak_deviation_bp: Signed deviation at that step, bp.
        recovery_band_bp: Band used for recovery (the narrowest of ``band_bp``), bp.
        recovery_window_hours: How long the deviation must stay in that band to count, hours.
        recovery_step: First step after the shock's peak from which ``|deviation|`` stays within
            the recovery band for the whole window; the shock step itself if the deviation never
            left the band after the shock; None if it never recovered before the run ended (or no
            shock).
        time_to_recover_hours: ``(recovery_step - shock_step) * step_hours``; None if never.
        min_reserve_ratio_actual: Lowest actual reserve ratio (grams held / tokens outstanding).
        min_reserve_ratio_actual_step: Its step.
        min_reserve_ratio_reported: Lowest reported (attested) reserve ratio.
        min_reserve_ratio_reported_step: Its step.
        initial_supply_tokens: Supply at the first step, tokens.
        minted_tokens: Total minted over the run, tokens (= grams: one token is one gram).
        redeemed_tokens: Total redeemed (settled) over the run, tokens.
        share_initial_supply_redeemed: ``redeemed_tokens / initial_supply_tokens``, fraction.
        max_redemption_queue_g: Largest pending redemption queue, grams.
        token_hold_excess_return_end: Return of holding the token from the first to the last
            quoted step, less the return of holding gold over the same time, as
            ``(1 + d_end) / (1 + d_first) - 1`` with ``d`` the deviation as a fraction. The
            aggregate measure of holders' loss against simply holding gold.
        token_hold_excess_return_worst: Lowest value of that excess return during the run.
        holders_n: Holders in the sample with a positive starting wealth (None without a sample).
        holders_mean_excess_return: Mean over holders of ``(W_end / W_start) / (G_end / G_start)
            - 1``: each holder's wealth (tokens at the last known mid plus USD) against the same
            starting wealth held in gold (``G`` = gold value of one token), fraction.
        holders_median_excess_return: Median of the same, fraction.
        holders_share_worse_than_gold: Share of holders whose excess return is negative.
        mm_initial_active: Market makers quoting at the first step.
        mm_min_active: Fewest market makers quoting at any step.
        mm_min_active_step: First step at that minimum.
        mm_withdrew: Whether ``mm_active`` ever fell below its first-step count.
        mm_first_withdrawal_step: First step it did (None if never).
        min_depth_1pct_usd: Lowest depth within ±1% of mid (both sides), USD.
        min_depth_1pct_step: Its step.
        pre_shock_median_depth_1pct_usd: Median depth before the shock (whole run without a
            shock), USD.
        min_depth_1pct_ratio: ``min_depth_1pct_usd / pre_shock_median_depth_1pct_usd``.
        max_spread_bp: Widest quoted spread, bp.
        max_spread_step: Its step.
        median_spread_bp: Median quoted spread, bp.
        hours_ask_side_empty: Hours with bids but no ask in the book: buyers found no seller,
            so the premium they would have paid is not in the deviation (None without
            ``token_bid``/``token_ask`` columns).
        hours_bid_side_empty: Hours with asks but no bid: sellers found no buyer (the
            discount is not measured then).
        governance_actions_count: Governance actions taken (the final value of the cumulative
            ``governance_actions`` counter).
        governance_actions: The actions in the event log, by step.
        volume_tokens_total: Traded volume, tokens.
        volume_usd_total: Traded volume, USD.
        trades_total: Number of trades.
        hours_primary_closed: Hours the primary market was closed.
        hours_circuit_breaker: Hours a circuit breaker was on.
        notes: Plain-language notes on anything missing or not measured.
        tiers: A two-tier run's per-tier numbers
            (:func:`gramabm.analysis.runs.tiers.tier_summary`; flat in :meth:`to_dict`), None
            for a single-tier run.
    """

    n_steps: int
    step_hours: float
    duration_hours: float
    shock_step: int | None
    unquoted_steps: int
    worst_premium_bp: float | None
    worst_premium_step: int | None
    worst_discount_bp: float | None
    worst_discount_step: int | None
    worst_traded_premium_bp: float | None
    worst_traded_discount_bp: float | None
    mean_abs_deviation_bp: float | None
    median_abs_deviation_bp: float | None
    bands: tuple[BandExposure, ...]
    half_life: HalfLife
    shock_peak_step: int | None
    shock_peak_deviation_bp: float | None
    recovery_band_bp: float
    recovery_window_hours: float
    recovery_step: int | None
    time_to_recover_hours: float | None
    min_reserve_ratio_actual: float | None
    min_reserve_ratio_actual_step: int | None
    min_reserve_ratio_reported: float | None
    min_reserve_ratio_reported_step: int | None
    initial_supply_tokens: float | None
    minted_tokens: float
    redeemed_tokens: float
    share_initial_supply_redeemed: float | None
    max_redemption_queue_g: float | None
    token_hold_excess_return_end: float | None
    token_hold_excess_return_worst: float | None
    holders_n: int | None
    holders_mean_excess_return: float | None
    holders_median_excess_return: float | None
    holders_share_worse_than_gold: float | None
    mm_initial_active: int | None
    mm_min_active: int | None
    mm_min_active_step: int | None
    mm_withdrew: bool
    mm_first_withdrawal_step: int | None
    min_depth_1pct_usd: float | None
    min_depth_1pct_step: int | None
    pre_shock_median_depth_1pct_usd: float | None
    min_depth_1pct_ratio: float | None
    max_spread_bp: float | None
    max_spread_step: int | None
    median_spread_bp: float | None
    hours_ask_side_empty: float | None
    hours_bid_side_empty: float | None
    governance_actions_count: int
    governance_actions: tuple[GovernanceAction, ...]
    volume_tokens_total: float
    volume_usd_total: float
    trades_total: int
    hours_primary_closed: float
    hours_circuit_breaker: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    tiers: dict[str, Any] | None = None

    def band(self, band_bp: float) -> BandExposure:
        """The exposure to one band.

        Raises:
            KeyError: If the metrics were not computed for that band.
        """
        for exposure in self.bands:
            if exposure.band_bp == band_bp:
                return exposure
        raise KeyError(f"no band of {band_bp} bp; computed: {[b.band_bp for b in self.bands]}")

    def to_dict(self) -> dict[str, Any]:
        """Flat, JSON-safe dict in a fixed key order.

        Bands become ``steps_outside_<b>bp``, ``hours_outside_<b>bp`` and
        ``fraction_outside_<b>bp``; the half-life becomes ``half_life_*`` keys; governance
        actions a list of ``{"step", "kind", "detail"}``; notes a list of strings. Non-finite
        floats become None. No timestamps or timings, so identical runs give identical JSON.
        """
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "bands":
                for b in value:
                    label = _band_label(b.band_bp)
                    out[f"steps_outside_{label}bp"] = b.steps_outside
                    out[f"hours_outside_{label}bp"] = _json_float(b.hours_outside)
                    out[f"fraction_outside_{label}bp"] = _json_float(b.fraction_outside)
            elif name == "half_life":
                hl: HalfLife = value
                out["half_life_hours"] = _json_float(hl.half_life_hours)
                out["half_life_steps"] = _json_float(hl.half_life_steps)
                out["half_life_phi"] = _json_float(hl.phi)
                out["half_life_phi_se"] = _json_float(hl.phi_se)
                out["half_life_intercept_bp"] = _json_float(hl.intercept)
                out["half_life_n_obs"] = hl.n_obs
                out["half_life_flag"] = hl.flag
            elif name == "governance_actions":
                out[name] = [{"step": a.step, "kind": a.kind, "detail": a.detail} for a in value]
            elif name == "notes":
                out[name] = list(value)
            elif name == "tiers":
                out.update(value or {})
            elif isinstance(value, float):
                out[name] = _json_float(value)
            else:
                out[name] = value
        return out

    def to_json(self) -> str:
        """``to_dict()`` as compact, key-ordered JSON text (byte-identical for identical runs)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    """Check that a frame has the columns an analysis reads.

    Args:
        frame: The frame to check.
        columns: Column names it must have.
        source: What the frame is, for the message (e.g. ``"run timeseries"``).

    Raises:
        DataValidationError: Naming every missing column.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(source, f"missing column(s): {', '.join(missing)}")


def validate_timeseries(timeseries: pd.DataFrame, columns: Iterable[str]) -> None:
    """Check the per-step frame: non-empty, integer step index strictly increasing, columns present.

    Args:
        timeseries: The per-step frame of one run (index = step).
        columns: Columns the caller reads.

    Raises:
        DataValidationError: If any check fails.
    """
    if len(timeseries) == 0:
        raise DataValidationError(TIMESERIES_SOURCE, "the frame has no rows")
    if not pd.api.types.is_integer_dtype(timeseries.index.dtype):
        raise DataValidationError(
            TIMESERIES_SOURCE,
            f"the index must be integer steps, got dtype {timeseries.index.dtype}",
        )
    if not (timeseries.index.is_monotonic_increasing and timeseries.index.is_unique):
        raise DataValidationError(TIMESERIES_SOURCE, "the step index must be strictly increasing")
    require_columns(timeseries, columns, TIMESERIES_SOURCE)


def shock_position(index: pd.Index, shock_step: int | None) -> int | None:
    """Row position of the shock: the first step at or after ``shock_step``.

    Args:
        index: The run's step index (integer, increasing).
        shock_step: Step label of the shock, or None.

    Returns:
        The 0-based row position, or None without a shock.

    Raises:
        ConfigError: If ``shock_step`` is negative, not whole, or after the last step.
    """
    if shock_step is None:
        return None
    if int(shock_step) != shock_step or shock_step < 0:
        raise ConfigError(f"shock_step must be a non-negative integer step, got {shock_step!r}")
    pos = int(index.searchsorted(int(shock_step), side="left"))
    if pos >= len(index):
        raise ConfigError(
            f"shock_step {shock_step} is after the last step of the run ({index[-1]})"
        )
    return pos


def run_metrics(
    timeseries: pd.DataFrame,
    *,
    shock_step: int | None = None,
    step_hours: float = 1.0,
    events: pd.DataFrame | None = None,
    holders: pd.DataFrame | None = None,
    band_bp: tuple[float, ...] = (50, 100),
    recovery_window_hours: float = 24.0,
    half_life_min_obs: int = 10,
) -> RunMetrics:
    """Compute the per-run stress metrics of one collected run.

    Args:
        timeseries: One row per step, index = integer step; needs :data:`REQUIRED_COLUMNS`.
        shock_step: Step at which the shock starts (``meta["shock_step"]``), or None.
        step_hours: Hours per step (> 0).
        events: Event log with :data:`EVENT_COLUMNS`; governance actions are read from it.
        holders: Holder-level sample (long format) with :data:`HOLDER_COLUMNS`; if given,
            holders' losses against gold are measured per holder.
        band_bp: Deviation bands (bp, > 0) to measure time outside; the narrowest is the
            recovery band.
        recovery_window_hours: How long the deviation must stay within the recovery band for
            the run to count as recovered, hours.
        half_life_min_obs: Least number of step pairs for the half-life fit.

    Returns:
        The metrics; see :class:`RunMetrics` for each one and its unit.

    Raises:
        DataValidationError: If a frame lacks a column or the step index is not integer and
            strictly increasing.
        ConfigError: If ``step_hours``, ``band_bp`` or ``recovery_window_hours`` is not positive,
            or ``shock_step`` is after the run.
    """
    if not step_hours > 0:
        raise ConfigError(f"step_hours must be > 0, got {step_hours!r}")
    bands = tuple(float(b) for b in band_bp)
    if not bands or any(not b > 0 for b in bands):
        raise ConfigError(f"band_bp must be one or more positive numbers, got {band_bp!r}")
    if not recovery_window_hours > 0:
        raise ConfigError(f"recovery_window_hours must be > 0, got {recovery_window_hours!r}")
    validate_timeseries(timeseries, REQUIRED_COLUMNS)
    step_hours = float(step_hours)
    steps = timeseries.index.to_numpy(dtype=np.int64)
    shock_pos = shock_position(timeseries.index, shock_step)
    dev = _floats(timeseries["deviation_bp"])
    n = int(dev.size)
    notes: list[str] = []

    fields: dict[str, Any] = {
        "n_steps": n,
        "step_hours": step_hours,
        "duration_hours": n * step_hours,
        "shock_step": None if shock_pos is None else int(steps[shock_pos]),
        "unquoted_steps": int(np.count_nonzero(~np.isfinite(dev))),
    }
    fields.update(_deviation_fields(dev, steps, bands, step_hours, notes))
    fields.update(_traded_fields(timeseries, fields, notes))

    if shock_pos is None:
        notes.append("no shock step: half-life fitted on the whole run; recovery not measured")
    fields["half_life"] = ar1_half_life(
        dev, step_hours=step_hours, start=shock_pos, min_obs=half_life_min_obs
    )
    fields.update(
        _recovery_fields(
            dev, steps, shock_pos, min(bands), recovery_window_hours, step_hours, notes
        )
    )
    fields.update(_reserve_fields(timeseries, steps))
    fields.update(_holder_fields(timeseries, dev, holders, notes))
    fields.update(_market_maker_fields(timeseries, steps))
    fields.update(_liquidity_fields(timeseries, steps, shock_pos, step_hours, notes))
    fields.update(_governance_fields(timeseries, events, notes))

    fields["volume_tokens_total"] = float(np.nansum(_floats(timeseries["volume_tokens"])))
    fields["volume_usd_total"] = float(np.nansum(_floats(timeseries["volume_usd"])))
    fields["trades_total"] = int(np.nansum(_floats(timeseries["trades"])))
    # eq() leaves a missing flag as "not closed / not on" rather than guessing.
    fields["hours_primary_closed"] = int(timeseries["primary_open"].eq(False).sum()) * step_hours
    fields["hours_circuit_breaker"] = int(timeseries["circuit_breaker"].eq(True).sum()) * step_hours
    from gramabm.analysis.runs.tiers import backing_notes, is_two_tier, tier_summary

    if is_two_tier(timeseries):  # (imported here: the tier metrics read this module)
        fields["tiers"] = tier = tier_summary(timeseries, step_hours=step_hours)
        notes += backing_notes(tier)
    fields["notes"] = tuple(notes)
    return RunMetrics(**fields)


# --- the groups of metrics ---------------------------------------------------------------------


def _deviation_fields(
    dev: np.ndarray,
    steps: np.ndarray,
    bands: tuple[float, ...],
    step_hours: float,
    notes: list[str],
) -> dict[str, Any]:
    n = dev.size
    quoted = np.isfinite(dev)
    absdev = np.abs(dev)
    exposures = []
    for band in bands:
        outside = int(np.count_nonzero(quoted & (absdev > band)))
        exposures.append(BandExposure(band, outside, outside * step_hours, outside / n))
    out: dict[str, Any] = {"bands": tuple(exposures)}
    if not quoted.any():
        notes.append("the token was never quoted: deviation metrics are undefined")
        out.update(
            worst_premium_bp=None,
            worst_premium_step=None,
            worst_discount_bp=None,
            worst_discount_step=None,
            mean_abs_deviation_bp=None,
            median_abs_deviation_bp=None,
        )
        return out
    hi = int(np.nanargmax(dev))
    lo = int(np.nanargmin(dev))
    premium = float(dev[hi]) > 0.0
    discount = float(dev[lo]) < 0.0
    out.update(
        worst_premium_bp=float(dev[hi]) if premium else 0.0,
        worst_premium_step=int(steps[hi]) if premium else None,
        worst_discount_bp=float(dev[lo]) if discount else 0.0,
        worst_discount_step=int(steps[lo]) if discount else None,
        mean_abs_deviation_bp=float(np.mean(absdev[quoted])),
        median_abs_deviation_bp=float(np.median(absdev[quoted])),
    )
    return out


def _traded_fields(
    timeseries: pd.DataFrame, quoted: Mapping[str, Any], notes: list[str]
) -> dict[str, float | None]:
    """Extremes of the prices actually paid: each step's last trade, on steps with trades."""
    if "last_deviation_bp" not in timeseries:
        return {"worst_traded_premium_bp": None, "worst_traded_discount_bp": None}
    last = _floats(timeseries["last_deviation_bp"])
    traded = last[(_floats(timeseries["trades"]) > 0) & np.isfinite(last)]
    if traded.size == 0:
        return {"worst_traded_premium_bp": 0.0, "worst_traded_discount_bp": 0.0}
    high = max(float(traded.max()), 0.0)
    low = min(float(traded.min()), 0.0)
    # Trades beyond the worst mid show a market the mid could not describe (a one-sided book).
    mid_low = quoted.get("worst_discount_bp") or 0.0
    if low < mid_low - 1.0:
        notes.append(
            f"trades printed down to {low:.1f} bp, beyond the worst mid deviation ({mid_low:.1f} bp)"
        )
    mid_high = quoted.get("worst_premium_bp") or 0.0
    if high > mid_high + 1.0:
        notes.append(
            f"trades printed up to {high:.1f} bp, beyond the worst mid deviation ({mid_high:.1f} bp)"
        )
    return {"worst_traded_premium_bp": high, "worst_traded_discount_bp": low}


def _recovery_fields(
    dev: np.ndarray,
    steps: np.ndarray,
    shock_pos: int | None,
    band: float,
    window_hours: float,
    step_hours: float,
    notes: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "recovery_band_bp": band,
        "recovery_window_hours": float(window_hours),
        "shock_peak_step": None,
        "shock_peak_deviation_bp": None,
        "recovery_step": None,
        "time_to_recover_hours": None,
    }
    if shock_pos is None:
        return out
    after = dev[shock_pos:]
    absdev = np.abs(after)
    finite = np.isfinite(after)
    if not finite.any():
        notes.append("no quote after the shock: recovery not measurable")
        return out
    peak = int(np.nanargmax(absdev))
    out["shock_peak_step"] = int(steps[shock_pos + peak])
    out["shock_peak_deviation_bp"] = float(after[peak])
    label = _band_label(band)
    if absdev[peak] <= band:
        notes.append(f"the deviation stayed within ±{label} bp after the shock")
        out["recovery_step"] = int(steps[shock_pos])
        out["time_to_recover_hours"] = 0.0
        return out
    window = max(1, math.ceil(window_hours / step_hours - 1e-9))
    inside = finite & (absdev <= band)
    # A window starting at s is inside throughout iff the running count gains `window` over it.
    counts = np.concatenate(([0], np.cumsum(inside, dtype=np.int64)))
    full = (counts[window:] - counts[:-window]) == window
    starts = np.flatnonzero(full[peak:]) + peak if full.size > peak else np.empty(0, np.int64)
    if starts.size == 0:
        notes.append(
            f"never recovered: |deviation| did not stay within ±{label} bp for "
            f"{window * step_hours:g} h before the run ended"
        )
        return out
    rec = shock_pos + int(starts[0])
    out["recovery_step"] = int(steps[rec])
    out["time_to_recover_hours"] = (rec - shock_pos) * step_hours
    return out


def _reserve_fields(timeseries: pd.DataFrame, steps: np.ndarray) -> dict[str, Any]:
    actual, actual_step = _nan_extreme(_floats(timeseries["reserve_ratio_actual"]), steps, "min")
    rep, rep_step = _nan_extreme(_floats(timeseries["reserve_ratio_reported"]), steps, "min")
    supply = _floats(timeseries["supply_tokens"])
    finite_supply = supply[np.isfinite(supply)]
    initial = float(finite_supply[0]) if finite_supply.size else None
    redeemed = float(np.nansum(_floats(timeseries["redemptions_g"])))
    queue, _ = _nan_extreme(_floats(timeseries["redemption_queue_g"]), steps, "max")
    return {
        "min_reserve_ratio_actual": actual,
        "min_reserve_ratio_actual_step": actual_step,
        "min_reserve_ratio_reported": rep,
        "min_reserve_ratio_reported_step": rep_step,
        "initial_supply_tokens": initial,
        "minted_tokens": float(np.nansum(_floats(timeseries["mints_g"]))),
        "redeemed_tokens": redeemed,
        "share_initial_supply_redeemed": redeemed / initial if initial else None,
        "max_redemption_queue_g": queue,
    }


def _holder_fields(
    timeseries: pd.DataFrame,
    dev: np.ndarray,
    holders: pd.DataFrame | None,
    notes: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "token_hold_excess_return_end": None,
        "token_hold_excess_return_worst": None,
        "holders_n": None,
        "holders_mean_excess_return": None,
        "holders_median_excess_return": None,
        "holders_share_worse_than_gold": None,
    }
    quoted = np.flatnonzero(np.isfinite(dev))
    if quoted.size:
        ratio = 1.0 + dev / 1e4  # token price per unit of gold value
        rel = ratio / ratio[quoted[0]] - 1.0
        out["token_hold_excess_return_end"] = float(rel[quoted[-1]])
        out["token_hold_excess_return_worst"] = float(np.nanmin(rel))
    if holders is None:
        notes.append(
            "no holder sample: holders' loss against gold is the aggregate "
            "token_hold_excess_return_*"
        )
        return out
    require_columns(holders, HOLDER_COLUMNS, "holder sample")
    if len(holders) == 0:
        notes.append("the holder sample is empty")
        return out
    unknown = ~holders["step"].isin(timeseries.index)
    if unknown.any():
        bad = holders["step"][unknown].iloc[0]
        raise DataValidationError("holder sample", f"step {bad} is not a step of the run")
    sample = holders.sort_values(["holder", "step"], kind="stable")
    first = sample.drop_duplicates("holder", keep="first")
    last = sample.drop_duplicates("holder", keep="last")
    # Tokens are marked at the last known mid; before the first quote (or never quoted) at the
    # next quote, and failing that at gold value, the only price there is.
    mark = timeseries["token_mid"].ffill().bfill().fillna(timeseries["gold_value_usd"])
    gold = timeseries["gold_value_usd"]

    def wealth(rows: pd.DataFrame) -> np.ndarray:
        price = mark.reindex(rows["step"]).to_numpy(dtype=np.float64)
        return _floats(rows["tokens"]) * price + _floats(rows["usd"])

    w0, w1 = wealth(first), wealth(last)
    g0 = gold.reindex(first["step"]).to_numpy(dtype=np.float64)
    g1 = gold.reindex(last["step"]).to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = (w1 / w0) / (g1 / g0) - 1.0
    usable = np.isfinite(excess) & (w0 > 0)
    dropped = int(usable.size - np.count_nonzero(usable))
    if dropped:
        notes.append(f"{dropped} holder(s) without a positive starting wealth left out")
    excess = excess[usable]
    out["holders_n"] = int(excess.size)
    if excess.size:
        out["holders_mean_excess_return"] = float(np.mean(excess))
        out["holders_median_excess_return"] = float(np.median(excess))
        out["holders_share_worse_than_gold"] = float(
            np.count_nonzero(excess < -WORSE_THAN_GOLD_TOL) / excess.size
        )
    return out


def _market_maker_fields(timeseries: pd.DataFrame, steps: np.ndarray) -> dict[str, Any]:
    active = _floats(timeseries["mm_active"])
    finite = np.flatnonzero(np.isfinite(active))
    if finite.size == 0:
        return {
            "mm_initial_active": None,
            "mm_min_active": None,
            "mm_min_active_step": None,
            "mm_withdrew": False,
            "mm_first_withdrawal_step": None,
        }
    initial = active[finite[0]]
    low, low_step = _nan_extreme(active, steps, "min")
    below = np.flatnonzero(active < initial)
    return {
        "mm_initial_active": int(initial),
        "mm_min_active": None if low is None else int(low),
        "mm_min_active_step": low_step,
        "mm_withdrew": bool(below.size),
        "mm_first_withdrawal_step": int(steps[below[0]]) if below.size else None,
    }


def _liquidity_fields(
    timeseries: pd.DataFrame,
    steps: np.ndarray,
    shock_pos: int | None,
    step_hours: float,
    notes: list[str],
) -> dict[str, Any]:
    depth = _floats(timeseries["depth_1pct_usd"])
    low, low_step = _nan_extreme(depth, steps, "min")
    base = depth if shock_pos is None else depth[:shock_pos]
    base = base[np.isfinite(base)]
    median = float(np.median(base)) if base.size else None
    if shock_pos == 0:
        notes.append("the shock is at the first step: no pre-shock depth to compare with")
    ratio = None
    if low is not None and median is not None and median > 0:
        ratio = low / median
    spread = _floats(timeseries["spread_bp"])
    wide, wide_step = _nan_extreme(spread, steps, "max")
    one_sided = _one_sided_hours(timeseries, step_hours, notes)
    finite_spread = spread[np.isfinite(spread)]
    return {
        "min_depth_1pct_usd": low,
        "min_depth_1pct_step": low_step,
        "pre_shock_median_depth_1pct_usd": median,
        "min_depth_1pct_ratio": ratio,
        "max_spread_bp": wide,
        "max_spread_step": wide_step,
        "median_spread_bp": float(np.median(finite_spread)) if finite_spread.size else None,
        **one_sided,
    }


def _one_sided_hours(
    timeseries: pd.DataFrame, step_hours: float, notes: list[str]
) -> dict[str, float | None]:
    """Hours with only one side of the book (a one-sided market has no mid, hence no deviation)."""
    if "token_bid" not in timeseries or "token_ask" not in timeseries:
        return {"hours_ask_side_empty": None, "hours_bid_side_empty": None}
    bid = np.isfinite(_floats(timeseries["token_bid"]))
    ask = np.isfinite(_floats(timeseries["token_ask"]))
    out: dict[str, float | None] = {
        "hours_ask_side_empty": float(np.count_nonzero(bid & ~ask)) * step_hours,
        "hours_bid_side_empty": float(np.count_nonzero(ask & ~bid)) * step_hours,
    }
    for key, who, unseen in (
        ("hours_ask_side_empty", "buyers found no seller", "premium"),
        ("hours_bid_side_empty", "sellers found no buyer", "discount"),
    ):
        if out[key]:
            side = key.split("_")[1]
            notes.append(
                f"the {side} side of the book was empty for {out[key]:g} h: {who}, and the "
                f"{unseen} they would have accepted is not in the deviation"
            )
    return out


def _governance_fields(
    timeseries: pd.DataFrame, events: pd.DataFrame | None, notes: list[str]
) -> dict[str, Any]:
    counter = _floats(timeseries["governance_actions"])
    counter = counter[np.isfinite(counter)]
    count = int(counter[-1]) if counter.size else 0
    actions: tuple[GovernanceAction, ...] = ()
    if events is not None:
        require_columns(events, EVENT_COLUMNS, "event log")
        source = events["source"].astype(str).str.lower()
        kind = events["kind"].astype(str)
        mask = (source == GOVERNANCE_SOURCE) | kind.str.lower().str.startswith(GOVERNANCE_SOURCE)
        chosen = events.loc[mask].sort_values("step", kind="stable")
        actions = tuple(
            GovernanceAction(int(s), str(k), _detail_text(d))
            for s, k, d in zip(chosen["step"], chosen["kind"], chosen["detail"], strict=True)
        )
        if len(actions) != count:
            # The log holds every step of the process (proposals, votes, gates); the counter
            # only the actions that took effect, so the two differ by design.
            notes.append(
                f"{count} governance action(s) took effect; the event log lists "
                f"{len(actions)} governance event(s) in all (proposals and votes counted apart)"
            )
    return {"governance_actions_count": count, "governance_actions": actions}


# --- helpers -----------------------------------------------------------------------------------


def _floats(column: pd.Series) -> np.ndarray:
    """A column as float64 with missing values as NaN (ints and nullable dtypes included)."""
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _nan_extreme(
    values: np.ndarray, steps: np.ndarray, which: str
) -> tuple[float | None, int | None]:
    """Min or max ignoring NaN, with the step of its first occurrence; (None, None) if all NaN."""
    if not np.isfinite(values).any():
        return None, None
    pos = int(np.nanargmin(values) if which == "min" else np.nanargmax(values))
    return float(values[pos]), int(steps[pos])


def _band_label(band: float) -> str:
    """``50.0`` -> ``"50"``, ``37.5`` -> ``"37.5"`` (for keys and notes)."""
    return f"{band:g}"


def _json_float(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _detail_text(detail: object) -> str:
    """Event detail as stable text: mappings as sorted-key JSON, missing as ``""``."""
    if isinstance(detail, Mapping):
        return json.dumps(dict(detail), sort_keys=True, default=str)
    if detail is None or (isinstance(detail, float) and math.isnan(detail)):
        return ""
    return str(detail)


# --- labels for people ------------------------------------------------------------------------

METRIC_LABELS: dict[str, str] = {
    "n_steps": "Steps",
    "step_hours": "Hours per step",
    "duration_hours": "Duration",
    "shock_step": "Shock at step",
    "unquoted_steps": "Steps without a quote",
    "worst_premium_bp": "Worst premium",
    "worst_premium_step": "Worst premium at step",
    "worst_discount_bp": "Worst discount",
    "worst_discount_step": "Worst discount at step",
    "worst_traded_premium_bp": "Worst traded premium",
    "worst_traded_discount_bp": "Worst traded discount",
    "mean_abs_deviation_bp": "Mean |deviation|",
    "median_abs_deviation_bp": "Median |deviation|",
    "half_life_hours": "Deviation half-life",
    "half_life_steps": "Deviation half-life in steps",
    "half_life_phi": "Half-life AR(1) coefficient",
    "half_life_phi_se": "Half-life AR(1) coefficient s.e.",
    "half_life_intercept_bp": "Half-life AR(1) intercept",
    "half_life_n_obs": "Half-life observations",
    "half_life_flag": "Half-life fit note",
    "shock_peak_step": "Shock peak at step",
    "shock_peak_deviation_bp": "Deviation at the shock's peak",
    "recovery_band_bp": "Recovery band",
    "recovery_window_hours": "Recovery window",
    "recovery_step": "Recovered at step",
    "time_to_recover_hours": "Time to recover",
    "min_reserve_ratio_actual": "Lowest reserve ratio (actual)",
    "min_reserve_ratio_actual_step": "Lowest actual ratio at step",
    "min_reserve_ratio_reported": "Lowest reserve ratio (reported)",
    "min_reserve_ratio_reported_step": "Lowest reported ratio at step",
    "initial_supply_tokens": "Initial supply",
    "minted_tokens": "Minted",
    "redeemed_tokens": "Redeemed",
    "share_initial_supply_redeemed": "Share of initial supply redeemed",
    "max_redemption_queue_g": "Largest redemption queue",
    "token_hold_excess_return_end": "Token against gold, end of run",
    "token_hold_excess_return_worst": "Token against gold, worst",
    "holders_n": "Holders measured",
    "holders_mean_excess_return": "Holders' mean return against gold",
    "holders_median_excess_return": "Holders' median return against gold",
    "holders_share_worse_than_gold": "Share of holders worse off than in gold",
    "mm_initial_active": "Market makers quoting at start",
    "mm_min_active": "Fewest market makers quoting",
    "mm_min_active_step": "Fewest market makers at step",
    "mm_withdrew": "A market maker withdrew",
    "mm_first_withdrawal_step": "First withdrawal at step",
    "min_depth_1pct_usd": "Lowest depth ±1%",
    "min_depth_1pct_step": "Lowest depth at step",
    "pre_shock_median_depth_1pct_usd": "Median depth ±1% before the shock",
    "min_depth_1pct_ratio": "Lowest depth against before the shock",
    "max_spread_bp": "Widest spread",
    "max_spread_step": "Widest spread at step",
    "median_spread_bp": "Median spread",
    "hours_ask_side_empty": "Time without an ask",
    "hours_bid_side_empty": "Time without a bid",
    "governance_actions_count": "Governance actions",
    "volume_tokens_total": "Volume traded",
    "volume_usd_total": "Volume traded (USD)",
    "trades_total": "Trades",
    "hours_primary_closed": "Time the primary market was closed",
    "hours_circuit_breaker": "Time trading was halted",
}
"""A short human label per :meth:`RunMetrics.to_dict` key (band keys are labelled by rule)."""

_UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_bp", "bp"),
    ("_hours", "h"),
    ("_usd", "USD"),
    ("_g", "g"),
    ("_tokens", "tokens"),
)
_FRACTIONS = ("share_", "fraction_", "_return", "_ratio", "_worse_than_gold")
_BAND = re.compile(r"^(steps|hours|fraction)_outside_(\d+(?:\.\d+)?)bp$")


def metric_unit(name: str) -> str:
    """The unit of a metric, from the naming convention the metrics follow.

    ``..._bp`` is bp, ``..._hours`` hours (``h``), ``..._usd`` USD, ``..._g`` grams, ``..._tokens``
    tokens; shares, fractions and returns are fractions (``fraction``: show them as %); reserve
    ratios and counts have no unit (empty).
    """
    band = _BAND.match(name)
    if band:
        return {"steps": "", "hours": "h", "fraction": "fraction"}[band[1]]
    if name.startswith("min_reserve_ratio") and not name.endswith("_step"):
        return ""
    if name.startswith(_FRACTIONS) or name.endswith(_FRACTIONS):
        return "fraction"
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return ""


def metric_label(name: str) -> str:
    """A short human label of a metric (the name, made readable, if it has none)."""
    band = _BAND.match(name)
    if band:
        what = {"steps": "Steps", "hours": "Time", "fraction": "Share of run"}[band[1]]
        return f"{what} outside ±{band[2]} bp"
    return METRIC_LABELS.get(name, name.replace("_", " ").capitalize())
