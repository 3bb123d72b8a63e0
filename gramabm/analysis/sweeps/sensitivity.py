"""Global sensitivity of the stress metrics to the swept parameters.

Two methods, chosen by the design:

* **Sobol' indices** (:func:`sobol_indices`) when the sweep is a Saltelli cross-sample of a Sobol'
  sequence (the experiment's ``design.kind = "sobol"``; its manifest carries SALib's problem under
  ``salib``). SALib's ``sobol.analyze`` gives, per parameter, the first-order index ``S1`` (the share
  of the metric's variance the parameter explains alone) and the total index ``ST`` (alone and in
  interactions), each with a bootstrap confidence half-width. With several replications per design
  point, the metric is first averaged over the seeds of each point, so the indices describe the
  parameters' effect on the *expected* metric (seed noise would otherwise be split among the
  parameters' indices).
* **Permutation importance of a surrogate** (:func:`surrogate_importance`) for every other design
  (grid, random, Latin hypercube): a random forest (or histogram gradient boosting) is fitted on a
  training share of the runs, its out-of-sample R² is measured on the rest, and each parameter's
  importance is the mean drop of that R² when the parameter's column is shuffled in the test set.
  The R² says how far to trust the importances: with a low R², the parameters explain little of the
  metric (seed noise dominates, or the surrogate misses the shape).

:func:`sensitivity` picks the method and returns one tidy table for many metrics. Everything here is
a pure function of the result table (and the manifest): it never runs a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from gramabm.analysis.sweeps.aggregate import (
    metric_column,
    metric_name,
    numeric,
    ok_runs,
    param_columns,
)
from gramabm.errors import ConfigError

INDEX_COLUMNS: tuple[str, ...] = (
    "scenario",
    "metric",
    "parameter",
    "method",
    "index",
    "value",
    "conf",
)
"""Columns of the tidy sensitivity table."""

FIT_COLUMNS: tuple[str, ...] = ("scenario", "metric", "method", "r2_test", "n_train", "n_test")
"""Columns of the surrogate-fit table."""

SurrogateKind = Literal["forest", "boosting"]


@dataclass(frozen=True)
class SensitivityResult:
    """Sensitivity indices and, for surrogates, how well the surrogate fits.

    Attributes:
        indices: Tidy table, columns :data:`INDEX_COLUMNS`. ``method`` is ``"sobol"`` (``index``
            ``S1`` or ``ST``, ``conf`` the 95% half-width) or ``"permutation"`` (``index``
            ``importance``: mean drop of test R² when the parameter is shuffled; ``conf`` its
            standard deviation over the shuffles).
        fit: One row per scenario and metric: ``r2_test`` (NaN for Sobol'), train and test sizes.
    """

    indices: pd.DataFrame
    fit: pd.DataFrame

    def ranking(self, metric: str, *, scenario: str | None = None) -> list[str]:
        """Parameters from most to least influential on a metric (by ``ST`` or importance)."""
        ix = self.indices
        sel = ix[(ix["metric"] == metric_name(metric)) & ix["index"].isin(["ST", "importance"])]
        if scenario is not None:
            sel = sel[sel["scenario"] == scenario]
        if sel.empty:
            raise ConfigError(f"no sensitivity indices for metric {metric!r}")
        order = sel.groupby("parameter")["value"].mean().sort_values(ascending=False)
        return list(order.index)


def encode_parameters(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Parameter columns as numbers: numeric as float, booleans 0/1, text as sorted category codes.

    Codes keep one column per parameter, so each parameter gets one importance; tree surrogates
    split codes as they split numbers.
    """
    out = {}
    for col in columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype(np.float64).to_numpy()
        else:
            cats = sorted(s.dropna().astype(str).unique())
            codes = {c: float(i) for i, c in enumerate(cats)}
            out[col] = s.astype(str).map(codes).to_numpy(dtype=np.float64)
    return pd.DataFrame(out, index=frame.index)


def surrogate_importance(
    results: pd.DataFrame,
    metric: str,
    *,
    parameters: Sequence[str] | None = None,
    model: SurrogateKind = "forest",
    test_share: float = 0.3,
    n_repeats: int = 5,
    seed: int = 0,
) -> SensitivityResult:
    """Permutation importance of each parameter for one metric, from a fitted surrogate.

    Args:
        results: The result table (failed runs and runs without the metric are left out).
        metric: Metric name (with or without ``m_``).
        parameters: Parameter columns (default every ``p_*`` column that varies).
        model: ``"forest"`` (RandomForestRegressor) or ``"boosting"``
            (HistGradientBoostingRegressor).
        test_share: Share of runs held out to measure R² and importances.
        n_repeats: Shuffles per parameter.
        seed: Seed of the split, the surrogate and the shuffles.

    Returns:
        The importances (scenario ``"all"``) and the fit (out-of-sample R²).

    Raises:
        ConfigError: Missing metric, no varied parameter, or too few runs (fewer than 10).
    """
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    col = metric_column(metric)
    ok = ok_runs(results)
    if col not in ok.columns:
        raise ConfigError(f"metric {metric_name(col)!r} not in the results")
    params = _varied(ok, parameters)
    y = numeric(ok[col])
    keep = ~np.isnan(y)
    data = encode_parameters(ok.loc[keep], params)
    y = y[keep]
    if len(y) < 10:
        raise ConfigError(
            f"surrogate sensitivity of {metric_name(col)!r} needs at least 10 runs with a value, "
            f"got {len(y)}"
        )
    if not 0.05 <= test_share <= 0.5:
        raise ConfigError(f"test_share must be in [0.05, 0.5], got {test_share}")
    x_train, x_test, y_train, y_test = train_test_split(
        data, y, test_size=test_share, random_state=seed
    )
    if model == "forest":
        reg: Any = RandomForestRegressor(
            n_estimators=100, min_samples_leaf=2, random_state=seed, n_jobs=1
        )
    elif model == "boosting":
        reg = HistGradientBoostingRegressor(max_iter=200, random_state=seed)
    else:
        raise ConfigError(f"model must be 'forest' or 'boosting', got {model!r}")
    # One OpenMP thread: sweep tables are small, and on a shared machine idle-spinning thread
    # teams make the boosting surrogate tens of times slower.
    with threadpool_limits(limits=1):
        reg.fit(x_train, y_train)
        constant_test = np.ptp(y_test) == 0
        r2 = float("nan") if constant_test else float(r2_score(y_test, reg.predict(x_test)))
        rows = []
        if constant_test:
            # Nothing to explain out of sample: every parameter's importance is zero.
            means, stds = np.zeros(len(params)), np.zeros(len(params))
        else:
            imp = permutation_importance(
                reg, x_test, y_test, scoring="r2", n_repeats=n_repeats, random_state=seed, n_jobs=1
            )
            means, stds = imp.importances_mean, imp.importances_std
    for p, m, s in zip(params, means, stds, strict=True):
        rows.append(
            {
                "scenario": "all",
                "metric": metric_name(col),
                "parameter": p,
                "method": "permutation",
                "index": "importance",
                "value": float(m),
                "conf": float(s),
            }
        )
    fit = pd.DataFrame(
        [
            {
                "scenario": "all",
                "metric": metric_name(col),
                "method": f"permutation/{model}",
                "r2_test": r2,
                "n_train": len(y_train),
                "n_test": len(y_test),
            }
        ],
        columns=list(FIT_COLUMNS),
    )
    return SensitivityResult(_sorted(pd.DataFrame(rows, columns=list(INDEX_COLUMNS))), fit)


def sobol_indices(
    results: pd.DataFrame,
    metric: str,
    salib: Mapping[str, Any],
    *,
    confidence: float = 0.95,
    seed: int = 0,
) -> SensitivityResult:
    """First-order and total Sobol' indices of one metric from a Saltelli design.

    Args:
        results: The result table of a ``sobol`` design, one scenario (with its ``design_index``).
        metric: Metric name (with or without ``m_``).
        salib: The manifest's ``salib`` entry: ``problem`` (``num_vars``, ``names``, ``bounds``),
            ``N`` and ``calc_second_order``.
        confidence: Level of SALib's bootstrap intervals.
        seed: Seed of SALib's bootstrap.

    Returns:
        ``S1`` and ``ST`` rows per parameter (parameter named by its ``p_*`` column when the
        manifest lists ``columns``); the fit table has no R² (NaN).

    Raises:
        ConfigError: SALib missing, several scenarios, runs missing from the design (failed or not
            yet run), or a missing metric value at some design point.
    """
    try:
        from SALib.analyze import sobol
    except ImportError as exc:  # pragma: no cover - SALib is a dependency
        raise ConfigError("Sobol' indices need SALib: pip install SALib") from exc

    col = metric_column(metric)
    if "scenario" in results.columns and results["scenario"].nunique() > 1:
        raise ConfigError("Sobol' indices are computed one scenario at a time; filter the table")
    if "design_index" not in results.columns:
        raise ConfigError("Sobol' indices need the 'design_index' column of the result table")
    problem = dict(salib["problem"])
    n_base = int(salib["N"])
    second = bool(salib.get("calc_second_order", False))
    d = int(problem["num_vars"])
    points = n_base * (2 * d + 2 if second else d + 2)
    ok = ok_runs(results)
    if col not in ok.columns:
        raise ConfigError(f"metric {metric_name(col)!r} not in the results")
    # Average over seeds per design point: the indices of the expected metric.
    means = (
        pd.Series(numeric(ok[col]), index=ok.index)
        .groupby(ok["design_index"].to_numpy())
        .mean()
        .reindex(range(points))
    )
    missing = int(means.isna().sum())
    if missing:
        raise ConfigError(
            f"Sobol' analysis of {metric_name(col)!r} needs a value at all {points} design points; "
            f"{missing} have none (failed or unfinished runs, or a metric that is None)"
        )
    y = means.to_numpy(dtype=np.float64)
    names = list(salib.get("columns") or problem["names"])
    if np.ptp(y) == 0:
        # A constant metric has no variance to apportion: every index is zero.
        s1 = st = np.zeros(d)
        s1c = stc = np.zeros(d)
    else:
        res = sobol.analyze(
            problem,
            y,
            calc_second_order=second,
            conf_level=confidence,
            print_to_console=False,
            seed=seed,
        )
        s1, s1c, st, stc = res["S1"], res["S1_conf"], res["ST"], res["ST_conf"]
    scenario = str(ok["scenario"].iloc[0]) if "scenario" in ok.columns and len(ok) else "all"
    rows = []
    for i, name in enumerate(names):
        for index, value, conf in (("S1", s1[i], s1c[i]), ("ST", st[i], stc[i])):
            rows.append(
                {
                    "scenario": scenario,
                    "metric": metric_name(col),
                    "parameter": name,
                    "method": "sobol",
                    "index": index,
                    "value": float(value),
                    "conf": float(conf),
                }
            )
    fit = pd.DataFrame(
        [
            {
                "scenario": scenario,
                "metric": metric_name(col),
                "method": "sobol",
                "r2_test": float("nan"),
                "n_train": points,
                "n_test": 0,
            }
        ],
        columns=list(FIT_COLUMNS),
    )
    return SensitivityResult(pd.DataFrame(rows, columns=list(INDEX_COLUMNS)), fit)


def sensitivity(
    results: pd.DataFrame,
    metrics: Sequence[str],
    *,
    manifest: Mapping[str, Any] | None = None,
    model: SurrogateKind = "forest",
    seed: int = 0,
) -> SensitivityResult:
    """Sensitivity of several metrics, per scenario, by the method the design allows.

    Sobol' indices when the manifest describes a Sobol' design (``manifest["salib"]`` set) and
    every design point has a value; otherwise surrogate permutation importance. A metric whose
    analysis is impossible (too few runs, constant parameters) is skipped, with the reason in the
    fit table's ``method`` column (``"skipped: ..."``).

    Args:
        results: The result table.
        metrics: Metric names.
        manifest: The sweep's ``experiment.json`` (optional).
        model: Surrogate kind for non-Sobol' designs.
        seed: Seed of every random step.

    Returns:
        One :class:`SensitivityResult` stacking every scenario and metric.
    """
    salib = (manifest or {}).get("salib")
    scenarios = (
        sorted(results["scenario"].dropna().unique()) if "scenario" in results.columns else [None]
    )
    parts, fits = [], []
    for scenario in scenarios:
        frame = results if scenario is None else results[results["scenario"] == scenario]
        for metric in metrics:
            try:
                if salib:
                    res = sobol_indices(frame, metric, salib, seed=seed)
                else:
                    res = surrogate_importance(frame, metric, model=model, seed=seed)
            except ConfigError as exc:
                fits.append(
                    pd.DataFrame(
                        [
                            {
                                "scenario": scenario or "all",
                                "metric": metric_name(metric),
                                "method": f"skipped: {exc}",
                                "r2_test": float("nan"),
                                "n_train": 0,
                                "n_test": 0,
                            }
                        ],
                        columns=list(FIT_COLUMNS),
                    )
                )
                continue
            idx, fit = res.indices.copy(), res.fit.copy()
            if scenario is not None:
                idx["scenario"] = scenario
                fit["scenario"] = scenario
            parts.append(idx)
            fits.append(fit)
    indices = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(INDEX_COLUMNS))
    )
    fit = pd.concat(fits, ignore_index=True) if fits else pd.DataFrame(columns=list(FIT_COLUMNS))
    return SensitivityResult(indices, fit)


def _varied(frame: pd.DataFrame, parameters: Sequence[str] | None) -> list[str]:
    cols = list(parameters) if parameters is not None else param_columns(frame)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ConfigError(f"parameter column(s) {missing} not in the results")
    varied = [c for c in cols if frame[c].nunique(dropna=True) > 1]
    if not varied:
        raise ConfigError("no parameter varies across the runs: nothing to attribute")
    return varied


def _sorted(indices: pd.DataFrame) -> pd.DataFrame:
    return indices.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
