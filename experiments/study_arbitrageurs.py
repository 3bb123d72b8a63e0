"""Study 2: number of arbitrageurs vs calm-time peg tightness and vs the outcome of a large shock.

One command::

    python experiments/study_arbitrageurs.py [--quick] [--workers N]

Ma, Zeng & Zhang (*Stablecoin runs and the centralization of arbitrage*) argue a trade-off: more
(efficient) arbitrage keeps the peg tighter in calm times but makes runs more likely and larger,
because arbitrageurs redeem at par quickly when the reserve is in doubt. ``arbitrageurs.toml``
sweeps the arbitrageur count (authorised participants with primary-market access, each with the
configured capital) over two sweeps with the same seeds at every count, both on the shipped
``calibrated`` configuration (10,000 holders, the population it was fitted with):

* **calm**: the ``baseline`` scenario over 90 days (60 in ``--quick`` mode): in the calibrated
  model the calm basis wanders for days to weeks (dealers carry the basis they see traded, demand
  waves have a 30-day half-life) until something stops it, so a run of a few days cannot show what
  arbitrage capacity does to it. Peg tightness = mean absolute deviation, hours outside ±50 bp and
  the daily close (24:00 UTC) against the gold fix, mean absolute (read from each run's series, as
  ``gramabm validate`` computes it);
* **calm_narrow**: the same calm runs with the arbitrageurs' band narrowed from about ±162 bp to ±5
  bp (no primary fee, a 5 bp edge), to tell what the count does from what the primary terms do;
* **shock**: a 25% gold fall within one business day plus a hidden 5% loss at the largest custodian
  (PAXG terms: disclosed only at the next monthly attestation); outcome = worst discount, hours
  outside ±100 bp, share of supply redeemed (the run) and the lowest *actual* reserve ratio (what
  par redemptions of a hidden shortfall leave the holders who stay).

Outputs in ``experiments/output/arbitrageurs/``: ``arbitrageurs.csv`` (per variant and count:
mean, sd, 95% t interval and n of every metric above), ``arbitrageurs_trend.csv`` (per metric: the
slope of the metric per doubling of the count, estimated per seed and averaged, with its 95% t
interval across seeds), ``arbitrageurs_contrasts.csv`` (each count against the smallest, paired),
``arbitrageurs_calm_evidence.csv`` (per calm run: where the basis sat against the arbitrageurs'
band, how often it reached it, the hours with a primary-market request), ``arbitrageurs.png`` and
``summary.txt``, which states whether the trade-off's direction shows (calm tightness improving with
more arbitrageurs *and* the shock outcome worsening) and, when the calm peg does not tighten, why,
all from the run's own numbers.

What it showed, on the calibrated configuration refitted with the dealers' absorption of gold's
violent hours (``--quick``: 3 seeds, 10,000 holders, calm 60 days, shock 10 days, counts 1, 4 and
16; rerun it for yours):

* Calm: more arbitrageurs do **not** measurably tighten the calm peg at the shipped terms, so the
  literature's calm direction (more arbitrage, a tighter calm peg: Lyons & Viswanath-Natraj; Ma,
  Zeng & Zhang) does not show through the count. Mean absolute deviation 43.0, 44.4 and 39.9 bp at
  1, 4 and 16 arbitrageurs (-0.78 bp per doubling, 95% CI -5.26 to +3.71); hours outside ±50 bp
  495, 473 and 409 of 1,440 (-21 h per doubling, CI -130 to +88); daily close-vs-fix mean absolute
  deviation 51.9, 53.7 and 50.2 bp (-0.41 bp per doubling, CI -4.22 to +3.40). Between 28% and 34%
  of the calm hours lie beyond ±50 bp at every count, and what loosens the peg does not depend on
  the count.
* Why: the arbitrageurs' standing quotes sit at -175 and +176 bp from the gold value (the 50 bp
  PAXG fee tier for their ~10 kg lots plus the fitted 126 bp required edge), and in 60 calm days
  the basis stays inside them: its 1st-99th percentiles were -132..+79 bp with one arbitrageur,
  -129..+70 with four and -126..+77 with sixteen (means over seeds), it was within 10 bp of a quote
  or beyond in 0.23-0.25% of hours (beyond in 0.09-0.12%), and the primary market saw a request in
  7-11 of 1,440 hours (means over seeds). The basis wanders with the demand waves and the dealers'
  carried basis inside the band, where arbitrage capacity is not asked for; the few hours it
  reaches the band are too few for the count to show in the calm averages.
* The band, not the count: narrowed to ±5 bp, arbitrage binds (the basis within 2.5 bp of a quote
  or beyond in 35-64% of hours, beyond in 5-46%, primary requests in 102-257 hours) and the calm
  peg tightens at every count (paired against the shipped band: -26.8 bp of mean absolute
  deviation with one arbitrageur, 95% CI -45.4 to -8.2; -42.2 with four, CI -84.3 to +0.0; -37.9
  with sixteen, CI -58.6 to -17.2), to 16.2, 2.2 and 2.0 bp, and the hours outside ±50 bp fall to
  144, 1 and 0. There the count matters too, up to a point: one arbitrageur's capital runs short
  (the basis beyond its quotes in 45.9% of hours, 1st-99th percentiles -73..+53 bp, against 6.6%
  and -13..+7 bp with four, 5.0% and -6..+6 bp with sixteen), so four cut the mean absolute
  deviation by 14.0 bp against one (paired, CI -32.4 to +4.5) and sixteen by 14.2 (CI -33.5 to
  +5.1): -3.6 bp per doubling (CI -8.4 to +1.3), all of it between one and four, and with three
  seeds not distinguishable from zero. So the model shows the literature's calm direction through
  the width of the no-arbitrage band (primary access and fees, the channel Lyons &
  Viswanath-Natraj measure; here the narrow band cuts the deviation by 62% with one arbitrageur and
  by about 95% with four or sixteen, more than the halving they report), and through the count
  only where that band binds and one arbitrageur's capital is short.
* The daily close-vs-fix deviation responds to the band (50-54 bp at the shipped band, 36-38 at
  the narrow one; paired -13.9, -17.6 and -13.6 bp, the last CI -23.9 to -3.4, the others' CIs
  crossing zero) but not to the count (-0.35 bp per doubling at the narrow band, CI -1.82 to
  +1.13): with four or sixteen arbitrageurs at the narrow band the basis stays within about
  -13..+7 bp yet the close-vs-fix deviation is still 36 bp, so what sets it is not the token's
  basis but gold's own move between the morning fix and the midnight close.
* Shock: the stress still bites, and more arbitrageurs make the peg outcome *better*: the worst
  discount goes from -676 bp (one arbitrageur, sd 263 over seeds) to -334 (four) and -177
  (sixteen, sd 2: about the band's -175 bp edge in every seed) (paired +342 bp, CI -228 to +912,
  and +499, CI -160 to +1,159; +125 bp per doubling, CI -40 to +290: with three seeds and one
  arbitrageur's spread, not distinguishable from zero); one arbitrageur's capital runs out and the
  discount runs far past the band. Hours outside ±100 bp 140, 132 and 118 (paired -8, CI -76 to
  +59, and -23, CI -56 to +11). The dealers' absorption of violent hours stops once the market is
  turbulent, so the crash is followed in full (without that bound the same fall left the worst
  discount near -120 bp: docs/validation/README.md).
* The run channel of the trade-off shows only at four: four arbitrageurs redeem more of the supply
  at par than one (0.107 against 0.080, paired +0.027, CI +0.009 to +0.044) and leave a slightly
  lower actual reserve ratio (-0.0010, CI -0.0020 to +0.0001); sixteen redeem less (0.070, paired
  -0.011, CI -0.037 to +0.015) and leave a higher one (0.9632 against 0.9620, CI -0.0010 to
  +0.0034). Per doubling: -0.0027 of the supply redeemed (CI -0.0092 to +0.0038), +0.0003 of
  actual reserve ratio (CI -0.0003 to +0.0009).

So the Ma-Zeng-Zhang trade-off's direction does not show at the shipped terms: calm tightness does
not respond to the count (the basis rarely reaches the arbitrageurs' band of about ±175 bp), and
the shock's worst discount improves with it; more of the supply is redeemed at par with four
arbitrageurs than with one (the run channel), but not with sixteen. Its calm half shows only with
the band narrowed to ±5 bp, and there only from one arbitrageur to four. ``summary.txt`` states
the verdict of each run of the script from its own numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from study_common import run_study, sweep_dir

from gramabm.analysis.render.plots import save_figure
from gramabm.analysis.render.sweep_plots import (
    COLOURS,
    interval_line,
    marginal_means,
    new_figure,
)
from gramabm.analysis.sweeps.aggregate import aggregate, aggregate_wide, ok_runs
from gramabm.analysis.sweeps.columns import metric_column, param_column
from gramabm.analysis.sweeps.recommend import STABILITY_METRICS, MetricSense, better_sign
from gramabm.analysis.token.candles import candles_from_run, fixes_from_run
from gramabm.analysis.token.facts import token_facts
from gramabm.config import ModelConfig, build_config
from gramabm.market.presets import get_preset
from gramabm.market.primary import Kind
from gramabm.units import GRAMS_PER_TROY_OUNCE

STUDY = "arbitrageurs"
N = param_column("arbitrageurs.n")
CLOSE_FIX = "close_fix_mean_abs_bp"
CALM = ["mean_abs_deviation_bp", "hours_outside_50bp", CLOSE_FIX]
# The daily close-vs-fix deviation is read from each calm run's series, not a sweep metric.
SENSES = {**STABILITY_METRICS, CLOSE_FIX: MetricSense("daily close-vs-fix mean |deviation|", " bp")}
CALM_VARIANTS = ("calm", "calm_narrow")  # the shipped band, and a band narrowed to a few bp
NEAR_BAND_BP = 10.0  # an hour counts as at the band when the basis is within this of a quote
SHOCK = [
    "worst_discount_bp",
    "hours_outside_100bp",
    "share_initial_supply_redeemed",
    "min_reserve_ratio_actual",
]


def arbitrage_band_bp(
    config: ModelConfig, gold_usd_oz: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where an arbitrageur's standing quotes sit each hour, in bp from the gold value.

    Its bid is what a redemption of its target inventory nets less its required edge, its ask what
    a mint costs plus the edge (the rule of :class:`gramabm.agents.arbitrageurs.Arbitrageur`; the
    extra closed-window premium is left out, so the band drawn is the narrowest it quotes).
    """
    terms = get_preset(config.primary.preset)
    arb = config.arbitrageurs
    notional = arb.inventory_g * gold_usd_oz / GRAMS_PER_TROY_OUNCE
    units = np.round(notional * 1e6).astype(np.int64)
    redeem = np.array([terms.fee_bp(Kind.REDEEM, int(u)) for u in units])
    mint = np.array([terms.fee_bp(Kind.MINT, int(u)) for u in units])
    if config.primary.redeem_fee_bp is not None:
        redeem[:] = config.primary.redeem_fee_bp
    if config.primary.mint_fee_bp is not None:
        mint[:] = config.primary.mint_fee_bp
    low = -((1 - (1 - redeem / 1e4) * (1 - arb.min_edge_bp / 1e4)) * 1e4)
    high = ((1 + arb.min_edge_bp / 1e4) / (1 - mint / 1e4) - 1) * 1e4
    return low, high


def calm_evidence(results: pd.DataFrame, sweep: Path, config: ModelConfig) -> pd.DataFrame:
    """Per calm run, from its series: close-vs-fix deviation and where the basis sat vs the band.

    Returns:
        One row per run: ``run_id``, ``replication``, the count, the close-vs-fix mean absolute
        deviation (as the metric column :data:`CLOSE_FIX`), the band's edges (median over the
        run), the basis's 1st and 99th percentiles, the share of hours within
        :data:`NEAR_BAND_BP` of a quote or beyond it, and the hours with a primary-market request.
    """
    rows = []
    for _, run in ok_runs(results).iterrows():
        ts = pd.read_parquet(sweep / "timeseries" / f"{run['run_id']}.parquet")
        facts = token_facts(candles_from_run(ts), fixes_from_run(ts)).values
        low, high = arbitrage_band_bp(config, ts["gold_usd_oz"].to_numpy(float))
        dev = ts["deviation_bp"].to_numpy(float)
        # Near a quote: within NEAR_BAND_BP of it, or a quarter of the band for a narrow band.
        near = np.minimum(NEAR_BAND_BP, (high - low) / 4)
        at_band = (dev <= low + near) | (dev >= high - near)
        beyond = (dev < low) | (dev > high)
        requests = (ts["mints_requested_g"] > 0) | (ts["redemptions_requested_g"] > 0)
        rows.append(
            {
                "run_id": run["run_id"],
                "replication": run["replication"],
                N: run[N],
                metric_column(CLOSE_FIX): facts["dev_mean_abs_bp"],
                "band_low_bp": float(np.median(low)),
                "band_high_bp": float(np.median(high)),
                "basis_p1_bp": float(np.nanpercentile(dev, 1)),
                "basis_p99_bp": float(np.nanpercentile(dev, 99)),
                "share_hours_at_band": float(np.mean(at_band[np.isfinite(dev)])),
                "share_hours_beyond_band": float(np.mean(beyond[np.isfinite(dev)])),
                "hours_primary_requests": int(requests.sum()),
                "hours": len(ts),
            }
        )
    return pd.DataFrame(rows)


def evidence_lines(evidence: pd.DataFrame) -> list[str]:
    """Where the calm basis sat against the arbitrageurs' band, per count (means over seeds)."""
    per = evidence.groupby(["variant", N]).mean(numeric_only=True)
    head = (
        "calm  where the basis sat (means over seeds; band = the arbitrageurs' quotes, "
        f"'at band' = within {NEAR_BAND_BP:g} bp of a quote, or a quarter of a narrower band, "
        "or beyond):"
    )
    lines = [head]
    for (variant, n), r in per.iterrows():
        lines.append(
            f"      {variant}, {n:g} arbitrageur(s): basis p1..p99 {r['basis_p1_bp']:+.0f}..{r['basis_p99_bp']:+.0f}"
            f" bp, band {r['band_low_bp']:+.0f}..{r['band_high_bp']:+.0f} bp, at band "
            f"{100 * r['share_hours_at_band']:.2f}% of hours (beyond it "
            f"{100 * r['share_hours_beyond_band']:.2f}%), primary requests in "
            f"{r['hours_primary_requests']:.0f} of {r['hours']:.0f} hours"
        )
    return lines


def band_lines(results: pd.DataFrame) -> list[str]:
    """The narrow band against the shipped one at each count, paired by seed (95% t intervals)."""
    if "calm_narrow" not in set(results["variant"]):
        return []
    ok = ok_runs(results)
    lines = ["calm  means over seeds by count (shipped band | narrow band):"]
    for metric in CALM:
        means = ok.groupby(["variant", N])[metric_column(metric)].mean()
        cells = [
            " ".join(f"{means.get((v, n), np.nan):.2f}" for n in sorted(ok[N].unique()))
            for v in CALM_VARIANTS
        ]
        lines.append(f"      {SENSES[metric].label}: {cells[0]} | {cells[1]}")
    lines.append("calm  narrow band minus shipped band, same count and seed (95% CI):")
    for metric in CALM:
        col = metric_column(metric)
        wide = ok[ok["variant"].isin(CALM_VARIANTS)].pivot_table(
            index=["replication", N], columns="variant", values=col, aggfunc="first"
        )
        for n, grp in wide.groupby(level=N):
            d = (grp["calm_narrow"] - grp["calm"]).dropna().to_list()
            c = _mean_ci("diff", d)
            lines.append(
                f"      {SENSES[metric].label}, {n:g} arbitrageur(s): {_g(c['diff'])}"
                f"{SENSES[metric].unit} ({_g(c['diff_ci_low'])} to {_g(c['diff_ci_high'])})"
            )
    return lines


def why_not_lines(evidence: pd.DataFrame) -> list[str]:
    """Why the count cannot tighten the calm peg, when the basis stays inside the band."""
    evidence = evidence[evidence["variant"] == "calm"]
    at_band = float(evidence["share_hours_at_band"].mean())
    inside = bool(
        (evidence["basis_p1_bp"] > evidence["band_low_bp"]).all()
        and (evidence["basis_p99_bp"] < evidence["band_high_bp"]).all()
    )
    if not inside:
        return []
    why = (
        "Why: in calm markets the basis stays inside the arbitrageurs' band (its 1st-99th "
        "percentiles inside their quotes in every run; at or beyond the band "
        f"{100 * at_band:.2f}% of hours). Their quotes are rarely reached, so more arbitrageurs "
        "add capacity at prices the calm market does not trade at; what moves the calm basis "
        "(the dealers' carried basis, the demand waves) plays out inside the band."
    )
    return [why]


def trends(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per variant and metric: the slope per doubling of the count, and each count vs the smallest.

    Common random numbers give every count the same seeds, so both are estimated per seed (paired)
    and their 95% t intervals are taken across seeds.

    Returns:
        The slope table (one row per variant and metric) and the contrast table (one row per
        variant, metric and count above the smallest: the paired difference from the smallest).
    """
    slope_rows, contrast_rows = [], []
    present = set(results["variant"])
    groups = [(v, CALM) for v in CALM_VARIANTS if v in present] + [("shock", SHOCK)]
    for variant, metrics in groups:
        ok = ok_runs(results[results["variant"] == variant])
        counts = sorted(ok[N].unique())
        for metric in metrics:
            if metric_column(metric) not in ok.columns:
                continue
            wide = ok.pivot_table(
                index="replication", columns=N, values=metric_column(metric), aggfunc="first"
            ).astype(float)
            x = np.log2(np.asarray(wide.columns, dtype=float))
            slopes = [
                np.polyfit(x[np.isfinite(y)], y[np.isfinite(y)], 1)[0]
                for y in wide.to_numpy()
                if np.isfinite(y).sum() >= 3
            ]
            slope_rows.append(
                {"variant": variant, "metric": metric, **_mean_ci("slope_per_doubling", slopes)}
            )
            for n in counts[1:]:
                diffs = (wide[n] - wide[counts[0]]).dropna().to_list()
                contrast_rows.append(
                    {
                        "variant": variant,
                        "metric": metric,
                        "count": n,
                        "reference_count": counts[0],
                        **_mean_ci("diff", diffs),
                        "seeds": len(diffs),
                    }
                )
    return pd.DataFrame(slope_rows), pd.DataFrame(contrast_rows)


def _mean_ci(key: str, values: list[float]) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        mean = float(v.mean()) if v.size else np.nan
        return {key: mean, f"{key}_ci_low": np.nan, f"{key}_ci_high": np.nan}
    half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return {key: v.mean(), f"{key}_ci_low": v.mean() - half, f"{key}_ci_high": v.mean() + half}


def _g(value: float) -> str:
    """Signed, 4 significant digits; float dust (|v| < 1e-9) shown as 0."""
    return f"{0.0 if abs(value) < 1e-9 else value:+.4g}"


def _better_sign(metric: str) -> int:
    return -1 if metric == CLOSE_FIX else better_sign(metric)


def direction(metric: str, value: float, lo: float, hi: float) -> str:
    """``better``/``worse``/``unclear`` for a change whose 95% interval is ``[lo, hi]``."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 <= hi:
        return "unclear"
    return "better" if _better_sign(metric) * value > 0 else "worse"


def calm_tightens(slopes: pd.DataFrame) -> bool:
    """Whether some calm metric improves with the count (interval clear of zero) and none worsens."""
    calm = [
        direction(
            r["metric"],
            r["slope_per_doubling"],
            r["slope_per_doubling_ci_low"],
            r["slope_per_doubling_ci_high"],
        )
        for _, r in slopes[slopes["variant"] == "calm"].iterrows()
    ]
    return "better" in calm and "worse" not in calm


def verdict(slopes: pd.DataFrame, contrasts: pd.DataFrame) -> list[str]:
    """Plain-language lines: each metric's trend and worst count, then whether the trade-off shows."""
    lines = []
    worse_somewhere: dict[tuple[str, str], list[str]] = {}
    for _, r in slopes.iterrows():
        sense = SENSES[r["metric"]]
        d = direction(
            r["metric"],
            r["slope_per_doubling"],
            r["slope_per_doubling_ci_low"],
            r["slope_per_doubling_ci_high"],
        )
        lines.append(
            f"{r['variant']:5s} {sense.label}: trend {_g(r['slope_per_doubling'])}{sense.unit} per "
            f"doubling of arbitrageurs (95% CI {_g(r['slope_per_doubling_ci_low'])} to "
            f"{_g(r['slope_per_doubling_ci_high'])}) -> {d}"
        )
        sub = contrasts[
            (contrasts["variant"] == r["variant"]) & (contrasts["metric"] == r["metric"])
        ]
        for _, c in sub.iterrows():
            dc = direction(c["metric"], c["diff"], c["diff_ci_low"], c["diff_ci_high"])
            if dc == "worse":
                worse_somewhere.setdefault((r["variant"], r["metric"]), []).append(
                    f"{c['count']:g} ({_g(c['diff'])}{sense.unit}, 95% CI "
                    f"{_g(c['diff_ci_low'])} to {_g(c['diff_ci_high'])})"
                )
        if (r["variant"], r["metric"]) in worse_somewhere:
            ref = int(sub["reference_count"].iloc[0])
            lines.append(
                f"      worse than with {ref} arbitrageur(s) at: "
                + "; ".join(worse_somewhere[(r["variant"], r["metric"])])
            )
    calm_tighter = calm_tightens(slopes)
    shock_worse = sorted({m for (v, m) in worse_somewhere if v == "shock"})
    lines.append("")
    if calm_tighter and shock_worse:
        lines.append(
            "The Ma-Zeng-Zhang trade-off's direction SHOWS: more arbitrageurs tighten the calm peg, "
            f"and some counts worsen the shock's {', '.join(shock_worse)} (intervals exclude zero)."
        )
    else:
        calm_text = (
            "more arbitrageurs tighten the calm peg"
            if calm_tighter
            else "more arbitrageurs do not measurably tighten the calm peg"
        )
        shock_text = (
            f"the run channel shows in {', '.join(shock_worse)} (worse at some counts than with "
            "the fewest arbitrageurs)"
            if shock_worse
            else "no shock outcome is worse with more arbitrageurs"
        )
        lines.append(
            f"The Ma-Zeng-Zhang trade-off's direction does NOT show in this model: {calm_text}; "
            f"{shock_text}."
        )
    return lines


def figure(results: pd.DataFrame, contrasts: pd.DataFrame):
    """Shock metrics against the count (means, 95% intervals over seeds); calm metrics as paired
    differences from the smallest count (seed-to-seed spread in calm markets dwarfs the count's
    effect, so only the paired difference shows it)."""
    panels = [("calm", m) for m in CALM] + [("shock", m) for m in SHOCK]
    fig = new_figure(20.0, 7.2)
    grid = fig.subplots(2, 4).ravel()
    axes = grid[: len(panels)]
    _band_panel(grid[len(panels)], results)
    for ax, (variant, metric) in zip(axes, panels, strict=True):
        label = SENSES[metric].label
        if variant == "calm":
            c = contrasts[(contrasts["variant"] == variant) & (contrasts["metric"] == metric)]
            ref = int(c["reference_count"].iloc[0])
            x = np.r_[ref, c["count"].to_numpy(dtype=float)]
            mean = np.r_[0.0, c["diff"].to_numpy(dtype=float)]
            lo = np.r_[0.0, c["diff_ci_low"].to_numpy(dtype=float)]
            hi = np.r_[0.0, c["diff_ci_high"].to_numpy(dtype=float)]
            title = f"calm: change in {label} vs {ref} (paired)"
            colour = COLOURS[0]
        else:
            mm = marginal_means(
                results[results["variant"] == variant], N, metric, by_scenario=False
            )
            x = mm["level"].to_numpy(dtype=float)
            mean, lo, hi = (mm[k].to_numpy(dtype=float) for k in ("mean", "ci_low", "ci_high"))
            title = f"shock: {label}"
            colour = COLOURS[1]
        interval_line(ax, x, mean, lo, hi, color=colour)
        if variant == "calm":
            ax.axhline(0, color="black", lw=0.6)
        ax.set_xscale("log", base=2)
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("arbitrageurs")
        ax.set_ylabel(metric, fontsize=8)
        ax.grid(True, linewidth=0.3, alpha=0.6)
    return fig


def _band_panel(ax, results: pd.DataFrame) -> None:
    """Calm mean absolute deviation against the count, at the shipped band and the narrow one."""
    shown = [v for v in CALM_VARIANTS if v in set(results["variant"])]
    for k, variant in enumerate(shown):
        mm = marginal_means(
            results[results["variant"] == variant], N, "mean_abs_deviation_bp", by_scenario=False
        )
        x = mm["level"].to_numpy(dtype=float)
        interval_line(
            ax,
            x,
            mm["mean"],
            mm["ci_low"],
            mm["ci_high"],
            color=COLOURS[(2 * k) % len(COLOURS)],
            label={"calm": "shipped band", "calm_narrow": "band narrowed to ±5 bp"}[variant],
        )
        ax.set_xscale("log", base=2)
        ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.set_title("calm: mean absolute deviation by band", fontsize=10, loc="left")
    ax.set_xlabel("arbitrageurs")
    ax.set_ylabel("mean_abs_deviation_bp", fontsize=8)
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.legend(fontsize=7)


def main() -> None:
    """Run both sweeps and write the table, the trend table, the figure and the verdict."""
    args, specs, results = run_study(STUDY, __doc__)
    out: Path = args.out
    frames = []
    for variant, spec in specs:
        if variant in CALM_VARIANTS:
            config = build_config(spec.scenario_data("baseline"))
            found = calm_evidence(
                results[results["variant"] == variant], sweep_dir(out, spec), config
            )
            frames.append(found.assign(variant=variant))
    evidence = pd.concat(frames, ignore_index=True)
    evidence.to_csv(out / f"{STUDY}_calm_evidence.csv", index=False)
    results = results.merge(evidence[["run_id", metric_column(CLOSE_FIX)]], on="run_id", how="left")
    tables = [
        aggregate_wide(aggregate(results[results["variant"] == v], ms, by=["variant", N]))
        for v, ms in [(v, CALM) for v in CALM_VARIANTS] + [("shock", SHOCK)]
        if v in set(results["variant"])
    ]
    pd.concat(tables, ignore_index=True).to_csv(out / f"{STUDY}.csv", index=False)
    slopes, contrasts = trends(results)
    slopes.to_csv(out / f"{STUDY}_trend.csv", index=False)
    contrasts.to_csv(out / f"{STUDY}_contrasts.csv", index=False)
    save_figure(figure(results, contrasts), out / f"{STUDY}.png")
    mode = "quick" if args.quick else "full"
    n_seeds = int(results["replication"].nunique())
    header = (
        f"Study 2 ({mode} mode, {n_seeds} seeds per count, counts "
        f"{sorted(results[N].unique().tolist())}):"
    )
    lines = [header, *verdict(slopes, contrasts), "", *evidence_lines(evidence)]
    if not calm_tightens(slopes):
        lines += why_not_lines(evidence)
    lines += ["", *band_lines(results)]
    (out / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))
    print(f"\nwrote {out / f'{STUDY}.csv'}, {out / f'{STUDY}_trend.csv'}, {out / f'{STUDY}.png'}")


if __name__ == "__main__":
    main()
