"""``gramabm validate``: an observed gold token against the model replaying the same gold period.

The names below are loaded on first use, so that the command line can read the light defaults
(:mod:`gramabm.validate.defaults`, e.g. the default number of seeds) without the model.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gramabm.validate.report import write_validation
    from gramabm.validate.study import SeedRun, ValidationResult, comparison_table, validate
    from gramabm.validate.tolerances import TOLERANCES, Tolerance

_HOMES = {
    "write_validation": "gramabm.validate.report",
    "SeedRun": "gramabm.validate.study",
    "ValidationResult": "gramabm.validate.study",
    "comparison_table": "gramabm.validate.study",
    "validate": "gramabm.validate.study",
    "TOLERANCES": "gramabm.validate.tolerances",
    "Tolerance": "gramabm.validate.tolerances",
}

__all__ = [
    "TOLERANCES",
    "SeedRun",
    "Tolerance",
    "ValidationResult",
    "comparison_table",
    "validate",
    "write_validation",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
