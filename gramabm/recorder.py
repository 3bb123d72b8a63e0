"""A fast per-step recorder in the role of Mesa's DataCollector.

Mesa's ``DataCollector`` calls one Python function per reporter per step and appends to lists; at a
thousand steps and forty series that is fine, but the recorder here writes into preallocated numpy
columns instead, so recording costs a few microseconds a step even for long runs, and it hands back
the same thing analysts expect from ``get_model_vars_dataframe()``: one DataFrame row per step.
The column set is the contract in the README's "Collected data" section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd


class StepRecorder:
    """Preallocated columns, one row per step.

    Args:
        n_steps: Rows to allocate (the run's length).
        columns: Float columns; booleans and counts are stored as floats and cast on output.
        int_columns: Columns returned as integers.
        bool_columns: Columns returned as booleans.
    """

    def __init__(
        self,
        n_steps: int,
        columns: Iterable[str],
        *,
        int_columns: Iterable[str] = (),
        bool_columns: Iterable[str] = (),
    ) -> None:
        self.n_steps = n_steps
        self.int_columns = tuple(int_columns)
        self.bool_columns = tuple(bool_columns)
        names = [*columns, *self.int_columns, *self.bool_columns]
        if len(set(names)) != len(names):
            raise ValueError("recorder columns must be unique")
        self._block = np.empty((0, n_steps))
        self._data: dict[str, np.ndarray] = {}
        self._grow(names)
        # A timestamp is kept as its nanoseconds (``Timestamp.value``): a datetime64 built per step
        # cost more than the step's forty values.
        self._timestamp_ns = np.zeros(n_steps, dtype=np.int64)
        self.timestamps = self._timestamp_ns.view("datetime64[ns]")
        self.rows = 0
        # The last row's names and their rows in the block: a model records the same names in the
        # same order every step, so the lookup is done once.
        self._row_names: tuple[str, ...] = ()
        self._row_index = np.empty(0, dtype=np.intp)

    def _grow(self, names: list[str]) -> None:
        """Add NaN rows to the block for ``names``; every column stays a view of its block row."""
        old = self._block
        block = np.full((len(old) + len(names), self.n_steps), np.nan)
        block[: len(old)] = old
        self._block = block
        self._data = {name: block[i] for i, name in enumerate([*self._data, *names])}
        self._row_names = ()

    def record(self, step: int, timestamp: pd.Timestamp, values: dict[str, float]) -> None:
        """Write one step's values (unknown names raise ``KeyError`` so typos cannot hide)."""
        names = tuple(values)
        if names != self._row_names:
            index = {name: i for i, name in enumerate(self._data)}
            self._row_index = np.array([index[name] for name in names], dtype=np.intp)
            self._row_names = names
        # One assignment of the row, each value converted to float as a single write would.
        self._block[self._row_index, step] = np.fromiter(values.values(), float, len(names))
        self._timestamp_ns[step] = timestamp.value
        self.rows = max(self.rows, step + 1)

    def add_column(self, name: str) -> None:
        """Add a float column after construction (e.g. one per custodian)."""
        if name not in self._data:
            self._grow([name])

    def columns(self) -> list[str]:
        """Names of the recorded columns, in order."""
        return list(self._data)

    def to_frame(self) -> pd.DataFrame:
        """The recorded steps as a DataFrame indexed by ``step``."""
        n = self.rows
        frame = pd.DataFrame({"timestamp": self.timestamps[:n]})
        for name, column in self._data.items():
            if name in self.int_columns:
                frame[name] = np.nan_to_num(column[:n]).astype(np.int64)
            elif name in self.bool_columns:
                frame[name] = np.nan_to_num(column[:n]).astype(bool)
            else:
                frame[name] = column[:n]
        frame.index = pd.RangeIndex(n, name="step")
        return frame


class RecorderCollector:
    """Mesa's ``DataCollector`` interface, read from the recorder the model fills anyway.

    Mesa's own tools (``mesa.batch_run``, notebooks calling ``get_model_vars_dataframe()``) look for
    ``model.datacollector``. This one collects nothing itself, so a step pays nothing extra: its
    model variables are the recorder's columns (one value per step so far) plus the run's scalar
    stress metrics, which describe the run so far and so are given at the last collected step only
    (``None`` before it).

    Args:
        recorder: The model's recorder.
        metrics: The scalar metrics of the run so far, by name.
    """

    agent_reporters: dict[str, Any] = {}  # noqa: RUF012  # Mesa's interface: no per-agent data
    agenttype_reporters: dict[type, Any] = {}  # noqa: RUF012
    _agent_records: dict[int, Any] = {}  # noqa: RUF012
    _agenttype_records: dict[int, Any] = {}  # noqa: RUF012

    def __init__(self, recorder: StepRecorder, metrics: Callable[[], dict[str, Any]]) -> None:
        self.recorder = recorder
        self._metrics = metrics
        self._cache: tuple[int, dict[str, list[Any]]] | None = None

    def collect(self, model: Any) -> None:
        """Nothing to do: the model records every step as it runs."""

    @property
    def _collection_steps(self) -> list[int]:
        # Mesa numbers a step by the model's step count after it (1 for the first).
        return list(range(1, self.recorder.rows + 1))

    @property
    def model_reporters(self) -> dict[str, str]:
        """The series the collector reports (the recorder's columns)."""
        return {name: name for name in self.recorder.columns()}

    @property
    def model_vars(self) -> dict[str, list[Any]]:
        """Each series' values per collected step, then each metric at the last step."""
        rows = self.recorder.rows
        if self._cache is None or self._cache[0] != rows:
            frame = self.recorder.to_frame()
            values: dict[str, list[Any]] = {c: frame[c].tolist() for c in frame.columns}
            if rows:
                for name, value in self._metrics().items():
                    values[name] = [None] * (rows - 1) + [value]
            self._cache = (rows, values)
        return self._cache[1]

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """One row per collected step (Mesa's step numbering), series and metrics as columns."""
        frame = pd.DataFrame(self.model_vars, index=self._collection_steps)
        frame.index.name = "step"
        return frame

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """Empty: per-holder data is in the run's holder sample (``RunResult.holders``)."""
        return pd.DataFrame()
