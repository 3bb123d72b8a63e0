"""Gold price history: loading, validation, derived series and the trading calendar (ground floor)."""
