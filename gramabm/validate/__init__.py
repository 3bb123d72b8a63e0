"""``gramabm validate``: an observed gold token against the model replaying the same gold period."""

from gramabm.validate.report import write_validation
from gramabm.validate.study import SeedRun, ValidationResult, comparison_table, validate
from gramabm.validate.tolerances import TOLERANCES, Tolerance

__all__ = [
    "TOLERANCES",
    "SeedRun",
    "Tolerance",
    "ValidationResult",
    "comparison_table",
    "validate",
    "write_validation",
]
