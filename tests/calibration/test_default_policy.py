"""The default learned policy: recipe mapping, cache key, build once, load, refuse and rebuild."""

from __future__ import annotations

import os
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from gramabm.cli.policy import app as policy_app
from gramabm.config import HolderConfig
from gramabm.errors import ConfigError
from gramabm.policies import default as default_mod
from gramabm.policies.base import FEATURES
from gramabm.policies.default import (
    DefaultPolicyRebuiltWarning,
    DefaultRecipe,
    build_default_policy,
    cache_key,
    data_digest,
    default_policy_for,
    default_policy_path,
    load_default_policy,
    recipe_for,
    train_default_policy,
)
from gramabm.policies.io import read_metadata
from gramabm.policies.learned import LogisticPolicy


@pytest.fixture(scope="module")
def prices():
    from gramabm.data.loaders import load_builtin

    return load_builtin()


def test_recipe_at_the_configuration_defaults_is_policy_train_defaults() -> None:
    holders = HolderConfig()
    assert recipe_for(holders.herding, holders.risk_aversion) == DefaultRecipe()
    recipe = recipe_for(2.0, 0.5)
    assert recipe.risk_aversion == pytest.approx(1.5)
    assert recipe.panic_discount == pytest.approx(0.08)
    with pytest.raises(ConfigError, match=r"holders\.herding"):
        recipe_for(-1.0, 1.0)
    with pytest.raises(ConfigError, match="panic_discount"):
        recipe_for(30.0, 1.0)  # an expected discount above 100%


def test_cache_key_follows_recipe_and_data(prices) -> None:
    key = cache_key(DefaultRecipe(), prices)
    assert key == cache_key(DefaultRecipe(), prices.copy())
    assert key != cache_key(recipe_for(1.0, 1.0), prices)
    shifted = prices.copy()
    shifted.iloc[-1] *= 1.0001
    assert data_digest(shifted) != data_digest(prices)
    assert key != cache_key(DefaultRecipe(), shifted)
    # The training split is part of the recipe: the tail-split policy's cache is not reused.
    assert key != cache_key(replace(DefaultRecipe(), block_rows=0), prices)


def test_build_once_then_load_from_cache(tmp_path: Path, prices, monkeypatch) -> None:
    path = default_policy_path(cache_dir=tmp_path, prices=prices)
    assert not path.exists()
    first = load_default_policy(cache_dir=tmp_path, prices=prices)
    assert path.is_file()
    assert first.metadata["extra"]["default_key"] == cache_key(DefaultRecipe(), prices)
    assert (
        first.metadata["scores"]["policy"]["log_loss"]
        < first.metadata["scores"]["rule_based"]["log_loss"]
    )
    stamp = path.stat().st_mtime_ns

    def no_build(*args, **kwargs):
        raise AssertionError("the cached file should have been used")

    monkeypatch.setattr(default_mod, "build_default_policy", no_build)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = load_default_policy(cache_dir=tmp_path, prices=prices)
    assert path.stat().st_mtime_ns == stamp
    X = np.zeros((3, len(FEATURES)))
    np.testing.assert_array_equal(first.policy.predict_proba(X), second.policy.predict_proba(X))


def test_tampered_cache_file_is_refused_and_rebuilt(tmp_path: Path, prices) -> None:
    path = build_default_policy(cache_dir=tmp_path, prices=prices)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    npy = next(n for n in members if n.endswith(".npy"))
    data = bytearray(members[npy])
    data[-1] ^= 0xFF  # flip the last byte of a coefficient array
    members[npy] = bytes(data)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.warns(DefaultPolicyRebuiltWarning, match="do not match the digest"):
        loaded = load_default_policy(cache_dir=tmp_path, prices=prices)
    assert isinstance(loaded.policy, LogisticPolicy)
    read_metadata(path)  # the rebuilt file passes every check


def test_foreign_file_under_the_cache_name_is_rebuilt(tmp_path: Path, prices) -> None:
    path = default_policy_path(cache_dir=tmp_path, prices=prices)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x04not a policy")
    with pytest.warns(DefaultPolicyRebuiltWarning, match="pickle"):
        load_default_policy(cache_dir=tmp_path, prices=prices)
    assert zipfile.is_zipfile(path)


def test_default_policy_for_a_holder_configuration(tmp_path: Path) -> None:
    holders = HolderConfig(herding=1.0, risk_aversion=2.0)
    policy = default_policy_for(holders, cache_dir=tmp_path)
    proba = policy.predict_proba(np.zeros((4, len(FEATURES))))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    (cached,) = (tmp_path / "policies").glob("default-*.skops")
    recipe = read_metadata(cached)["extra"]["recipe"]
    assert recipe["risk_aversion"] == pytest.approx(6.0)
    assert recipe["panic_discount"] == pytest.approx(0.04)


def test_build_default_command(tmp_path: Path) -> None:
    app = typer.Typer()
    app.add_typer(policy_app, name="policy")
    config = tmp_path / "cfg.toml"
    config.write_text("[holders]\nherding = 0.5\nrisk_aversion = 1.0\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "policy",
            "build-default",
            "--config",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
    )
    assert result.exit_code == 0, result.output
    (built,) = (tmp_path / "cache" / "policies").glob("default-*.skops")
    assert f"saved {built}" in result.stdout
    assert "label risk aversion 3" in result.stdout
    assert os.path.getsize(built) > 0


def _excess_fear(policy, p: np.ndarray, **features: float) -> np.ndarray:
    """The panic a holder feeds back when its neighbours' panic is ``p`` (see the holders)."""
    from gramabm.policies.base import Action
    from gramabm.policies.features import calm_row

    calm = policy.predict_proba(calm_row())[0]
    calm_fear = calm[Action.SELL] + calm[Action.REDEEM]
    X = np.repeat(calm_row(), p.size, axis=0)
    for name, value in features.items():
        X[:, FEATURES.index(name)] = value
    X[:, FEATURES.index("neighbour_panic")] = p
    proba = policy.predict_proba(X)
    return np.maximum(proba[:, Action.SELL] + proba[:, Action.REDEEM] - calm_fear, 0) / (
        1 - calm_fear
    )


def test_calibrated_default_policy_panics_only_under_real_stress(prices) -> None:
    from gramabm.config import load_config

    holders = load_config("calibrated").holders
    policy, _ = train_default_policy(recipe_for(holders.herding, holders.risk_aversion), prices)
    p = np.linspace(0.05, 1.0, 20)
    # A calm rising market: the panic fed back is below the neighbours' at every level, so the
    # herd has no self-sustaining panic and any panic dies out.
    rising = {"ret_1d": 0.001, "ret_5d": 0.005, "ret_20d": 0.02, "vol_20d": 0.13, "own_pnl": 0.05}
    assert (_excess_fear(policy, p, **rising) < p).all()
    # A 1-in-100-year fall (gold -24% in five days): panic feeds on itself to a high level.
    fall = {"ret_1d": -0.06, "ret_5d": -0.27, "ret_20d": -0.27, "vol_20d": 0.6, "drawdown": 0.24}
    fed = _excess_fear(policy, p, **fall, own_pnl=-0.24)
    assert (fed[p <= 0.8] > p[p <= 0.8]).all()
