"""Study 1: primary-market redemption fee × gold-shock severity.

One command::

    python experiments/study_fee_vs_severity.py [--quick] [--workers N]

runs the grid of ``fee_vs_severity.toml`` (redemption fee 0-100 bp × a sudden gold fall of 5-30%
within one business day, several seeds each, the same seeds at every point) and writes into
``experiments/output/fee_vs_severity/``:

* ``fee_vs_severity.csv``: one row per fee and severity: mean, standard deviation, 95% t interval
  and number of seeds of the worst discount, the hours outside ±100 bp, the time to recover and the
  share of supply redeemed;
* ``fee_vs_severity.png``: heatmaps of the mean worst discount and of the hours outside ±100 bp over
  the grid, and the worst discount against severity per fee with 95% intervals;
* ``report.html``: the full sweep report (sensitivity, scenario discovery, recommendations).

The arbitrage that closes a discount buys tokens and redeems them; it pays only once the discount
exceeds the redemption fee (plus the arbitrageur's edge), so a higher fee should leave deeper and
longer discounts after the same fall. The script prints, per severity, the difference in worst
discount between the highest and the lowest fee with its paired 95% interval, so whether the data
bear that out is stated, not assumed.

What it showed on the calibrated configuration refitted with the dealers' absorption of gold's
violent hours, with ``--quick`` (2 seeds, its 10,000 holders, 7 days with the fall at hour 48,
fees 0/25/100 bp, falls 5/15/30%; rerun it for yours; ``summary.txt`` holds each run's own
reading):

* After a 5% fall the fee barely moves the worst discount: -122, -125 and -125 bp at 0, 25 and
  100 bp (100 against 0 bp: -3.6 bp, 95% CI -5.5 to -1.7: deeper, but by 4 bp), and the hours
  beyond ±100 bp rise a little with it, 28 at 0 bp against 31 at 25 and 100 bp. The basis
  deviates by 40-48 bp on average over these weeks, so a 5% fall only holds it a little past
  -100 bp.
* After a 15% fall the order is not the fee's: -341, -216 and -255 bp at 0, 25 and 100 bp (100
  against 0 bp: +85.7 bp, CI -1,140 to +1,311), each mean carried by one seed (at 0 bp the seeds
  -272 and -409); the hours beyond ±100 bp 56.5, 47.5 and 64.
* After a 30% fall the worst discount is -410, -374 and -566 bp at 0, 25 and 100 bp (100 against
  0 bp: -156 bp, CI -622 to +311), again one seed's (at 100 bp -292 and -839); the hours beyond
  ±100 bp rise with the fee, 51, 54.5 and 61. In five of the six seed pairs (three falls, two
  seeds) the 100 bp fee left more hours outside ±100 bp than no fee (the sixth: 78 against 79):
  on the hours the fee's sign mostly holds, on the worst discount it does not. Without a fee the
  worst discount deepens with the fall (-122, -341, -410 bp).
* Redemptions: none settled in any of the 18 runs. Requests did queue. After a 5% fall (-121 to
  -126 bp at worst) 30,000-52,000 g waited to be redeemed at 0 and 25 bp and next to nothing at
  100 bp (365 g in one seed, none in the other), a fee that takes nearly all of the discount (the
  arbitrageurs want 126 bp beyond it): there the fee shuts the primary exit. After 15% and 30%
  falls 206,000-249,000 g queued at every fee and none of it settled within the week (the primary
  market was shut 128 of the 168 hours). No run recovered (within ±50 bp for 24 h); governance
  proposed halving the fee in nine of the twelve runs at 25 and 100 bp, and none took effect.
* Why the worst discount does not follow the fee: with the primary market not clearing, the book
  alone absorbs the selling, and its state sets the trough more than the fee does. Depth within
  1% of mid fell to nothing in all 12 runs after 15% and 30% falls, and all three market makers
  withdrew in 5 of them (the second seed at 0 and 25 bp after both falls, and at 100 bp after
  30%); the deepest troughs (-647 bp at 0 bp and -839 at 100 bp after 30%) came in those runs,
  with spreads up to 462 bp. These seed-to-seed differences are larger than the fee's effect; the
  full run's 4 seeds and 5 x 5 grid are needed to size it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from study_common import manifest, run_study, write_summary

from gramabm.analysis.render.plots import save_figure
from gramabm.analysis.render.sweep_plots import (
    COLOURS,
    draw_heatmap,
    interval_line,
    marginal_means,
    new_figure,
)
from gramabm.analysis.render.sweep_report import write_sweep_report
from gramabm.analysis.sweeps.aggregate import aggregate, aggregate_wide, ok_runs
from gramabm.analysis.sweeps.columns import metric_column, param_column

STUDY = "fee_vs_severity"
FEE = param_column("primary.redeem_fee_bp")
SEV = param_column("scenario_params.severity")
METRICS = [
    "worst_discount_bp",
    "hours_outside_100bp",
    "time_to_recover_hours",
    "share_initial_supply_redeemed",
]


def fee_contrast(results: pd.DataFrame) -> pd.DataFrame:
    """Per severity: worst discount at the highest fee minus at the lowest, paired by seed."""
    ok = ok_runs(results)
    lo_fee, hi_fee = ok[FEE].min(), ok[FEE].max()
    rows = []
    for sev, grp in ok.groupby(SEV, sort=True):
        a = grp[grp[FEE] == hi_fee].set_index("replication")[metric_column("worst_discount_bp")]
        b = grp[grp[FEE] == lo_fee].set_index("replication")[metric_column("worst_discount_bp")]
        d = (a - b).dropna().astype(float)
        if len(d) >= 2:
            half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        else:
            half = float("nan")
        rows.append(
            {
                "severity": sev,
                "fee_high_bp": hi_fee,
                "fee_low_bp": lo_fee,
                "diff_worst_discount_bp": d.mean(),
                "ci_low": d.mean() - half,
                "ci_high": d.mean() + half,
                "pairs": len(d),
            }
        )
    return pd.DataFrame(rows)


def figure(results: pd.DataFrame):
    """Two heatmaps and the severity response per fee."""
    fig = new_figure(16.0, 4.4)
    axes = fig.subplots(1, 3)
    im = draw_heatmap(axes[0], results, FEE, SEV, "worst_discount_bp", higher_is_better=True)
    fig.colorbar(im, ax=axes[0], shrink=0.85)
    im = draw_heatmap(axes[1], results, FEE, SEV, "hours_outside_100bp", higher_is_better=False)
    fig.colorbar(im, ax=axes[1], shrink=0.85)
    ax = axes[2]
    ok = ok_runs(results)
    for k, (fee, grp) in enumerate(ok.groupby(FEE, sort=True)):
        mm = marginal_means(grp, SEV, "worst_discount_bp")
        interval_line(
            ax,
            mm["level"],
            mm["mean"],
            mm["ci_low"],
            mm["ci_high"],
            color=COLOURS[k % len(COLOURS)],
            label=f"redeem fee {fee:g} bp",
            markersize=3,
        )
    ax.axhline(-100, color="black", lw=0.8, ls="--")
    ax.set_xlabel("gold fall (severity)")
    ax.set_ylabel("worst discount, bp (mean, 95% CI)")
    ax.set_title("worst discount against the fall, per fee", fontsize=10, loc="left")
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.legend(fontsize=7)
    return fig


def main() -> None:
    """Run the study and write its table, figure and report."""
    args, specs, results = run_study(STUDY, __doc__)
    out: Path = args.out
    table = aggregate_wide(aggregate(results, METRICS, by=[FEE, SEV]))
    table.to_csv(out / f"{STUDY}.csv", index=False)
    save_figure(figure(results), out / f"{STUDY}.png")
    write_sweep_report(results, out / "report.html", spec_meta=manifest(out, specs[0][1]))

    contrast = fee_contrast(results)
    contrast.to_csv(out / f"{STUDY}_fee_contrast.csv", index=False)
    mode = "quick" if args.quick else "full"
    lines = []
    for _, r in contrast.iterrows():
        verdict = (
            "deeper with the high fee"
            if r["ci_high"] < 0
            else "shallower with the high fee"
            if r["ci_low"] > 0
            else "no clear difference"
        )
        lines.append(
            f"  fall {r['severity']:.0%}: {r['diff_worst_discount_bp']:+.1f} "
            f"[{r['ci_low']:+.1f}, {r['ci_high']:+.1f}] -> {verdict}"
        )
    write_summary(
        out,
        f"Study 1 ({mode} mode, {int(results['replication'].nunique())} seeds per point): worst "
        "discount at the highest fee minus at the lowest (paired by seed; bp, 95% CI):",
        lines,
    )
    print(f"\nwrote {out / f'{STUDY}.csv'}, {out / f'{STUDY}.png'}, {out / 'report.html'}")


if __name__ == "__main__":
    main()
