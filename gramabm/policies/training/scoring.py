"""Out-of-sample scores of action probabilities: log loss, Brier score and per-action ROC AUC."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gramabm.policies.base import ACTIONS
from gramabm.policies.learned import action_codes

_EPS = 1e-15  # probability clip of the log losses (scikit-learn's convention for float64)


@dataclass(frozen=True)
class ActionScore:
    """One action's one-against-rest scores on held-out rows.

    Args:
        action: The action name.
        share: Fraction of held-out rows with this label.
        mean_proba: Mean predicted probability of the action.
        log_loss: Binary cross-entropy of the action's probability.
        brier: Mean squared error of the action's probability.
        auc: ROC AUC, ``None`` when the held-out rows have only one side.
    """

    action: str
    share: float
    mean_proba: float
    log_loss: float
    brier: float
    auc: float | None


@dataclass(frozen=True)
class Scores:
    """Out-of-sample scores of one set of probabilities.

    Args:
        log_loss: Multiclass log loss (mean negative log probability of the true action).
        brier: Multiclass Brier score (mean over rows of the summed squared errors).
        per_action: One :class:`ActionScore` per action, in Action order.
    """

    log_loss: float
    brier: float
    per_action: tuple[ActionScore, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {
            "log_loss": self.log_loss,
            "brier": self.brier,
            "per_action": {a.action: asdict(a) for a in self.per_action},
        }


def score_probabilities(proba: np.ndarray, y: np.ndarray) -> Scores:
    """Scores of action probabilities against true action codes.

    Args:
        proba: Shape ``(n, 4)``, rows summing to one.
        y: Action codes.

    Returns:
        The scores.
    """
    from sklearn.metrics import roc_auc_score

    proba = np.asarray(proba, dtype=np.float64)
    y = action_codes(y)
    onehot = np.zeros_like(proba)
    onehot[np.arange(y.size), y] = 1.0
    clipped = np.clip(proba, _EPS, 1.0 - _EPS)
    log_loss = float(-np.mean(np.log(clipped[np.arange(y.size), y])))
    brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    per_action = []
    for k, name in enumerate(ACTIONS):
        truth, p = onehot[:, k], clipped[:, k]
        bce = float(-np.mean(truth * np.log(p) + (1.0 - truth) * np.log1p(-p)))
        both = 0 < truth.sum() < truth.size
        auc = float(roc_auc_score(truth, proba[:, k])) if both else None
        per_action.append(
            ActionScore(
                action=name,
                share=float(truth.mean()),
                mean_proba=float(proba[:, k].mean()),
                log_loss=bce,
                brier=float(np.mean((proba[:, k] - truth) ** 2)),
                auc=auc,
            )
        )
    return Scores(log_loss, brier, tuple(per_action))
