"""Learned holder policies: multinomial logistic regression and gradient-boosted trees.

Both are scikit-learn classifiers over the holder actions (:class:`~gramabm.policies.base.Action`):

* the constructor only stores parameters; ``fit(X, y, sample_weight=None)`` returns ``self``;
* labels ``y`` are action codes (``0..3``, :class:`Action` members) or action names
  (``"hold"``, ``"buy"``, ``"sell"``, ``"redeem"``); ``classes_`` is always ``[0, 1, 2, 3]``;
* ``predict_proba(X)`` always has one column per action, **in Action order, even for an action
  absent from the training labels**: such a column is padded with probability exactly 0 (its
  logit is ``-inf``). Gold-only history never shows a redemption, and a policy should not invent
  one; the model's holders then never redeem, and rows still sum to one;
* ``predict_proba`` returns a transposed view (Fortran order) of a ``(4, n)`` work array: the
  softmax runs over four contiguous rows, several times faster than over rows of four.

Speed is the point of both: the model calls ``predict_proba`` once per step for 100,000
holders. :class:`LogisticPolicy` keeps scikit-learn's ``LogisticRegression`` fit (on
standardised features) and folds the scaling into its coefficients, so prediction is one
matrix product and an in-place softmax without scikit-learn's per-call checks.
:class:`GradientBoostedPolicy` fits scikit-learn's ``HistGradientBoostingClassifier`` and
predicts with the compiled lookup tables of :mod:`gramabm.policies.trees` (identical
probabilities to 1e-9). A plain float64 ndarray of the right width takes a fast path that only
checks finiteness; anything else (lists, DataFrames, other dtypes) goes through scikit-learn's
``validate_data``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from gramabm.errors import ConfigError, DataValidationError
from gramabm.policies.base import ACTIONS, Action
from gramabm.policies.trees import CompiledEnsemble, compile_hist_gradient_boosting

N_ACTIONS: int = len(ACTIONS)
"""Columns of every policy's ``predict_proba``."""

_NAME_TO_CODE: dict[str, int] = {name: int(a) for name, a in zip(ACTIONS, Action, strict=True)}


def action_codes(y: Any) -> np.ndarray:
    """Labels as int64 action codes.

    Args:
        y: Action codes (integers ``0..3``, integral floats, :class:`Action` members) or
            action names (case-insensitive).

    Returns:
        The codes, one per label.

    Raises:
        DataValidationError: A label is not an action.
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        arr = arr.ravel()
    if arr.dtype.kind == "f" and type_of_target(arr) == "continuous":
        raise DataValidationError(
            "labels", "Unknown label type: continuous values are not action codes 0..3"
        )
    if arr.dtype.kind in "OUS":
        names = np.char.lower(arr.astype(str))
        bad = sorted({str(v) for v in names if v not in _NAME_TO_CODE})
        if not bad:
            return np.array([_NAME_TO_CODE[v] for v in names], dtype=np.int64)
        if all(_is_int_text(v) for v in bad):
            arr = names.astype(np.int64)
        else:
            raise DataValidationError(
                "labels", f"not actions: {bad[:5]} (use codes 0..3 or names {', '.join(ACTIONS)})"
            )
    whole = arr.dtype.kind != "f" or (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))
    if not whole:
        raise DataValidationError("labels", "float labels must be whole action codes 0..3")
    if arr.dtype.kind not in "iufb":
        raise DataValidationError("labels", f"labels of dtype {arr.dtype} are not action codes")
    codes = arr.astype(np.int64)
    bad_codes = np.unique(codes[(codes < 0) | (codes >= N_ACTIONS)])
    if bad_codes.size:
        raise DataValidationError(
            "labels",
            f"codes {bad_codes[:5].tolist()} are not actions (0..{N_ACTIONS - 1}: "
            f"{', '.join(ACTIONS)})",
        )
    return codes


def _is_int_text(text: str) -> bool:
    return text.lstrip("+-").isdigit()


def softmax_columns(Z: np.ndarray) -> np.ndarray:
    """Softmax down each column of ``Z`` (shape ``(k, n)``), in place; returns ``Z``.

    ``-inf`` logits (absent actions) become probability 0.
    """
    m = Z.max(axis=0)
    Z -= m
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=0)
    return Z


class _ActionClassifier(ClassifierMixin, BaseEstimator):
    """Shared label handling, input checks and softmax of the learned policies."""

    def _fit_data(
        self, X: Any, y: Any, sample_weight: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        codes = action_codes(y)
        self.classes_ = np.arange(N_ACTIONS)
        self.seen_actions_ = np.unique(codes)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != (X.shape[0],):
                raise ConfigError(
                    f"sample_weight has shape {sample_weight.shape}, expected ({X.shape[0]},)"
                )
            if not np.all(np.isfinite(sample_weight)) or np.any(sample_weight < 0):
                raise ConfigError("sample_weight must be finite and non-negative")
        return X, codes, sample_weight

    def _checked_input(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "seen_actions_")
        if (
            type(X) is np.ndarray
            and X.dtype == np.float64
            and X.ndim == 2
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
        ):
            # The model's hot path: skip validate_data's copies and checks, keep the finiteness test.
            if not np.isfinite(X).all():
                raise ValueError("Input X contains NaN or infinity.")
            return X
        return validate_data(self, X, reset=False, dtype=np.float64)

    def _logits(self, X: np.ndarray) -> np.ndarray:
        """Action logits, shape ``(N_ACTIONS, n)``; ``-inf`` for actions never seen."""
        raise NotImplementedError

    def predict_proba(self, X: Any) -> np.ndarray:
        """Action probabilities, shape ``(n, 4)`` in :class:`Action` order, rows summing to one.

        Args:
            X: Features, shape ``(n, n_features_in_)``, finite.

        Returns:
            A Fortran-ordered ``(n, 4)`` array (the transpose of the work array).
        """
        return softmax_columns(self._logits(self._checked_input(X))).T

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log of :meth:`predict_proba` (``-inf`` for actions never seen in training)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most likely action code per row."""
        proba = self.predict_proba(X)  # checks fitting first
        return self.classes_[proba.argmax(axis=1)]


class LogisticPolicy(_ActionClassifier):
    """Multinomial logistic regression over the actions, with a fast numpy prediction.

    The fit standardises ``X`` (weighted mean and standard deviation; constant columns keep a
    scale of one) so that the L2 penalty treats features alike, fits scikit-learn's
    ``LogisticRegression`` (lbfgs) and folds the scaling back: ``coef_`` and ``intercept_`` act
    on raw features. With two actions seen, scikit-learn's single binary logit becomes the second
    action's logit against zero for the first (the same probabilities). With one action seen,
    that action gets probability one.

    Args:
        C: Inverse L2 regularisation strength (on standardised features).
        class_weight: ``None``, ``"balanced"`` or a dict from action code to weight.
        max_iter: Most lbfgs iterations.
        tol: lbfgs tolerance.

    Attributes:
        coef_: Shape ``(4, n_features_in_)``, rows in Action order (zero for absent actions).
        intercept_: Shape ``(4,)`` (``-inf`` for absent actions).
        seen_actions_: Action codes present in the training labels.
        n_iter_: Iterations lbfgs used (0 when one action was seen).
    """

    def __init__(
        self,
        C: float = 1.0,
        class_weight: dict[int, float] | str | None = None,
        max_iter: int = 1000,
        tol: float = 1e-6,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LogisticPolicy:
        """Fit on features ``X`` and action labels ``y``.

        Args:
            X: Features, shape ``(n, d)``.
            y: Action codes or names.
            sample_weight: Optional non-negative weight per row.

        Returns:
            self.

        Raises:
            ConfigError: A parameter is out of range.
            DataValidationError: A label is not an action.
        """
        if not isinstance(self.C, Real) or not self.C > 0:
            raise ConfigError(f"C must be a positive number, got {self.C!r}")
        X, codes, sample_weight = self._fit_data(X, y, sample_weight)
        seen = self.seen_actions_
        w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        total = w.sum()
        mean = (w @ X) / total if total > 0 else X.mean(axis=0)
        var = (w @ (X - mean) ** 2) / total if total > 0 else X.var(axis=0)
        scale = np.sqrt(var)
        scale[~(scale > 1e-12 * (1.0 + np.abs(mean)))] = 1.0  # constant columns: leave as is

        coef = np.zeros((N_ACTIONS, X.shape[1]))
        intercept = np.full(N_ACTIONS, -np.inf)
        self.n_iter_ = 0
        if seen.size == 1:
            intercept[seen[0]] = 0.0
        else:
            model = LogisticRegression(
                C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, tol=self.tol
            )
            model.fit((X - mean) / scale, codes, sample_weight=sample_weight)
            raw_coef = model.coef_ / scale
            raw_intercept = model.intercept_ - raw_coef @ mean
            if seen.size == 2:
                intercept[seen[0]] = 0.0
                coef[seen[1]] = raw_coef[0]
                intercept[seen[1]] = raw_intercept[0]
            else:
                coef[seen] = raw_coef
                intercept[seen] = raw_intercept
            self.n_iter_ = int(np.max(model.n_iter_))
        self.coef_: np.ndarray = coef
        self.intercept_: np.ndarray = intercept
        return self

    def _logits(self, X: np.ndarray) -> np.ndarray:
        Z = self.coef_ @ X.T
        Z += self.intercept_[:, None]
        return Z


class GradientBoostedPolicy(_ActionClassifier):
    """Histogram gradient-boosted trees over the actions, predicted through compiled tables.

    Fits scikit-learn's ``HistGradientBoostingClassifier`` (log loss, no early stopping: its
    validation split would be random, which leaks across overlapping forward-looking labels;
    regularise with the parameters instead) and compiles it with
    :func:`~gramabm.policies.trees.compile_hist_gradient_boosting`. The defaults are strongly
    regularised (shallow trees, large leaves, slow learning, no interactions) because the
    signal in gold history is weak; ``interaction_cst="no_interactions"`` also makes the
    compiled form one table per feature, the fastest to evaluate.

    Args:
        learning_rate: Shrinkage of each tree.
        max_iter: Boosting iterations (one tree per action seen per iteration; one in total per
            iteration for two actions).
        max_leaf_nodes: Leaves per tree.
        max_depth: Depth limit per tree (``None``: no limit beyond the leaf count).
        min_samples_leaf: Fewest rows per leaf: an integer count, or a fraction in ``(0, 1)``
            of the training rows (rounded up), so the default scales with the data.
        l2_regularization: L2 penalty on leaf values.
        max_bins: Histogram bins per feature (at most 255).
        interaction_cst: scikit-learn's interaction constraints (``"no_interactions"``,
            ``"pairwise"``, a list of feature sets, or ``None``).
        class_weight: ``None``, ``"balanced"`` or a dict from action code to weight.
        random_state: Seed for scikit-learn's internal randomness (unused without
            subsampling, kept for determinism).

    Attributes:
        model_: The fitted ``HistGradientBoostingClassifier`` (``None`` when one action was seen).
        compiled_: Its compiled tables (rebuilt from ``model_`` when a saved policy is loaded).
        seen_actions_: Action codes present in the training labels.
        n_iter_: Boosting iterations done.
    """

    def __init__(
        self,
        learning_rate: float = 0.03,
        max_iter: int = 100,
        max_leaf_nodes: int | None = 4,
        max_depth: int | None = None,
        min_samples_leaf: float = 0.02,
        l2_regularization: float = 1.0,
        max_bins: int = 255,
        interaction_cst: Any = "no_interactions",
        class_weight: dict[int, float] | str | None = None,
        random_state: int | None = None,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_bins = max_bins
        self.interaction_cst = interaction_cst
        self.class_weight = class_weight
        self.random_state = random_state

    def _leaf_rows(self, n: int) -> int:
        msl = self.min_samples_leaf
        if isinstance(msl, Integral) and not isinstance(msl, bool) and msl >= 1:
            return int(msl)
        if isinstance(msl, Real) and 0 < msl < 1:
            return max(1, math.ceil(float(msl) * n))
        raise ConfigError(
            f"min_samples_leaf must be an integer >= 1 or a fraction in (0, 1), got {msl!r}"
        )

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> GradientBoostedPolicy:
        """Fit on features ``X`` and action labels ``y``, then compile the ensemble.

        Args:
            X: Features, shape ``(n, d)``.
            y: Action codes or names.
            sample_weight: Optional non-negative weight per row.

        Returns:
            self.

        Raises:
            ConfigError: A parameter is out of range.
            DataValidationError: A label is not an action.
        """
        X, codes, sample_weight = self._fit_data(X, y, sample_weight)
        leaf_rows = self._leaf_rows(X.shape[0])
        self.model_: HistGradientBoostingClassifier | None = None
        self.compiled_: CompiledEnsemble | None = None
        self.n_iter_ = 0
        if self.seen_actions_.size > 1:
            model = HistGradientBoostingClassifier(
                loss="log_loss",
                learning_rate=self.learning_rate,
                max_iter=self.max_iter,
                max_leaf_nodes=self.max_leaf_nodes,
                max_depth=self.max_depth,
                min_samples_leaf=leaf_rows,
                l2_regularization=self.l2_regularization,
                max_bins=self.max_bins,
                interaction_cst=self.interaction_cst,
                categorical_features=None,
                early_stopping=False,
                class_weight=self.class_weight,
                random_state=self.random_state,
            )
            model.fit(X, codes, sample_weight=sample_weight)
            self.model_ = model
            self.compiled_ = compile_hist_gradient_boosting(model)
            self.n_iter_ = int(model.n_iter_)
        return self

    def _logits(self, X: np.ndarray) -> np.ndarray:
        seen = self.seen_actions_
        if self.compiled_ is None:  # one action seen: it is certain
            Z = np.full((N_ACTIONS, X.shape[0]), -np.inf)
            Z[seen[0]] = 0.0
            return Z
        if seen.size == N_ACTIONS:
            return self.compiled_.raw_scores(X)
        raw = self.compiled_.raw_scores(X)
        Z = np.full((N_ACTIONS, X.shape[0]), -np.inf)
        if seen.size == 2:  # binary ensemble: one raw score, the logit of the second action
            Z[seen[0]] = 0.0
            Z[seen[1]] = raw[0]
        else:
            Z[seen] = raw
        return Z

    def __getstate__(self) -> dict[str, Any]:
        # The compiled tables are derived data: files keep only the scikit-learn ensemble.
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__ itself
        state.pop("compiled_", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "seen_actions_" in state:
            model = state.get("model_")
            self.compiled_ = compile_hist_gradient_boosting(model) if model is not None else None
