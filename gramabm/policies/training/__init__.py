"""Training holder policies from history, with out-of-sample scores against the baselines.

Apart from the runtime contract of :mod:`gramabm.policies` (what a policy is and how it is
saved), this package turns data into a fitted policy, one job per module:

* :mod:`~gramabm.policies.training.dataset`: labelled rows from a gold series and their purged,
  time-ordered split;
* :mod:`~gramabm.policies.training.flows`: the flows CSV format and its dominant-flow labels;
* :mod:`~gramabm.policies.training.scoring`: log loss, Brier score and ROC AUC of probabilities;
* :mod:`~gramabm.policies.training.report`: what was fitted on which rows, and its scores;
* :mod:`~gramabm.policies.training.fit`: fit a family and score it against the rule-based
  policy and the prior (:func:`train_policy`, :func:`train_policy_from_flows`);
* :mod:`~gramabm.policies.training.evaluate`: score a saved policy on new data.
"""

from gramabm.policies.training.dataset import MIN_TRAIN_ROWS, TrainingSet, build_training_set
from gramabm.policies.training.evaluate import Evaluation, evaluate_policy
from gramabm.policies.training.fit import (
    FAMILIES,
    Family,
    fit_and_score,
    make_policy,
    train_policy,
    train_policy_from_flows,
)
from gramabm.policies.training.flows import (
    FLOW_COLUMNS,
    FLOW_TOKEN_COLUMNS,
    MAX_PRICE_GAP_DAYS,
    FlowLabelRule,
    flow_labels,
    flow_training_set,
    is_flows_csv,
    load_flows_csv,
)
from gramabm.policies.training.report import TrainingReport
from gramabm.policies.training.scoring import ActionScore, Scores, score_probabilities

__all__ = [
    "FAMILIES",
    "FLOW_COLUMNS",
    "FLOW_TOKEN_COLUMNS",
    "MAX_PRICE_GAP_DAYS",
    "MIN_TRAIN_ROWS",
    "ActionScore",
    "Evaluation",
    "Family",
    "FlowLabelRule",
    "Scores",
    "TrainingReport",
    "TrainingSet",
    "build_training_set",
    "evaluate_policy",
    "fit_and_score",
    "flow_labels",
    "flow_training_set",
    "is_flows_csv",
    "load_flows_csv",
    "make_policy",
    "score_probabilities",
    "train_policy",
    "train_policy_from_flows",
]
