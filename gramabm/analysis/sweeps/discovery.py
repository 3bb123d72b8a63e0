"""Scenario discovery: which parameter ranges lead to a metric beyond a threshold, as readable rules.

A run is a **case** when its metric crosses the threshold (``worst_discount_bp < -100``: the peg
broke by more than 100 bp). Scenario discovery looks for simple regions of parameter space, boxes
(one interval per numeric parameter, a set of values per categorical one), where cases are
concentrated. Each box is judged by

* **coverage**: the share of all cases that fall inside the box (how much of the problem it
  explains);
* **density**: the share of runs inside the box that are cases (how reliably the box means trouble);
* **mass**: the share of all runs inside the box.

Two methods:

* :func:`prim`: the Patient Rule Induction Method (Friedman & Fisher 1999), compact: starting from the
  box holding every run, repeatedly *peel* the ``alpha`` share of runs off one face of the box (for a
  numeric parameter: below its ``alpha`` quantile or above its ``1 - alpha`` quantile inside the box;
  on a coarse grid, one whole level; for a categorical one: one value), choosing the peel that leaves
  the highest density, until the box would hold fewer than ``mass_min`` of the runs. Every box on the
  way is kept (the *peeling trajectory*); the box reported is the densest one that still covers at
  least ``min_coverage`` of the cases, after dropping restrictions that do not raise its density
  (readability). No pasting step: on sweep grids it rarely changes the box. With ``max_boxes > 1``
  the runs in a found box are removed and the search repeats (covering), while the next box is
  denser than the remaining runs' base rate.
* :func:`tree_rules`: a shallow decision tree (scikit-learn) fitted to the case labels; each leaf
  where cases are the majority becomes a rule (the conjunction of the splits on its path).

Bounds in the rules are values that occur in the data and are inclusive (``0.15 <= severity``), so a
rule is read directly against the sweep's grid. Pure functions of the result table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from gramabm.analysis.sweeps.aggregate import (
    metric_column,
    metric_name,
    numeric,
    ok_runs,
    param_columns,
)
from gramabm.analysis.sweeps.columns import is_param_column, param_name
from gramabm.analysis.sweeps.roles import role_of
from gramabm.errors import ConfigError

RULE_COLUMNS: tuple[str, ...] = (
    "box",
    "rule",
    "coverage",
    "density",
    "mass",
    "n_in_box",
    "cases_in_box",
    "method",
    "levers",
)
"""Columns of the rules table."""

Direction = Literal["below", "above"]


def param_label(column: str) -> str:
    """A readable name of a parameter column: ``p_primary__mint_fee_bp`` → ``primary.mint_fee_bp``."""
    return param_name(column)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class Box:
    """A region of parameter space: inclusive bounds per numeric column, allowed values per other.

    Attributes:
        limits: Column → ``(low, high)``, inclusive, for the restricted numeric columns.
        categories: Column → allowed values, for the restricted categorical columns.
        coverage: Share of all cases inside the box.
        density: Share of the runs inside the box that are cases.
        mass: Share of all runs inside the box.
        n_in_box: Runs inside the box.
        cases_in_box: Cases inside the box.
    """

    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    categories: dict[str, frozenset[str]] = field(default_factory=dict)
    coverage: float = 1.0
    density: float = 0.0
    mass: float = 1.0
    n_in_box: int = 0
    cases_in_box: int = 0

    def contains(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of ``frame`` inside the box."""
        mask = np.ones(len(frame), dtype=bool)
        for col, (lo, hi) in self.limits.items():
            x = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
            mask &= (x >= lo) & (x <= hi)
        for col, allowed in self.categories.items():
            mask &= frame[col].astype(str).isin(allowed).to_numpy()
        return mask

    def rule(self) -> str:
        """The box as a readable conjunction (``"all runs"`` if nothing is restricted)."""
        parts = []
        for col, (lo, hi) in self.limits.items():
            name = param_label(col)
            if np.isinf(lo):
                parts.append(f"{name} <= {_fmt(hi)}")
            elif np.isinf(hi):
                parts.append(f"{name} >= {_fmt(lo)}")
            elif lo == hi:
                parts.append(f"{name} = {_fmt(lo)}")
            else:
                parts.append(f"{_fmt(lo)} <= {name} <= {_fmt(hi)}")
        for col, allowed in self.categories.items():
            values = ", ".join(sorted(allowed))
            parts.append(f"{param_label(col)} in {{{values}}}")
        return " and ".join(parts) if parts else "all runs"


@dataclass(frozen=True)
class DiscoveryResult:
    """Rules found, with the data they were judged on.

    Attributes:
        rules: Columns :data:`RULE_COLUMNS`, best first (PRIM: in covering order).
        boxes: The boxes behind the rules, in the same order.
        trajectory: PRIM's peeling trajectory of the first box (``step``, ``coverage``,
            ``density``, ``mass``, ``rule``); empty for trees.
        n: Runs analysed.
        n_cases: Cases among them.
        dropped: Runs left out (failed, or the metric missing).
        criterion: The case definition in words.
    """

    rules: pd.DataFrame
    boxes: list[Box]
    trajectory: pd.DataFrame
    n: int
    n_cases: int
    dropped: int
    criterion: str

    @property
    def base_rate(self) -> float:
        """Share of runs that are cases."""
        return self.n_cases / self.n if self.n else float("nan")


# --- PRIM -------------------------------------------------------------------------------------


class _Space:
    """The encoded parameters: numeric matrix for numeric columns, string arrays for the rest."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.numeric: dict[str, np.ndarray] = {}
        self.categorical: dict[str, np.ndarray] = {}
        for col in self.columns:
            s = frame[col]
            if pd.api.types.is_bool_dtype(s):
                self.categorical[col] = s.astype(str).to_numpy()
            elif pd.api.types.is_numeric_dtype(s):
                self.numeric[col] = s.to_numpy(dtype=np.float64)
            else:
                self.categorical[col] = s.astype(str).to_numpy()


def _stats(inside: np.ndarray, y: np.ndarray, total_cases: int) -> tuple[float, float, float]:
    n_in = int(inside.sum())
    cases = int(y[inside].sum())
    coverage = cases / total_cases if total_cases else 0.0
    density = cases / n_in if n_in else 0.0
    return coverage, density, n_in / len(y)


def _box_from(
    space: _Space,
    limits: dict[str, tuple[float, float]],
    cats: dict[str, set[str]],
    y: np.ndarray,
    inside: np.ndarray,
    total_cases: int,
    n_total: int,
) -> Box:
    # Report only the restrictions that bind on the data the box was found in.
    shown_limits = {}
    for col, (lo, hi) in limits.items():
        x = space.numeric[col]
        if lo > x.min() or hi < x.max():
            lo_v = lo if lo > x.min() else -np.inf
            hi_v = hi if hi < x.max() else np.inf
            shown_limits[col] = (float(lo_v), float(hi_v))
    shown_cats = {
        col: frozenset(allowed)
        for col, allowed in cats.items()
        if set(np.unique(space.categorical[col])) - allowed
    }
    n_in = int(inside.sum())
    cases = int(y[inside].sum())
    return Box(
        limits=shown_limits,
        categories=shown_cats,
        coverage=cases / total_cases if total_cases else 0.0,
        density=cases / n_in if n_in else 0.0,
        mass=n_in / n_total if n_total else 0.0,
        n_in_box=n_in,
        cases_in_box=cases,
    )


def _inside(space: _Space, limits: dict, cats: dict) -> np.ndarray:
    n = len(next(iter({**space.numeric, **space.categorical}.values())))
    mask = np.ones(n, dtype=bool)
    for col, (lo, hi) in limits.items():
        x = space.numeric[col]
        mask &= (x >= lo) & (x <= hi)
    for col, allowed in cats.items():
        mask &= np.isin(space.categorical[col], list(allowed))
    return mask


def _candidates(space: _Space, inside: np.ndarray, limits: dict, cats: dict, alpha: float):
    """Every one-face peel of the box: ``(new_limits, new_cats)``."""
    for col, x_all in space.numeric.items():
        x = x_all[inside]
        values = np.unique(x)
        if values.size < 2:
            continue
        lo, hi = limits[col]
        q_lo = float(np.quantile(x, alpha))
        # On a coarse grid the quantile is the lowest level itself: peel that whole level.
        new_lo = q_lo if (x < q_lo).any() else float(values[1])
        yield {**limits, col: (max(lo, new_lo), hi)}, cats
        q_hi = float(np.quantile(x, 1 - alpha))
        new_hi = q_hi if (x > q_hi).any() else float(values[-2])
        yield {**limits, col: (lo, min(hi, new_hi))}, cats
    for col, v_all in space.categorical.items():
        present = sorted(set(v_all[inside]))
        if len(present) < 2:
            continue
        for drop in present:
            yield limits, {**cats, col: set(present) - {drop}}


def _peel(
    space: _Space, y: np.ndarray, alpha: float, mass_min: float, total_cases: int, n_total: int
) -> list[tuple[dict, dict, np.ndarray]]:
    """The peeling trajectory: boxes as ``(limits, categories, inside mask)``, widest first."""
    limits = {c: (float(x.min()), float(x.max())) for c, x in space.numeric.items()}
    cats = {c: set(np.unique(v)) for c, v in space.categorical.items()}
    inside = np.ones(len(y), dtype=bool)
    trajectory = [(limits, cats, inside)]
    min_n = max(1, int(np.ceil(mass_min * n_total)))
    while True:
        density = y[inside].mean()
        if density >= 1.0:
            break
        best = None
        for new_limits, new_cats in _candidates(space, inside, limits, cats, alpha):
            mask = _inside(space, new_limits, new_cats) & inside
            n_in = int(mask.sum())
            if n_in < min_n or n_in == int(inside.sum()):
                continue
            d = float(y[mask].mean())
            # Highest density; on a tie, the peel that removes fewer runs.
            key = (d, n_in)
            if best is None or key > best[0]:
                best = (key, new_limits, new_cats, mask)
        if best is None:
            break
        _, limits, cats, inside = best
        trajectory.append((limits, cats, inside))
    return trajectory


def _simplify(space: _Space, y: np.ndarray, limits: dict, cats: dict) -> tuple[dict, dict]:
    """Release restrictions whose removal does not lower the box's density (fewer terms)."""
    limits, cats = dict(limits), {k: set(v) for k, v in cats.items()}
    full_lim = {c: (float(x.min()), float(x.max())) for c, x in space.numeric.items()}
    full_cat = {c: set(np.unique(v)) for c, v in space.categorical.items()}
    changed = True
    while changed:
        changed = False
        density = y[_inside(space, limits, cats)].mean()
        for col in list(limits):
            if limits[col] == full_lim[col]:
                continue
            trial = {**limits, col: full_lim[col]}
            if y[_inside(space, trial, cats)].mean() >= density:
                limits, changed = trial, True
                break
        if changed:
            continue
        for col in list(cats):
            if cats[col] == full_cat[col]:
                continue
            trial_c = {**cats, col: full_cat[col]}
            if y[_inside(space, limits, trial_c)].mean() >= density:
                cats, changed = trial_c, True
                break
    return limits, cats


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    alpha: float = 0.05,
    mass_min: float = 0.05,
    min_coverage: float = 0.5,
    max_boxes: int = 1,
    min_density: float = 0.5,
) -> tuple[list[Box], pd.DataFrame]:
    """Find boxes of parameter space where cases (``y`` true) are concentrated.

    Args:
        x: Parameter values, one column per parameter (numeric or categorical).
        y: Case labels (booleans), one per row of ``x``.
        alpha: Share of the box's runs peeled per step.
        mass_min: Smallest box, as a share of the runs.
        min_coverage: The box reported is the densest one of the trajectory that covers at least
            this share of the (remaining) cases.
        max_boxes: Boxes to find by covering. Each later box searches the runs outside the earlier
            ones (its rule reads "among the runs outside the earlier boxes") and is kept only if
            denser than those runs' base rate and at least ``min_density``.
        min_density: Smallest density of a box after the first.

    Returns:
        The boxes (coverage and density relative to all rows and cases) and the first box's
        peeling trajectory.

    Raises:
        ConfigError: Bad arguments, no case, or no column.
    """
    if not 0.0 < alpha < 0.5:
        raise ConfigError(f"alpha must be in (0, 0.5), got {alpha}")
    if not 0.0 < mass_min < 1.0:
        raise ConfigError(f"mass_min must be in (0, 1), got {mass_min}")
    if not 0.0 < min_coverage <= 1.0:
        raise ConfigError(f"min_coverage must be in (0, 1], got {min_coverage}")
    if max_boxes < 1:
        raise ConfigError(f"max_boxes must be at least 1, got {max_boxes}")
    labels = np.asarray(y, dtype=bool)
    if len(labels) != len(x):
        raise ConfigError(f"y has {len(labels)} labels for {len(x)} rows")
    if x.shape[1] == 0:
        raise ConfigError("PRIM needs at least one parameter column")
    total_cases = int(labels.sum())
    if total_cases == 0:
        raise ConfigError("no run is a case: nothing to discover (loosen the threshold?)")
    n_total = len(labels)
    boxes: list[Box] = []
    trajectory_rows: list[dict[str, object]] = []
    remaining = np.ones(n_total, dtype=bool)
    for b in range(max_boxes):
        sub = x[remaining]
        y_sub = labels[remaining]
        if y_sub.sum() == 0:
            break
        space = _Space(sub, list(x.columns))
        sub_cases = int(y_sub.sum())
        traj = _peel(space, y_sub, alpha, mass_min, sub_cases, n_total)
        best_i, best_key = 0, (-1.0, -1.0)
        for i, (_, _, inside) in enumerate(traj):
            cov, dens, _ = _stats(inside, y_sub, sub_cases)
            if cov >= min_coverage and (dens, cov) > best_key:
                best_i, best_key = i, (dens, cov)
        limits, cats, _ = traj[best_i]
        limits, cats = _simplify(space, y_sub, limits, cats)
        inside_sub = _inside(space, limits, cats)
        density = y_sub[inside_sub].mean()
        if b > 0 and (density <= y_sub.mean() or density < min_density):
            break  # no denser than the runs left, or too loose to be a finding: stop covering
        inside = np.zeros(n_total, dtype=bool)
        inside[np.flatnonzero(remaining)[inside_sub]] = True
        # Restrictions shown are those binding on the runs searched (outside earlier boxes).
        boxes.append(_box_from(space, limits, cats, labels, inside, total_cases, n_total))
        if b == 0:
            for step, (lim, cat, ins) in enumerate(traj):
                cov, dens, mass = _stats(ins, y_sub, sub_cases)
                rule = _box_from(space, lim, cat, y_sub, ins, sub_cases, n_total).rule()
                trajectory_rows.append(
                    {"step": step, "coverage": cov, "density": dens, "mass": mass, "rule": rule}
                )
        remaining &= ~inside
    trajectory = pd.DataFrame(
        trajectory_rows, columns=["step", "coverage", "density", "mass", "rule"]
    )
    return boxes, trajectory


# --- decision tree ----------------------------------------------------------------------------


def tree_rules(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    max_depth: int = 3,
    min_leaf_share: float = 0.02,
    seed: int = 0,
) -> list[Box]:
    """Rules from a shallow decision tree: one box per leaf where cases are the majority.

    Args:
        x: Parameter values (numeric, or categorical as text).
        y: Case labels.
        max_depth: Depth of the tree (3 gives rules of at most three terms).
        min_leaf_share: Smallest leaf as a share of the runs.
        seed: Seed of the tree's tie-breaking.

    Returns:
        The boxes, densest first (ties: larger coverage first).

    Raises:
        ConfigError: Bad arguments or no case.
    """
    from sklearn.tree import DecisionTreeClassifier

    from gramabm.analysis.sweeps.sensitivity import encode_parameters

    labels = np.asarray(y, dtype=bool)
    if len(labels) != len(x):
        raise ConfigError(f"y has {len(labels)} labels for {len(x)} rows")
    if not 1 <= max_depth <= 10:
        raise ConfigError(f"max_depth must be in [1, 10], got {max_depth}")
    total_cases = int(labels.sum())
    if total_cases == 0:
        raise ConfigError("no run is a case: nothing to discover (loosen the threshold?)")
    columns = list(x.columns)
    enc = encode_parameters(x, columns).to_numpy()
    space = _Space(x, columns)
    cat_values = {c: np.array(sorted(set(space.categorical[c]))) for c in space.categorical}
    leaf_min = max(1, int(np.ceil(min_leaf_share * len(labels))))
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=leaf_min, random_state=seed
    ).fit(enc, labels)
    t = tree.tree_
    leaves = tree.apply(enc)
    boxes = []

    def walk(node: int, bounds: dict[int, tuple[float, float]]) -> None:
        if t.children_left[node] == -1:
            inside = leaves == node
            cases = int(labels[inside].sum())
            if cases * 2 <= int(inside.sum()):
                return
            limits, cats = {}, {}
            for j, (lo, hi) in bounds.items():
                col = columns[j]
                if col in space.numeric:
                    x_in = space.numeric[col][inside]
                    # Data-valued inclusive bounds, open where the tree did not cut.
                    limits[col] = (
                        float(x_in.min()) if np.isfinite(lo) else -np.inf,
                        float(x_in.max()) if np.isfinite(hi) else np.inf,
                    )
                else:
                    codes = np.arange(len(cat_values[col]))
                    keep = (codes > lo) & (codes <= hi)
                    cats[col] = frozenset(cat_values[col][keep].tolist())
            n_in = int(inside.sum())
            boxes.append(
                Box(
                    limits=limits,
                    categories=cats,
                    coverage=cases / total_cases,
                    density=cases / n_in,
                    mass=n_in / len(labels),
                    n_in_box=n_in,
                    cases_in_box=cases,
                )
            )
            return
        j, thr = int(t.feature[node]), float(t.threshold[node])
        lo, hi = bounds.get(j, (-np.inf, np.inf))
        walk(int(t.children_left[node]), {**bounds, j: (lo, min(hi, thr))})
        walk(int(t.children_right[node]), {**bounds, j: (max(lo, thr), hi)})

    walk(0, {})
    boxes.sort(key=lambda b: (-b.density, -b.coverage))
    return boxes


# --- the sweep-level entry point ----------------------------------------------------------------


def case_labels(
    results: pd.DataFrame, metric: str, threshold: float, direction: Direction = "below"
) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The successful runs with the metric, and which are cases.

    Returns:
        The kept rows, their labels, and how many rows were dropped (failed or missing metric).

    Raises:
        ConfigError: Unknown metric or direction.
    """
    col = metric_column(metric)
    if col not in results.columns:
        raise ConfigError(f"metric {metric_name(col)!r} not in the results")
    if direction not in ("below", "above"):
        raise ConfigError(f"direction must be 'below' or 'above', got {direction!r}")
    ok = ok_runs(results)
    values = numeric(ok[col])
    keep = ~np.isnan(values)
    frame = ok.loc[keep]
    values = values[keep]
    labels = values < threshold if direction == "below" else values > threshold
    return frame, labels, len(results) - len(frame)


def discover(
    results: pd.DataFrame,
    metric: str,
    threshold: float,
    *,
    direction: Direction = "below",
    method: Literal["prim", "tree"] = "prim",
    parameters: Sequence[str] | None = None,
    roles: Mapping[str, str] | None = None,
    **options: float,
) -> DiscoveryResult:
    """Which parameter ranges lead to the metric crossing the threshold.

    Args:
        results: The result table.
        metric: Metric name (``worst_discount_bp``).
        threshold: The level; a run is a case when its metric is ``direction`` it (strictly).
        direction: ``"below"`` (discount beyond -100 bp) or ``"above"`` (hours outside > 24).
        method: ``"prim"`` or ``"tree"``.
        parameters: Columns to explain with (default: every varying ``p_*`` column, plus
            ``scenario`` when the table holds several).
        roles: Column → role as the sweep recorded it (default: the configuration's roles); a
            rule's ``levers`` column names the restricted parameters governance can set, the
            rest of its terms are uncertainties to watch.
        **options: Passed to :func:`prim` or :func:`tree_rules`.

    Returns:
        The rules with coverage and density, the boxes and (PRIM) the trajectory.

    Raises:
        ConfigError: Unknown metric, no varying parameter, or no case.
    """
    frame, labels, dropped = case_labels(results, metric, threshold, direction)
    if parameters is None:
        cols = [c for c in param_columns(frame) if frame[c].nunique(dropna=True) > 1]
        if "scenario" in frame.columns and frame["scenario"].nunique() > 1:
            cols.append("scenario")
    else:
        cols = list(parameters)
    if not cols:
        raise ConfigError("no parameter varies across the runs: nothing to discover")
    sign = "<" if direction == "below" else ">"
    criterion = f"{metric_name(metric_column(metric))} {sign} {threshold:g}"
    x = frame[cols].reset_index(drop=True)
    if method == "prim":
        boxes, trajectory = prim(x, labels, **options)  # type: ignore[arg-type]
    elif method == "tree":
        boxes = tree_rules(x, labels, **options)  # type: ignore[arg-type]
        trajectory = pd.DataFrame(columns=["step", "coverage", "density", "mass", "rule"])
    else:
        raise ConfigError(f"method must be 'prim' or 'tree', got {method!r}")
    rows = [
        {
            "box": i + 1,
            "rule": b.rule(),
            "coverage": b.coverage,
            "density": b.density,
            "mass": b.mass,
            "n_in_box": b.n_in_box,
            "cases_in_box": b.cases_in_box,
            "method": method,
            "levers": ", ".join(
                param_label(c)
                for c in (*b.limits, *b.categories)
                if is_param_column(c) and role_of(c, roles) == "lever"
            ),
        }
        for i, b in enumerate(boxes)
    ]
    return DiscoveryResult(
        rules=pd.DataFrame(rows, columns=list(RULE_COLUMNS)),
        boxes=boxes,
        trajectory=trajectory,
        n=len(labels),
        n_cases=int(labels.sum()),
        dropped=dropped,
        criterion=criterion,
    )
