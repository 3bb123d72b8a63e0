"""How a sweep's result table names its columns: ``p_`` for a varied parameter, ``m_`` for a metric.

The one place the naming lives: the sweep runner writes columns through :func:`param_column` and
:func:`metric_column`, and every analysis, report and view reads them back through
:func:`param_name`, :func:`metric_name` and the two predicates.
"""

from __future__ import annotations

PARAM_PREFIX = "p_"
METRIC_PREFIX = "m_"


def param_column(name: str) -> str:
    """``primary.mint_fee_bp`` → ``p_primary__mint_fee_bp``."""
    return PARAM_PREFIX + name.replace(".", "__")


def param_name(column: str) -> str:
    """``p_primary__mint_fee_bp`` → ``primary.mint_fee_bp`` (other names unchanged)."""
    if not is_param_column(column):
        return column
    return column.removeprefix(PARAM_PREFIX).replace("__", ".")


def metric_column(name: str) -> str:
    """``worst_discount_bp`` → ``m_worst_discount_bp`` (an ``m_`` name unchanged)."""
    return name if is_metric_column(name) else METRIC_PREFIX + name


def metric_name(column: str) -> str:
    """``m_worst_discount_bp`` → ``worst_discount_bp`` (other names unchanged)."""
    return column.removeprefix(METRIC_PREFIX)


def is_param_column(column: str) -> bool:
    """Whether a result column holds a varied parameter."""
    return column.startswith(PARAM_PREFIX)


def is_metric_column(column: str) -> bool:
    """Whether a result column holds a metric."""
    return column.startswith(METRIC_PREFIX)
