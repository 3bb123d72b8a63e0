"""Mesa agents: holders, arbitrageurs, market makers, custodians, governance."""
