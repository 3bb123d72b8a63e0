"""Figures and HTML pages of runs and sweeps."""
