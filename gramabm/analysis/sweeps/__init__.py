"""Statistics over a sweep's runs: aggregates, sensitivity, scenario discovery, recommendations."""
