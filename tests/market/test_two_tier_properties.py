"""Random sequences of operations on the two-tier market conserve every asset in both ledgers,
keep every balance non-negative, GRAM's supply equal to the wrapper's, the wrapper solvent and the
pools' and venue's books exact, whatever succeeds or is refused."""

from __future__ import annotations

from hypothesis import event, given
from hypothesis import strategies as st

from gramabm.errors import MarketError
from gramabm.market.chain import GasPrice
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.tier_arbitrage import Arbitrageur, arbitrage_step
from gramabm.market.two_tier import MICRO, TwoTierMarket

GOLD = 3_000.0

KINDS = (
    "wrap",
    "unwrap",
    "swap_gram_pool",
    "swap_xaut_pool",
    "book",
    "arbitrage",
    "withdraw",
    "freeze",
    "gas",
)

# (kind, which user, a percentage of the input balance it uses, a direction)
OPS = st.tuples(st.sampled_from(KINDS), st.integers(0, 3), st.integers(1, 100), st.booleans())


@given(st.lists(OPS, max_size=12))
def test_random_sequences_conserve_every_ledger(ops: list[tuple[str, int, int, bool]]) -> None:
    m = TwoTierMarket(GasPrice.from_gwei(20, 3_000.0))
    lp = m.open_account("lp", usd=3e7, xaut_oz=2e4)
    users = [m.open_account(f"u{i}", usd=1e6, xaut_oz=200.0) for i in range(4)]
    m.seed_pools(lp, GOLD, gram_pool_oz=500.0, xaut_pool_oz=500.0)
    for u in users:
        m.wrapper.mint(u, 50 * MICRO)  # every user holds GRAM as well
    m.quote_book(users[0], GOLD, half_spread_bp=5, levels=5, oz_per_level=10)

    def part(have: int, pct: int) -> int:
        return max(1, have * pct // 100)

    for kind, who, pct, up in ops:
        u = users[who]
        try:
            if kind == "wrap":
                m.wrapper.mint(u, part(m.xaut.available(u), pct))
            elif kind == "unwrap":
                m.wrapper.burn(u, part(m.gram.available(u), pct))
            elif kind == "swap_gram_pool":
                have = m.gram.available(u) if up else m.xaut.available(u)
                m.gram_pool.swap_exact_in(u, up, part(have, pct))
            elif kind == "swap_xaut_pool":
                have = m.xaut.available(u) if up else m.usd.available(u) // 2
                m.xaut_pool.swap_exact_in(u, up, part(have, pct))
            elif kind == "book":
                m.venue.market(u, BUY if up else SELL, part(m.xaut.available(u), pct))
            elif kind == "arbitrage":
                cap = part(m.xaut.available(u), pct)
                done = arbitrage_step(m, Arbitrageur(u, cap, part(m.usd.available(u), pct)))
                event(f"arbitrage: {done.route if done else 'none'}")
            elif kind == "withdraw":
                m.withdraw(lp, m.gram_pool if up else m.xaut_pool, pct / 100)
            elif kind == "freeze":
                m.wrapper.frozen = up
            else:
                m.chain.price = GasPrice.from_gwei(pct * 10 if up else pct / 10, 3_000.0)
        except MarketError:
            event(f"{kind} refused")
        # GRAM appears and disappears only through the wrapper.
        assert m.gram_ledger.supply == m.wrapper.supply
        m.check()  # both ledgers' conservation and non-negativity, wrapper, pools, venue
    s = m.state(GOLD)
    assert s.backing_held >= 1.0
    assert s.backing_redeemable == (0.0 if m.wrapper.frozen else s.backing_held)
    assert s.gram_pool_lp_loss <= 1.0
    assert s.xaut_pool_lp_loss <= 1.0
