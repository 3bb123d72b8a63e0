"""Gold shock scenarios: seeded generators of gold price paths plus timed non-gold events."""
