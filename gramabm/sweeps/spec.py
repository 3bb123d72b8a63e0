"""Experiment files: a TOML sweep description becomes one validated :class:`ExperimentSpec`.

A file names the experiment and its root seed, a base configuration (a nested table merged over
:class:`~gramabm.config.ModelConfig` defaults, or over a named configuration), the scenarios, the
replications and the parameters to vary with a design kind::

    name = "fee_vs_shock"
    root_seed = 2024
    config = "calibrated"       # optional: a shipped configuration or a TOML file (else defaults)
    scenarios = ["drop"]
    replications = 3
    steps = 240                 # optional overrides of the base configuration
    holders = 500
    keep_timeseries = false     # also write OUT/timeseries/<run_id>.parquet

    [base]                      # merged over `config` (or the ModelConfig defaults)
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

Two optional tables go further::

    [data]                      # the gold history (absent: the built-in series)
    csv = "prices.csv"          # relative to this file's folder, or absolute
    date_column = "date"        # any option of gramabm.data.loaders.load_csv, by its name:
    price_column = "price"      # unsorted, min_rows, jump_warning (false: off), date_format,
                                # delimiter, encoding, source

    [scenario_params.slow_bear] # merged over [base].scenario_params for this scenario only
    duration_days = 60

``config`` names a configuration shipped with gramabm (``calibrated``; see
:func:`gramabm.config.shipped_configs`) or a TOML configuration file (a relative path is taken from
the experiment file's folder); ``[base]`` is deep-merged over it, as ``--config`` does for a run.

``[data]`` is loaded and validated once, before any run (see
:func:`gramabm.sweeps.runner.run_sweep`); a spec built from a mapping (:func:`parse_spec`)
resolves a relative ``csv`` against ``base_dir``, by default the current directory. A
``[scenario_params.<name>]`` table must name a scenario of ``scenarios`` and keys that scenario
takes, and may not fix a key the design varies.
"""

from __future__ import annotations

import codecs
import datetime
import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gramabm.config import (
    FLAT_ALIASES,
    ModelConfig,
    Role,
    _deep_merge,
    build_config,
    config_path,
    parameter_role,
    read_toml,
    shipped_configs,
)
from gramabm.data.validation import UnsortedPolicy
from gramabm.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

DesignKind = Literal["grid", "random", "lhs", "sobol"]
Value = StrictBool | StrictInt | StrictFloat | StrictStr

_KIND_ALIASES = {"latin_hypercube": "lhs", "latin-hypercube": "lhs", "lhs": "lhs"}
_USER_REPLAY = re.compile(r"^replay:\d{4}-\d{2}-\d{2}:\d{4}-\d{2}-\d{2}$")
_DEFAULTS: dict[str, Any] = ModelConfig().model_dump()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _iso_dates(value: Any) -> Any:
    """TOML dates and times as ISO text, at any depth (they must survive JSON: ids, manifest)."""
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


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
        role: ``"lever"`` or ``"uncertainty"``; default the configuration's
            (:func:`gramabm.config.parameter_role`).
    """

    name: str
    values: list[Value] | None = Field(None, min_length=1)
    min: float | None = None
    max: float | None = None
    num: int | None = Field(None, ge=1)
    integer: bool = False
    log: bool = False
    role: Role | None = None

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
    def resolved_role(self) -> Role:
        """The role given in the spec, else the configuration's default for this parameter."""
        return self.role or parameter_role(self.name)

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


class DataSpec(_Strict):
    """The gold history a sweep runs on: a CSV file and its loader options.

    Options keep the names of :func:`~gramabm.data.loaders.load_csv`; only those given are passed
    on, so the loader's own defaults apply to the rest.

    Args:
        csv: The file. A relative path is resolved on validation against the validation
            context's ``base_dir`` (the experiment file's folder) or else the current directory,
            so a validated spec holds an absolute path.
        date_column: Header of the date column.
        price_column: Header of the price column (USD per troy ounce).
        unsorted: ``"error"`` refuses dates out of order; ``"sort"`` sorts them.
        min_rows: Fewest data rows accepted.
        jump_warning: Absolute daily log return that triggers a warning; ``false`` (or None)
            turns the check off.
        date_format: ``strftime`` format of the dates.
        delimiter: Field separator (one character).
        encoding: Text encoding.
        source: Name of the series in messages and ``attrs["source"]`` (default: the absolute
            path). It is part of the data's digest, so naming it keeps a sweep resumable after
            its file moves.
    """

    csv: StrictStr = Field(min_length=1)
    date_column: StrictStr | None = Field(None, min_length=1)
    price_column: StrictStr | None = Field(None, min_length=1)
    unsorted: UnsortedPolicy | None = None
    min_rows: StrictInt | None = Field(None, ge=1)
    jump_warning: StrictFloat | StrictInt | None = Field(None, gt=0)
    date_format: StrictStr | None = Field(None, min_length=1)
    delimiter: StrictStr | None = Field(None, min_length=1, max_length=1)
    encoding: StrictStr | None = None
    source: StrictStr | None = Field(None, min_length=1)

    @field_validator("csv")
    @classmethod
    def _absolute(cls, csv: str, info: ValidationInfo) -> str:
        path = Path(csv).expanduser()
        if not path.is_absolute():
            base = (info.context or {}).get("base_dir")
            path = Path(base if base is not None else Path.cwd()) / path
        # abspath, not resolve: '..' is folded but a symlinked data folder keeps its name.
        return os.path.abspath(path)

    @field_validator("jump_warning", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        # TOML has no null: `jump_warning = false` is how a file turns the check off.
        if value is False:
            return None
        if value is True:
            raise ValueError("give a log return (e.g. 0.25) or false to turn the check off")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str | None) -> str | None:
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError as exc:
                raise ValueError(f"unknown text encoding {encoding!r}") from exc
        return encoding

    def options(self) -> dict[str, Any]:
        """The loader options given (``jump_warning=None`` included: it turns the check off)."""
        given = self.model_dump(exclude_unset=True)
        return {
            k: v for k, v in given.items() if k != "csv" and (v is not None or k == "jump_warning")
        }

    def load(self) -> pd.Series:
        """Load and validate the series with :func:`~gramabm.data.loaders.load_csv`.

        Raises:
            DataValidationError: The file is missing or unreadable, or breaks a rule (the
                message names the file and the row).
        """
        from gramabm.data.loaders import load_csv

        return load_csv(self.csv, **self.options())


def resolve_config_name(name: str, base_dir: str | Path | None = None) -> str:
    """A sweep's ``config``: a TOML file's absolute path, else the name of a shipped configuration.

    Args:
        name: A file path or the bare name of a configuration shipped with gramabm.
        base_dir: The folder a relative path is taken from (default: the current directory).

    Raises:
        ValueError: If it is neither (the message names it and the shipped names).
    """
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = Path(base_dir if base_dir is not None else Path.cwd()) / path
    if path.is_file():
        return os.path.abspath(path)
    shipped = shipped_configs()
    if name in shipped:
        return name
    raise ValueError(
        f"{name!r} is neither a configuration shipped with gramabm ({', '.join(shipped)}) "
        f"nor a configuration file (no file {path})"
    )


def scenario_keywords(name: str) -> tuple[str, ...]:
    """The parameters a scenario of the catalogue (or a ``replay:`` range) accepts."""
    from gramabm.scenarios.catalogue import REGISTRY

    if name in REGISTRY:
        return REGISTRY[name].params
    # A user's replay:YYYY-MM-DD:YYYY-MM-DD range takes what the named replays take.
    return next(e.params for e in REGISTRY.values() if e.family == "replay")


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
        config: The configuration the base starts from: a shipped name (``calibrated``) or a
            TOML file's absolute path once validated (None: the :class:`ModelConfig` defaults).
        base: Nested configuration table deep-merged over ``config``.
        scenario_params: Per scenario, parameters merged over ``base.scenario_params`` for that
            scenario's runs only (``[scenario_params.slow_bear]``).
        data: The gold history (None: the built-in series).
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
    config: StrictStr | None = Field(None, min_length=1)
    base: dict[str, Any] = Field(default_factory=dict)
    scenario_params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    data: DataSpec | None = None
    design: DesignSpec = Field(default_factory=DesignSpec)
    parameters: list[ParameterSpec] = Field(default_factory=list)
    # The configuration file's own table, read once on validation ({} without `config`).
    _config_table: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("config")
    @classmethod
    def _known_config(cls, name: str | None, info: ValidationInfo) -> str | None:
        if name is None:
            return None
        return resolve_config_name(name, (info.context or {}).get("base_dir"))

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

    @field_validator("base", mode="before")
    @classmethod
    def _plain_base(cls, base: Any) -> Any:
        return _iso_dates(base)

    @field_validator("scenario_params", mode="before")
    @classmethod
    def _tables(cls, tables: Any) -> Any:
        if isinstance(tables, dict):
            for name, table in tables.items():
                if not isinstance(table, dict):
                    raise ValueError(
                        f"{name}: expected a table of parameters for scenario {name!r} "
                        f"([scenario_params.{name}]); parameters for every scenario go in "
                        "[base].scenario_params"
                    )
        return _iso_dates(tables)

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
        if self.config is not None:
            try:
                table = _iso_dates(read_toml(config_path(self.config), "configuration file"))
                build_config(table)
            except ConfigError as exc:
                raise ValueError(f"config: {self.config}: {exc}") from exc
            self._config_table = table
        try:
            self.base_config()
        except ConfigError as exc:
            raise ValueError(f"base: {exc}") from exc
        for scenario, table in self.scenario_params.items():
            self._check_scenario_table(scenario, table, names)
        self._check_shared_scenario_params(names)
        return self

    def _check_shared_scenario_params(self, varied: list[str]) -> None:
        """Refuse a shared scenario parameter that no scenario of the sweep takes (a typo).

        A key only some scenarios take is allowed here: the runs of the others fail and are
        recorded as failed, as before.
        """
        base_params = self.base.get("scenario_params") or {}
        keys = {f"base.scenario_params.{k}": k for k in base_params if isinstance(k, str)}
        prefix = "scenario_params."
        keys.update({f"parameters.{n}": n[len(prefix) :] for n in varied if n.startswith(prefix)})
        accepted = {k for name in self.scenarios for k in scenario_keywords(name)}
        unknown = sorted(where for where, key in keys.items() if key not in accepted)
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: no scenario of {self.scenarios} takes this parameter; "
                f"they take: {', '.join(sorted(accepted))}"
            )

    def _check_scenario_table(
        self, scenario: str, table: dict[str, Any], varied: list[str]
    ) -> None:
        where = f"scenario_params.{scenario}"
        if scenario not in self.scenarios:
            raise ValueError(
                f"{where}: {scenario!r} is not one of the scenarios {self.scenarios} "
                "(parameters for every scenario go in [base].scenario_params)"
            )
        accepted = scenario_keywords(scenario)
        unknown = sorted(set(table) - set(accepted))
        if unknown:
            raise ValueError(
                f"{where}: {scenario} takes no parameter {', '.join(map(repr, unknown))}; "
                f"it takes: {', '.join(accepted)}"
            )
        both = sorted(k for k in table if f"scenario_params.{k}" in varied)
        if both:
            raise ValueError(
                f"{where}: {', '.join(map(repr, both))} is also varied under parameters; "
                "give each value one place"
            )
        try:
            build_config(self.scenario_data(scenario))
        except ConfigError as exc:
            raise ValueError(f"{where}: {exc}") from exc

    def base_data(self) -> dict[str, Any]:
        """``[base]`` over ``config``, with the ``steps``/``holders`` overrides (a fresh copy)."""
        data = json.loads(json.dumps(_deep_merge(self._config_table, self.base)))
        if self.steps is not None:
            data["steps"] = self.steps
        if self.holders is not None:
            data.setdefault("holders", {})
            if not isinstance(data["holders"], dict):
                raise ConfigError("base.holders: must be a table")
            data["holders"]["n"] = self.holders
        return data

    def scenario_data(self, scenario: str) -> dict[str, Any]:
        """The base table for one scenario: :meth:`base_data`, the scenario, its own parameters.

        ``[scenario_params.<scenario>]`` is merged key by key over ``base.scenario_params``.
        """
        data = self.base_data()
        data["scenario"] = scenario
        own = self.scenario_params.get(scenario)
        if own:
            merged = dict(data.get("scenario_params") or {})
            merged.update(json.loads(json.dumps(own)))
            data["scenario_params"] = merged
        return data

    def with_data(self, csv: str | Path | None = None, **options: Any) -> ExperimentSpec:
        """A copy on other gold data: ``csv`` replaces ``[data].csv``, options override its own.

        Args:
            csv: The CSV file (a relative path is taken from the current directory).
            **options: Options of :func:`~gramabm.data.loaders.load_csv` (``date_column``, ...).

        Raises:
            ConfigError: Options without any CSV file, or an invalid option (named).
        """
        table = self.data.model_dump(exclude_unset=True) if self.data is not None else {}
        if csv is not None:
            table["csv"] = os.fspath(csv)
        table.update(options)
        if "csv" not in table:
            names = ", ".join(sorted(options))
            raise ConfigError(
                f"{names}: options of a CSV file, but the experiment has no [data] table and "
                "no CSV file was given"
            )
        try:
            data = DataSpec.model_validate(table)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, table, prefix="data")) from exc
        return self.model_copy(update={"data": data})

    def base_config(self) -> ModelConfig:
        """The validated base configuration (before scenarios and varied parameters).

        Raises:
            ConfigError: Naming the invalid field.
        """
        return build_config(self.base_data())

    def fingerprint(self) -> str:
        """Hash of what changes a run's outcome but not its id.

        Name, resolved base configuration (``config`` included) and per-scenario parameters. The gold data are not in
        it: a sweep's data are identified by their digest, checked separately when a sweep
        resumes (:func:`gramabm.sweeps.runner.run_sweep`).
        """
        payload: dict[str, Any] = {
            "name": self.name,
            "base": self.base_config().model_dump(mode="json"),
        }
        if self.scenario_params:  # only when set, so older sweeps keep their fingerprint
            payload["scenario_params"] = self.scenario_params
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


def _describe(exc: ValidationError, data: dict[str, Any], prefix: str = "") -> str:
    lines = []
    for err in exc.errors():
        where = _where(tuple(err["loc"]), data)
        if prefix:
            where = f"{prefix}.{where}" if where else prefix
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = (
            ""
            if isinstance(got, dict | list) or err["type"] == "value_error"
            else f" (got {got!r})"
        )
        lines.append(f"{where}: {msg}{shown}" if where else f"{msg}{shown}")
    return "; ".join(lines)


def parse_spec(
    data: dict[str, Any],
    source: str = "<experiment>",
    *,
    base_dir: str | Path | None = None,
) -> ExperimentSpec:
    """Validate a mapping (as read from TOML) into an :class:`ExperimentSpec`.

    Args:
        data: The experiment's tables.
        source: Where it came from, for error messages.
        base_dir: Folder a relative ``[data].csv`` is taken from (default: the current directory).

    Raises:
        ConfigError: Naming the source and every invalid field.
    """
    normal: dict[str, Any] = data
    try:
        normal = _normalise(data)
        return ExperimentSpec.model_validate(normal, context={"base_dir": base_dir})
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc, normal)}") from exc


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate an experiment file (a relative ``[data].csv`` is taken from its folder).

    Raises:
        ConfigError: Missing file, invalid TOML or invalid fields, naming the file.
    """
    from gramabm.config import read_toml

    p = Path(path)
    return parse_spec(read_toml(p, "experiment file"), str(p), base_dir=p.parent)
