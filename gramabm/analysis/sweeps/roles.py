"""The role of each varied parameter in a sweep: a lever governance can set, or an uncertainty.

Roles are declared once, in the configuration (:func:`gramabm.config.parameter_role`); a sweep spec
may override one, and the sweep's ``experiment.json`` then records every column's role under
``roles``. Recommendations, scenario discovery and the sweep report read roles from here, never
from the column's name.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from gramabm.analysis.sweeps.columns import is_param_column, param_name
from gramabm.config import ROLES, Role, parameter_role
from gramabm.errors import ConfigError


def role_of(column: str, declared: Mapping[str, str] | None = None) -> Role:
    """The role of one parameter column.

    Args:
        column: A ``p_*`` column.
        declared: Column → role as the sweep recorded it (its spec's overrides included).

    Returns:
        The declared role, else the configuration's default. A column the configuration does
        not know is an uncertainty: nothing is recommended that governance may not be able to
        set.

    Raises:
        ConfigError: A declared role that is neither ``lever`` nor ``uncertainty``.
    """
    if declared and column in declared:
        role = declared[column]
        if role not in ROLES:
            raise ConfigError(
                f"role of {param_name(column)!r} must be one of {ROLES}, got {role!r}"
            )
        return role  # type: ignore[return-value]
    try:
        return parameter_role(param_name(column))
    except ConfigError:
        return "uncertainty"


def parameter_roles(
    results: pd.DataFrame, declared: Mapping[str, str] | None = None
) -> dict[str, Role]:
    """Role of every ``p_*`` column of a result table, in table order."""
    return {c: role_of(c, declared) for c in results.columns if is_param_column(c)}


def varying_levers(results: pd.DataFrame, declared: Mapping[str, str] | None = None) -> list[str]:
    """The lever columns that take more than one value in the table."""
    return [
        c
        for c, role in parameter_roles(results, declared).items()
        if role == "lever" and results[c].nunique(dropna=True) > 1
    ]
