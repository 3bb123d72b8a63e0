"""Study: contagion from XAUT to GRAM (discount size x GRAM pool depth x gas).

One command::

    python experiments/study_contagion.py [--quick] [--workers N]

``contagion.toml`` runs the two-tier system (preset ``gram``) on calm gold; at step 24 a
distressed seller sells XAUT on its book and into its XAUT/USD pool down to 1%, 2% or 5% below gold
for 48 hours (one variant each). The grid sets the GRAM/XAUT pool's depth ($0.5M, $4M, $32M for
both sides) and the gas price (2, 50, 500 gwei at $3,000 an ETH: about $1, $29 and $285 for a swap
and a wrap), two seeds each, paired across the grid.

Outputs in ``experiments/output/contagion/``: ``contagion.csv`` (per discount, depth and gas:
mean, sd, 95% t interval and n of GRAM's worst deviation from gold, XAUT's, GRAM's worst gap to
XAUT x rate, the share of XAUT's deviation passed to GRAM, the hours until GRAM carries half of it
and the hours until GRAM is back within 100 bp of gold for a day) and ``contagion.png`` (GRAM's
worst deviation, worst gap and recovery against pool depth, one line per discount, a panel per gas
price).

Reading (the full run, ``python experiments/study_contagion.py``, 54 runs; the numbers are in
``contagion.csv``). XAUT's discount reaches GRAM in full and at once: GRAM's worst deviation from
gold follows the discount's size (about -160, -270 and -560 bp for the 1%, 2% and 5% sellers at
the middle depth and low gas), because GRAM's dollar price is its XAUT price times XAUT's own on
chain, and the wrap/unwrap arbitrage holds the first factor at the wrapper's rate whatever XAUT
does. The pass-through share is one or more: GRAM's pools are thinner than XAUT's book, so GRAM
overshoots it (the share exceeds one) where GRAM holders sell into a shallow pool. Pool depth
matters for the *gap* between GRAM and XAUT x rate, not for the contagion: at $0.5M the gap opens
to tens of bp while holders sell, at $32M it stays at the few bp of the mint fee, the pool fee and
gas. Gas widens the band the same way: at 500 gwei an arbitrage loop must earn about $285, so
small gaps are left open, and recovery takes longer where the band is wide and the pool shallow.
The XAUT tier sets the size of GRAM's move; the GRAM tier's depth and gas set how tightly GRAM
follows and how fast it returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from study_common import run_study

from gramabm.analysis.render.plots import save_figure
from gramabm.analysis.render.sweep_plots import COLOURS, marginal_means, new_figure
from gramabm.analysis.sweeps.aggregate import aggregate, aggregate_wide
from gramabm.analysis.sweeps.columns import param_column

STUDY = "contagion"
DEPTH = param_column("tiers.gram_pool_usd")
GAS = param_column("tiers.gas_gwei")
METRICS = [
    "gram_worst_dev_bp",
    "xaut_worst_dev_bp",
    "gram_worst_gap_bp",
    "pass_through_share",
    "pass_through_half_hours",
    "gram_recovery_hours",
]
SHOWN = {
    "gram_worst_dev_bp": "GRAM's worst deviation from gold (bp)",
    "gram_worst_gap_bp": "GRAM's worst gap to XAUT x rate (bp)",
    "gram_recovery_hours": "hours until GRAM is back within 100 bp",
}


def figure(results: pd.DataFrame):
    """Each shown metric against pool depth, one line per discount, one column per gas price."""
    gases = sorted(results[GAS].unique())
    fig = new_figure(4.6 * len(gases), 9.0)
    axes = np.atleast_2d(fig.subplots(len(SHOWN), len(gases), squeeze=False))
    for j, gas in enumerate(gases):
        at_gas = results[results[GAS] == gas]
        for i, (metric, label) in enumerate(SHOWN.items()):
            ax = axes[i, j]
            for k, (variant, grp) in enumerate(at_gas.groupby("variant", sort=False)):
                mm = marginal_means(grp, DEPTH, metric, by_scenario=False)
                mean, lo, hi = (mm[c].to_numpy(dtype=float) for c in ("mean", "ci_low", "ci_high"))
                ax.errorbar(
                    mm["level"] / 1e6,
                    mean,
                    yerr=np.nan_to_num(np.vstack([mean - lo, hi - mean])).clip(min=0),
                    marker="o",
                    markersize=4,
                    capsize=3,
                    color=COLOURS[k % len(COLOURS)],
                    label=f"XAUT sold to -{variant.removeprefix('d')}%",
                )
            ax.set_xscale("log")
            ax.set_title(f"{label}, gas {gas:g} gwei", fontsize=9, loc="left")
            ax.set_xlabel("GRAM/XAUT pool depth ($M, both sides)")
            ax.grid(True, linewidth=0.3, alpha=0.6)
    axes[0, 0].legend(fontsize=8)
    return fig


def main() -> None:
    """Run the three discount sweeps and write the table and the figure."""
    args, _, results = run_study(STUDY, __doc__)
    out: Path = args.out
    table = aggregate_wide(aggregate(results, METRICS, by=["variant", DEPTH, GAS]))
    table.to_csv(out / f"{STUDY}.csv", index=False)
    save_figure(figure(results), out / f"{STUDY}.png")
    cols = ["variant", DEPTH, GAS] + [f"{m}_mean" for m in METRICS]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table[[c for c in cols if c in table.columns]].round(1).to_string(index=False))
    print(f"\nwrote {out / f'{STUDY}.csv'}, {out / f'{STUDY}.png'}")


if __name__ == "__main__":
    main()
