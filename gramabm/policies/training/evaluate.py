"""Scoring a saved policy on new data, labelled the way its metadata says it was trained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError
from gramabm.policies.base import ACTIONS
from gramabm.policies.features import TokenAugmentation
from gramabm.policies.labels import LabelRule
from gramabm.policies.rule_based import RuleBasedPolicy
from gramabm.policies.training.dataset import MIN_TRAIN_ROWS, build_training_set
from gramabm.policies.training.flows import FlowLabelRule, flow_training_set
from gramabm.policies.training.scoring import Scores, score_probabilities


@dataclass(frozen=True)
class Evaluation:
    """Scores of a saved policy on new data.

    Args:
        source: The data scored.
        period: First and last date and rows scored.
        held_out: Whether every scored row is later than the policy's training period.
        policy: Scores of the policy.
        baseline: Scores of the rule-based policy.
        prior: Scores of the training action frequencies (when the file records them).
    """

    source: str
    period: dict[str, Any]
    held_out: bool
    policy: Scores
    baseline: Scores
    prior: Scores | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "period": self.period,
            "held_out": self.held_out,
            "scores": {
                "policy": self.policy.to_dict(),
                "rule_based": self.baseline.to_dict(),
                "prior": None if self.prior is None else self.prior.to_dict(),
            },
        }


def evaluate_policy(
    policy: Any,
    metadata: dict[str, Any],
    data: pd.Series | pd.DataFrame,
    prices: pd.Series | None = None,
) -> Evaluation:
    """Score a saved policy on gold prices or flows, labelled as its metadata says it was trained.

    Only rows after the end of the policy's training period are scored when there are at least
    :data:`MIN_TRAIN_ROWS` of them (a genuine out-of-sample check); otherwise every row is, and
    ``held_out`` is False.

    Args:
        policy: The policy.
        metadata: Its file metadata (``training.labelling`` says how to label).
        data: Gold prices (a Series) or a flows table (from :func:`load_flows_csv`).
        prices: Gold prices for a flows table without a ``price`` column.

    Returns:
        The scores against the rule-based policy and the training prior.

    Raises:
        ConfigError: The metadata has no labelling rule, or it does not fit the data's kind.
        DataValidationError: The data is unusable.
    """
    training = metadata.get("training") or {}
    labelling = dict(training.get("labelling") or {})
    kind = labelling.pop("kind", None)
    token_mode = labelling.pop("token_mode", "zeros")
    seed = int(labelling.pop("seed", 0))
    augmentation = labelling.pop("augmentation", None)
    aug = TokenAugmentation(**augmentation) if augmentation else None
    if isinstance(data, pd.Series):
        if kind != "gold_forward_certainty_equivalent":
            raise ConfigError(
                f"the policy was trained on {kind or 'unrecorded labels'}: "
                "it cannot be scored on gold prices"
            )
        rule = LabelRule(**labelling)
        labelled = build_training_set(
            data, rule, token_mode=token_mode, augmentation=aug, seed=seed
        )
    else:
        if kind != "observed_flows":
            raise ConfigError(
                f"the policy was trained on {kind or 'unrecorded labels'}: "
                "it cannot be scored on flows"
            )
        rule_flows = FlowLabelRule(
            hold_quantile=labelling["hold_quantile"], min_flow_g=labelling["min_flow_g"]
        )
        labelled = flow_training_set(data, prices, rule_flows, token_mode=token_mode, seed=seed)
    end = training.get("train", {}).get("end")
    held_out = False
    if end is not None:
        later = labelled.X.index > pd.Timestamp(end)
        start = int(np.argmax(later)) + labelled.gap if later.any() else len(labelled)
        if len(labelled) - start >= MIN_TRAIN_ROWS:
            labelled = labelled.take(slice(start, len(labelled)))
            held_out = True
    X = labelled.X.to_numpy()
    shares = training.get("train_shares")
    prior = None
    if shares:
        p = np.array([float(shares[a]) for a in ACTIONS])
        prior = score_probabilities(np.tile(p, (len(labelled), 1)), labelled.y)
    return Evaluation(
        source=labelled.source,
        period=labelled.period,
        held_out=held_out,
        policy=score_probabilities(policy.predict_proba(X), labelled.y),
        baseline=score_probabilities(RuleBasedPolicy().fit(X).predict_proba(X), labelled.y),
        prior=prior,
    )
