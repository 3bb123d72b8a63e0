"""The default learned holder policy: trained on the built-in gold history on first use, cached.

``gramabm stress`` needs a learned policy without asking the user to train one. This module trains
it from the built-in data (:func:`gramabm.data.loaders.load_builtin`) with a fixed **recipe**
(:class:`DefaultRecipe`: the logistic family and the labelling rule of
:mod:`gramabm.policies.labels`), saves it through :mod:`gramabm.policies.io` (a skops file with
metadata; never a pickle) under the user cache directory, and loads it from there afterwards:

    <cache>/policies/default-<key>.skops      (<cache> = gramabm.data.loaders.default_cache_dir())

**The cache key** (:func:`cache_key`) is a SHA-256 over everything the file depends on: the data
(dates, prices and source: :func:`gramabm.data.digest.data_digest`), the recipe, the recipe format
(:data:`RECIPE_VERSION`, raised whenever the training code changes what it produces) and the
versions of gramabm, scikit-learn and numpy. Any change gives a new key, hence a new file: a stale
policy is never reused. The key is also stored in the file's metadata (``extra.default_key``) and
checked on load.

**A damaged or tampered cache file** fails :func:`gramabm.policies.io.load_policy_file`'s checks
(digest, format, type allow-list); :func:`load_default_policy` then warns
(:class:`DefaultPolicyRebuiltWarning`), rebuilds the file and loads the new one. It never uses a
file that failed a check.

**Training window.** The built-in series runs from 1977 to 2012: gold's 1980-2001 bear market
and the 2001-2011 bull market. A split that held out the latest quarter trained on rows ending in
2004, mostly the bear market, and the policy it gave sold into any rising market. The recipe
holds out every fourth trading year instead (:meth:`gramabm.policies.training.dataset.TrainingSet.split`
with ``block_rows = 252``, purged on both sides), so both regimes train and both are scored.

**Labels** (:mod:`gramabm.policies.labels`): for each trading day, the action a CRRA holder would
have wanted given the next ``horizon = 5`` days of gold: ``sell`` when the token's certainty
equivalent (forward log return less ``(gamma - 1) / 2`` times realised variance, shifted by
the synthetic token state: peg deviation, incident news, neighbours' panic) is below
``-threshold = -2%``, ``buy`` above ``+2%``, ``hold`` between; ``redeem`` replaces ``sell`` under a
discount deeper than the redemption fee. Half of the rows carry a synthetic token state
(``token_mode = "augment"``, :mod:`gramabm.policies.features`).

**Behavioural parameters.** A learned policy has no ``risk_aversion`` or ``herding`` knob of its
own: they are preferences of the holder whose ideal actions label the history. So the
configuration's ``holders.risk_aversion`` and ``holders.herding`` (the two parameters the
calibration fits, docs/model.md D6) set the labelling rule (:func:`recipe_for`):

* label risk aversion ``gamma = BASE_LABEL_RISK_AVERSION * holders.risk_aversion``
  (``3.0 * 1.0 = 3.0`` at the configuration default, the label rule's own default);
* label ``panic_discount = PANIC_DISCOUNT_PER_HERDING * holders.herding`` (``0.04 * 0.5 = 0.02``
  at the default): the extra discount a holder expects when all its neighbours panic, i.e. how
  much neighbours' panic should move it.

At the configuration defaults the recipe is ``gramabm policy train``'s defaults plus the
interleaved split, so ``gramabm policy train --block-rows 252 --out FILE`` and the default policy
are the same model. Each distinct
(herding, risk aversion) pair is its own cached file. Training takes well under a second.

Build or rebuild it explicitly with ``gramabm policy build-default`` (see
:mod:`gramabm.cli.policy`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gramabm.data.digest import data_digest
from gramabm.errors import ConfigError
from gramabm.policies.io import PolicyFile, PolicyFileError, library_versions, load_policy_file
from gramabm.policies.labels import LabelRule

if TYPE_CHECKING:
    import pandas as pd

    from gramabm.config import HolderConfig
    from gramabm.policies.training import TrainingReport

DEFAULT_POLICY_NAME: str = "default"
"""The ``holders.policy`` value that selects this policy."""

RECIPE_VERSION: int = 2
"""Version of the training recipe; part of the cache key (raise it when training changes)."""

BASE_LABEL_RISK_AVERSION: float = 3.0
"""Label risk aversion (CRRA gamma) at ``holders.risk_aversion = 1``."""

PANIC_DISCOUNT_PER_HERDING: float = 0.04
"""Label ``panic_discount`` per unit of ``holders.herding`` (0.02 at the default 0.5)."""

CACHE_SUBDIR: str = "policies"
"""Folder of the cached policy files under the cache directory."""


class DefaultPolicyRebuiltWarning(UserWarning):
    """A cached default policy was unusable (damaged, tampered with, foreign) and was rebuilt."""


@dataclass(frozen=True)
class DefaultRecipe:
    """How the default policy is trained (see :func:`gramabm.policies.training.train_policy`).

    Args:
        family: Policy family (``"logistic"``: fast to train and to evaluate).
        horizon: Label look-ahead (trading days).
        risk_aversion: Label risk aversion (CRRA gamma).
        threshold: Certainty equivalent a holder must clear to act.
        panic_discount: Expected extra discount when all neighbours panic (herding).
        token_mode: How token features are filled (``"augment"``: synthetic token states).
        validation_share: Share of rows held out for the scores.
        block_rows: Rows per block of the interleaved split (252: a trading year; every fourth
            year is held out, so gold's bull and bear years are in both parts).
        seed: Seed of the synthetic token draws.
    """

    family: str = "logistic"
    horizon: int = 5
    risk_aversion: float = BASE_LABEL_RISK_AVERSION
    threshold: float = 0.02
    panic_discount: float = 0.02
    token_mode: str = "augment"
    validation_share: float = 0.25
    block_rows: int = 252
    seed: int = 0

    def rule(self) -> LabelRule:
        """The labelling rule of the recipe (validated).

        Raises:
            ConfigError: A label parameter is out of range.
        """
        return LabelRule(
            horizon=self.horizon,
            risk_aversion=self.risk_aversion,
            threshold=self.threshold,
            panic_discount=self.panic_discount,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return asdict(self)


def recipe_for(herding: float, risk_aversion: float) -> DefaultRecipe:
    """The recipe for the configuration's behavioural parameters (see the module docstring).

    Args:
        herding: ``holders.herding`` (>= 0).
        risk_aversion: ``holders.risk_aversion`` (>= 0).

    Returns:
        The recipe with the mapped label risk aversion and panic discount.

    Raises:
        ConfigError: A parameter is negative, not finite, or maps outside the label rule's range.
    """
    for name, value in (("herding", herding), ("risk_aversion", risk_aversion)):
        if not (math.isfinite(value) and value >= 0):
            raise ConfigError(f"holders.{name} must be a finite number >= 0, got {value!r}")
    recipe = replace(
        DefaultRecipe(),
        risk_aversion=round(BASE_LABEL_RISK_AVERSION * float(risk_aversion), 12),
        panic_discount=round(PANIC_DISCOUNT_PER_HERDING * float(herding), 12),
    )
    recipe.rule()  # panic_discount must stay a fraction
    return recipe


def cache_key(recipe: DefaultRecipe, prices: pd.Series) -> str:
    """The cache key of a recipe trained on a series (see the module docstring).

    Args:
        recipe: The training recipe.
        prices: The training data.

    Returns:
        A hex SHA-256.
    """
    versions = library_versions()
    payload = {
        "recipe_version": RECIPE_VERSION,
        "recipe": recipe.to_dict(),
        "data": data_digest(prices),
        "versions": {k: versions[k] for k in ("gramabm", "sklearn", "numpy")},
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _builtin() -> pd.Series:
    from gramabm.data.loaders import load_builtin

    return load_builtin()


def cache_directory(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Folder of the cached default policies.

    Args:
        cache_dir: Cache root; default :func:`gramabm.data.loaders.default_cache_dir`.

    Returns:
        ``<cache root>/policies`` (not created).
    """
    from gramabm.data.loaders import cache_root

    root = cache_root(cache_dir)
    return root / CACHE_SUBDIR


def default_policy_path(
    recipe: DefaultRecipe | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    prices: pd.Series | None = None,
) -> Path:
    """The cache file of a recipe (it may not exist yet).

    Args:
        recipe: The recipe (default :class:`DefaultRecipe`).
        cache_dir: Cache root (default: the user cache directory).
        prices: Training data (default: the built-in series).

    Returns:
        ``<cache root>/policies/default-<first 16 hex digits of the key>.skops``.
    """
    key = cache_key(recipe or DefaultRecipe(), _builtin() if prices is None else prices)
    return cache_directory(cache_dir) / f"default-{key[:16]}.skops"


def train_default_policy(
    recipe: DefaultRecipe | None = None, prices: pd.Series | None = None
) -> tuple[Any, TrainingReport]:
    """Train the default policy in memory (no file).

    Args:
        recipe: The recipe (default :class:`DefaultRecipe`).
        prices: Training data (default: the built-in series).

    Returns:
        ``(policy, report)``; the report holds the held-out scores.

    Raises:
        ConfigError: A recipe parameter is out of range.
        DataValidationError: The data are unusable.
    """
    from gramabm.policies.training import train_policy

    recipe = recipe or DefaultRecipe()
    return train_policy(
        _builtin() if prices is None else prices,
        recipe.family,
        rule=recipe.rule(),
        token_mode=recipe.token_mode,  # type: ignore[arg-type]
        validation_share=recipe.validation_share,
        block_rows=recipe.block_rows,
        seed=recipe.seed,
    )


def build_default_policy(
    recipe: DefaultRecipe | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    prices: pd.Series | None = None,
) -> Path:
    """Train the default policy and (over)write its cache file.

    Args:
        recipe: The recipe (default :class:`DefaultRecipe`).
        cache_dir: Cache root (default: the user cache directory).
        prices: Training data (default: the built-in series).

    Returns:
        The file written.

    Raises:
        PolicyFileError: The file cannot be written.
    """
    from gramabm.policies.io import save_policy

    recipe = recipe or DefaultRecipe()
    data = _builtin() if prices is None else prices
    policy, report = train_default_policy(recipe, data)
    key = cache_key(recipe, data)
    path = cache_directory(cache_dir) / f"default-{key[:16]}.skops"
    extra = {"default_key": key, "recipe": recipe.to_dict(), "recipe_version": RECIPE_VERSION}
    return save_policy(policy, path, report, extra=extra)


def load_default_policy(
    recipe: DefaultRecipe | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    prices: pd.Series | None = None,
) -> PolicyFile:
    """The default policy: from the cache when the file is there and sound, else built first.

    Args:
        recipe: The recipe (default :class:`DefaultRecipe`).
        cache_dir: Cache root (default: the user cache directory).
        prices: Training data (default: the built-in series).

    Returns:
        The loaded policy file (policy and metadata).

    Warns:
        DefaultPolicyRebuiltWarning: A cached file failed a check and was rebuilt.

    Raises:
        PolicyFileError: The rebuilt file cannot be written or read back.
    """
    recipe = recipe or DefaultRecipe()
    data = _builtin() if prices is None else prices
    key = cache_key(recipe, data)
    path = cache_directory(cache_dir) / f"default-{key[:16]}.skops"
    if path.is_file():
        try:
            loaded = load_policy_file(path)
        except PolicyFileError as exc:
            problem = exc.problem
        else:
            if (loaded.metadata.get("extra") or {}).get("default_key") == key:
                return loaded
            problem = "its metadata names another recipe or data set"
        warnings.warn(
            f"{path}: cached default policy refused ({problem}); rebuilding it",
            DefaultPolicyRebuiltWarning,
            stacklevel=2,
        )
    built = build_default_policy(recipe, cache_dir=cache_dir, prices=data)
    return load_policy_file(built)


def default_policy_for(
    holders: HolderConfig, *, cache_dir: str | os.PathLike[str] | None = None
) -> Any:
    """The default policy for a holder configuration (what ``holders.policy = "default"`` runs).

    Args:
        holders: The holder configuration (its ``herding`` and ``risk_aversion`` set the recipe).
        cache_dir: Cache root (default: the user cache directory).

    Returns:
        The policy (an estimator with ``predict_proba``).
    """
    recipe = recipe_for(holders.herding, holders.risk_aversion)
    return load_default_policy(recipe, cache_dir=cache_dir).policy
