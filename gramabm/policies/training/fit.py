"""Fitting a policy family on the earlier rows and scoring it on the later ones.

Two baselines are scored on the same held-out rows: the rule-based policy with its default
parameters, and the **prior** (the training rows' action frequencies for every row), the bar any
useful policy must clear. The returned policy is the one fitted on the training part only, so its
scores are honest out-of-sample figures; the report records both periods.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError
from gramabm.policies.base import ACTIONS
from gramabm.policies.features import TokenAugmentation, TokenMode
from gramabm.policies.labels import LabelRule
from gramabm.policies.learned import N_ACTIONS, GradientBoostedPolicy, LogisticPolicy
from gramabm.policies.rule_based import RuleBasedPolicy
from gramabm.policies.training.dataset import TrainingSet, build_training_set
from gramabm.policies.training.flows import FlowLabelRule, flow_training_set, load_flows_csv
from gramabm.policies.training.report import TrainingReport
from gramabm.policies.training.scoring import score_probabilities

Family = Literal["logistic", "gbt"]
FAMILIES: dict[str, type] = {"logistic": LogisticPolicy, "gbt": GradientBoostedPolicy}
"""Learned policy families by name."""


def make_policy(family: str, params: dict[str, Any] | None = None) -> Any:
    """An unfitted learned policy of a family.

    Args:
        family: ``"logistic"`` or ``"gbt"``.
        params: Constructor parameters.

    Returns:
        The estimator.

    Raises:
        ConfigError: Unknown family or parameter.
    """
    if family not in FAMILIES:
        raise ConfigError(f"unknown policy family {family!r}; use one of {', '.join(FAMILIES)}")
    cls = FAMILIES[family]
    try:
        return cls(**(params or {}))
    except TypeError as exc:
        raise ConfigError(f"bad parameters for the {family} policy: {exc}") from exc


def fit_and_score(
    data: TrainingSet,
    family: str = "logistic",
    *,
    params: dict[str, Any] | None = None,
    validation_share: float = 0.25,
    block_rows: int = 0,
) -> tuple[Any, TrainingReport]:
    """Fit a policy on the training rows and score it on the held-out ones.

    Args:
        data: Labelled rows in time order.
        family: ``"logistic"`` or ``"gbt"``.
        params: Policy constructor parameters.
        validation_share: Fraction of rows held out.
        block_rows: 0 holds out the latest rows; a positive count holds out interleaved blocks
            of that many rows (:meth:`TrainingSet.split`).

    Returns:
        ``(policy, report)``; the policy is fitted on the training rows only.
    """
    policy = make_policy(family, params)
    train, valid = data.split(validation_share, block_rows)
    policy.fit(train.X.to_numpy(), train.y)
    X_valid = valid.X.to_numpy()
    shares = np.bincount(train.y, minlength=N_ACTIONS) / len(train)
    report = TrainingReport(
        family=family,
        params=policy.get_params(),
        source=data.source,
        labelling=data.labelling,
        train=train.period,
        validation=valid.period,
        policy=score_probabilities(policy.predict_proba(X_valid), valid.y),
        baseline=score_probabilities(
            RuleBasedPolicy().fit(X_valid).predict_proba(X_valid), valid.y
        ),
        prior=score_probabilities(np.tile(shares, (len(valid), 1)), valid.y),
        train_shares={a: float(s) for a, s in zip(ACTIONS, shares, strict=True)},
    )
    return policy, report


def train_policy(
    prices: pd.Series,
    family: str = "logistic",
    horizon: int = 5,
    *,
    risk_aversion: float = 3.0,
    threshold: float = 0.02,
    rule: LabelRule | None = None,
    token_mode: TokenMode = "augment",
    augmentation: TokenAugmentation | None = None,
    validation_share: float = 0.25,
    block_rows: int = 0,
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> tuple[Any, TrainingReport]:
    """Train a policy on a gold series and score it on held-out years.

    Args:
        prices: Gold prices (USD per troy ounce) on an ascending DatetimeIndex.
        family: ``"logistic"`` or ``"gbt"``.
        horizon: Label look-ahead in rows (ignored when ``rule`` is given).
        risk_aversion: Label risk aversion (ignored when ``rule`` is given).
        threshold: Label switching threshold (ignored when ``rule`` is given).
        rule: The full labelling rule, overriding the three arguments above.
        token_mode: How to fill token features (``"zeros"`` or ``"augment"``).
        augmentation: Synthetic distributions for ``"augment"``.
        validation_share: Fraction of labelled rows held out.
        block_rows: 0 holds out the latest rows; a positive count holds out interleaved blocks
            of that many rows (every regime then trains and is scored).
        seed: Seed of the synthetic token draws.
        params: Policy constructor parameters.

    Returns:
        ``(policy, report)``.

    Raises:
        DataValidationError: The series is unusable or too short.
        ConfigError: A parameter is out of range.
    """
    rule = rule or LabelRule(horizon=horizon, risk_aversion=risk_aversion, threshold=threshold)
    data = build_training_set(
        prices, rule, token_mode=token_mode, augmentation=augmentation, seed=seed
    )
    return fit_and_score(
        data, family, params=params, validation_share=validation_share, block_rows=block_rows
    )


def train_policy_from_flows(
    flows: str | os.PathLike[str] | pd.DataFrame,
    prices: pd.Series | None = None,
    family: str = "logistic",
    *,
    rule: FlowLabelRule | None = None,
    token_mode: TokenMode = "zeros",
    validation_share: float = 0.25,
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> tuple[Any, TrainingReport]:
    """Train a policy on observed daily flows (format in :mod:`gramabm.policies.training.flows`).

    Args:
        flows: A flows CSV path, or a table from :func:`load_flows_csv`.
        prices: Gold prices when the flows have no ``price`` column.
        family: ``"logistic"`` or ``"gbt"``.
        rule: How flows become actions.
        token_mode: How to fill token features the flows do not carry.
        validation_share: Fraction of rows held out at the end.
        seed: Seed of synthetic token draws (``"augment"`` only).
        params: Policy constructor parameters.

    Returns:
        ``(policy, report)``.

    Raises:
        DataValidationError: The file or the prices are unusable.
        ConfigError: A parameter is out of range.
    """
    table = flows if isinstance(flows, pd.DataFrame) else load_flows_csv(Path(flows))
    data = flow_training_set(table, prices, rule, token_mode=token_mode, seed=seed)
    return fit_and_score(data, family, params=params, validation_share=validation_share)
