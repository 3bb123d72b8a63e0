"""What a run records each step: every column once, with its type, unit and meaning.

This is the collection contract. The model's recorder allocates exactly these columns, the run
metrics check their input against them, the reports and the browser view take their labels and
units from here, and the README's column table is generated from :func:`markdown_table` (a test
keeps them equal). A column that is not declared here cannot be recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["float", "int", "bool"]


@dataclass(frozen=True, slots=True)
class Column:
    """One per-step column of ``timeseries.parquet``.

    Attributes:
        name: Column name in the frame.
        kind: ``float`` (NaN where undefined), ``int`` (counts) or ``bool`` (flags).
        unit: Unit as a reader writes it (``USD/g``, ``bp``, ``g``, ``tokens``, ``count``...),
            empty for a flag or a ratio without unit.
        label: A short human label for charts and tables.
        meaning: One line: what the value is and when it is undefined.
    """

    name: str
    kind: Kind
    unit: str
    label: str
    meaning: str

    @property
    def title(self) -> str:
        """Label with its unit, for an axis or a table header."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


def _c(name: str, kind: Kind, unit: str, label: str, meaning: str) -> Column:
    return Column(name, kind, unit, label, meaning)


COLUMNS: tuple[Column, ...] = (
    _c("gold_usd_oz", "float", "USD/oz", "Gold price", "gold spot price of the step"),
    _c("gold_value_usd", "float", "USD/g", "Gold value", "gold value of one gram (one token)"),
    _c(
        "oracle_usd_per_gram",
        "float",
        "USD/g",
        "Oracle price",
        "gold price as the oracle shows it to agents (lagged, stale at weekends)",
    ),
    _c("is_fix", "bool", "", "Fix", "the step carries a daily gold fix"),
    _c(
        "token_mid",
        "float",
        "USD",
        "Token mid",
        "mid of the best bid and ask; NaN when one side of the book is empty",
    ),
    _c(
        "token_last",
        "float",
        "USD",
        "Last trade",
        "last traded price of the step; NaN without trades",
    ),
    _c(
        "token_high",
        "float",
        "USD",
        "High trade",
        "highest traded price of the step; NaN without trades",
    ),
    _c(
        "token_low",
        "float",
        "USD",
        "Low trade",
        "lowest traded price of the step; NaN without trades",
    ),
    _c("token_bid", "float", "USD", "Best bid", "best bid after the step; NaN when no bid rests"),
    _c("token_ask", "float", "USD", "Best ask", "best ask after the step; NaN when no ask rests"),
    _c(
        "deviation_bp",
        "float",
        "bp",
        "Deviation (mid)",
        "mid against the gold value per gram; NaN without a mid",
    ),
    _c(
        "last_deviation_bp",
        "float",
        "bp",
        "Deviation (traded)",
        "last trade against the gold value per gram; NaN without trades",
    ),
    _c(
        "spread_bp",
        "float",
        "bp",
        "Spread",
        "best ask minus best bid over the mid; NaN when one side is empty",
    ),
    _c(
        "depth_1pct_usd",
        "float",
        "USD",
        "Depth ±1%",
        "resting value within 1% of the mid, both sides",
    ),
    _c(
        "depth_2pct_usd",
        "float",
        "USD",
        "Depth ±2%",
        "resting value within 2% of the mid, both sides",
    ),
    _c(
        "depth_bid_1pct_usd", "float", "USD", "Bid depth 1%", "resting bids within 1% below the mid"
    ),
    _c(
        "depth_ask_1pct_usd", "float", "USD", "Ask depth 1%", "resting asks within 1% above the mid"
    ),
    _c("volume_tokens", "float", "tokens", "Volume", "tokens traded in the step"),
    _c("volume_usd", "float", "USD", "Volume (USD)", "cash value traded in the step"),
    _c("trades", "int", "count", "Trades", "fills in the step"),
    _c("supply_tokens", "float", "tokens", "Supply", "tokens outstanding"),
    _c(
        "reserves_actual_g",
        "float",
        "g",
        "Reserves (actual)",
        "gold actually held by the custodians",
    ),
    _c("reserves_reported_g", "float", "g", "Reserves (reported)", "gold as last attested"),
    _c(
        "reserve_ratio_actual",
        "float",
        "",
        "Reserve ratio (actual)",
        "actual reserves per token outstanding",
    ),
    _c(
        "reserve_ratio_reported",
        "float",
        "",
        "Reserve ratio (reported)",
        "reported reserves per token outstanding",
    ),
    _c(
        "mints_g", "float", "g", "Mints settled", "gold minted into tokens that settled in the step"
    ),
    _c(
        "redemptions_g",
        "float",
        "g",
        "Redemptions settled",
        "tokens redeemed for gold or cash that settled in the step",
    ),
    _c("mint_queue_g", "float", "g", "Mint queue", "accepted mints awaiting settlement"),
    _c(
        "redemption_queue_g",
        "float",
        "g",
        "Redemption queue",
        "accepted redemptions awaiting settlement",
    ),
    _c(
        "mints_requested_g",
        "float",
        "g",
        "Mints requested",
        "mints accepted by the primary market in the step",
    ),
    _c(
        "redemptions_requested_g",
        "float",
        "g",
        "Redemptions requested",
        "redemptions accepted by the primary market in the step",
    ),
    _c(
        "holders_hold",
        "int",
        "count",
        "Holders holding",
        "holders whose decision this step was to hold",
    ),
    _c("holders_buy", "int", "count", "Holders buying", "holders who bought this step"),
    _c("holders_sell", "int", "count", "Holders selling", "holders who sold this step"),
    _c(
        "holders_redeem",
        "int",
        "count",
        "Holders redeeming",
        "holders who asked the primary market to redeem this step",
    ),
    _c(
        "holders_panicked",
        "int",
        "count",
        "Holders panicked",
        "holders whose panic is above the threshold",
    ),
    _c("panic_mean", "float", "", "Mean panic", "average panic level of the holders (0 to 1)"),
    _c(
        "mm_active", "int", "count", "Market makers active", "market makers quoting (not withdrawn)"
    ),
    _c(
        "mm_inventory_tokens",
        "float",
        "tokens",
        "Market-maker inventory",
        "tokens held by all market makers",
    ),
    _c(
        "arb_capital_usd",
        "float",
        "USD",
        "Arbitrage capital",
        "arbitrageurs' cash plus tokens at the gold value",
    ),
    _c(
        "arb_locked_usd",
        "float",
        "USD",
        "Arbitrage capital locked",
        "arbitrageurs' cash reserved for resting orders",
    ),
    _c("mint_fee_bp", "float", "bp", "Mint fee", "primary-market mint fee in force"),
    _c("redeem_fee_bp", "float", "bp", "Redeem fee", "primary-market redemption fee in force"),
    _c(
        "redemption_gate_g",
        "float",
        "g",
        "Redemption gate",
        "daily redemption limit in force; NaN without a gate",
    ),
    _c(
        "primary_open",
        "bool",
        "",
        "Primary market open",
        "the primary market accepts requests this step",
    ),
    _c("circuit_breaker", "bool", "", "Circuit breaker", "trading is halted this step"),
    _c(
        "governance_actions",
        "int",
        "count",
        "Governance actions",
        "governance actions taken so far (cumulative)",
    ),
)
"""Every fixed per-step column, in the order of the recorded frame."""

TIER_COLUMNS: tuple[Column, ...] = (
    _c("xaut_dev_bp", "float", "bp", "XAUT vs gold", "XAUT's order-book mid against gold"),
    _c(
        "xaut_pool_dev_bp",
        "float",
        "bp",
        "XAUT pool vs gold",
        "XAUT's price in the XAUT/USD pool against gold",
    ),
    _c(
        "gram_dev_bp",
        "float",
        "bp",
        "GRAM vs gold",
        "GRAM's dollar price (GRAM/XAUT times XAUT/USD pool prices) against gold",
    ),
    _c(
        "gram_xaut_gap_bp",
        "float",
        "bp",
        "GRAM vs XAUT x rate",
        "GRAM's GRAM/XAUT pool price against the wrapper's rate (1/31.1034768 XAUT)",
    ),
    _c(
        "backing_redeemable",
        "float",
        "",
        "GRAM backing (XAUT)",
        "XAUT the wrapper can pay out times the rate over GRAM supply; 0 while its XAUT is frozen",
    ),
    _c(
        "backing_gold",
        "float",
        "",
        "GRAM backing (gold)",
        "redeemable backing times XAUT's actual reserve ratio (at most 1)",
    ),
    _c(
        "gram_pool_depth_usd",
        "float",
        "USD",
        "GRAM/XAUT pool",
        "value of both sides of the GRAM/XAUT pool",
    ),
    _c(
        "xaut_pool_depth_usd",
        "float",
        "USD",
        "XAUT/USD pool",
        "value of both sides of the XAUT/USD pool",
    ),
    _c(
        "gram_impact_1m",
        "float",
        "",
        "GRAM $1M impact",
        "price impact of selling $1M of GRAM into the GRAM/XAUT pool (fraction, fee included)",
    ),
    _c(
        "xaut_impact_1m",
        "float",
        "",
        "XAUT $1M impact",
        "price impact of selling $1M of XAUT into the XAUT/USD pool (fraction, fee included)",
    ),
    _c("wrapped_gram_mg", "float", "mg", "GRAM wrapped", "GRAM minted by the wrapper in the step"),
    _c(
        "unwrapped_gram_mg",
        "float",
        "mg",
        "GRAM unwrapped",
        "GRAM burned by the wrapper in the step",
    ),
    _c("gram_supply_g", "float", "g", "GRAM supply", "GRAM outstanding"),
    _c(
        "lp_loss",
        "float",
        "",
        "LP loss",
        "the larger of the two pools' providers' loss against holding their deposits (fraction)",
    ),
    _c("lp_active", "float", "count", "LPs in", "liquidity providers still in a pool"),
    _c("gas_usd_per_swap", "float", "USD", "Gas per swap", "gas cost of one pool swap"),
)
"""The two-tier (``gram`` preset) columns, recorded only in a two-tier run."""

CUSTODIAN_RESERVES = Column(
    "reserves_g_{custodian}",
    "float",
    "g",
    "Reserves at {custodian}",
    "gold actually held by that custodian",
)
"""The one column recorded per custodian (its name replaces ``{custodian}``)."""

BY_NAME: dict[str, Column] = {c.name: c for c in (*COLUMNS, *TIER_COLUMNS)}

FLOAT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "float")
INT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "int")
BOOL_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "bool")

_CUSTODIAN = re.compile(r"^reserves_g_(?P<custodian>.+)$")


def custodian_column(custodian: str) -> str:
    """Name of the reserves column of one custodian."""
    return CUSTODIAN_RESERVES.name.format(custodian=custodian)


def column(name: str) -> Column:
    """The declaration of a recorded column, per-custodian columns included.

    Raises:
        KeyError: If no such column is declared.
    """
    if name in BY_NAME:
        return BY_NAME[name]
    match = _CUSTODIAN.match(name)
    if match:
        who = match["custodian"]
        return Column(
            name,
            "float",
            CUSTODIAN_RESERVES.unit,
            CUSTODIAN_RESERVES.label.format(custodian=who),
            CUSTODIAN_RESERVES.meaning,
        )
    raise KeyError(f"no recorded column {name!r}")


def declared(*names: str) -> tuple[str, ...]:
    """The names, each checked against the contract: readers list what they read through this.

    Raises:
        KeyError: If a name is not a declared column.
    """
    for name in names:
        column(name)
    return names


def label(name: str, *, with_unit: bool = True) -> str:
    """Human label of a column (with its unit by default); the raw name if it is not declared."""
    try:
        col = column(name)
    except KeyError:
        return name
    return col.title if with_unit else col.label


def markdown_table() -> str:
    """The README's table of per-step columns."""
    rows = ["| column | type | unit | meaning |", "|---|---|---|---|"]
    for c in (*COLUMNS, CUSTODIAN_RESERVES, *TIER_COLUMNS):
        rows.append(f"| `{c.name}` | {c.kind} | {c.unit or '—'} | {c.meaning} |")
    return "\n".join(rows)
