"""Batch experiments: seeded parameter sweeps across scenarios, run on processes or Dask.

An experiment file (TOML, :mod:`~gramabm.sweeps.spec`) expands into a deterministic list of
runs (:mod:`~gramabm.sweeps.design`); :func:`run_sweep` executes them on this process, a local
process pool or a Dask cluster (:mod:`~gramabm.sweeps.backends`) and writes each finished run
at once as its own Parquet file; :mod:`~gramabm.sweeps.store` reads them back through DuckDB.
A sweep runs on the built-in gold history, a user's CSV (``[data]``) or a given series
(:func:`sweep_data`), shipped once to each worker.
"""

from gramabm.sweeps.design import RunSpec, design_points, expand, param_column, salib_problem
from gramabm.sweeps.runner import SweepData, SweepSummary, execute_run, run_sweep, sweep_data
from gramabm.sweeps.spec import (
    DataSpec,
    DesignSpec,
    ExperimentSpec,
    ParameterSpec,
    load_spec,
    parse_spec,
)
from gramabm.sweeps.store import query, read_manifest, read_results

__all__ = [
    "DataSpec",
    "DesignSpec",
    "ExperimentSpec",
    "ParameterSpec",
    "RunSpec",
    "SweepData",
    "SweepSummary",
    "design_points",
    "execute_run",
    "expand",
    "load_spec",
    "param_column",
    "parse_spec",
    "query",
    "read_manifest",
    "read_results",
    "run_sweep",
    "salib_problem",
    "sweep_data",
]
