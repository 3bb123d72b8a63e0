"""Gas pricing and the shared token helpers of the on-chain contracts, and pool depth."""

from __future__ import annotations

import pytest

from gramabm.errors import ConfigError
from gramabm.market.amm.concentrated import ConcentratedPool
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.amm.depth import price_impact
from gramabm.market.amm.tick_math import Q96
from gramabm.market.chain import GAS_UNITS, GasPrice
from tests.market.amm_world import make_world


def test_gas_cost_is_rounded_up_to_the_micro_dollar() -> None:
    price = GasPrice(wei_per_gas=1, micro_usd_per_eth=3_000 * 10**6)
    assert price.cost(1) == 1  # 3e-9 micro-dollars still costs one
    assert price.cost(0) == 0
    assert GasPrice.from_gwei(20, 3_000).cost(21_000) == 1_260_000  # a plain transfer: $1.26


def test_gas_refuses_negative_prices_and_unknown_kinds() -> None:
    with pytest.raises(ConfigError, match=">= 0"):
        GasPrice(-1, 10)
    w = make_world(1)
    with pytest.raises(ConfigError, match="unknown transaction kind 'swap'"):
        w.chain().gas_cost("swap")
    assert set(GAS_UNITS) >= {"wrap", "unwrap", "v2_swap", "v3_swap"}


def test_price_impact_is_the_fee_for_a_dust_trade_and_grows_with_size() -> None:
    w = make_world(1, xaut=10**12, gram=10**12)
    v2 = ConstantProductPool(w.gram, w.xaut, w.contract, fee_pips=3_000)
    v2.add_liquidity(w.users[0], 10**10, 10**10)
    # (to one base unit of rounding in a million)
    assert price_impact(v2, True, 10**6) == pytest.approx(1 - 0.997 / (1 + 0.997e-4), abs=2e-6)
    # x*y=k: a trade of 1% of the reserve moves about 1% on top of the fee.
    assert price_impact(v2, True, 10**8) == pytest.approx(1 - 0.997 / 1.00997, rel=1e-4)
    assert price_impact(v2, False, 10**9) > price_impact(v2, False, 10**8)
    v3 = ConcentratedPool(w.gram, w.xaut, w.treasury, Q96, fee_pips=500)
    v3.add_liquidity(w.users[0], -100, 100, 10**12)
    assert price_impact(v3, True, 10**7) == pytest.approx(0.0005, abs=2e-5)
    assert price_impact(v3, True, 10**12) == 1.0  # beyond the ranges: cannot fill
