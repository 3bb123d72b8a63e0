"""Experiment files: a TOML sweep description becomes one validated :class:`ExperimentSpec`.

A file names the experiment and its root seed, a base configuration (a nested table merged over
:class:`~gramabm.config.ModelConfig` defaults), the scenarios, the replications and the parameters to
vary with a design kind::

    name = "fee_vs_shock"
    root_seed = 2024
    scenarios = ["drop"]
    replications = 3
    steps = 240                 # optional overrides of the base configuration
    holders = 500
    keep_timeseries = false     # also write OUT/timeseries/<run_id>.parquet

    [base]                      # merged over the ModelConfig defaults
    scenario_params = { severity = 0.15 }

    [design]
    kind = "grid"               # grid | random | lhs | sobol
    # samples = 64              # random/lhs: design points; sobol: base samples N (a power of two)
    # second_order = false      # sobol: also the cross-sample rows second-order indices need

    [parameters]
    "primary.mint_fee_bp" = [0, 25, 50]                       # a list of values
    "scenario_params.severity" = { min = 0.05, max = 0.3, num = 4 }  # a range (num: grid points)
    arbitrageurs = { min = 1, max = 10, num = 4, integer = true }  # flat aliases work too

Parameters may instead be given as an array of tables, ``[[vary]]`` with ``name = "..."`` and the
same keys. Names are dotted configuration paths (``holders.herding``), a flat alias of
:data:`gramabm.config.FLAT_ALIASES` (``mint_fee_bp``) or ``scenario_params.<key>``; they are stored
under their dotted path. Every problem is reported as a :class:`~gramabm.errors.ConfigError` that
names the file and the field.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gramabm.config import FLAT_ALIASES, ModelConfig, build_config
from gramabm.errors import ConfigError

DesignKind = Literal["grid", "random", "lhs", "sobol"]
Value = StrictBool | StrictInt | StrictFloat | StrictStr

_KIND_ALIASES = {"latin_hypercube": "lhs", "latin-hypercube": "lhs", "lhs": "lhs"}
_USER_REPLAY = re.compile(r"^replay:\d{4}-\d{2}-\d{2}:\d{4}-\d{2}-\d{2}$")
_DEFAULTS: dict[str, Any] = ModelConfig().model_dump()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def canonical_name(name: str) -> str:
    """The dotted configuration path a parameter name stands for.

    Args:
        name: A dotted path, a flat alias (``mint_fee_bp``) or ``scenario_params.<key>``.

    Raises:
        ValueError: If the name is no leaf of the configuration (the message names it).
    """
    dotted = FLAT_ALIASES.get(name, name)
    parts = dotted.split(".")
    if parts[0] == "scenario":
        raise ValueError(
            "the scenario is chosen by the 'scenarios' list, not varied as a parameter"
        )
    if parts[0] == "scenario_params":
        if len(parts) != 2 or not parts[1]:
            raise ValueError(f"{name!r}: write scenario parameters as 'scenario_params.<key>'")
        return dotted
    node: Any = _DEFAULTS
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            raise ValueError(f"{name!r} is not a configuration key")
        node = node[part]
    if isinstance(node, dict):
        raise ValueError(f"{name!r} is a configuration section, not a single value")
    return dotted


class ParameterSpec(_Strict):
    """One varied parameter: a list of values, or a range ``[min, max]``.

    Args:
        name: Dotted configuration path (aliases are resolved on validation).
        values: Explicit values (grid: each one; sampled designs: a categorical choice).
        min: Lower end of the range.
        max: Upper end of the range.
        num: Grid points over the range (grid designs only).
        integer: Draw or round the range to integers.
        log: Spread the range evenly in log space (needs ``min > 0``).
    """

    name: str
    values: list[Value] | None = Field(None, min_length=1)
    min: float | None = None
    max: float | None = None
    num: int | None = Field(None, ge=1)
    integer: bool = False
    log: bool = False

    @field_validator("name")
    @classmethod
    def _resolve(cls, name: str) -> str:
        return canonical_name(name)

    @model_validator(mode="after")
    def _check(self) -> ParameterSpec:
        has_range = self.min is not None or self.max is not None
        if self.values is not None:
            if has_range or self.num is not None or self.integer or self.log:
                raise ValueError("give either 'values' or a range, not both")
            kinds = {type(v) for v in self.values}
            if str in kinds and len(kinds) > 1:
                raise ValueError("values mix text and numbers")
            if bool in kinds and len(kinds) > 1:
                raise ValueError("values mix booleans and numbers")
            if len({json.dumps(v) for v in self.values}) != len(self.values):
                raise ValueError("values repeat")
            return self
        if self.min is None or self.max is None:
            raise ValueError("give 'values' or both 'min' and 'max'")
        if not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if self.log and self.min <= 0:
            raise ValueError(f"a log range needs min > 0 (got {self.min})")
        return self

    @property
    def is_range(self) -> bool:
        """True for a ``[min, max]`` range, False for explicit values."""
        return self.values is None

    def typed_values(self) -> list[Any]:
        """The explicit values, ints promoted to float when the list mixes both (one column type)."""
        assert self.values is not None
        if any(isinstance(v, float) for v in self.values):
            return [float(v) for v in self.values]
        return list(self.values)


class DesignSpec(_Strict):
    """How design points are chosen.

    Args:
        kind: ``grid`` (every combination), ``random`` (independent uniform draws), ``lhs``
            (Latin hypercube) or ``sobol`` (Saltelli's cross-sampling of a scrambled Sobol'
            sequence, the layout SALib's ``sobol.analyze`` reads).
        samples: Design points for ``random``/``lhs``; base samples N for ``sobol`` (a power of
            two; the design then has N·(D+2) points, or N·(2D+2) with ``second_order``).
        second_order: Sobol only: add the rows second-order indices need.
    """

    kind: DesignKind = "grid"
    samples: int | None = Field(None, ge=1, le=10_000_000, validate_default=True)
    second_order: bool = False

    @field_validator("kind", mode="before")
    @classmethod
    def _alias(cls, kind: Any) -> Any:
        return _KIND_ALIASES.get(kind, kind) if isinstance(kind, str) else kind

    @field_validator("samples")
    @classmethod
    def _check_samples(cls, samples: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == "grid" and samples is not None:
            raise ValueError("a grid takes no 'samples' (its size is the product of the values)")
        if kind in ("random", "lhs", "sobol") and samples is None:
            raise ValueError(f"a {kind} design needs 'samples'")
        if kind == "sobol" and samples is not None and samples & (samples - 1):
            raise ValueError(f"a Sobol' design needs a power of two (got {samples})")
        return samples

    @field_validator("second_order")
    @classmethod
    def _check_second_order(cls, second_order: bool, info: ValidationInfo) -> bool:
        if second_order and info.data.get("kind") != "sobol":
            raise ValueError("applies to sobol designs only")
        return second_order


class ExperimentSpec(_Strict):
    """A validated experiment: what to run, over which parameters, scenarios and seeds.

    Args:
        name: Experiment name (letters, digits, ``_ . -``); part of every run's id.
        description: Free text.
        root_seed: The one seed every run seed and design sample derive from.
        replications: Monte Carlo seeds per design point and scenario.
        scenarios: Scenario names (``gramabm scenarios list``); each design point runs on each.
        steps: Override of the base configuration's ``steps``.
        holders: Override of the base configuration's ``holders.n``.
        keep_timeseries: Also write each run's per-step series.
        common_random_numbers: Give replication r the same seed at every design point (paired
            comparisons); by default each design point × replication has its own seed.
        base: Nested configuration table merged over the :class:`ModelConfig` defaults.
        design: The design kind and size.
        parameters: The varied parameters, in file order.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1, max_length=100)
    description: str = ""
    root_seed: int = Field(ge=0, lt=2**63)
    replications: int = Field(1, ge=1, le=100_000)
    scenarios: list[str] = Field(default_factory=lambda: ["baseline"], min_length=1)
    steps: int | None = Field(None, ge=1)
    holders: int | None = Field(None, ge=1)
    keep_timeseries: bool = False
    common_random_numbers: bool = False
    base: dict[str, Any] = Field(default_factory=dict)
    design: DesignSpec = Field(default_factory=DesignSpec)
    parameters: list[ParameterSpec] = Field(default_factory=list)

    @field_validator("scenarios")
    @classmethod
    def _known_scenarios(cls, names: list[str]) -> list[str]:
        from gramabm.scenarios.catalogue import REGISTRY

        if len(set(names)) != len(names):
            raise ValueError("scenarios repeat")
        unknown = [n for n in names if n not in REGISTRY and not _USER_REPLAY.match(n)]
        if unknown:
            raise ValueError(f"unknown scenario(s) {unknown}; valid names: {', '.join(REGISTRY)}")
        return names

    @model_validator(mode="after")
    def _check(self) -> ExperimentSpec:
        names = [p.name for p in self.parameters]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"parameters: {repeated} given more than once")
        for p in self.parameters:
            if self.design.kind == "grid" and p.is_range and p.num is None:
                raise ValueError(
                    f"parameters.{p.name}: a range in a grid design needs 'num' (grid points)"
                )
            if self.design.kind != "grid" and p.num is not None:
                raise ValueError(f"parameters.{p.name}: 'num' applies to grid designs only")
        if self.design.kind != "grid" and not self.parameters:
            raise ValueError(f"design.kind: a {self.design.kind} design needs parameters to vary")
        try:
            self.base_config()
        except ConfigError as exc:
            raise ValueError(f"base: {exc}") from exc
        return self

    def base_data(self) -> dict[str, Any]:
        """The base table with the ``steps``/``holders`` overrides applied (a fresh copy)."""
        data = json.loads(json.dumps(self.base))
        if self.steps is not None:
            data["steps"] = self.steps
        if self.holders is not None:
            data.setdefault("holders", {})
            if not isinstance(data["holders"], dict):
                raise ConfigError("base.holders: must be a table")
            data["holders"]["n"] = self.holders
        return data

    def base_config(self) -> ModelConfig:
        """The validated base configuration (before scenarios and varied parameters).

        Raises:
            ConfigError: Naming the invalid field.
        """
        return build_config(self.base_data())

    def fingerprint(self) -> str:
        """Hash of what changes a run's outcome but not its id: name and resolved base config."""
        payload = {"name": self.name, "base": self.base_config().model_dump(mode="json")}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Turn the file's ``[parameters]`` table or ``[[vary]]`` array into one list of tables."""
    out = dict(data)
    table = out.pop("parameters", None)
    vary = out.pop("vary", None)
    if table is not None and vary is not None:
        raise ConfigError("give parameters either as [parameters] or as [[vary]], not both")
    params: list[Any] = []
    if isinstance(table, dict):
        for name, body in table.items():
            if isinstance(body, list):
                params.append({"name": name, "values": body})
            elif isinstance(body, dict):
                params.append({"name": name, **body})
            else:
                raise ConfigError(
                    f"parameters.{name}: expected a list of values or a table with min/max "
                    f"(got {body!r})"
                )
    elif table is not None:
        raise ConfigError("parameters: expected a table of name = values or name = {min, max}")
    if vary is not None:
        if not isinstance(vary, list) or not all(isinstance(v, dict) for v in vary):
            raise ConfigError("vary: expected an array of tables ([[vary]])")
        params = list(vary)
    if params:
        out["parameters"] = params
    if isinstance(out.get("design"), str):
        out["design"] = {"kind": out["design"]}
    return out


def _where(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """A dotted field path, with parameter list positions replaced by the parameter's name."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int) and i > 0 and loc[i - 1] == "parameters":
            try:
                parts[-1] = f"parameters.{data['parameters'][part]['name']}"
            except (KeyError, IndexError, TypeError):
                parts.append(f"[{part}]")
            continue
        parts.append(str(part))
    return ".".join(parts)


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    lines = []
    for err in exc.errors():
        where = _where(tuple(err["loc"]), data)
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = (
            ""
            if isinstance(got, dict | list) or err["type"] == "value_error"
            else f" (got {got!r})"
        )
        lines.append(f"{where}: {msg}{shown}" if where else f"{msg}{shown}")
    return "; ".join(lines)


def parse_spec(data: dict[str, Any], source: str = "<experiment>") -> ExperimentSpec:
    """Validate a mapping (as read from TOML) into an :class:`ExperimentSpec`.

    Args:
        data: The experiment's tables.
        source: Where it came from, for error messages.

    Raises:
        ConfigError: Naming the source and every invalid field.
    """
    try:
        normal = _normalise(data)
        return ExperimentSpec.model_validate(normal)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc, normal)}") from exc


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate an experiment file.

    Raises:
        ConfigError: Missing file, invalid TOML or invalid fields, naming the file.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}: experiment file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
    return parse_spec(data, str(p))
