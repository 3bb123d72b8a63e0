"""How firm a verdict must be and how many seeds it runs unless the user says otherwise.

Kept free of heavy imports: the command line reads it to show its defaults.
"""

FIRM_AGREEMENT = 0.8
"""Share of resampled medians that must agree with a verdict for it to be read as firm."""

DEFAULT_SEEDS = 10
"""Seeds of a verdict unless the user says otherwise. On PAXG, 2021-2023, the share of days
beyond +-100 bp runs from 0.18 to 0.42 across seeds: with 5 its median verdict is a draw (72% of
resampled medians agree), with 10 it is firm (84%)."""
