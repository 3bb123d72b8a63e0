"""The GRAM tier of a ``gram`` run, Mesa-free: the on-chain market set beside XAUT's world.

The market world (:class:`~gramabm.market.world.MarketWorld`) is XAUT's first tier: gold bought
into Tether's vaults, its primary market on the ``xaut`` terms, XAUT's order book and the XAUT
holders. :class:`GramTier` adds the second: a :class:`~gramabm.market.two_tier.TwoTierMarket`
(XAUT and dollars on Ethereum, the XAUT/USD pool, the GRAM wrapper and the GRAM/XAUT pool), joined
to the world by the exchange's XAUT wallet (:class:`~gramabm.market.xaut_bridge.XautBridge`, where
the one milligram-to-micro-ounce conversion is declared).

Nothing is created: every on-chain XAUT is minted through the bridge against world XAUT, and that
world XAUT is issued against gold bought into the vaults (:meth:`MarketWorld.issue_at_par`), so
gold backs XAUT, XAUT backs on-chain XAUT and on-chain XAUT backs GRAM, each checked
(:meth:`GramTier.check`). The tier's own agents start with:

* liquidity providers: the two pools, deposited at the gold price at the start;
* wrap/unwrap arbitrageurs: on-chain XAUT and dollars;
* cross-venue arbitrageurs: dollars in the world and on chain (the bridge moves XAUT per trade)
  and on-chain XAUT for the trades they hedge in gold;
* the GRAM holders' omnibus address: the GRAM they hold (wrapped at the start) and dollars;
* a distressed seller: the world XAUT the scenario's selling-pressure events will sell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gramabm.config import ModelConfig
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.chain import GasPrice
from gramabm.market.custody import actual_reserve_ratio, reported_reserve_ratio
from gramabm.market.ledger import Asset
from gramabm.market.two_tier import MICRO, TwoTierMarket
from gramabm.market.world import MarketWorld
from gramabm.market.xaut_bridge import XautBridge
from gramabm.units import GRAMS_PER_TROY_OUNCE, MG_PER_GRAM

VOL_WINDOW = 24
"""Steps of the pools' realised volatility that liquidity providers read."""

MIN_QUOTED_DEPTH_USD = 10_000.0
"""A pool with less than this (both sides, USD) quotes no price: its ratio is dust, not a market."""

_GAS_BUFFER_USD = 50_000.0
"""Dollars each on-chain agent keeps for gas on top of its capital (a month of swaps at a spike)."""


@dataclass(frozen=True, slots=True)
class CrossAccounts:
    """A cross-venue arbitrageur's two addresses: on the exchange (world) and on chain."""

    world: int
    chain: int


class GramTier:
    """The on-chain tier of one run, built at set-up beside the world.

    Args:
        world: The run's market world (XAUT's tier).
        cfg: The run's configuration (its ``tiers`` section).
        sell_budget_oz: XAUT the distressed seller starts with (what the scenario's
            selling-pressure events sell), ounces.
    """

    def __init__(self, world: MarketWorld, cfg: ModelConfig, *, sell_budget_oz: float) -> None:
        tc = cfg.tiers
        self.world = world
        self.cfg = tc
        gold = float(world.gold[0])
        gas = GasPrice.from_gwei(tc.gas_gwei, tc.eth_usd)
        self.base_gas = gas
        self.market = m = TwoTierMarket(
            gas,
            gram_pool_fee_pips=tc.gram_pool_fee_pips,
            xaut_pool_fee_pips=tc.xaut_pool_fee_pips,
            capacity=17 + tc.providers + 3 * tc.arbitrageurs,
        )
        wl = world.ledger
        buffer = _GAS_BUFFER_USD
        # The exchange's wallet with a dollar float on each side for cross-venue rebalancing, as
        # deep as the XAUT/USD pool: dollars move on and off chain (a stablecoin's mint and
        # redeem) in any size a cross-venue trade can reach.
        float_usd = max(tc.arbitrageurs * tc.arb_capital_usd, tc.xaut_pool_usd)
        bridge_chain = m.open_account("xaut bridge", usd=float_usd)
        bridge_world = wl.open_account("xaut_bridge")
        wl.genesis(bridge_world, Asset.USD, round(float_usd * MICRO))
        self.bridge = XautBridge(wl, bridge_world, m.xaut_ledger, bridge_chain)

        oz_gram_side = tc.gram_pool_usd / 2 / gold
        oz_xaut_pool = tc.xaut_pool_usd / 2 / gold
        per_lp = (oz_gram_side * 2.001 + oz_xaut_pool) / tc.providers  # GRAM side wrapped: fee
        self.providers = [
            m.open_account(
                f"liquidity provider {i}", usd=tc.xaut_pool_usd / 2 / tc.providers + buffer
            )
            for i in range(tc.providers)
        ]
        arb_oz = tc.arb_capital_usd / 2 / gold
        self.wrap_arbs = [
            m.open_account(f"wrap arbitrageur {i}", usd=tc.arb_capital_usd / 2 + buffer)
            for i in range(tc.arbitrageurs)
        ]
        self.cross_arbs = []
        for i in range(tc.arbitrageurs):
            w = wl.open_account(f"cross_venue_arbitrageur_{i}")
            wl.genesis(w, Asset.USD, round(tc.arb_capital_usd / 2 * MICRO))
            c = m.open_account(f"cross-venue arbitrageur {i}", usd=tc.arb_capital_usd / 2 + buffer)
            self.cross_arbs.append(CrossAccounts(w, c))
        # GRAM holders: an omnibus address; the population keeps each holder's part of it.
        self.holders_account = m.open_account(
            "GRAM holders", usd=tc.gram_holders * tc.gram_holder_wealth_usd / 2 + buffer
        )
        gram_holder_oz = tc.gram_holders * tc.gram_holder_wealth_usd / 2 / gold * 1.001
        self.seller = wl.open_account("distressed_xaut_seller")
        self.seller_chain = m.open_account("distressed XAUT seller", usd=buffer)

        # World XAUT for everything on chain, issued against gold bought into the vaults.
        staging = wl.open_account("tier_setup")
        chain_oz = dict.fromkeys(self.providers, per_lp)
        chain_oz.update(dict.fromkeys(self.wrap_arbs, arb_oz))
        chain_oz.update(dict.fromkeys((c.chain for c in self.cross_arbs), arb_oz))
        chain_oz[self.holders_account] = gram_holder_oz
        need = {a: _oz_to_mg(oz) for a, oz in chain_oz.items()}
        world.issue_at_par(
            [(staging, sum(need.values())), (self.seller, _oz_to_mg(sell_budget_oz))], cfg
        )
        for account, mg in need.items():
            self.bridge.to_chain(staging, account, mg)
        # Whatever the floors left in staging stays there, locked out of trading.

        share_gram = oz_gram_side / tc.providers
        share_xaut = oz_xaut_pool / tc.providers
        for lp in self.providers:
            m.seed_pools(lp, gold, gram_pool_oz=share_gram, xaut_pool_oz=share_xaut)
        if gram_holder_oz > 0:
            m.wrapper.mint(self.holders_account, m.xaut.available(self.holders_account))
        self.initial_gram_mg = m.gram_ledger.supply
        self._prices = np.full((len(world.gold), 2), np.nan)  # GRAM/XAUT and XAUT/USD pool prices
        self.gram_dev = 0.0  # GRAM's deviation from gold at the start of the step (fraction)
        # Realised per-step volatility of the GRAM/XAUT and XAUT/USD pool prices over a day.
        self.volatility: tuple[float, float] = (0.0, 0.0)

    # --- reads ----------------------------------------------------------------------------------
    def observe(self, t: int, gold_usd_oz: float) -> None:
        """Read the pools at the start of step ``t``: GRAM's deviation and a day's volatility."""
        m = self.market
        gram_xaut, xaut_usd = m.gram_pool_xaut(), m.xaut_pool_usd_oz()
        self._prices[t] = (gram_xaut, xaut_usd)
        self.gram_dev = gram_xaut / m.rate_xaut_per_gram * xaut_usd / gold_usd_oz - 1.0
        window = np.log(self._prices[max(0, t - VOL_WINDOW + 1) : t + 1])
        moves = window[1:] - window[:-1]  # np.diff along the steps, without its wrapper
        moves = moves[np.isfinite(moves).all(axis=1)]
        # Sample standard deviation per pool (ddof 1), 0 with fewer than two moves.
        self.volatility = (
            (_sample_std(moves[:, 0]), _sample_std(moves[:, 1])) if len(moves) >= 2 else (0.0, 0.0)
        )

    def gram_usd(self) -> float:
        """GRAM's dollar price from the pools, USD per GRAM (a gram); NaN if a pool has no price."""
        m = self.market
        # micro-ounces per milligram times dollars per ounce: dollars per million milligrams.
        return m.gram_pool_xaut() * m.xaut_pool_usd_oz() * MG_PER_GRAM / MICRO

    def gold_backing(self, *, reported: bool = False) -> float:
        """Gold behind each GRAM: the wrapper's redeemable backing times XAUT's reserve ratio.

        Args:
            reported: Use XAUT's attested reserves (what the public knows) instead of the actual.
        """
        world = self.world
        ratio = (reported_reserve_ratio if reported else actual_reserve_ratio)(
            world.custodians, world.ledger.supply
        )
        redeemable = 0.0 if self.market.wrapper.frozen else self.market.wrapper.backing_ratio()
        return redeemable * min(1.0, ratio)

    def quoted(self) -> tuple[bool, bool]:
        """Whether the GRAM/XAUT and the XAUT/USD pool hold enough to quote a price."""
        m = self.market
        return _quotes(_pool_value_usd(m, m.gram_pool), _pool_value_usd(m, m.xaut_pool))

    def set_gas_multiplier(self, multiple: float) -> None:
        """Gas costs ``multiple`` times the configured price from now (1 restores it)."""
        base = self.base_gas
        self.market.chain.price = GasPrice(
            round(base.wei_per_gas * multiple), base.micro_usd_per_eth
        )

    def row(self, gold_usd_oz: float, xaut_dev_bp: float, lp_active: int) -> dict[str, float]:
        """The tier's columns of the step's recorded row (:data:`gramabm.run_columns.TIER_COLUMNS`).

        A pool left with less than :data:`MIN_QUOTED_DEPTH_USD` quotes no price (NaN), as a
        book with an empty side has no mid.

        Args:
            gold_usd_oz: Gold this step.
            xaut_dev_bp: XAUT's order-book deviation from gold (the world's ``deviation_bp``).
            lp_active: Providers still in the pools.
        """
        m = self.market
        s = m.state(gold_usd_oz)
        gram_pool_usd = _pool_value_usd(m, m.gram_pool)
        xaut_pool_usd = _pool_value_usd(m, m.xaut_pool)
        gram_ok, xaut_ok = _quotes(gram_pool_usd, xaut_pool_usd)
        nan = math.nan
        return {
            "xaut_dev_bp": xaut_dev_bp,
            "xaut_pool_dev_bp": 1e4 * s.xaut_pool_dev if xaut_ok else nan,
            "gram_dev_bp": 1e4 * s.gram_dev if gram_ok and xaut_ok else nan,
            "gram_xaut_gap_bp": 1e4 * s.gram_xaut_gap if gram_ok else nan,
            "backing_redeemable": s.backing_redeemable,
            "backing_gold": self.gold_backing(),
            "gram_pool_depth_usd": gram_pool_usd,
            "xaut_pool_depth_usd": xaut_pool_usd,
            "gram_impact_1m": s.gram_impact_1m,
            "xaut_impact_1m": s.xaut_impact_1m,
            "wrapped_gram_mg": float(s.wrapped_gram),
            "unwrapped_gram_mg": float(s.unwrapped_gram),
            "gram_supply_g": m.gram_ledger.supply / MG_PER_GRAM,
            "lp_loss": max(s.gram_pool_lp_loss, s.xaut_pool_lp_loss),
            "lp_active": float(lp_active),
            "gas_usd_per_swap": m.chain.gas_cost("v2_swap") / MICRO,
        }

    # --- invariants -------------------------------------------------------------------------------
    def check(self) -> None:
        """Both chain ledgers, every contract's books and the bridge's cover.

        Raises:
            InvariantError: From a ledger or the bridge.
            AmmError: From the wrapper or a pool.
        """
        self.market.check()
        self.bridge.check()


def _quotes(gram_pool_usd: float, xaut_pool_usd: float) -> tuple[bool, bool]:
    """Whether pools of these depths (USD) are deep enough to quote a price."""
    return gram_pool_usd >= MIN_QUOTED_DEPTH_USD, xaut_pool_usd >= MIN_QUOTED_DEPTH_USD


def _sample_std(x: np.ndarray) -> float:
    """``x.std(ddof=1)`` of a 1-D array of two or more values, bit for bit, in less time.

    The same reductions and operations as numpy's own (its sums are the same pairwise ones),
    without the generic machinery that cost more than the arithmetic on a day's two dozen moves.
    """
    n = x.size
    deviations = x - np.add.reduce(x) / n
    np.multiply(deviations, deviations, out=deviations)
    return math.sqrt(np.add.reduce(deviations) / (n - 1))


def _oz_to_mg(oz: float) -> int:
    return max(0, math.floor(oz * GRAMS_PER_TROY_OUNCE * MG_PER_GRAM))


def _pool_value_usd(m: TwoTierMarket, pool: ConstantProductPool) -> float:
    """Both sides of a pool in dollars at XAUT's pool price (equal halves at the pool's price)."""
    xaut_usd = m.xaut_pool_usd_oz()
    if pool is m.xaut_pool:
        x, y = pool.reserves
        return (x * xaut_usd + y) / MICRO
    _, x = pool.reserves
    return 2 * x * xaut_usd / MICRO
