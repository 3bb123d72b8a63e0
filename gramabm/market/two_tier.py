"""The two-tier market: gold -> XAUT -> GRAM, with pools beside XAUT's order book, Mesa-free.

Layout. Two ledgers opened in step, so one account id is one address in both (as in
:mod:`~gramabm.market.chain`): the *XAUT ledger* holds XAUT (its token asset, base unit a
millionth of a troy ounce, the token's own 6 decimals) and USD (micro-dollars); the *GRAM ledger*
holds GRAM (its token asset, milligrams). On them sit

* XAUT's order book (:class:`~gramabm.market.venue.Venue` over the XAUT ledger): a price tick is one
  micro-dollar per micro-ounce, i.e. $1 an ounce (about 3 bp at $3,000), a lot one micro-ounce;
* a XAUT/USD constant-product pool (on-chain XAUT, priced in dollars);
* the GRAM wrapper (:class:`~gramabm.market.wrapper.GramWrapper`) and a GRAM/XAUT
  constant-product pool, GRAM's only market: GRAM's dollar price is the GRAM/XAUT pool price times
  XAUT's pool price.

Gas is paid in the XAUT ledger's USD to a sink account. Value enters only as genesis endowments
(USD, XAUT already issued) and leaves or appears only through the wrapper (GRAM), so
:meth:`TwoTierMarket.check` verifies conservation in both ledgers and every contract's books.

XAUT's primary market (gold -> XAUT at Tether, the ``xaut`` preset) is the seam left open here:
:class:`~gramabm.market.primary.PrimaryMarket` counts its token in milligrams of gold, while XAUT
on chain counts micro-ounces (the wrapper's exact arithmetic needs a power-of-ten unit). The market
keeps the preset's terms (:attr:`TwoTierMarket.xaut_terms`) and reports the no-arbitrage band they
set around gold (:meth:`TwoTierMarket.primary_band`); a model that runs Tether's primary market
converts at its boundary (``oz_to_mg``) and issues XAUT here with :meth:`TwoTierMarket.open_account`
endowments or transfers from an issuer account.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gramabm.errors import ConfigError
from gramabm.market.amm.constant_product import ConstantProductPool
from gramabm.market.amm.depth import price_impact
from gramabm.market.chain import Chain, GasPrice, Token
from gramabm.market.ledger import Asset, Ledger
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.presets import XAUT as XAUT_TERMS
from gramabm.market.primary import PrimaryTerms
from gramabm.market.venue import Venue
from gramabm.market.wrapper import CONVERSION_RATE, GRAM_DECIMALS, XAUT_DECIMALS, GramWrapper

MICRO: int = 10**6
"""Micro-dollars per dollar, and XAUT base units per ounce."""

IMPACT_NOTIONAL_USD: float = 1_000_000.0
"""Size of the trade whose price impact measures a pool's depth (dollars)."""


@dataclass(frozen=True, slots=True)
class TierState:
    """One read of both tiers (deviations are fractions: -0.02 is a 2% discount).

    Attributes:
        gold_usd_oz: The gold price used (dollars per ounce).
        xaut_book_dev: XAUT's order-book mid against gold (NaN without a two-sided book).
        xaut_pool_dev: XAUT's XAUT/USD pool price against gold.
        gram_xaut_gap: GRAM's GRAM/XAUT pool price against the wrapper's rate (1/31.1034768 XAUT).
        gram_dev: GRAM's dollar price (GRAM/XAUT times XAUT/USD pool prices) against gold.
        backing_redeemable: XAUT the wrapper can pay out times the rate over GRAM supply (0 while
            its XAUT is frozen).
        backing_held: XAUT the wrapper holds times the rate over GRAM supply, frozen or not.
        gram_impact_1m: Price impact of selling $1M of GRAM into the GRAM/XAUT pool.
        xaut_impact_1m: Price impact of selling $1M of XAUT into the XAUT/USD pool.
        gram_pool_lp_loss: GRAM/XAUT providers' loss against holding (:meth:`TwoTierMarket.lp_loss`).
        xaut_pool_lp_loss: XAUT/USD providers' loss against holding.
        wrapped_gram: GRAM minted (to callers and treasury) since the previous read, milligrams.
        unwrapped_gram: GRAM burned since the previous read, milligrams.
        gas_paid_usd: Gas paid by everyone since the previous read, dollars.
    """

    gold_usd_oz: float
    xaut_book_dev: float
    xaut_pool_dev: float
    gram_xaut_gap: float
    gram_dev: float
    backing_redeemable: float
    backing_held: float
    gram_impact_1m: float
    xaut_impact_1m: float
    gram_pool_lp_loss: float
    xaut_pool_lp_loss: float
    wrapped_gram: int
    unwrapped_gram: int
    gas_paid_usd: float

    def row(self) -> dict[str, float]:
        """The per-step record the tier metrics read (``gramabm.analysis.runs.tiers``' columns).

        Deviations in bp; ``lp_loss`` is the larger of the two pools' providers' losses.
        """
        return {
            "xaut_dev_bp": 1e4 * self.xaut_book_dev,
            "gram_dev_bp": 1e4 * self.gram_dev,
            "gram_xaut_gap_bp": 1e4 * self.gram_xaut_gap,
            "backing_redeemable": self.backing_redeemable,
            "lp_loss": max(self.gram_pool_lp_loss, self.xaut_pool_lp_loss),
            "wrapped_gram_mg": float(self.wrapped_gram),
            "unwrapped_gram_mg": float(self.unwrapped_gram),
            "gram_impact_1m": self.gram_impact_1m,
        }


class TwoTierMarket:
    """Gold -> XAUT -> GRAM: ledgers, XAUT's book and pool, the wrapper and the GRAM/XAUT pool.

    The pools start empty; seed them with :meth:`seed_pools` (a liquidity provider wraps part of
    its XAUT into GRAM and deposits both pools at the gold price).

    Args:
        gas: Gas price (reassign ``market.chain.price`` for a gas spike).
        gram_pool_fee_pips: GRAM/XAUT pool fee, millionths (500 = 0.05%, v3's low tier).
        xaut_pool_fee_pips: XAUT/USD pool fee, millionths (3,000 = 0.30%).
        book_taker_fee_bp: Taker fee of XAUT's order book, basis points.
        capacity: Initial account capacity of each ledger.

    Raises:
        ConfigError: For a fee outside its range (from the pools and venue).
    """

    def __init__(
        self,
        gas: GasPrice,
        *,
        gram_pool_fee_pips: int = 500,
        xaut_pool_fee_pips: int = 3_000,
        book_taker_fee_bp: float = 10.0,
        capacity: int = 64,
    ) -> None:
        self.xaut_ledger = Ledger(capacity)
        self.gram_ledger = Ledger(capacity)
        self.xaut_terms: PrimaryTerms = XAUT_TERMS
        self.sink = self._open("gas sink")
        self.fee_account = self._open("book fees")
        self.treasury = self._open("GRAM treasury")
        wrapper_acct = self._open("GRAM contract")
        gram_pool_acct = self._open("GRAM/XAUT pool")
        xaut_pool_acct = self._open("XAUT/USD pool")
        self.xaut = Token("XAUT", self.xaut_ledger, Asset.TOKEN, XAUT_DECIMALS)
        self.usd = Token("USD", self.xaut_ledger, Asset.USD, 6)
        self.gram = Token("GRAM", self.gram_ledger, Asset.TOKEN, GRAM_DECIMALS)
        self.chain = Chain(self.usd, self.sink, gas)
        self.wrapper = GramWrapper(
            self.xaut, self.gram, wrapper_acct, self.treasury, chain=self.chain
        )
        self.gram_pool = ConstantProductPool(
            self.gram, self.xaut, gram_pool_acct, fee_pips=gram_pool_fee_pips, chain=self.chain
        )
        self.xaut_pool = ConstantProductPool(
            self.xaut, self.usd, xaut_pool_acct, fee_pips=xaut_pool_fee_pips, chain=self.chain
        )
        self.venue = Venue(
            self.xaut_ledger, fee_account=self.fee_account, taker_fee_bp=book_taker_fee_bp
        )
        self._last = (0, 0, 0)  # wrapper minted, burned, chain gas at the previous read
        self._deposits: dict[str, dict[int, tuple[int, int]]] = {"gram": {}, "xaut": {}}

    # ------------------------------------------------------------------------- accounts

    def _open(self, name: str) -> int:
        i = self.xaut_ledger.open_account(name)
        if self.gram_ledger.open_account(name) != i:  # the ledgers are only ever opened together
            raise ConfigError("the XAUT and GRAM ledgers' accounts went out of step")
        return i

    def open_account(self, name: str, *, usd: float = 0.0, xaut_oz: float = 0.0) -> int:
        """Open an address in both ledgers with genesis dollars and XAUT (already issued).

        Raises:
            ConfigError: For a negative endowment.
        """
        if usd < 0 or xaut_oz < 0:
            raise ConfigError(f"endowments must be >= 0, got usd={usd}, xaut_oz={xaut_oz}")
        i = self._open(name)
        if usd:
            self.xaut_ledger.genesis(i, Asset.USD, round(usd * MICRO))
        if xaut_oz:
            self.xaut_ledger.genesis(i, Asset.TOKEN, round(xaut_oz * MICRO))
        return i

    def seed_pools(
        self, provider: int, gold_usd_oz: float, *, gram_pool_oz: float, xaut_pool_oz: float
    ) -> None:
        """Deposit both pools at the gold price, wrapping the GRAM side from the provider's XAUT.

        Args:
            provider: The liquidity provider (pays XAUT, USD and gas).
            gold_usd_oz: Price both pools open at (XAUT at par, GRAM at the wrapper's rate).
            gram_pool_oz: Ounces of XAUT on each side of the GRAM/XAUT pool (GRAM side at par).
            xaut_pool_oz: Ounces of XAUT in the XAUT/USD pool (and its dollar value in USD).
        """
        side = round(gram_pool_oz * MICRO)
        # Wrap enough XAUT that the net GRAM is worth ``side`` XAUT at the rate.
        gross_xaut = -(-side * 10_000 // 9_995)
        net = self.wrapper.mint(provider, gross_xaut).net
        self.provide(provider, self.gram_pool, net, side)
        x = round(xaut_pool_oz * MICRO)
        self.provide(provider, self.xaut_pool, x, round(xaut_pool_oz * gold_usd_oz * MICRO))

    def provide(self, provider: int, pool: ConstantProductPool, amount0: int, amount1: int) -> None:
        """Deposit liquidity in one of the market's pools and remember what was put in.

        The deposits are what a provider's loss against holding is measured from
        (:meth:`lp_loss`).

        Raises:
            ConfigError: If ``pool`` is not one of this market's.
            AmmError: From the pool (nothing moves).
            InsufficientBalanceError: From the pool (nothing moves).
        """
        key = self._pool_key(pool)
        used0, used1, _ = pool.add_liquidity(provider, amount0, amount1)
        d = self._deposits[key].get(provider, (0, 0))
        self._deposits[key][provider] = (d[0] + used0, d[1] + used1)

    def withdraw(
        self, provider: int, pool: ConstantProductPool, fraction: float
    ) -> tuple[int, int]:
        """Remove ``fraction`` (in (0, 1]) of ``provider``'s shares; its deposit shrinks alike.

        Returns:
            ``(amount0, amount1)`` paid out; ``(0, 0)`` if the fraction rounds to no share.

        Raises:
            ConfigError: For a fraction outside (0, 1] or a pool not of this market.
            InsufficientBalanceError: If the provider cannot pay the gas.
        """
        if not 0 < fraction <= 1:
            raise ConfigError(f"fraction to withdraw must be in (0, 1], got {fraction!r}")
        key = self._pool_key(pool)
        held = pool.shares.get(provider, 0)
        shares = held if fraction == 1 else int(held * fraction)
        if not shares:
            return 0, 0
        out = pool.remove_liquidity(provider, shares)
        d0, d1 = self._deposits[key].get(provider, (0, 0))
        left = held - shares
        if left:
            self._deposits[key][provider] = (d0 * left // held, d1 * left // held)
        else:
            self._deposits[key].pop(provider, None)
        return out

    def _pool_key(self, pool: ConstantProductPool) -> str:
        if pool is self.gram_pool:
            return "gram"
        if pool is self.xaut_pool:
            return "xaut"
        raise ConfigError("the pool is not one of this market's")

    def deposit(self, provider: int, pool: ConstantProductPool) -> tuple[int, int]:
        """What ``provider`` has deposited in ``pool`` and not withdrawn, base units per token."""
        return self._deposits[self._pool_key(pool)].get(provider, (0, 0))

    def lp_loss(self, pool: ConstantProductPool) -> float:
        """The providers' loss against holding their deposits in ``pool``, value-weighted.

        Valued at the pool's price, a fraction of the held value (0 without providers).
        """
        deposits = self._deposits[self._pool_key(pool)]
        x, y = pool.reserves
        if not (x and pool.total_shares and deposits):
            return 0.0
        p = y / x
        now = sum(pool.shares.get(a, 0) for a in deposits) / pool.total_shares * (x * p + y)
        held = sum(d0 * p + d1 for d0, d1 in deposits.values())
        return 1.0 - now / held if held else 0.0

    def quote_book(
        self,
        maker: int,
        mid_usd_oz: float,
        *,
        half_spread_bp: float,
        levels: int,
        oz_per_level: float,
        step_bp: float = 5.0,
    ) -> None:
        """Replace ``maker``'s quotes on XAUT's book by a ladder around ``mid_usd_oz``.

        Each side has ``levels`` levels of ``oz_per_level`` ounces, the first ``half_spread_bp``
        from the mid, then every ``step_bp``. A level the maker cannot fund is left out.
        """
        self.venue.cancel_all(maker)
        qty = round(oz_per_level * MICRO)
        for k in range(levels):
            off = (half_spread_bp + k * step_bp) / 1e4
            self.venue.limit(maker, BUY, max(1, math.floor(mid_usd_oz * (1 - off))), qty)
            self.venue.limit(maker, SELL, math.ceil(mid_usd_oz * (1 + off)), qty)

    # ----------------------------------------------------------------------------- reads

    @property
    def rate_xaut_per_gram(self) -> float:
        """XAUT base units per GRAM base unit at the wrapper's rate."""
        return 10 ** (XAUT_DECIMALS + 18 - GRAM_DECIMALS) / CONVERSION_RATE

    def xaut_pool_usd_oz(self) -> float:
        """XAUT's price in the XAUT/USD pool, dollars per ounce."""
        return self.xaut_pool.price()

    def gram_pool_xaut(self) -> float:
        """GRAM's price in the GRAM/XAUT pool, XAUT base units per GRAM base unit."""
        g, x = self.gram_pool.reserves
        return x / g if g else float("nan")

    def primary_band(self) -> tuple[float, float]:
        """XAUT's deviations from gold at which Tether's primary market pays: (low, high).

        Below ``-redeem fee`` an authorised client buys XAUT and redeems it; above ``+mint fee``
        it mints and sells (the ``xaut`` preset's fees; its delays and minimum are not priced).
        """
        return -self.xaut_terms.redeem_fee_bp / 1e4, self.xaut_terms.mint_fee_bp / 1e4

    def state(self, gold_usd_oz: float) -> TierState:
        """Read both tiers; the flows are since the previous call (so call it once a step).

        Args:
            gold_usd_oz: The gold price, dollars per ounce (> 0).

        Raises:
            ConfigError: For a gold price that is not positive.
        """
        if not gold_usd_oz > 0:
            raise ConfigError(f"gold price must be > 0, got {gold_usd_oz!r}")
        mid = self.venue.book.mid()
        book_dev = mid / gold_usd_oz - 1 if mid is not None else float("nan")
        xaut_usd = self.xaut_pool_usd_oz()
        pool_dev = xaut_usd / gold_usd_oz - 1
        gap = self.gram_pool_xaut() / self.rate_xaut_per_gram - 1
        gram_dev = (1 + gap) * (1 + pool_dev) - 1
        w = self.wrapper
        held = w.backing_ratio()
        gram_usd_per_unit = self.gram_pool_xaut() * xaut_usd / MICRO
        gram_in = max(1, round(IMPACT_NOTIONAL_USD / gram_usd_per_unit)) if gram_usd_per_unit else 1
        xaut_in = max(1, round(IMPACT_NOTIONAL_USD / xaut_usd * MICRO)) if xaut_usd else 1
        minted, burned, gas = sum(w.minted), w.burned, self.chain.gas_paid
        last = self._last
        self._last = (minted, burned, gas)
        return TierState(
            gold_usd_oz=gold_usd_oz,
            xaut_book_dev=book_dev,
            xaut_pool_dev=pool_dev,
            gram_xaut_gap=gap,
            gram_dev=gram_dev,
            backing_redeemable=0.0 if w.frozen else held,
            backing_held=held,
            gram_impact_1m=price_impact(self.gram_pool, True, gram_in),
            xaut_impact_1m=price_impact(self.xaut_pool, True, xaut_in),
            gram_pool_lp_loss=self.lp_loss(self.gram_pool),
            xaut_pool_lp_loss=self.lp_loss(self.xaut_pool),
            wrapped_gram=minted - last[0],
            unwrapped_gram=burned - last[1],
            gas_paid_usd=(gas - last[2]) / MICRO,
        )

    # ------------------------------------------------------------------------ invariants

    def check(self) -> None:
        """Verify conservation and non-negativity in both ledgers and every contract's books.

        Raises:
            InvariantError: From a ledger.
            AmmError: From the wrapper or a pool.
        """
        self.xaut_ledger.check()
        self.gram_ledger.check()
        self.wrapper.check()
        self.gram_pool.check()
        self.xaut_pool.check()
        self.venue.check()
