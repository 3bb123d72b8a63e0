"""Statistics of a gold price history: stylised facts and tail fits."""
