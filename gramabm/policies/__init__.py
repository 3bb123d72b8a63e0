"""Holder behaviour policies: estimators mapping what a holder observes to action probabilities."""

from gramabm.policies.base import ACTIONS, FEATURES, Action, HolderPolicy
from gramabm.policies.rule_based import RuleBasedPolicy

__all__ = ["ACTIONS", "FEATURES", "Action", "HolderPolicy", "RuleBasedPolicy"]
