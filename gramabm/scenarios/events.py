"""Typed scenario events: one frozen, validated type per kind of non-gold event.

A scenario schedules events as ``(step, kind, params)``; :func:`parse_event` turns the kind and its
parameters into one of the types below, refusing an unknown or misspelt parameter, a wrong type or an
out-of-range value with a message that names the event, the key and what the event accepts. Scenarios
parse their events when they are built, so a typo in a TOML file, a CLI option, an API request or a
sweep is refused before anything runs, never turned into a different stress. The model holds one
handler per type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from gramabm.errors import ConfigError


@dataclass(frozen=True)
class Param:
    """One parameter of an event kind: its type, default, bounds and meaning.

    Args:
        name: Key in the event's parameters.
        kind: ``int``, ``float`` or ``bool``.
        default: Value when the key is absent (``None``: the key is required).
        lo: Smallest accepted value (inclusive unless ``lo_open``).
        hi: Largest accepted value (inclusive).
        doc: One-line meaning.
        lo_open: Whether ``lo`` itself is refused.
    """

    name: str
    kind: type
    default: Any
    lo: float | None
    hi: float | None
    doc: str
    lo_open: bool = False

    def describe(self) -> str:
        """``name`` (type in bounds, default): meaning."""
        lo = "" if self.lo is None else f"{'>' if self.lo_open else '>='} {self.lo:g}"
        hi = "" if self.hi is None else f"<= {self.hi:g}"
        bounds = " and ".join(b for b in (lo, hi) if b)
        default = "required" if self.default is None else f"default {self.default:g}"
        return f"{self.name} ({self.kind.__name__}{' ' + bounds if bounds else ''}, {default}): {self.doc}"

    def check(self, event: str, value: Any) -> Any:
        """The value converted to the parameter's type, or ConfigError naming what is wrong."""
        wrong = ConfigError(
            f"event {event!r}: {self.name}={value!r} is refused; expects {self.describe()}"
        )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong
        if not math.isfinite(value):
            raise wrong
        if self.kind is int:
            if int(value) != value:
                raise wrong
            value = int(value)
        else:
            value = float(value)
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            raise wrong
        if self.hi is not None and value > self.hi:
            raise wrong
        return value


_CUSTODIAN = Param(
    "custodian", int, 0, 0, None, "index of the custodian it strikes (0 = the first)"
)


@dataclass(frozen=True)
class ScenarioEvent:
    """Base of the typed events: the kind's name and parameter table."""

    kind: ClassVar[str]
    params: ClassVar[tuple[Param, ...]]

    @classmethod
    def accepts(cls) -> str:
        """What the kind accepts, one parameter a line."""
        return "; ".join(p.describe() for p in cls.params) or "no parameters"

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> ScenarioEvent:
        """The typed event from its parameters (defaults for the keys not given)."""
        known = {p.name: p for p in cls.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(
                f"event {cls.kind!r}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                f"it accepts {cls.accepts()}"
            )
        kwargs = {}
        for p in cls.params:
            if p.name in values:
                kwargs[p.name] = p.check(cls.kind, values[p.name])
            elif p.default is None:
                raise ConfigError(
                    f"event {cls.kind!r}: {p.name} is required; expects {p.describe()}"
                )
            else:
                kwargs[p.name] = p.kind(p.default)
        return cls(**kwargs)

    def to_params(self) -> dict[str, Any]:
        """The parameters as a plain dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class CustodianLoss(ScenarioEvent):
    """Part of a custodian's gold disappears; nobody knows until its next attestation."""

    kind: ClassVar[str] = "custodian_loss"
    params: ClassVar[tuple[Param, ...]] = (
        _CUSTODIAN,
        Param("share", float, 0.1, 0.0, 1.0, "share of its gold lost", lo_open=True),
    )
    custodian: int = 0
    share: float = 0.1


@dataclass(frozen=True)
class CustodianFreeze(ScenarioEvent):
    """A custodian stops releasing gold (redemptions through it wait) for some hours."""

    kind: ClassVar[str] = "custodian_freeze"
    params: ClassVar[tuple[Param, ...]] = (
        _CUSTODIAN,
        Param("hours", float, 72.0, 0.0, 24.0 * 365, "hours frozen", lo_open=True),
    )
    custodian: int = 0
    hours: float = 72.0


@dataclass(frozen=True)
class CustodianSlowdown(ScenarioEvent):
    """A custodian settles every request more slowly from now on."""

    kind: ClassVar[str] = "custodian_slowdown"
    params: ClassVar[tuple[Param, ...]] = (
        _CUSTODIAN,
        Param("extra_hours", float, 48.0, 0.0, 24.0 * 365, "hours added to its settlement"),
    )
    custodian: int = 0
    extra_hours: float = 48.0


@dataclass(frozen=True)
class CustodianInsolvency(ScenarioEvent):
    """A custodian fails: its gold is out of reach for good."""

    kind: ClassVar[str] = "custodian_insolvency"
    params: ClassVar[tuple[Param, ...]] = (_CUSTODIAN,)
    custodian: int = 0


@dataclass(frozen=True)
class MarketMakerWithdrawal(ScenarioEvent):
    """Every market maker cancels its quotes and stays out for some steps."""

    kind: ClassVar[str] = "mm_withdrawal"
    params: ClassVar[tuple[Param, ...]] = (
        Param("steps", int, 24, 1, None, "steps the makers stay out"),
    )
    steps: int = 24


@dataclass(frozen=True)
class OracleOutage(ScenarioEvent):
    """The oracle stops updating for some steps (agents see the last price it published)."""

    kind: ClassVar[str] = "oracle_outage"
    params: ClassVar[tuple[Param, ...]] = (
        Param("steps", int, 12, 1, None, "steps without an update"),
    )
    steps: int = 12


LEVERS: dict[str, Param] = {
    "mint_fee_bp": Param("value", float, None, 0.0, 10_000.0, "mint fee (bp)"),
    "redeem_fee_bp": Param("value", float, None, 0.0, 10_000.0, "redemption fee (bp)"),
    "redemption_gate_g": Param(
        "value", float, None, 0.0, None, "grams redeemable a day (null lifts the gate)"
    ),
    "suspend_redemptions": Param("value", bool, None, None, None, "true suspends, false resumes"),
    "suspend_mints": Param("value", bool, None, None, None, "true suspends, false resumes"),
}
"""The levers a ``governance_action`` may set, each with what its value accepts."""


@dataclass(frozen=True)
class GovernanceAction(ScenarioEvent):
    """Governance sets one lever of the primary market at once (a decision taken outside the model)."""

    kind: ClassVar[str] = "governance_action"
    params: ClassVar[tuple[Param, ...]] = ()
    lever: str
    value: float | bool | None

    @classmethod
    def accepts(cls) -> str:
        """The keys ``lever`` and ``value`` and, per lever, what the value accepts."""
        levers = "; ".join(f"{name}: {p.kind.__name__} {p.doc}" for name, p in LEVERS.items())
        return f"lever (one of {', '.join(LEVERS)}) and value ({levers})"

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> ScenarioEvent:
        """The typed action; the value is checked against its lever."""
        unknown = sorted(set(values) - {"lever", "value"})
        if unknown:
            raise ConfigError(
                f"event {cls.kind!r}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                f"it accepts {cls.accepts()}"
            )
        lever = values.get("lever")
        if lever not in LEVERS:
            raise ConfigError(
                f"event {cls.kind!r}: lever={lever!r} is refused; it accepts {cls.accepts()}"
            )
        if "value" not in values:
            raise ConfigError(f"event {cls.kind!r}: value is required; it accepts {cls.accepts()}")
        spec, value = LEVERS[lever], values["value"]
        if spec.kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(
                    f"event {cls.kind!r}: value={value!r} is refused for {lever}; expects true or false"
                )
        elif not (value is None and lever == "redemption_gate_g"):
            value = spec.check(f"{cls.kind}: {lever}", value)
        return cls(lever=str(lever), value=value)


@dataclass(frozen=True)
class SafeHavenDemand(ScenarioEvent):
    """Idle holders rush in to buy: a flight to gold through the token."""

    kind: ClassVar[str] = "safe_haven_demand"
    params: ClassVar[tuple[Param, ...]] = (
        Param("steps", int, 48, 1, None, "steps the rush lasts"),
        Param(
            "strength",
            float,
            0.3,
            0.0,
            24.0,
            "share of idle holders buying per day (a 24th of it each hourly step)",
        ),
    )
    steps: int = 48
    strength: float = 0.3


# --- the two-tier (``gram`` preset) events -----------------------------------------------------


@dataclass(frozen=True)
class XautSellPressure(ScenarioEvent):
    """A distressed seller dumps XAUT on its order book down to a discount to gold."""

    kind: ClassVar[str] = "xaut_sell_pressure"
    params: ClassVar[tuple[Param, ...]] = (
        Param(
            "discount", float, 0.02, 0.0, 0.5, "lowest price it sells at, below gold", lo_open=True
        ),
        Param("steps", int, 48, 1, None, "steps it keeps selling"),
        Param("oz", float, 20_000.0, 0.0, 1e7, "XAUT it has to sell (troy ounces)", lo_open=True),
    )
    discount: float = 0.02
    steps: int = 48
    oz: float = 20_000.0


@dataclass(frozen=True)
class XautIssuerIncident(ScenarioEvent):
    """An incident at XAUT's issuer: vault gold lost, the issuer failing, redemptions halted."""

    kind: ClassVar[str] = "xaut_issuer_incident"
    params: ClassVar[tuple[Param, ...]] = (
        Param("loss_share", float, 0.0, 0.0, 1.0, "share of every vault's gold lost (undisclosed)"),
        Param("insolvent", int, 0, 0, 1, "1: the issuer fails and its gold is out of reach"),
        Param("halt_steps", int, 0, 0, None, "steps XAUT redemptions are halted (0: none)"),
    )
    loss_share: float = 0.0
    insolvent: int = 0
    halt_steps: int = 0


@dataclass(frozen=True)
class WrapperFreeze(ScenarioEvent):
    """XAUT's issuer freezes the GRAM contract's XAUT: GRAM cannot be redeemed."""

    kind: ClassVar[str] = "wrapper_freeze"
    params: ClassVar[tuple[Param, ...]] = (
        Param("steps", int, 0, 0, None, "steps frozen (0: for good)"),
    )
    steps: int = 0


@dataclass(frozen=True)
class GasSpike(ScenarioEvent):
    """Ethereum's gas price jumps: every wrap, unwrap and swap costs more."""

    kind: ClassVar[str] = "gas_spike"
    params: ClassVar[tuple[Param, ...]] = (
        Param("multiple", float, 20.0, 1.0, 10_000.0, "gas price over the configured one"),
        Param("steps", int, 24, 1, None, "steps it lasts"),
    )
    multiple: float = 20.0
    steps: int = 24


@dataclass(frozen=True)
class LpExit(ScenarioEvent):
    """Liquidity providers pull part of their liquidity from both pools at once."""

    kind: ClassVar[str] = "lp_exit"
    params: ClassVar[tuple[Param, ...]] = (
        Param("share", float, 0.5, 0.0, 1.0, "share of each provider's liquidity", lo_open=True),
    )
    share: float = 0.5


@dataclass(frozen=True)
class GramMigration(ScenarioEvent):
    """GRAM's holders vote to migrate to a wrapper over another gold token (its contingency)."""

    kind: ClassVar[str] = "gram_migration"
    params: ClassVar[tuple[Param, ...]] = (
        Param("delay_steps", int, 168, 0, None, "steps from the vote to the new contract"),
        Param("take_up", float, 0.5, 0.0, 1.0, "share of GRAM holders who migrate", lo_open=True),
        Param("steps", int, 72, 1, None, "steps over which they migrate"),
    )
    delay_steps: int = 168
    take_up: float = 0.5
    steps: int = 72


TIER_EVENTS: tuple[type[ScenarioEvent], ...] = (
    XautSellPressure,
    XautIssuerIncident,
    WrapperFreeze,
    GasSpike,
    LpExit,
    GramMigration,
)
"""Events of the two-tier system (the ``gram`` preset only; a run of another preset refuses them)."""


_ALL_EVENTS: tuple[type[ScenarioEvent], ...] = (
    CustodianFreeze,
    CustodianLoss,
    CustodianSlowdown,
    CustodianInsolvency,
    MarketMakerWithdrawal,
    OracleOutage,
    GovernanceAction,
    SafeHavenDemand,
    *TIER_EVENTS,
)
EVENT_TYPES: dict[str, type[ScenarioEvent]] = {t.kind: t for t in _ALL_EVENTS}
"""Every event kind a scenario may schedule, by name."""

EVENT_KINDS: tuple[str, ...] = tuple(EVENT_TYPES)
"""Names of the event kinds."""

CUSTODIAN_EVENTS: tuple[type[ScenarioEvent], ...] = (
    CustodianLoss,
    CustodianFreeze,
    CustodianSlowdown,
    CustodianInsolvency,
)
"""Events that strike one custodian (their ``custodian`` index must exist in the model)."""


def parse_event(kind: str, params: Mapping[str, Any]) -> ScenarioEvent:
    """The typed event of ``kind`` with ``params``.

    Raises:
        ConfigError: Unknown kind, unknown or misspelt parameter, wrong type or value out of range,
            naming the event, the key and what the event accepts.
    """
    if kind not in EVENT_TYPES:
        raise ConfigError(f"unknown event kind {kind!r}; valid kinds: {', '.join(EVENT_KINDS)}")
    if not isinstance(params, Mapping):
        raise ConfigError(f"event {kind!r}: parameters must be a mapping, got {params!r}")
    return EVENT_TYPES[kind].parse(params)
