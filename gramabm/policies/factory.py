"""The one place a policy name becomes an estimator.

``holders.policy`` names the behaviour of the holder population: ``"rule_based"`` (the transparent
baseline, built from the behavioural parameters), ``"default"`` (the learned policy trained on the
built-in gold history, cached after its first use), or the path of a policy file (loaded through
skops' allow-list, never unpickled). The model, the run functions and the calibration all call
:func:`policy_for`, so a configuration means the same behaviour wherever it is run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gramabm.errors import ConfigError
from gramabm.policies.rule_based import RuleBasedPolicy

if TYPE_CHECKING:
    import pandas as pd

    from gramabm.config import HolderConfig
    from gramabm.policies.base import HolderPolicy

RULE_BASED = "rule_based"
DEFAULT = "default"


def policy_for(holders: HolderConfig, *, prices: pd.Series | None = None) -> HolderPolicy:
    """The estimator ``holders.policy`` names.

    Args:
        holders: The holder configuration: its ``policy`` names the estimator, its ``herding`` and
            ``risk_aversion`` parameterise the rule-based policy and pick the default's recipe.
        prices: Gold history to train the default policy on instead of the built-in series (then
            trained afresh, not read from the cache).

    Raises:
        ConfigError: If the name is neither a known policy nor an existing file.
    """
    name = holders.policy
    if name == RULE_BASED:
        return RuleBasedPolicy(risk_aversion=holders.risk_aversion, herding=holders.herding)
    if name == DEFAULT:
        if prices is None:
            from gramabm.policies.default import default_policy_for

            return default_policy_for(holders)
        from gramabm.policies.default import recipe_for, train_default_policy

        recipe = recipe_for(holders.herding, holders.risk_aversion)
        return train_default_policy(recipe, prices)[0]
    path = Path(name).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"holders.policy: {name!r} is neither {RULE_BASED!r}, {DEFAULT!r} nor a policy file "
            "(train one with `gramabm policy train --out FILE`)"
        )
    from gramabm.policies.io import load_policy

    return load_policy(path)
