"""The GRAM tier's agents: arbitrageurs, liquidity providers, GRAM holders, a distressed seller.

:func:`~gramabm.agents.tiers.system.build_tiers` puts them and the tier
(:mod:`gramabm.market.gram_tier`) into a ``gram`` run.
"""
