"""The rule-based baseline policy: a documented multinomial-logit rule with behavioural parameters.

Each action gets a score (a logit) built from the features; the probabilities are the softmax of the
scores with ``hold`` fixed at zero. The coefficients below are the whole rule:

* **sell** rises with recent gold falls (``-ret_5d``), drawdown, volatility above its calm level, a
  discount of the token to gold, fresh incident news and own losses, all scaled by ``risk_aversion``;
  plus ``herding`` times the neighbours' panic. In calm markets the rule sells with about 2% chance.
* **buy** follows 20-day momentum (gold as a safe haven draws buyers after rises) and bargain-hunting
  of a discount when there is no incident news.
* **redeem** rises with a discount beyond fees and with incident news (a run on the reserve); the
  model only lets holders with primary access redeem.

It is the baseline every learned policy is scored against.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from gramabm.policies.base import ACTIONS, FEATURE_INDEX, FEATURES, HOLDER_FEATURES, shared_zeros

_CALM_VOL = 0.15  # annualised gold volatility in calm years (docs/model.md D5: 15–20%)


def _clipped_exp(logit: np.ndarray | np.floating) -> np.ndarray | np.floating:
    """``np.exp(np.clip(logit, -60, 60))`` bit for bit, in place on a logit array.

    The logits are new arrays of :meth:`RuleBasedPolicy._logits`, so they may be overwritten. A
    shared logit is one number: clipped with ``min``/``max`` (the same value, NaN kept), since
    ``np.clip`` on a scalar costs microseconds.
    """
    if isinstance(logit, np.ndarray):
        np.clip(logit, -60.0, 60.0, out=logit)
        return np.exp(logit, out=logit)
    return np.exp(min(max(float(logit), -60.0), 60.0))


def _rows_of(value: np.ndarray | np.floating, rows: np.ndarray) -> np.ndarray | np.floating:
    """``value[rows]`` of a per-row array; a shared value (one number) as it is."""
    return value[rows] if isinstance(value, np.ndarray) else value


def _own_array(value: np.ndarray | np.floating) -> np.ndarray | None:
    """``value`` as an ``out`` argument: itself if it is an array, else None (a new one)."""
    return value if isinstance(value, np.ndarray) else None


class RuleBasedPolicy(ClassifierMixin, BaseEstimator):
    """Hand-written holder rule, vectorised over the population.

    Args:
        risk_aversion: Scales every fear term of the sell score.
        herding: Weight of neighbours' panic in the sell score.
        base_logit: Score of buy and sell when nothing happens (calm activity level).
        redeem_base_logit: Score of redeem when nothing happens.
    """

    def __init__(
        self,
        risk_aversion: float = 1.0,
        herding: float = 0.5,
        base_logit: float = -4.0,
        redeem_base_logit: float = -7.0,
    ) -> None:
        self.risk_aversion = risk_aversion
        self.herding = herding
        self.base_logit = base_logit
        self.redeem_base_logit = redeem_base_logit

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> RuleBasedPolicy:
        """Nothing is learned; records the feature count and classes as scikit-learn expects."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(FEATURES):
            raise ValueError(f"X must have shape (n, {len(FEATURES)}), got {X.shape}")
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.arange(len(ACTIONS))
        return self

    def _logits(self, col: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The buy, sell and redeem logits (hold is zero) from the feature columns by name.

        The one statement of the rule. A column may be one number (a numpy scalar) standing for
        every row (see :meth:`predict_proba_population`); each logit then has one value or one
        per row, as its inputs have, and every row gets the same operations in the same order
        either way.
        """
        discount_bp = np.maximum(-col["deviation_bp"], 0.0)
        incident = col["incident"]
        fear = -8.0 * col["ret_5d"]
        fear += 3.0 * np.maximum(col["drawdown"], 0.0)
        fear += 2.0 * np.maximum(col["vol_20d"] - _CALM_VOL, 0.0)
        fear += 0.004 * discount_bp
        fear += 1.5 * incident
        # From here on the arrays are one per row (the holders' own columns): each term is added
        # in place into a new array, in the same order (a sum's operands commute bit for bit).
        loss = np.negative(col["own_pnl"])
        np.maximum(loss, shared_zeros(loss.shape), out=loss)  # same values; faster than 0.0
        loss *= 2.0
        loss += fear
        sell = loss
        if self.risk_aversion != 1.0:  # times one changes no bit (the default): a pass saved
            sell *= self.risk_aversion
        sell += self.base_logit
        herd = (3.0 * self.herding) * col["neighbour_panic"]
        sell += herd
        buy = col["ret_20d"] * 10.0
        buy = buy + self.base_logit
        buy = buy + 0.003 * discount_bp * (1.0 - incident)
        redeem = discount_bp * 0.01
        redeem = redeem + self.redeem_base_logit
        redeem = redeem + 2.0 * incident
        return buy, sell, redeem

    def _scores_by_action(self, X: np.ndarray) -> np.ndarray:
        """Logits as an ``(actions, n)`` array.

        Each action's row is contiguous, which keeps the per-step call over 100,000 holders to a
        few vector operations.
        """
        X = np.asarray(X, dtype=float)
        buy, sell, redeem = self._logits({name: X[:, i] for name, i in FEATURE_INDEX.items()})
        out = np.empty((len(ACTIONS), X.shape[0]))
        out[0] = 0.0
        out[1] = buy
        out[2] = sell
        out[3] = redeem
        return out

    def scores(self, X: np.ndarray) -> np.ndarray:
        """The logits of every action, shape ``(n, 4)`` (hold is zero)."""
        return self._scores_by_action(X).T

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Softmax of :meth:`scores`: action probabilities per row."""
        s = self._scores_by_action(X)
        np.clip(s, -60.0, 60.0, out=s)  # logits stay in exp's range, so no max-shift is needed
        np.exp(s, out=s)
        s /= s.sum(axis=0)
        return s.T

    def predict_proba_population(self, X: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` of the model's population matrix, bit for bit, in less time.

        Every column but :data:`~gramabm.policies.base.HOLDER_FEATURES` stands for one value in
        all rows and is read from the first row only (the model writes nothing else of it), so
        the market's part of each logit, and the whole buy and redeem logits, are computed once
        instead of per holder.
        The softmax adds and divides in :meth:`predict_proba`'s order (hold, buy, sell, redeem).
        """
        X = np.asarray(X, dtype=float)
        n = X.shape[0]
        if n == 0:
            return self.predict_proba(X)
        exps, total = self._population_softmax(X)
        out = np.empty((len(ACTIONS), n))
        np.divide(1.0, total, out=out[0])
        for row, e in enumerate(exps, start=1):
            np.divide(e, total, out=out[row])
        return out.T

    def predict_exit_population(
        self, X: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The sell-or-redeem probability of every row, and every probability of ``rows``.

        Bit for bit ``proba[:, SELL] + proba[:, REDEEM]`` and ``proba[rows].T`` (by action) of
        :meth:`predict_proba_population`, for the same matrix: the model needs every holder's
        exit propensity (its panic) but the whole distribution only of the few that act, so the
        hold and buy divisions are done for those alone.
        """
        X = np.asarray(X, dtype=float)
        if X.shape[0] == 0:
            return np.zeros(0), np.zeros((len(ACTIONS), rows.size))
        exps, total = self._population_softmax(X)
        by_action = np.empty((len(ACTIONS), rows.size))
        total_rows = total[rows]
        np.divide(1.0, total_rows, out=by_action[0])
        np.divide(_rows_of(exps[0], rows), total_rows, out=by_action[1])
        # Into the arrays of the exponential and of the sum, which are not needed after: fewer
        # population-sized arrays for the cache to hold.
        sell = np.divide(exps[1], total, out=_own_array(exps[1]))
        redeem = np.divide(exps[2], total, out=total)
        by_action[2] = sell[rows]
        by_action[3] = redeem[rows]
        return np.add(sell, redeem, out=sell), by_action

    def _population_softmax(
        self, X: np.ndarray
    ) -> tuple[list[np.ndarray | np.floating], np.ndarray]:
        """The buy, sell and redeem exponentials of a population matrix, and the softmax's sum.

        The shared columns are taken as numpy scalars: the same arithmetic bit for bit, without
        the overhead of a one-element array in each of the market part's two dozen operations.
        """
        first = X[0]
        col = {
            name: X[:, i] if name in HOLDER_FEATURES else first[i]
            for name, i in FEATURE_INDEX.items()
        }
        exps = [_clipped_exp(logit) for logit in self._logits(col)]
        total = 1.0 + exps[0]  # exp(0) of hold is exactly one
        for e in exps[1:]:
            # Into the sum's own array once it is one (the same additions, no new array each).
            total = np.add(total, e, out=total) if isinstance(total, np.ndarray) else total + e
        return exps, np.asarray(total)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most likely action per row."""
        return self.predict_proba(X).argmax(axis=1)
