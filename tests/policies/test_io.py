"""Policy files: skops round trip with metadata; foreign, tampered and other-version files refused."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from gramabm.errors import GramabmError
from gramabm.policies.base import FEATURES
from gramabm.policies.io import (
    FORMAT_VERSION,
    META_MEMBER,
    PolicyFileError,
    load_policy,
    load_policy_file,
    read_metadata,
    save_policy,
)
from gramabm.policies.learned import GradientBoostedPolicy, LogisticPolicy
from gramabm.policies.rule_based import RuleBasedPolicy
from gramabm.policies.training import build_training_set, train_policy
from tests.policies import builtin_prices

MARKER = "gramabm-pwned"


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="module")
def trained() -> dict:
    with threadpool_limits(limits=1, user_api="openmp"):
        return {family: train_policy(builtin_prices(), family) for family in ("logistic", "gbt")}


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    return build_training_set(builtin_prices(), seed=11).X.to_numpy()[::7]


def rewrite(path: Path, target: Path, edit) -> Path:
    """Copy a policy archive, passing every member through ``edit(name, bytes) -> bytes``."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, edit(name, src.read(name)))
    return target


def redigest(path: Path) -> None:
    """Recompute the saved digest, as a deliberate forger would."""
    from gramabm.policies.io import _payload_digest

    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read(META_MEMBER))
        meta["payload_sha256"] = _payload_digest(archive)
        members = {n: archive.read(n) for n in archive.namelist()}
    members[META_MEMBER] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# ----------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("family", ["logistic", "gbt"])
def test_round_trip_gives_identical_probabilities_and_metadata(
    family: str, trained: dict, rows: np.ndarray, tmp_path: Path
) -> None:
    policy, report = trained[family]
    path = save_policy(policy, tmp_path / f"{family}.skops", report)
    loaded = load_policy_file(path)
    assert type(loaded.policy) is type(policy)
    np.testing.assert_array_equal(loaded.policy.predict_proba(rows), policy.predict_proba(rows))
    meta = loaded.metadata
    assert meta["format"] == "gramabm-policy"
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["family"] == family
    assert meta["features"] == list(FEATURES)
    assert meta["actions"] == ["hold", "buy", "sell", "redeem"]
    assert set(meta["versions"]) >= {"gramabm", "sklearn", "numpy", "skops", "python"}
    assert meta["training"]["source"] == "builtin:aer_goldsilver"
    assert meta["training"]["train"] == report.train
    assert meta["training"]["validation"] == report.validation
    assert meta["scores"]["policy"]["log_loss"] == pytest.approx(report.policy.log_loss)
    assert meta["scores"]["rule_based"]["log_loss"] == pytest.approx(report.baseline.log_loss)
    assert read_metadata(path) == meta


def test_loaded_gbt_recompiles_its_tables(trained: dict, rows: np.ndarray, tmp_path: Path) -> None:
    policy, report = trained["gbt"]
    loaded = load_policy(save_policy(policy, tmp_path / "g.skops", report))
    assert isinstance(loaded, GradientBoostedPolicy)
    assert loaded.compiled_ is not loaded.model_
    assert loaded.compiled_.groups
    np.testing.assert_allclose(
        loaded.predict_proba(rows), loaded.model_.predict_proba(rows), rtol=0, atol=1e-9
    )


def test_rule_based_policy_round_trip(rows: np.ndarray, tmp_path: Path) -> None:
    policy = RuleBasedPolicy(risk_aversion=2.0, herding=1.5).fit(rows)
    loaded = load_policy(save_policy(policy, tmp_path / "rule.skops"))
    assert loaded.get_params() == policy.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(rows), policy.predict_proba(rows))
    assert "training" not in read_metadata(tmp_path / "rule.skops")


def test_only_fitted_holder_policies_are_saved(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="not a policy"):
        save_policy(LogisticRegression(), tmp_path / "x.skops")
    X = np.random.default_rng(0).normal(size=(50, 3))
    small = LogisticPolicy().fit(X, np.arange(50) % 2)
    with pytest.raises(PolicyFileError, match="9 holder features"):
        save_policy(small, tmp_path / "x.skops")


# ----------------------------------------------------------------------------- refused files


@pytest.fixture
def saved(trained: dict, tmp_path: Path) -> Path:
    policy, report = trained["logistic"]
    return save_policy(policy, tmp_path / "policy.skops", report)


def test_a_tampered_array_is_refused(saved: Path, tmp_path: Path) -> None:
    def flip(name: str, data: bytes) -> bytes:
        if name.endswith(".npy"):
            return data[:-8] + np.float64(1e6).tobytes()  # overwrite the last number
        return data

    bad = rewrite(saved, tmp_path / "tampered.skops", flip)
    with pytest.raises(PolicyFileError, match="modified or damaged after it was saved"):
        load_policy(bad)


def test_a_file_carrying_foreign_types_is_refused_even_with_a_valid_digest(
    saved: Path, tmp_path: Path
) -> None:
    def swap(name: str, data: bytes) -> bytes:
        if name == "schema.json":
            schema = json.loads(data)
            schema["__module__"], schema["__class__"] = "os", "system"
            return json.dumps(schema).encode()
        return data

    bad = rewrite(saved, tmp_path / "foreign.skops", swap)
    redigest(bad)
    with pytest.raises(PolicyFileError, match=r"not on gramabm's allow-list: os\.system"):
        load_policy(bad)


def test_a_skops_file_from_elsewhere_is_refused(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(40, len(FEATURES)))
    model = LogisticRegression().fit(X, np.arange(40) % 3)
    path = tmp_path / "sklearn.skops"
    sio.dump(model, path)
    with pytest.raises(PolicyFileError, match=r"no gramabm\.json"):
        load_policy(path)
    # Even with forged gramabm metadata, a scikit-learn model is not a holder policy.
    meta = {
        "format": "gramabm-policy",
        "format_version": FORMAT_VERSION,
        "class": "gramabm.policies.learned.LogisticPolicy",
        "features": list(FEATURES),
    }
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(META_MEMBER, json.dumps(meta))
    redigest(path)
    with pytest.raises(PolicyFileError, match="not a gramabm policy"):
        load_policy(path)


class _Exploit:
    def __reduce__(self):
        return (Path.touch, (Path(MARKER),))


def test_a_pickle_is_refused_and_never_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "policy.pkl"
    path.write_bytes(pickle.dumps(_Exploit()))
    with pytest.raises(PolicyFileError, match="pickle file; gramabm never unpickles"):
        load_policy(path)
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize(
    ("version", "match"),
    [
        (FORMAT_VERSION + 98, "written by a newer gramabm"),
        (0, "format version 0 is not supported"),
        ("1", "not an integer"),
    ],
)
def test_another_format_version_gets_a_clear_error(
    saved: Path, tmp_path: Path, version: object, match: str
) -> None:
    def bump(name: str, data: bytes) -> bytes:
        if name == META_MEMBER:
            meta = json.loads(data)
            meta["format_version"] = version
            return json.dumps(meta).encode()
        return data

    with pytest.raises(PolicyFileError, match=match):
        load_policy(rewrite(saved, tmp_path / "v.skops", bump))


def test_another_format_is_refused(saved: Path, tmp_path: Path) -> None:
    def other(name: str, data: bytes) -> bytes:
        if name == META_MEMBER:
            meta = json.loads(data)
            meta["format"] = "someone-else"
            return json.dumps(meta).encode()
        return data

    with pytest.raises(PolicyFileError, match="'someone-else' is not a gramabm policy"):
        read_metadata(rewrite(saved, tmp_path / "o.skops", other))


def test_unreadable_and_non_archive_files(tmp_path: Path, saved: Path) -> None:
    with pytest.raises(PolicyFileError, match="no such file"):
        load_policy(tmp_path / "missing.skops")
    with pytest.raises(PolicyFileError, match="is a directory"):
        load_policy(tmp_path)
    text = tmp_path / "notes.skops"
    text.write_text("hello")
    with pytest.raises(PolicyFileError, match="not a skops zip archive"):
        load_policy(text)
    truncated = tmp_path / "truncated.skops"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(PolicyFileError):
        load_policy(truncated)
    broken = tmp_path / "broken.skops"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr(META_MEMBER, "{not json")
        archive.writestr("schema.json", "{}")
    with pytest.raises(PolicyFileError, match="not valid JSON"):
        load_policy(broken)


def test_errors_are_gramabm_errors_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(GramabmError) as info:
        load_policy(tmp_path / "missing.skops")
    assert str(tmp_path / "missing.skops") in str(info.value)
    assert pickle.loads(pickle.dumps(info.value)).problem == "no such file"
