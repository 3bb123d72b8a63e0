"""A fitted scikit-learn histogram gradient-boosting ensemble, compiled into lookup tables.

``HistGradientBoostingClassifier.predict_proba`` walks every tree for every row (about 0.3 s for
100,000 holders and 400 small trees on this machine): too slow for a policy called once per model
step. The ensemble is a sum of piecewise-constant functions, so it can be evaluated without
walking trees:

1. **Codes.** For each feature ``j``, the union ``T_j`` of the thresholds used by any split is
   sorted. A value ``x`` gets the code ``c = #{t in T_j : t < x}`` (``np.searchsorted``, side
   left). A split "``x <= T_j[i]``" (scikit-learn's rule for numeric splits) is then exactly the
   integer test ``c <= i``: no float comparison is repeated, and results match scikit-learn's.
2. **Tables.** Trees are grouped by the set of features they split on. The sum of a group's
   trees depends only on the codes of those features, so it is tabulated once over the grid of
   the group's own thresholds (one cell per combination). With ``interaction_cst=
   "no_interactions"`` every tree uses one feature and the whole ensemble becomes one small
   table per feature (a generalised additive model): evaluation costs one binary search and
   one gather per feature, whatever the number of trees.
3. **Fallback.** A group whose grid would exceed ``max_table_cells`` keeps its trees, evaluated
   level by level over all rows at once on the integer codes (one vectorised step per depth).
   This is exact but slower than scikit-learn's compiled walk for many deep trees (about 5 ms
   per tree per 100,000 rows here); the policy's defaults never need it.

Raw scores are summed in another order than scikit-learn's (tables first), so results differ
from ``predict_proba`` only by float rounding (about 1e-15); the tests check 1e-9.

Numeric features only: categorical splits and missing values are refused (the policies reject
NaN input before it gets here).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

MAX_TABLE_CELLS: int = 1 << 16
"""Largest grid (cells per raw-score column) a group of trees is tabulated on."""


@dataclass
class _CodeTree:
    """One tree whose splits test integer codes: go left when ``code[feature] <= threshold``."""

    feature: np.ndarray  # int64, per node (0 for leaves)
    threshold: np.ndarray  # int64 code index, per node
    left: np.ndarray  # int64, per node (a leaf points to itself)
    right: np.ndarray  # int64, per node (a leaf points to itself)
    value: np.ndarray  # float64, per node (leaf values; 0 elsewhere)
    depth: int
    column: int  # raw-score column (class) this tree adds to


@dataclass
class _Group:
    """Trees sharing one feature set, as a table over the grid of their thresholds."""

    features: np.ndarray  # int64, the features (ascending)
    maps: list[np.ndarray]  # per feature: global code -> local code (int64)
    strides: np.ndarray  # int64, per feature: cell-index stride
    table: np.ndarray  # float64, shape (n_columns, n_cells)


@dataclass
class CompiledEnsemble:
    """Lookup-table form of a fitted ``HistGradientBoostingClassifier``.

    Build it with :func:`compile_hist_gradient_boosting`; :meth:`raw_scores` then returns the
    ensemble's raw predictions (the input of its softmax or sigmoid), transposed.

    Args:
        n_features: Columns of ``X``.
        baseline: The ensemble's baseline raw prediction, one per raw-score column.
        thresholds: Per feature, the sorted distinct split thresholds (empty if never split).
        groups: The tabulated groups.
        fallback: Trees too large to tabulate.
    """

    n_features: int
    baseline: np.ndarray
    thresholds: list[np.ndarray]
    groups: list[_Group] = field(default_factory=list)
    fallback: list[_CodeTree] = field(default_factory=list)

    @property
    def n_columns(self) -> int:
        """Raw-score columns: 1 for a binary ensemble, else one per class seen in training."""
        return int(self.baseline.shape[0])

    @property
    def used_features(self) -> list[int]:
        """Features some split tests (the only ones that need codes)."""
        return [j for j, t in enumerate(self.thresholds) if t.size]

    def codes(self, X: np.ndarray) -> dict[int, np.ndarray]:
        """Integer codes of the used features: ``#{thresholds < x}`` per value."""
        return {j: np.searchsorted(self.thresholds[j], X[:, j]) for j in self.used_features}

    def raw_scores(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Raw predictions, shape ``(n_columns, n_rows)``.

        Args:
            X: Finite float64 features, shape ``(n_rows, n_features)``.
            out: Optional float64 array of shape ``(n_columns, n_rows)`` to write into.

        Returns:
            ``out`` (or a new array) holding baseline plus every tree's leaf value.
        """
        n = X.shape[0]
        raw = np.empty((self.n_columns, n)) if out is None else out
        raw[...] = self.baseline[:, None]
        codes = self.codes(X)
        for g in self.groups:
            if g.features.size == 1:
                # One feature: the table was re-indexed by global code at compile time.
                raw += g.table.take(codes[int(g.features[0])], axis=1)
                continue
            cell = np.zeros(n, dtype=np.int64)
            for j, m, s in zip(g.features, g.maps, g.strides, strict=True):
                cell += m.take(codes[int(j)]) * s
            raw += g.table.take(cell, axis=1)
        for tree in self.fallback:
            raw[tree.column] += _walk(tree, codes, n)
        return raw


def _walk(tree: _CodeTree, codes: dict[int, np.ndarray], n: int) -> np.ndarray:
    """Leaf values of one code tree for all rows, one vectorised step per level."""
    node = np.zeros(n, dtype=np.int64)
    used = np.unique(tree.feature[_internal(tree)])
    if not used.size:
        return tree.value[node]
    # The used features' codes, flattened: a node's feature row starts at offset[node].
    flat = np.concatenate([codes[int(j)] for j in used])
    offset = np.searchsorted(used, tree.feature).clip(max=used.size - 1) * n
    cols = np.arange(n)
    for _ in range(tree.depth):
        go_left = flat.take(offset.take(node) + cols) <= tree.threshold.take(node)
        node = np.where(go_left, tree.left.take(node), tree.right.take(node))
    return tree.value.take(node)


def compile_hist_gradient_boosting(
    model: object, max_table_cells: int = MAX_TABLE_CELLS
) -> CompiledEnsemble:
    """Compile a fitted ``HistGradientBoostingClassifier`` into lookup tables.

    Args:
        model: The fitted ensemble (numeric features only).
        max_table_cells: Largest grid a group of trees is tabulated on; larger groups fall back
            to level-by-level evaluation.

    Returns:
        The compiled ensemble; ``raw_scores(X).T`` equals ``model._raw_predict(X)`` to rounding.

    Raises:
        ValueError: The ensemble has categorical splits.
    """
    predictors = model._predictors  # type: ignore[attr-defined]
    baseline = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()  # type: ignore[attr-defined]
    n_features = int(model.n_features_in_)  # type: ignore[attr-defined]

    per_feature: list[list[np.ndarray]] = [[] for _ in range(n_features)]
    for iteration in predictors:
        for predictor in iteration:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits cannot be compiled; use numeric features")
            split = nodes["is_leaf"] == 0
            for j in np.unique(nodes["feature_idx"][split]):
                per_feature[int(j)].append(
                    nodes["num_threshold"][split & (nodes["feature_idx"] == j)]
                )
    thresholds = [
        np.unique(np.concatenate(parts)).astype(np.float64) if parts else np.empty(0)
        for parts in per_feature
    ]

    by_features: dict[tuple[int, ...], list[_CodeTree]] = {}
    for iteration in predictors:
        for column, predictor in enumerate(iteration):
            tree = _code_tree(predictor.nodes, thresholds, column)
            key = tuple(sorted({int(f) for f in tree.feature[_internal(tree)]}))
            by_features.setdefault(key, []).append(tree)

    compiled = CompiledEnsemble(n_features=n_features, baseline=baseline, thresholds=thresholds)
    n_columns = baseline.shape[0]
    for key, trees in by_features.items():
        if not key:  # single-leaf trees: fold their values into the baseline
            for tree in trees:
                compiled.baseline[tree.column] += tree.value[0]
            continue
        group = _tabulate(key, trees, thresholds, n_columns, max_table_cells)
        if group is None:
            compiled.fallback.extend(trees)
        else:
            compiled.groups.append(group)
    return compiled


def _internal(tree: _CodeTree) -> np.ndarray:
    return tree.left != np.arange(tree.left.size)


def _code_tree(nodes: np.ndarray, thresholds: list[np.ndarray], column: int) -> _CodeTree:
    """Translate scikit-learn predictor nodes into integer-code splits."""
    n = nodes.shape[0]
    leaf = nodes["is_leaf"].astype(bool)
    feature = np.where(leaf, 0, nodes["feature_idx"]).astype(np.int64)
    code_thr = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(~leaf):
        t = thresholds[int(feature[i])]
        code_thr[i] = int(np.searchsorted(t, nodes["num_threshold"][i]))  # exact: t contains it
    idx = np.arange(n, dtype=np.int64)
    left = np.where(leaf, idx, nodes["left"]).astype(np.int64)
    right = np.where(leaf, idx, nodes["right"]).astype(np.int64)
    value = np.where(leaf, nodes["value"], 0.0).astype(np.float64)
    depth = int(nodes["depth"].max()) if n else 0
    return _CodeTree(feature, code_thr, left, right, value, depth, column)


def _tabulate(
    key: tuple[int, ...],
    trees: list[_CodeTree],
    thresholds: list[np.ndarray],
    n_columns: int,
    max_cells: int,
) -> _Group | None:
    """Table of a group's summed trees over its local threshold grid, or None if too large."""
    # Local thresholds: the global code indices the group's splits use, per feature.
    local: dict[int, np.ndarray] = {}
    for j in key:
        parts = [t.threshold[_internal(t) & (t.feature == j)] for t in trees]
        local[j] = np.unique(np.concatenate(parts))
    sizes = [local[j].size + 1 for j in key]
    n_cells = math.prod(sizes)
    if n_cells > max_cells:
        return None
    # One representative global code per local cell: the local index itself maps to the
    # global code of the local threshold (code <= split index), the last cell to "above all".
    reps = []
    for j in key:
        idx = local[j]
        reps.append(np.append(idx, thresholds[j].size))
    grid = np.array(list(itertools.product(*[range(s) for s in sizes])), dtype=np.int64)
    codes = {j: reps[k][grid[:, k]] for k, j in enumerate(key)}
    table = np.zeros((n_columns, n_cells))
    for tree in trees:  # tree order within a group is kept, as in scikit-learn's sum
        table[tree.column] += _walk(tree, codes, n_cells)
    strides = np.ones(len(key), dtype=np.int64)
    for k in range(len(key) - 2, -1, -1):
        strides[k] = strides[k + 1] * sizes[k + 1]
    # Global code -> local code: how many local split indices lie below the global code.
    maps = [np.searchsorted(local[j], np.arange(thresholds[j].size + 1)) for j in key]
    features = np.asarray(key, dtype=np.int64)
    if len(key) == 1:
        table = np.ascontiguousarray(table[:, maps[0]])  # index the table by global code directly
        maps = [np.arange(thresholds[key[0]].size + 1)]
    return _Group(features, maps, strides, table)
