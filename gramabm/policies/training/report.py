"""What a training run fitted on which rows, and how it scored against the baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gramabm.policies.training.scoring import Scores


@dataclass(frozen=True)
class TrainingReport:
    """What was trained on what, and how it scored on the held-out later rows.

    Args:
        family: ``"logistic"`` or ``"gbt"``.
        params: The policy's parameters.
        source: Training data source.
        labelling: The labelling rule's parameters.
        train: Period of the training rows (start, end, rows).
        validation: Period of the held-out rows.
        policy: Scores of the learned policy.
        baseline: Scores of the rule-based policy (default parameters).
        prior: Scores of the training action frequencies.
        train_shares: Action shares in the training rows.
    """

    family: str
    params: dict[str, Any]
    source: str
    labelling: dict[str, Any]
    train: dict[str, Any]
    validation: dict[str, Any]
    policy: Scores
    baseline: Scores
    prior: Scores
    train_shares: dict[str, float]

    @property
    def beats_baseline(self) -> bool:
        """Whether the learned policy's held-out log loss is below the rule-based policy's."""
        return self.policy.log_loss < self.baseline.log_loss

    @property
    def beats_prior(self) -> bool:
        """Whether the learned policy's held-out log loss is below the prior's."""
        return self.policy.log_loss < self.prior.log_loss

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in model files)."""
        return {
            "family": self.family,
            "params": _jsonable(self.params),
            "source": self.source,
            "labelling": _jsonable(self.labelling),
            "train": self.train,
            "validation": self.validation,
            "train_shares": self.train_shares,
            "scores": {
                "policy": self.policy.to_dict(),
                "rule_based": self.baseline.to_dict(),
                "prior": self.prior.to_dict(),
            },
            "beats_baseline": self.beats_baseline,
            "beats_prior": self.beats_prior,
        }

    def lines(self) -> list[str]:
        """A plain-text summary, one line per item."""
        rows = [
            f"family      {self.family}",
            f"source      {self.source}",
            f"train       {self.train['start']} to {self.train['end']} ({self.train['rows']:,} rows)",
            (
                f"validation  {self.validation['start']} to {self.validation['end']} "
                f"({self.validation['rows']:,} rows)"
            ),
            "held-out log loss / Brier:",
        ]
        for name, s in (
            ("policy", self.policy),
            ("rule_based", self.baseline),
            ("prior", self.prior),
        ):
            rows.append(f"  {name:<11} {s.log_loss:8.4f}  {s.brier:7.4f}")
        rows.append("per action (policy): share, log loss, Brier, AUC")
        for a in self.policy.per_action:
            auc = "   n/a" if a.auc is None else f"{a.auc:6.3f}"
            rows.append(f"  {a.action:<7} {a.share:6.3f} {a.log_loss:8.4f} {a.brier:7.4f} {auc}")
        verdict = "beats" if self.beats_baseline else "does NOT beat"
        rows.append(f"the policy {verdict} the rule-based baseline in held-out log loss")
        verdict = "beats" if self.beats_prior else "does NOT beat"
        rows.append(f"the policy {verdict} the prior (training action frequencies)")
        return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)
