"""The one typed, validated configuration object a :class:`~gramabm.model.GramModel` takes.

TOML files, API payloads, CLI flags and browser controls all become a :class:`ModelConfig`. Unknown keys,
negative counts, fees of 100% or more, zero steps and similar impossibilities are refused with a message
that names the field (pydantic does the checking; :func:`load_config` turns its report into a
:class:`~gramabm.errors.ConfigError`).

Defaults are documented beside each field; where a default comes from a public figure, the comment says
which (docs/model.md, "Domain facts and sources", gives them).
"""

from __future__ import annotations

import math
import tomllib
import warnings
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gramabm.errors import ConfigError, GramabmWarning
from gramabm.preset_names import PresetName

Bp = float
"""Basis points (1 bp = 0.01%)."""

Role = Literal["lever", "uncertainty"]
"""What a varied parameter is to a study: a **lever** is what the issuer or its governance can set
(fees, gates, circuit-breaker thresholds, custody set-up, who may arbitrage); an **uncertainty** is
what it must cope with (shocks, holders' behaviour, market makers' limits, the venue). A section
declares its default role in ``ROLE``; a field that differs says so in
``json_schema_extra={"role": ...}``. :func:`parameter_role` reads them; a sweep may override it."""

ROLES: tuple[str, ...] = ("lever", "uncertainty")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ROLE: ClassVar[Role] = "uncertainty"


class HolderConfig(_Section):
    """The holder population: wealth, network, activity and behaviour."""

    n: int = Field(10_000, ge=1, le=1_000_000, description="number of holders")
    mean_wealth_usd: float = Field(
        20_000.0, gt=0, description="mean initial wealth (tokens + cash)"
    )
    wealth_pareto_alpha: float = Field(
        1.8, gt=1.0, description="Pareto tail index of wealth (heavy-tailed; >1 so the mean exists)"
    )
    token_share: float = Field(
        0.6, ge=0, le=1, description="share of each holder's initial wealth held in tokens"
    )
    institutional_share: float = Field(
        0.02,
        ge=0,
        le=1,
        description="share of holders that are KYC'd institutions with primary access",
    )
    network: Literal["small_world", "scale_free"] = Field(
        "small_world", description="social graph along which worry spreads"
    )
    network_degree: int = Field(6, ge=2, le=100, description="mean degree of the social graph")
    rewire_p: float = Field(0.1, ge=0, le=1, description="Watts-Strogatz rewiring probability")
    activity: float = Field(
        1 / 24,
        gt=0,
        le=1,
        description="chance a holder reconsiders its position each step (~daily)",
    )
    trade_fraction: float = Field(
        0.3,
        gt=0,
        le=1,
        description="share a holder trades at once: of its tokens or cash, or of its wealth",
    )
    trade_size: Literal["holdings", "wealth"] = Field(
        "holdings",
        description=(
            "what trade_fraction is a share of: 'holdings', a seller's tokens and a buyer's cash; "
            "'wealth', its cash plus tokens at the mid either way (capped by what it holds)"
        ),
    )
    market_order_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of holder orders sent as market orders (rest: IOC limits)",
    )
    limit_offset_bp: Bp = Field(
        30.0, ge=0, lt=10_000, description="IOC limit distance from the mid"
    )
    herding: float = Field(0.5, ge=0, le=5, description="weight of neighbours' panic in own panic")
    risk_aversion: float = Field(
        1.0, ge=0, le=10, description="sensitivity of selling to losses and vol"
    )
    panic_memory: float = Field(
        0.97, ge=0, lt=1, description="per-step persistence of panic (0.97/h: half-life ~23 h)"
    )
    usual_basis_half_life_h: float = Field(
        0.0,
        ge=0,
        description=(
            "half-life (hours) of the deviation holders are used to; they react to the deviation "
            "beyond it (0: to the whole deviation)"
        ),
    )
    usual_basis_cap_bp: Bp = Field(
        150.0,
        ge=0,
        lt=10_000,
        description="largest deviation holders ever take for usual (a deeper one always counts)",
    )
    policy: str = Field(
        "rule_based",
        description="'rule_based', 'default' (learned, trained on the built-in data) or a skops file",
    )


class ArbitrageurConfig(_Section):
    """Authorised participants: the few agents with capital and primary-market access."""

    n: int = Field(
        3,
        ge=0,
        le=1_000,
        description="number of arbitrageurs (studies sweep it)",
        json_schema_extra={"role": "lever"},  # the issuer decides whom it authorises
    )
    capital_usd: float = Field(5_000_000.0, ge=0, description="cash per arbitrageur")
    inventory_g: float = Field(
        10_000.0, ge=0, description="initial token inventory per arbitrageur"
    )
    min_edge_bp: Bp = Field(5.0, ge=0, lt=10_000, description="profit required beyond fees")
    max_trade_usd: float = Field(
        1_000_000.0, gt=0, description="largest book trade per step (balance-sheet limit)"
    )
    closed_premium_bp: Bp = Field(
        40.0,
        ge=0,
        lt=10_000,
        description="extra edge demanded while the primary market is shut (inventory risk)",
    )


class MarketMakerConfig(_Section):
    """Market makers quoting ladders around their fair-value estimate."""

    n: int = Field(3, ge=0, le=100, description="number of market makers")
    capital_usd: float = Field(2_000_000.0, ge=0, description="cash per market maker")
    inventory_g: float = Field(20_000.0, ge=0, description="initial tokens per market maker")
    levels: int = Field(5, ge=1, le=50, description="price levels per side")
    level_size_g: float = Field(500.0, gt=0, description="tokens quoted per level")
    half_spread_bp: Bp = Field(
        8.0, ge=0, lt=5_000, description="calm half-spread of the inner level"
    )
    level_step_bp: Bp = Field(5.0, gt=0, lt=5_000, description="distance between ladder levels")
    vol_widening: float = Field(
        0.3, ge=0, description="half-spread added per unit of hourly volatility (bp per bp)"
    )
    inventory_skew_bp: Bp = Field(
        50.0, ge=0, lt=5_000, description="quote shift per target inventory of imbalance"
    )
    withdraw_vol: float = Field(
        0.60, gt=0, description="annualised realised volatility at which a maker withdraws"
    )
    withdraw_loss: float = Field(
        0.05, gt=0, le=1, description="loss (share of starting capital) at which a maker withdraws"
    )
    cooldown_steps: int = Field(24, ge=1, description="steps out of the market after withdrawing")
    mid_weight_when_stale: float = Field(
        0.7, ge=0, le=1, description="weight of the token's last trade when gold is shut"
    )
    unhedged_widening_bp: Bp = Field(
        0.0,
        ge=0,
        lt=5_000,
        description="half-spread added while gold is shut (inventory cannot be hedged)",
    )
    basis_half_life_h: float = Field(
        0.0,
        ge=0,
        description="half-life (hours) of the dealers' basis estimate (0: quote at the gold value)",
    )
    pass_through_bp: Bp = Field(
        0.0,
        ge=0,
        lt=5_000,
        description="hourly gold move the dealers' quotes follow in full (see excess_absorbed)",
    )
    excess_absorbed: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "share of an hourly gold move beyond pass_through_bp the dealers carry in their basis "
            "instead of their quotes (0: quotes follow every move; needs basis_half_life_h > 0 "
            "and a bound: absorb_cap_bp or absorb_max_vol)"
        ),
    )
    absorb_cap_bp: Bp | None = Field(
        None,
        gt=0,
        lt=5_000,
        description="basis beyond which the dealers absorb no more of a violent hour (None: none)",
    )
    absorb_max_vol: float | None = Field(
        None,
        gt=0,
        description=(
            "token's annualised realised volatility from which the dealers absorb nothing and "
            "follow gold in full (a turbulent market; None: no such limit)"
        ),
    )
    # Inventory management (gramabm.agents.hedging): hedge in gold, unload through the primary.
    hedge: bool = Field(True, description="hedge token inventory in gold while gold trades")
    authorised: bool = Field(
        True, description="makers may mint and redeem (unload inventory through the primary)"
    )
    unload_band: float = Field(
        0.5, ge=0, description="inventory gap (share of target) beyond which a maker unloads"
    )
    unload_rule: Literal["band", "cheaper"] = Field(
        "band",
        description=(
            "band: unload whenever beyond the band; cheaper: only where the primary's fee beats "
            "the book's discount or premium (or the inventory is at its limit)"
        ),
    )
    max_inventory: float = Field(
        4.0, gt=1, description="inventory (multiple of target) at which the ladder's bids end"
    )
    # At the limit a maker keeps one far bid, hedged and financed (gramabm.agents.financing).
    far_bid_bp: Bp = Field(
        300.0, gt=0, lt=5_000, description="distance of the far bid below the inner bid"
    )
    hedged_limit: float = Field(
        8.0, gt=1, description="inventory (multiple of target) up to which the far bid buys"
    )
    financing_advance: float = Field(
        0.8, ge=0, le=1, description="share of the hedged tokens' gold value lent against them"
    )
    credit_usd: float = Field(4_000_000.0, ge=0, description="credit line per market maker")
    # Short of tokens while it cannot mint, a maker borrows them (gramabm.agents.financing).
    token_loan_g: float = Field(
        20_000.0,
        ge=0,
        description="tokens a maker may borrow to keep its offers while it cannot mint (0: none)",
    )

    @model_validator(mode="after")
    def _absorption_needs_a_basis_and_a_bound(self) -> MarketMakerConfig:
        # The absorbed part of a move lives in the basis: without one it would vanish unseen.
        if self.excess_absorbed > 0 and self.basis_half_life_h <= 0:
            raise ValueError(
                "excess_absorbed > 0 needs basis_half_life_h > 0 (the basis carries it)"
            )
        # Unbounded, a crash's violent hours would pile up into a premium that holds the token up
        # while gold falls (docs/model.md): the user states the bound, on the basis or on the
        # market's turbulence.
        if self.excess_absorbed > 0 and self.absorb_cap_bp is None and self.absorb_max_vol is None:
            raise ValueError(
                "excess_absorbed > 0 needs a bound: absorb_cap_bp (the basis it may build) or "
                "absorb_max_vol (the volatility from which it stops)"
            )
        return self


class ValueTraderConfig(_Section):
    """Discount buyers: hedged traders bidding below the gold value (gramabm.agents.value_traders)."""

    n: int = Field(0, ge=0, le=100, description="number of discount buyers (calibrated: 2)")
    capital_usd: float = Field(1_500_000.0, ge=0, description="cash per discount buyer")
    discounts_bp: tuple[Bp, ...] = Field(
        (75.0, 150.0, 300.0, 500.0, 750.0, 1000.0),
        min_length=1,
        description="bid levels below the gold value",
    )
    level_shares: tuple[float, ...] = Field(
        (0.08, 0.1, 0.12, 0.16, 0.22, 0.3),
        min_length=1,
        description="share of cash bid at each level (deeper discounts, larger bids)",
    )
    financing_advance: float = Field(
        0.8, ge=0, le=1, description="share of the hedged tokens' gold value lent against them"
    )
    credit_usd: float = Field(6_000_000.0, ge=0, description="credit line per discount buyer")
    exit_premium_bp: Bp = Field(
        0.0, ge=-500, lt=10_000, description="where it offers what it bought (vs gold value)"
    )
    withdraw_vol: float = Field(
        0.40, gt=0, description="annualised volatility above which it stops bidding (risk limit)"
    )

    @field_validator("level_shares")
    @classmethod
    def _shares(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(x <= 0 for x in value) or sum(value) > 1.0:
            raise ValueError("level shares must be > 0 and sum to at most 1")
        return value


class LiquidityTraderConfig(_Section):
    """Liquidity (noise) flow: small orders both ways (gramabm.agents.liquidity_traders)."""

    orders_per_hour: float = Field(
        6.0, ge=0, description="mean market orders per hour (scaled by the intraday pattern)"
    )
    weekend_activity: float = Field(
        1.0,
        gt=0,
        le=1,
        description="order rate on Saturdays and Sundays (UTC) against weekdays",
    )
    mean_order_usd: float = Field(5_000.0, gt=0, description="mean order size")
    size_tail: float = Field(
        0.0,
        ge=0,
        le=10,
        description="tail exponent of order sizes (Lomax, above 1; 0: exponential sizes)",
    )
    capital_usd: float = Field(2_000_000.0, ge=0, description="cash of the flow's pool")
    inventory_g: float = Field(20_000.0, ge=0, description="tokens of the flow's pool")
    inventory_reversion: float = Field(
        0.3, ge=0, le=0.5, description="tilt of the buy/sell odds against the pool's imbalance"
    )
    demand_sd: float = Field(
        0.0, ge=0, le=0.4, description="spread of the persistent tilt of the buy/sell odds"
    )
    demand_half_life_h: float = Field(
        240.0, gt=0, description="half-life (hours) of that tilt: how long a demand wave lasts"
    )
    burst_sd: float = Field(
        0.0, ge=0, le=0.4, description="spread of a second, fast tilt of the odds (order bursts)"
    )
    burst_half_life_h: float = Field(
        6.0, gt=0, description="half-life (hours) of a burst: one-sided flow that fades in a day"
    )
    venue_volume_usd: float = Field(
        0.0,
        ge=0,
        description=(
            "median daily traded value (USD) of the real venue these settings were fitted to; "
            "validate sizes the venue to an observed one by it (0: none, no sizing)"
        ),
    )

    @field_validator("size_tail")
    @classmethod
    def _tail_has_a_mean(cls, v: float) -> float:
        # A Lomax law has a finite mean only above one; refuse rather than quietly go exponential.
        if 0 < v <= 1:
            raise ValueError("size_tail must be 0 (exponential sizes) or above 1 (a finite mean)")
        return v


class GoldSessionConfig(_Section):
    """Gold between fixes: the intraday pattern and the weekend's move (scenarios.gold_session)."""

    enabled: bool = Field(True, description="rebuild hourly paths with the session pattern")
    weekend_variance: float = Field(
        0.25, ge=0, le=5, description="variance of gold's hidden weekend move (business days)"
    )
    own_move_weight: float = Field(
        0.5, ge=0, le=1, description="weight of a day's own move in its intraday variance"
    )
    weekend_info_share: float = Field(
        0.5, ge=0, le=1, description="share of the hidden weekend move the token market reads"
    )


class CustodyConfig(_Section):
    """Custodians holding the bars."""

    ROLE: ClassVar[Role] = "lever"

    n: int = Field(2, ge=1, le=20, description="number of custodians")
    concentration: float = Field(
        0.7,
        gt=0,
        le=1,
        description="share of reserves at the largest custodian (rest split evenly)",
    )
    daily_capacity_g: float = Field(
        2_000_000.0, gt=0, description="redemptions each custodian processes per business day"
    )


class PrimaryConfig(_Section):
    """Primary market: a preset (docs/model.md D2) with optional overrides.

    Fees are quantised to 0.01 bp, the primary market's exact fee unit, so that sampled designs
    (random, Latin hypercube, Sobol') can vary them continuously.
    """

    ROLE: ClassVar[Role] = "lever"

    preset: PresetName = Field("paxg", description="primary terms")
    mint_fee_bp: Bp | None = Field(None, ge=0, lt=10_000, description="override the preset's fee")
    redeem_fee_bp: Bp | None = Field(None, ge=0, lt=10_000, description="override the preset's fee")
    always_open: bool = Field(False, description="ignore the preset's hours (24/7 primary)")

    @field_validator("mint_fee_bp", "redeem_fee_bp")
    @classmethod
    def _quantise_fee(cls, value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    enabled: bool = Field(True, description="False shuts the primary market for the whole run")


class GovernanceConfig(_Section):
    """Token-weighted governance with a quorum, a voting delay and an emergency path."""

    ROLE: ClassVar[Role] = "lever"

    enabled: bool = True
    quorum: float = Field(0.04, gt=0, le=1, description="share of supply that must vote")
    voting_delay_steps: int = Field(48, ge=0, description="steps from proposal to execution")
    trigger_deviation_bp: Bp = Field(
        100.0, gt=0, description="|deviation| that, sustained, triggers a fee-cut proposal"
    )
    trigger_steps: int = Field(24, ge=1, description="steps the deviation must persist")
    emergency_reserve_ratio: float = Field(
        0.97, gt=0, le=1, description="reported reserve ratio below which the emergency path gates"
    )
    gate_share_per_day: float = Field(
        0.02,
        gt=0,
        le=1,
        description="redemption gate set by the emergency path (share of supply/day)",
    )
    circuit_breaker_bp: Bp = Field(
        1_500.0, gt=0, description="|deviation| that halts the token market for one step"
    )


class TierConfig(_Section):
    """The GRAM tier of the ``gram`` preset: gas, pools, arbitrageurs, providers and GRAM holders.

    Read only when ``primary.preset = "gram"`` (:mod:`gramabm.market.gram_tier`).
    """

    gas_gwei: float = Field(5.0, ge=0, le=10_000, description="Ethereum gas price (gwei)")
    eth_usd: float = Field(3_000.0, gt=0, description="ETH price (USD) gas is paid at")
    gram_pool_usd: float = Field(
        4_000_000.0, gt=0, description="GRAM/XAUT pool at the start: value of both sides (USD)"
    )
    # On-chain XAUT: about $10M sold moved the DEX price 6-8% (docs/model.md D3); a
    # constant-product pool moves about 2 x sale / side, so about $280M a side.
    xaut_pool_usd: float = Field(
        560_000_000.0, gt=0, description="XAUT/USD pool at the start: value of both sides (USD)"
    )
    gram_pool_fee_pips: int = Field(
        500, ge=0, lt=1_000_000, description="GRAM/XAUT pool fee (millionths)"
    )
    xaut_pool_fee_pips: int = Field(
        3_000, ge=0, lt=1_000_000, description="XAUT/USD pool fee (millionths)"
    )
    providers: int = Field(4, ge=1, le=100, description="liquidity providers (share the pools)")
    lp_max_volatility: float = Field(
        0.02, ge=0, description="per-step log-price volatility (one day) a provider stays through"
    )
    lp_max_loss: float = Field(
        0.02, ge=0, le=1, description="loss against holding a provider stays through (fraction)"
    )
    arbitrageurs: int = Field(
        2, ge=0, le=100, description="wrap/unwrap and cross-venue arbitrageurs (each kind)"
    )
    arb_capital_usd: float = Field(
        10_000_000.0, ge=0, description="capital per arbitrageur, half XAUT, half USD (USD)"
    )
    gram_holders: int = Field(1_000, ge=0, le=1_000_000, description="GRAM holders")
    gram_holder_wealth_usd: float = Field(
        5_000.0, gt=0, description="mean wealth of a GRAM holder, in GRAM and USD (USD)"
    )
    gram_holder_activity: float = Field(
        0.02, ge=0, le=1, description="chance a worried GRAM holder acts in a step"
    )
    gram_holder_fear_bp: Bp = Field(
        100.0, gt=0, description="median GRAM discount (bp) at which a holder wants out"
    )


class OracleConfig(_Section):
    """The gold reference price as agents see it."""

    latency_steps: int = Field(1, ge=0, le=1_000, description="steps of delay")
    stale_outside_sessions: bool = Field(True, description="frozen at weekends and holidays")


MAX_TICK_USD_OZ: float = 1_000.0
"""Largest venue tick accepted, USD per troy ounce (half a token's price: beyond it no market)."""


class ModelConfig(_Section):
    """Everything a run needs. Build it from a TOML file with :func:`load_config`."""

    steps: int = Field(720, ge=1, le=1_000_000, description="steps to run")
    step_hours: float = Field(1.0, gt=0, le=24, description="hours per step")
    scenario: str = Field("baseline", description="scenario name (see `gramabm scenarios list`)")
    scenario_params: dict[str, Any] = Field(default_factory=dict)
    initial_price_usd_oz: float | None = Field(
        None, gt=0, description="start the gold path at this level (default: the data's level)"
    )
    trading_fee_bp: Bp = Field(2.0, ge=0, lt=10_000, description="exchange taker fee")
    tick_usd_oz: float = Field(
        0.0,
        ge=0,
        le=MAX_TICK_USD_OZ,
        description=(
            "the venue's price step, USD per troy ounce (PAXG/USDT on Binance: 0.01 to August "
            "2021, 1 since); 0: the book's own step, 0.001 USD a gram (gramabm.market.price_grid)"
        ),
    )
    tick_changes: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "later ticks by the day they take effect (YYYY-MM-DD: USD per ounce), as when a venue "
            "changes its price step; validate --tick-usd auto reads them from the observed closes"
        ),
    )

    @field_validator("tick_changes")
    @classmethod
    def _dated_ticks(cls, changes: dict[str, float]) -> dict[str, float]:
        for day, tick in changes.items():
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"tick change {day!r} is not a YYYY-MM-DD day") from None
            if not (math.isfinite(tick) and 0.0 <= tick <= MAX_TICK_USD_OZ):
                raise ValueError(
                    f"tick of {day} must be 0 to {MAX_TICK_USD_OZ:,.0f} USD an ounce, got {tick!r}"
                )
        return dict(sorted(changes.items()))

    holder_sample: int = Field(
        200, ge=0, description="holders recorded individually (at most all of them)"
    )
    holder_record_every: int = Field(24, ge=1, description="steps between holder-level records")
    holders: HolderConfig = Field(default_factory=HolderConfig)
    arbitrageurs: ArbitrageurConfig = Field(default_factory=ArbitrageurConfig)
    market_makers: MarketMakerConfig = Field(default_factory=MarketMakerConfig)
    value_traders: ValueTraderConfig = Field(default_factory=ValueTraderConfig)
    liquidity_traders: LiquidityTraderConfig = Field(default_factory=LiquidityTraderConfig)
    gold_session: GoldSessionConfig = Field(default_factory=GoldSessionConfig)
    custody: CustodyConfig = Field(default_factory=CustodyConfig)
    primary: PrimaryConfig = Field(default_factory=PrimaryConfig)
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)
    oracle: OracleConfig = Field(default_factory=OracleConfig)
    tiers: TierConfig = Field(default_factory=TierConfig)

    def with_updates(self, updates: dict[str, Any]) -> ModelConfig:
        """A copy with dotted-key updates applied (``{"holders.n": 500}``), validated again."""
        data = self.model_dump()
        for key, value in updates.items():
            _set_dotted(data, key, value)
        return build_config(data)


# Flat keyword names accepted by GramModel(**kwargs) (SolaraViz, batch runners, the CLI).
FLAT_ALIASES: dict[str, str] = {
    "holders": "holders.n",
    "arbitrageurs": "arbitrageurs.n",
    "market_makers": "market_makers.n",
    "custodians": "custody.n",
    "preset": "primary.preset",
    "mint_fee_bp": "primary.mint_fee_bp",
    "redeem_fee_bp": "primary.redeem_fee_bp",
    "primary_always_open": "primary.always_open",
    "primary_enabled": "primary.enabled",
    "herding": "holders.herding",
    "risk_aversion": "holders.risk_aversion",
    "policy": "holders.policy",
    "network": "holders.network",
    "arb_capital_usd": "arbitrageurs.capital_usd",
    "mm_withdraw_vol": "market_makers.withdraw_vol",
    "governance": "governance.enabled",
}


def parameter_role(name: str) -> Role:
    """The default role of a configuration parameter (see :data:`Role`).

    Args:
        name: Dotted path (``primary.mint_fee_bp``); ``scenario_params.*`` are the shock's
            parameters, uncertainties.

    Raises:
        ConfigError: If no such parameter exists.
    """
    section: type[BaseModel] = ModelConfig
    parts = name.split(".")
    for i, part in enumerate(parts):
        info = section.model_fields.get(part)
        if info is None:
            raise ConfigError(f"unknown configuration key {name!r}")
        if part == "scenario_params" and i == 0 and len(parts) > 1:
            return "uncertainty"
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, _Section) and i < len(parts) - 1:
            section = sub
            continue
        if i < len(parts) - 1:
            raise ConfigError(f"unknown configuration key {name!r}")
        extra = info.json_schema_extra
        role = extra.get("role") if isinstance(extra, dict) else None
        return role if role in ROLES else section.ROLE  # type: ignore[attr-defined,return-value]
    raise ConfigError(f"unknown configuration key {name!r}")


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        if part not in node or not isinstance(node[part], dict):
            raise ConfigError(f"unknown configuration section {part!r} in {key!r}")
        node = node[part]
    if parts[-1] not in node and parts[-1] != "scenario_params":
        raise ConfigError(f"unknown configuration key {key!r}")
    node[parts[-1]] = value


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "scenario_params":
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "config"
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        lines.append(f"{where}: {err['msg']}{shown}")
    return "invalid configuration: " + "; ".join(lines)


def build_config(data: dict[str, Any] | None = None, **flat: Any) -> ModelConfig:
    """Validate a nested mapping plus flat aliases into a :class:`ModelConfig`.

    Args:
        data: Nested mapping (as in a TOML file).
        **flat: Flat keywords: any top-level field, a key of :data:`FLAT_ALIASES`, or a dotted path.

    Raises:
        ConfigError: Naming every invalid or unknown field.
    """
    # Defaults first, then the given mapping on top; unknown keys survive the merge so that
    # validation names them.
    merged = _deep_merge(ModelConfig().model_dump(), data or {})
    for key, value in flat.items():
        if value is None:
            continue
        dotted = FLAT_ALIASES.get(key, key)
        _set_dotted(merged, dotted, value)
    try:
        return ModelConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from exc


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file's content, or a ConfigError naming the file and what is wrong with it.

    Args:
        path: The file.
        what: What the file is, for messages ("configuration file", "experiment file").

    Raises:
        ConfigError: Missing, a folder, unreadable, not UTF-8 text (e.g. binary) or not TOML.
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: {what} not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a {what}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text (UTF-8) TOML file: {exc.reason} at byte {exc.start}"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror}") from exc


def shipped_configs() -> list[str]:
    """Names of the configurations shipped with gramabm (``calibrated``, ...)."""
    # Found by path, because this floor may not import the calibration package.
    return sorted(f.stem for f in _SHIPPED.glob("*.toml"))


def config_path(path: str | Path) -> Path:
    """The file a configuration name stands for: an existing path, else a shipped name's file.

    A name that is neither is returned as given, so reading it names the missing file.
    """
    p = Path(path)
    name = str(path)
    if not p.exists() and name.isascii() and name.replace("_", "").replace("-", "").isalnum():
        shipped = _SHIPPED / f"{name}.toml"
        if shipped.is_file():
            return shipped
    return p


_SHIPPED = Path(__file__).with_name("calibration") / "presets"


class HolderCountWarning(GramabmWarning):
    """A configuration's population size was overridden (see :func:`load_config`)."""


def load_config(path: str | Path | None = None, **flat: Any) -> ModelConfig:
    """Read a TOML configuration (or the defaults) and apply flat overrides.

    ``path`` may also be the bare name of a configuration shipped with gramabm (``"calibrated"``;
    see :mod:`gramabm.calibration.presets`) when no file of that name exists.

    Raises:
        ConfigError: Unreadable TOML, unknown keys or impossible values, with the file named.
    """
    if path is None:
        return build_config(None, **flat)
    p = config_path(path)
    data = read_toml(p, "configuration file")
    try:
        cfg = build_config(data, **flat)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from exc
    set_n = data.get("holders", {}).get("n") if isinstance(data.get("holders"), dict) else None
    if isinstance(set_n, int) and cfg.holders.n != set_n:
        # Not an error (small populations are how tests and sketches run fast), but never silent:
        # at 1,000 holders `calibrated`'s calm quarter swings its supply from -10% to +39% by seed,
        # at its 10,000 by under 2%.
        warnings.warn(
            f"{p.name} sets holders.n = {set_n:,}, the population its other parameters were set "
            f"for; with {cfg.holders.n:,} the holders' flow weighs differently against the market "
            "makers, arbitrageurs and liquidity flow, whose sizes are fixed, so its calm-market "
            "facts are not those validated",
            HolderCountWarning,
            stacklevel=2,
        )
    return cfg
