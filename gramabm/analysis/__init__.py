"""Pure analysis of collected data: stylised facts, tail fits, stress metrics."""
