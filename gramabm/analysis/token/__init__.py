"""A gold token's market measured against gold: candles in, stylised facts out.

Observed candles (a CSV) and simulated ones (built from a run's series) take the same shape
(:mod:`~gramabm.analysis.token.candles`) and go through the same :func:`token_facts`; the few facts
only a simulation can show (the book's sides, holders' panic) are in :mod:`~.market`.
"""

from gramabm.analysis.token.candles import (
    candle_columns,
    candles_from_run,
    daily_candles,
    fixes_from_run,
    load_token_candles,
)
from gramabm.analysis.token.facts import FACT_KEYS, FACTS, TokenFacts, token_facts
from gramabm.analysis.token.market import MARKET_FACTS, market_facts

__all__ = [
    "FACTS",
    "FACT_KEYS",
    "MARKET_FACTS",
    "TokenFacts",
    "candle_columns",
    "candles_from_run",
    "daily_candles",
    "fixes_from_run",
    "load_token_candles",
    "market_facts",
    "token_facts",
]
