"""On-chain venues: automated market makers and the pieces they share (tokens, gas).

* :mod:`~gramabm.market.chain` - a token is an asset of a :class:`~gramabm.market.ledger.Ledger`
  addressed by account ids (as an ERC-20 contract is addressed by addresses), and every
  transaction pays gas in USD from the caller's cash;
* :mod:`~gramabm.market.amm.constant_product` - a constant-product pool with a fee (Uniswap v2);
* :mod:`~gramabm.market.amm.tick_math` and :mod:`~gramabm.market.amm.concentrated` - concentrated
  liquidity in tick ranges at ``1.0001**i`` with fee tiers (Uniswap v3).

Everything is integer arithmetic in the tokens' base units; nothing here knows of Mesa.
"""
