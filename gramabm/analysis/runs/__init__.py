"""Metrics of one run's collected series: peg, reserves, holders, half-lives."""
