"""Random sequences of operations on the two-tier market conserve every asset in both ledgers,
keep every balance non-negative, the wrapper solvent and the pools' and venue's books exact."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gramabm.errors import MarketError
from gramabm.market.amm.chain import GasPrice
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.tier_arbitrage import Arbitrageur, arbitrage_step
from gramabm.market.two_tier import MICRO, TwoTierMarket

GOLD = 3_000.0

OPS = st.one_of(
    st.tuples(st.just("wrap"), st.integers(0, 3), st.integers(1, 50 * MICRO)),
    st.tuples(st.just("unwrap"), st.integers(0, 3), st.integers(1, 2_000_000)),
    st.tuples(st.just("swap_gram_pool"), st.integers(0, 3), st.integers(-(10**9), 10**9)),
    st.tuples(st.just("swap_xaut_pool"), st.integers(0, 3), st.integers(-(10**11), 10**11)),
    st.tuples(st.just("book"), st.integers(0, 3), st.integers(-(10**8), 10**8)),
    st.tuples(st.just("arbitrage"), st.integers(0, 3), st.integers(1, 10**11)),
    st.tuples(st.just("withdraw"), st.just(0), st.integers(1, 100)),
    st.tuples(st.just("freeze"), st.just(0), st.integers(0, 1)),
    st.tuples(st.just("gas"), st.just(0), st.integers(0, 2_000)),
)


@given(st.lists(OPS, max_size=12))
def test_random_sequences_conserve_every_ledger(ops: list[tuple[str, int, int]]) -> None:
    m = TwoTierMarket(GasPrice.from_gwei(20, 3_000.0))
    lp = m.open_account("lp", usd=3e7, xaut_oz=2e4)
    users = [m.open_account(f"u{i}", usd=1e6, xaut_oz=200.0) for i in range(4)]
    m.seed_pools(lp, GOLD, gram_pool_oz=500.0, xaut_pool_oz=500.0)
    m.quote_book(users[0], GOLD, half_spread_bp=5, levels=5, oz_per_level=10)
    for kind, who, amount in ops:
        u = users[who]
        try:
            if kind == "wrap":
                m.wrapper.mint(u, amount)
            elif kind == "unwrap":
                m.wrapper.burn(u, amount)
            elif kind == "swap_gram_pool":
                m.gram_pool.swap_exact_in(u, amount > 0, abs(amount) or 1)
            elif kind == "swap_xaut_pool":
                m.xaut_pool.swap_exact_in(u, amount > 0, abs(amount) or 1)
            elif kind == "book":
                m.venue.market(u, BUY if amount > 0 else SELL, abs(amount) or 1)
            elif kind == "arbitrage":
                arbitrage_step(m, Arbitrageur(u, amount, amount * 3_000))
            elif kind == "withdraw":
                m.withdraw(lp, m.gram_pool if amount % 2 else m.xaut_pool, amount / 100)
            elif kind == "freeze":
                m.wrapper.frozen = bool(amount)
            else:
                m.chain.price = GasPrice.from_gwei(amount, 3_000.0)
        except MarketError:
            pass  # a refusal must change nothing; the checks below would see it
        # GRAM appears and disappears only through the wrapper.
        assert m.gram_ledger.supply == m.wrapper.supply
        m.check()  # both ledgers' conservation and non-negativity, wrapper, pools, venue
    s = m.state(GOLD)
    assert s.backing_held >= 1.0
    assert s.gram_pool_lp_loss <= 1.0
    assert s.xaut_pool_lp_loss <= 1.0
    assert s.backing_redeemable == (0.0 if m.wrapper.frozen else s.backing_held)
