"""The two-tier market: GRAM held to XAUT x rate within the mint-fee-and-gas band by arbitrage, a
XAUT discount on its book passed through to GRAM, a frozen wrapper reported unbacked, the
liquidity providers' withdrawal rule, and the step's refusals."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gramabm.analysis.runs.tiers import READ_COLUMNS, tier_metrics
from gramabm.errors import ConfigError
from gramabm.market.chain import AmmError, GasPrice
from gramabm.market.liquidity_rule import (
    WithdrawalLimits,
    constant_product_loss,
    loss_vs_hold,
    realised_volatility,
    should_withdraw,
)
from gramabm.market.tier_arbitrage import Arbitrageur, arbitrage_step
from gramabm.market.two_tier import MICRO, TwoTierMarket
from gramabm.market.wrapper import FEE_BASIS_POINTS

GOLD = 3_000.0  # dollars per ounce
MINT_FEE = FEE_BASIS_POINTS / 1e4


def build(
    gwei: float = 5.0, gram_pool_oz: float = 3_000.0
) -> tuple[TwoTierMarket, int, int, Arbitrageur]:
    """A market at par: both pools seeded at the gold price, a maker's ladder on XAUT's book.

    Returns the market, a large holder of GRAM and XAUT, the book's maker and an arbitrageur.
    """
    m = TwoTierMarket(GasPrice.from_gwei(gwei, 3_000.0))
    lp = m.open_account("lp", usd=5e7, xaut_oz=2e4)
    maker = m.open_account("maker", usd=5e7, xaut_oz=1e4)
    arb = m.open_account("arb", usd=2e7, xaut_oz=5e3)
    whale = m.open_account("whale", usd=1e6, xaut_oz=5e3)
    m.seed_pools(lp, GOLD, gram_pool_oz=gram_pool_oz, xaut_pool_oz=3_000.0)
    m.wrapper.mint(whale, 2_000 * MICRO)  # a large GRAM holder, who also holds XAUT
    m.quote_book(maker, GOLD, half_spread_bp=5, levels=20, oz_per_level=100)
    return m, whale, maker, Arbitrageur(arb, 10**12, 10**14)


def run_arbitrage(m: TwoTierMarket, trader: Arbitrageur, k: int) -> int:
    """Up to ``k`` arbitrage steps; how many traded."""
    done = 0
    for _ in range(k):
        if arbitrage_step(m, trader) is None:
            break
        done += 1
    return done


def gas_band(m: TwoTierMarket) -> float:
    """Deviation beyond the fee band a v2 loop leaves because its best profit (about
    ``R * d**2 / 4`` XAUT for a deviation ``d`` over XAUT reserve ``R``) does not pay its gas."""
    gas_usd = (m.chain.gas_cost("v2_swap") + m.chain.gas_cost("wrap")) / MICRO
    gas_xaut = gas_usd / m.xaut_pool_usd_oz() * MICRO
    return 2 * math.sqrt(gas_xaut / m.gram_pool.reserves[1]) + 1e-5


def test_seeded_market_is_at_par_and_balanced() -> None:
    m, *_ = build()
    s = m.state(GOLD)
    assert abs(s.gram_xaut_gap) < 1e-6
    assert abs(s.xaut_pool_dev) < 1e-9
    assert abs(s.xaut_book_dev) < 2e-4  # the book's ticks are $1 an ounce
    assert s.backing_redeemable == s.backing_held >= 1.0
    assert s.wrapped_gram > 0
    assert s.unwrapped_gram == 0
    assert 0 < s.gram_impact_1m < 0.5
    assert 0 < s.xaut_impact_1m < 0.5
    assert m.state(GOLD).wrapped_gram == 0  # flows are since the previous read
    m.check()


@pytest.mark.parametrize("sell_gram", [True, False])
def test_healthy_xaut_gram_ends_inside_the_mint_fee_and_gas_band(sell_gram: bool) -> None:
    m, lp, _, trader = build()
    # A large holder moves the GRAM/XAUT pool 1% off the wrapper's rate (a sale or a purchase).
    if sell_gram:
        m.gram_pool.swap_exact_in(lp, True, m.gram_pool.reserves[0] // 200)
    else:
        m.gram_pool.swap_exact_in(lp, False, m.gram_pool.reserves[1] // 200)
    before = m.state(GOLD).gram_xaut_gap
    assert abs(before) > 0.008
    assert run_arbitrage(m, trader, 5) >= 1
    after = m.state(GOLD)
    gap = after.gram_xaut_gap
    # A discount is closed by buying GRAM and burning it, a premium by minting and selling.
    assert (after.unwrapped_gram if sell_gram else after.wrapped_gram) > 0
    pool_fee = m.gram_pool.fee_pips / 1e6
    tol = gas_band(m)
    # Burning is free, minting costs 5 bp: the band is asymmetric.
    assert -(pool_fee + tol) <= gap <= MINT_FEE + pool_fee + tol
    assert abs(gap) < abs(before) / 5
    flows = m.state(GOLD)
    assert flows.wrapped_gram == 0
    assert flows.unwrapped_gram == 0
    m.check()


def test_a_gas_spike_widens_the_band() -> None:
    cheap, lp_c, _, t_c = build(gwei=5.0)
    dear, lp_d, _, t_d = build(gwei=5_000.0)
    for m, lp in ((cheap, lp_c), (dear, lp_d)):
        m.gram_pool.swap_exact_in(lp, True, m.gram_pool.reserves[0] // 1_000)  # ~0.2% discount
    run_arbitrage(cheap, t_c, 5)
    run_arbitrage(dear, t_d, 5)
    assert abs(dear.state(GOLD).gram_xaut_gap) > abs(cheap.state(GOLD).gram_xaut_gap) + 5e-4


def test_a_two_percent_xaut_discount_on_its_book_passes_through_to_gram() -> None:
    m, _, maker, trader = build()
    m.quote_book(maker, GOLD * 0.98, half_spread_bp=5, levels=20, oz_per_level=100)
    s0 = m.state(GOLD)
    assert s0.xaut_book_dev == pytest.approx(-0.02, abs=5e-4)
    assert abs(s0.gram_dev) < 1e-6  # nothing has reached GRAM yet
    assert run_arbitrage(m, trader, 3) >= 1
    s = m.state(GOLD)
    pass_through = s.gram_dev / s.xaut_book_dev
    # The cross-venue loop stops once the pool is within its 0.30% fee plus the book's 10 bp
    # taker fee (and a tick) of the book: at least 1.55 of the 2 points reach GRAM, none more.
    assert 0.75 < pass_through <= 1.0 + 1e-6
    assert abs(s.gram_xaut_gap) < MINT_FEE + 1e-3  # GRAM stays tied to XAUT x rate
    m.check()


def test_a_frozen_wrapper_breaks_the_backing_burns_fail_and_arbitrage_cannot_burn() -> None:
    m, lp, _, trader = build()
    m.wrapper.frozen = True  # XAUT's issuer freezes the contract's XAUT
    s = m.state(GOLD)
    assert s.backing_redeemable == 0.0
    assert s.backing_held >= 1.0
    with pytest.raises(AmmError, match="frozen"):
        m.wrapper.burn(lp, 1_000)
    m.gram_pool.swap_exact_in(lp, True, m.gram_pool.reserves[0] // 50)  # GRAM dumped: ~4% off
    before = m.state(GOLD).gram_xaut_gap
    done = arbitrage_step(m, trader)
    assert done is None or done.route != "buy_and_burn"
    assert m.state(GOLD).gram_xaut_gap == pytest.approx(before)  # nothing pulls GRAM back
    m.check()


def test_state_refuses_a_bad_gold_price_and_accounts_a_negative_endowment() -> None:
    m, *_ = build()
    with pytest.raises(ConfigError, match="gold price"):
        m.state(0.0)
    with pytest.raises(ConfigError, match="endowments"):
        m.open_account("bad", usd=-1.0)


def test_primary_band_is_the_xaut_preset_fees() -> None:
    m, *_ = build()
    assert m.primary_band() == (-0.0025, 0.0025)


def test_constant_product_loss_formula() -> None:
    assert constant_product_loss(1.0) == 0.0
    assert constant_product_loss(4.0) == pytest.approx(0.2)
    assert constant_product_loss(0.25) == pytest.approx(0.2)
    with pytest.raises(ConfigError):
        constant_product_loss(0.0)


def test_loss_vs_hold_of_a_provider_after_a_price_move() -> None:
    m, whale, _, _ = build()
    pool = m.xaut_pool
    (lp,) = pool.shares
    deposit = (pool.reserves[0] - 0, pool.reserves[1])  # the lp owns all but the locked shares
    share = pool.shares[lp] / pool.total_shares
    deposit = (round(deposit[0] * share), round(deposit[1] * share))
    assert loss_vs_hold(pool, lp, deposit) == pytest.approx(0.0, abs=1e-6)
    p0 = pool.price()
    pool.swap_exact_in(whale, True, 3_000 * MICRO)  # XAUT sold in: the price quarters (about)
    ratio = pool.price() / p0
    fee_gain = 0.003  # fees stay in the reserves and offset part of the loss
    assert loss_vs_hold(pool, lp, deposit) == pytest.approx(
        constant_product_loss(ratio), abs=fee_gain
    )
    assert loss_vs_hold(pool, lp, deposit) > 0.05


def test_should_withdraw_on_volatility_or_loss() -> None:
    limits = WithdrawalLimits(max_volatility=0.01, max_loss=0.02)
    assert not should_withdraw(0.005, 0.01, limits)
    assert should_withdraw(0.02, 0.0, limits)
    assert should_withdraw(0.0, 0.03, limits)
    assert realised_volatility([1.0, 1.0, 1.0]) == 0.0
    assert realised_volatility([1.0, 1.1, 1.0, 1.1]) == pytest.approx(
        float(__import__("numpy").std([math.log(1.1), -math.log(1.1), math.log(1.1)], ddof=1))
    )
    with pytest.raises(ConfigError):
        WithdrawalLimits(max_volatility=-1.0, max_loss=0.0)


def test_state_row_has_exactly_the_tier_metrics_columns() -> None:
    m, *_ = build()
    assert set(m.state(GOLD).row()) == set(READ_COLUMNS)


def test_market_tracks_deposits_and_measures_lp_loss() -> None:
    m, whale, _, _ = build()
    pool = m.xaut_pool
    (lp,) = pool.shares
    assert m.lp_loss(pool) == pytest.approx(0.0, abs=1e-6)
    pool.swap_exact_in(whale, True, 3_000 * MICRO)
    deposit = m.deposit(lp, pool)
    assert m.lp_loss(pool) == pytest.approx(loss_vs_hold(pool, lp, deposit))
    assert m.state(GOLD).xaut_pool_lp_loss > 0.05
    shares = pool.shares[lp]
    m.withdraw(lp, pool, 0.5)
    assert pool.shares[lp] == shares - shares // 2
    assert m.deposit(lp, pool)[0] == pytest.approx(deposit[0] / 2, rel=1e-6)
    m.withdraw(lp, pool, 1.0)
    assert lp not in pool.shares
    assert m.lp_loss(pool) == 0.0
    with pytest.raises(ConfigError, match="fraction"):
        m.withdraw(lp, m.gram_pool, 0.0)
    other, *_ = build()
    with pytest.raises(ConfigError, match="not one of this market"):
        m.withdraw(lp, other.gram_pool, 0.5)
    m.check()


def test_pass_through_metric_of_a_simulated_discount() -> None:
    """Per-step rows of a run with a 2% XAUT book discount from step 5 give the tier metrics a
    pass-through of about the 1.6 of 2 points the arbitrage carries, within the same step."""
    m, _, maker, trader = build()
    rows = []
    for step in range(15):
        if step == 5:
            m.quote_book(maker, GOLD * 0.98, half_spread_bp=5, levels=20, oz_per_level=100)
        run_arbitrage(m, trader, 3)
        rows.append(m.state(GOLD).row())
    metrics = tier_metrics(pd.DataFrame(rows), threshold_bp=50, max_lag=3)
    p = metrics.pass_through
    assert p.share is not None
    assert 0.75 < p.share <= 1.0
    assert p.steps_to_half == 0
    assert p.lag_steps == 0
    assert metrics.min_backing_ratio is not None
    assert metrics.min_backing_ratio >= 1.0
    assert metrics.worst_xaut_dev_bp == pytest.approx(-200, abs=5)


@pytest.mark.parametrize(
    "scenario", ["gram_cheap", "gram_dear", "xaut_book_cheap", "xaut_book_dear"]
)
def test_each_route_pays_what_it_quoted(scenario: str) -> None:
    m, whale, maker, trader = build()
    me = trader.account
    if scenario == "gram_cheap":
        m.gram_pool.swap_exact_in(whale, True, m.gram_pool.reserves[0] // 100)
    elif scenario == "gram_dear":
        m.gram_pool.swap_exact_in(whale, False, m.gram_pool.reserves[1] // 100)
    else:
        shift = 0.99 if scenario == "xaut_book_cheap" else 1.01
        m.quote_book(maker, GOLD * shift, half_spread_bp=5, levels=20, oz_per_level=100)
    usd0, xaut0 = m.usd.balance(me), m.xaut.balance(me)
    price = m.xaut_pool_usd_oz()  # the step values XAUT at the pool's price before it trades
    trade = arbitrage_step(m, trader)
    assert trade is not None
    expected_route = {
        "gram_cheap": "buy_and_burn",
        "gram_dear": "mint_and_sell",
        "xaut_book_cheap": "book_to_pool",
        "xaut_book_dear": "pool_to_book",
    }[scenario]
    assert trade.route == expected_route
    d_usd, d_xaut = m.usd.balance(me) - usd0, m.xaut.balance(me) - xaut0
    if scenario.startswith("gram"):
        assert d_usd == -trade.gas
        gained = d_xaut * price - trade.gas
    else:
        assert d_xaut == 0  # the XAUT bought on one venue is all sold on the other
        gained = d_usd
    assert trade.expected_usd > 0
    # Quotes are exact; the book's fee rounds once per order rather than per level.
    assert gained == pytest.approx(trade.expected_usd, abs=price + 100)
    m.check()
