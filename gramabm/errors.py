"""Exceptions shared by every layer.

Each one carries a message that names the problem (and, for data, the source and row), so faces
(CLI, API, browser view) can show it as it is.
"""

from __future__ import annotations


class GramabmError(Exception):
    """Base class of every error gramabm raises on purpose."""


class GramabmWarning(UserWarning):
    """Base class of the advice gramabm gives on purpose (the command line prints it plainly)."""


class DataValidationError(GramabmError, ValueError):
    """A price series failed validation.

    Args:
        source: Where the data came from (a path, URL or built-in name).
        problem: What is wrong, in words.
        row: The 1-based data row (header not counted) where it is wrong, if it is one row.
    """

    def __init__(self, source: str, problem: str, row: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.row = row
        where = f"{source}, row {row}" if row is not None else source
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[str, str, int | None]]:
        # Keep the error picklable, so it survives the trip back from a worker process.
        return (type(self), (self.source, self.problem, self.row))


class ConfigError(GramabmError, ValueError):
    """A configuration, scenario or parameter is impossible or unknown."""


class MarketError(GramabmError):
    """Base class of market-layer errors (order book, ledger, primary market)."""
