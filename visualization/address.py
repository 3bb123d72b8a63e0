"""The page's address: the live run's settings, its step and the open sweep, in the URL query.

A reload or a shared link comes back to the same run: the query names every control the running
model was built with (the control dataclass's own field names), the step it had reached and the
sweep folder open on the sweep page, e.g. ``/?scenario=adverse&holders=10000&...&step=96&sweep=/runs``.

Reading is strict, as for any other input: an unknown name, a name given twice or a value of the
wrong kind is refused with a message naming it, never replaced by a default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from gramabm.errors import ConfigError

STEP = "step"
"""The query name of the step the run had reached."""

SWEEP = "sweep"
"""The query name of the sweep folder open on the sweep page."""


@dataclass(frozen=True)
class Address:
    """What a page's address asks for.

    Attributes:
        controls: The live run's controls, or None when the address names no run.
        step: The step the run had reached (0 without a run).
        sweep: The sweep folder, or None.
    """

    controls: Any
    step: int
    sweep: str | None


def query_params(search: str | None) -> dict[str, str]:
    """The query's ``name: value`` pairs, refusing a name given twice.

    Args:
        search: The query string without ``?`` (None or blank: no parameters).

    Raises:
        ConfigError: If a name appears more than once.
    """
    params: dict[str, str] = {}
    for name, value in parse_qsl(search or "", keep_blank_values=True):
        if name in params:
            raise ConfigError(f"{name!r} is given twice")
        params[name] = value
    return params


def encode(params: dict[str, str]) -> str:
    """The query string of these parameters (without ``?``)."""
    return urlencode(params)


def run_params(controls: Any, step: int) -> dict[str, str]:
    """The query parameters naming a run: every control as text, and the step reached.

    Args:
        controls: A control dataclass instance.
        step: Steps the run has taken.
    """
    params = {f.name: _text(getattr(controls, f.name)) for f in dataclasses.fields(controls)}
    params[STEP] = str(step)
    return params


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_address(search: str | None, controls_type: type[Any]) -> Address:
    """The run and sweep folder an address asks for.

    Args:
        search: The query string without ``?``.
        controls_type: The control dataclass; its fields' default values give each one's kind
            (whole number, number, true/false, text).

    Returns:
        The address; ``controls`` is None when the query names no control and no step.

    Raises:
        ConfigError: Naming the parameter that is unknown, repeated or of the wrong kind.
    """
    params = query_params(search)
    sweep = params.pop(SWEEP, None)
    defaults = controls_type()
    names = {f.name for f in dataclasses.fields(defaults)}
    unknown = sorted(set(params) - names - {STEP})
    if unknown:
        known = ", ".join([*sorted(names), STEP, SWEEP])
        raise ConfigError(f"unknown parameter {unknown[0]!r} (known: {known})")
    if not params:
        return Address(None, 0, sweep)
    step = _whole(STEP, params.pop(STEP, "0"))
    values = {name: _value(name, text, getattr(defaults, name)) for name, text in params.items()}
    return Address(dataclasses.replace(defaults, **values), step, sweep)


def _value(name: str, text: str, default: Any) -> Any:
    if isinstance(default, bool):
        if text.strip().lower() not in ("true", "false"):
            raise ConfigError(f"{name} must be true or false, got {text!r}")
        return text.strip().lower() == "true"
    if isinstance(default, int):
        return _whole(name, text)
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {text!r}") from None
    return text


def _whole(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {text!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be >= 0, got {text!r}")
    return value
