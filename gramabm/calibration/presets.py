"""Configurations shipped with gramabm, usable by name wherever a configuration file is accepted.

A preset is a TOML file of configuration **overrides** in ``gramabm/calibration/presets/``
(installed with the package as package data): ``<name>.toml``. :func:`gramabm.config.load_config`
resolves a bare name (:func:`is_bare_name`) that is not an existing file to the preset of that
name, so ``gramabm run --config calibrated`` and ``load_config("calibrated")`` read
``presets/calibrated.toml``. A file of the same name in the working directory wins (an explicit
file is never shadowed). The loader finds this folder by path rather than by importing this
module, because the configuration sits on a lower floor of the package than calibration.

Shipped:

* ``calibrated``: the behavioural parameters fitted by ``gramabm calibrate`` (method of simulated
  moments; see :mod:`gramabm.calibration.objective`), with the default learned policy. Beside it,
  ``calibrated.csv`` is the fit report's table: every target with its simulated value, tolerance
  and whether it is within, in the calibration period and out of sample.

This module imports only the standard library, because the configuration loader imports it.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gramabm.errors import ConfigError

PRESET_DIR: Path = Path(__file__).with_name("presets")
"""Folder of the shipped presets."""

CALIBRATED: str = "calibrated"
"""Name of the calibrated preset."""

_BARE_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


def available_presets() -> list[str]:
    """Names of the shipped presets, sorted."""
    if not PRESET_DIR.is_dir():
        return []
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml") if is_bare_name(p.stem))


def is_bare_name(name: str) -> bool:
    """Whether ``name`` can name a preset: ASCII letters, digits, ``_`` and ``-`` only.

    The same rule as :func:`gramabm.config.load_config`'s, so a path (with a separator or a
    suffix) never resolves to a preset by accident.
    """
    return name.isascii() and name.replace("_", "").replace("-", "").isalnum()


def preset_path(name: str) -> Path | None:
    """The file of a shipped preset, or None if ``name`` is not one.

    Args:
        name: The preset name (``"calibrated"``); see :func:`is_bare_name`.

    Returns:
        The TOML file, or None.
    """
    if not is_bare_name(name):
        return None
    path = PRESET_DIR / f"{name}.toml"
    return path if path.is_file() else None


def load_preset(name: str) -> dict[str, Any]:
    """The overrides of a shipped preset, as a nested mapping.

    Args:
        name: The preset name.

    Returns:
        The parsed TOML.

    Raises:
        ConfigError: No such preset, or its file is not valid TOML.
    """
    path = preset_path(name)
    if path is None:
        shipped = ", ".join(available_presets()) or "none"
        raise ConfigError(f"no shipped configuration named {name!r} (shipped: {shipped})")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys to a nested mapping: ``{"holders.n": 5}`` -> ``{"holders": {"n": 5}}``.

    Raises:
        ConfigError: A key is both a value and a section.
    """
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{key!r}: {part!r} is both a value and a section")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ConfigError(f"{key!r} is both a value and a section")
        node[parts[-1]] = value
    return out


def to_toml(data: Mapping[str, Any], comments: Iterable[str] = ()) -> str:
    """A nested mapping of scalars as TOML text (top-level values first, then one table each).

    Args:
        data: Values are strings, booleans, integers, finite floats, lists of those, or
            mappings of the same (tables; nested tables become dotted headers).
        comments: Lines written first, each as a ``#`` comment.

    Returns:
        The text; ``tomllib.loads`` gives ``data`` back.

    Raises:
        ConfigError: A value TOML cannot hold (None, NaN, other types).
    """
    lines = [f"# {c}".rstrip() for c in comments]
    if lines:
        lines.append("")
    _emit_table(lines, [], data)
    return "\n".join(lines).rstrip("\n") + "\n"


def _emit_table(lines: list[str], path: list[str], table: Mapping[str, Any]) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    if path and scalars:
        lines.append(f"[{'.'.join(_key(p) for p in path)}]")
    for key, value in scalars:
        lines.append(f"{_key(key)} = {_value(value, [*path, key])}")
    if scalars:
        lines.append("")
    for key, value in tables:
        _emit_table(lines, [*path, key], value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _value(value: Any, where: list[str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"{'.'.join(where)}: TOML cannot hold {value!r}")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    raise ConfigError(f"{'.'.join(where)}: TOML cannot hold a {type(value).__name__}")


def write_preset(
    path: str | os.PathLike[str], overrides: Mapping[str, Any], comments: Iterable[str] = ()
) -> Path:
    """Write configuration overrides as a preset TOML file.

    Args:
        path: Target file (``<dir>/<name>.toml``).
        overrides: Nested mapping or dotted keys (``{"holders.activity": 0.05}``).
        comments: Header comment lines (provenance).

    Returns:
        The path written.

    Raises:
        ConfigError: A value TOML cannot hold.
    """
    flat_keys = any("." in k for k in overrides)
    data = nest(overrides) if flat_keys else dict(overrides)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(to_toml(data, comments), encoding="utf-8")
    return target
