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

Reading (the full run, ``python experiments/study_contagion.py``: 54 runs, 2 seeds per point, 240
hourly steps, 1,000 XAUT holders and 1,000 GRAM holders; its sweeps about 13 seconds on 2 cores; the
means below are in ``contagion.csv``). XAUT's book mid fell about 228, 274 and 347 bp for the 1%, 2%
and 5% sellers (makers keep asks near gold, so the mid carries part of the floor; the seller also
sells into XAUT's pool down to its floor).

* Contagion is complete and immediate when gas is cheap. At 2 gwei GRAM's worst deviation was
  -157, -286 and -570 bp for the three discounts at every pool depth alike ($0.5M to $32M),
  the pass-through share 0.8, 1.0 and 1.1 of XAUT's book deviation (above one: GRAM follows
  XAUT's on-chain price, which the seller pushes to its floor, below the book's mid), half of it
  within 0 to 4 hours. GRAM was back within 100 bp of gold 21 and 14 hours after its worst for
  the 1% and 2% discounts, and 122 hours for the 5% one, as long as XAUT itself took: the
  arbitrageurs who bought the pool's XAUT against gold sell it back through XAUT's book. The
  wrap/unwrap arbitrage holds GRAM at XAUT x rate (worst gap 50 bp or less), so depth does not
  matter: GRAM is exactly as sound as XAUT on chain, no sounder.
* Gas and depth decide how much worse than XAUT GRAM gets. At 50 gwei the $0.5M pool's GRAM fell
  to -290, -442 and -702 bp (against -162, -293 and -573 at $32M), gaps to XAUT x rate opened to
  +215 bp when holders bought back into the shallow pool, and recovery from the 1% discount took
  50 to 65 hours in the $0.5M and $4M pools and from the 2% one 53 hours at $4M, against 14 at
  $32M (from the 2% and 5% ones, never within the run at $0.5M). At 500 gwei arbitrage below a
  few hundred bp does not pay for its gas: in the $0.5M pool GRAM fell to -663, -786 and -886 bp,
  with gaps to XAUT x rate of -567 and -552 bp for the 1% and 2% discounts, i.e. GRAM decoupled
  from its own backing; a $32M pool kept the gap within -70 to -80 bp, but that gap is then slow
  to close (101 to 123 h to recover), as a deep pool needs a larger gap before a loop beats its
  gas.
* So the XAUT tier sets the size of GRAM's move, and the GRAM tier's depth and gas set how much
  GRAM adds to it and how fast it returns. What protects a GRAM holder is cheap gas (or a
  keeper with cheap execution) and a GRAM/XAUT pool deep relative to holders' selling, not the
  wrapper's 5 bp fee, which is negligible beside either.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from study_common import run_study

from gramabm.analysis.render.plots import save_figure
from gramabm.analysis.render.sweep_plots import (
    COLOURS,
    interval_line,
    marginal_means,
    new_figure,
)
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
                interval_line(
                    ax,
                    mm["level"] / 1e6,
                    mm["mean"],
                    mm["ci_low"],
                    mm["ci_high"],
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
