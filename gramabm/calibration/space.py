"""The parameter space of a calibration, declared in a TOML file.

A space file lists the parameters to search, one ``[[parameter]]`` table each::

    [[parameter]]
    key = "market_makers.half_spread_bp"   # a dotted configuration key (gramabm.config)
    lo = 2.0                                # lower bound
    hi = 30.0                               # upper bound
    log = true                              # search on the log scale (optional, default false)
    description = "makers' calm half-spread" # what it does (optional)

Every key must name a real-valued setting of the configuration; a key that does not exist (a
typo), a setting that is not a real number (a count, a switch, a list), a bound the setting
cannot take, or a field the table does not know is refused with the file and the key named,
before anything runs. :data:`CALM_MARKET_SPACE` is shipped with the package: the mechanisms
behind the calm-market facts ``gramabm validate`` measures.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from gramabm.calibration.objective import ParameterSpec
from gramabm.config import ModelConfig, read_toml
from gramabm.errors import ConfigError

SPACE_DIR: Path = Path(__file__).with_name("spaces")
"""Folder of the shipped space files."""

CALM_MARKET_SPACE: Path = SPACE_DIR / "calm_market.toml"
"""The shipped space of the calm-market mechanisms (the default of a fit on observed data)."""

_FIELDS: frozenset[str] = frozenset({"key", "lo", "hi", "log", "description"})


def _number(entry: dict[str, Any], name: str, where: str) -> float:
    value = entry.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: {name} must be a finite number, got {value!r}")
    return float(value)


def _setting(base: ModelConfig, key: str, where: str) -> Any:
    node: Any = base.model_dump()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"{where}: unknown configuration key {key!r}")
        node = node[part]
    return node


def parameter_from_entry(entry: Any, base: ModelConfig, where: str) -> ParameterSpec:
    """One ``[[parameter]]`` table as a :class:`ParameterSpec`, checked against ``base``.

    Raises:
        ConfigError: A missing or unknown field, an unknown or non-real key, or bounds the
            setting cannot take.
    """
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each [[parameter]] must be a table")
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; a parameter has {sorted(_FIELDS)}")
    key = entry.get("key")
    if not isinstance(key, str) or not key:
        raise ConfigError(f"{where}: every parameter needs a key (a dotted configuration key)")
    where = f"{where} ({key})"
    value = _setting(base, key, where)
    if isinstance(value, bool) or not isinstance(value, float):
        raise ConfigError(
            f"{where}: {key!r} is not a real-valued setting ({type(value).__name__}); "
            "a calibration searches real numbers"
        )
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log must be true or false, got {log!r}")
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{where}: description must be text")
    spec = ParameterSpec(
        key, _number(entry, "lo", where), _number(entry, "hi", where), log, description
    )
    for bound in (spec.lo, spec.hi):
        try:
            base.with_updates({key: bound})
        except ConfigError as exc:
            raise ConfigError(
                f"{where}: the bound {bound:g} is not a value it can take: {exc}"
            ) from exc
    return spec


def load_space(path: str | Path, base: ModelConfig) -> tuple[ParameterSpec, ...]:
    """The parameters of a space file (see the module docstring), checked against ``base``.

    Args:
        path: The TOML file.
        base: The configuration the parameters are applied to.

    Raises:
        ConfigError: The file is unreadable, empty, lists a key twice, or an entry is refused
            (:func:`parameter_from_entry`).
    """
    p = Path(path)
    data = read_toml(p, "parameter space file")
    extra = sorted(set(data) - {"parameter"})
    if extra:
        raise ConfigError(f"{p}: unknown table(s) {extra}; list parameters as [[parameter]]")
    entries = data.get("parameter", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{p}: no [[parameter]] listed")
    specs = tuple(
        parameter_from_entry(entry, base, f"{p}, parameter {i + 1}")
        for i, entry in enumerate(entries)
    )
    keys = [s.key for s in specs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ConfigError(f"{p}: listed more than once: {', '.join(twice)}")
    return specs
