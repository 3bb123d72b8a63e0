"""Policy model files: skops archives with gramabm metadata, loaded without unpickling.

A policy file is a skops archive (a zip of ``schema.json`` plus ``.npy`` arrays; skops rebuilds
objects from that schema, never with ``pickle``) with one extra member, ``gramabm.json``:

* ``format`` (``"gramabm-policy"``) and ``format_version`` (:data:`FORMAT_VERSION`);
* ``class``, ``family``, ``features`` and ``actions`` (the columns the policy expects and returns);
* ``training``: data source, training and validation periods, labelling rule (when saved with a
  :class:`~gramabm.policies.training.TrainingReport`), and ``scores``: its held-out scores;
* ``versions``: gramabm, scikit-learn, numpy, skops and Python at save time; ``created`` (UTC);
* ``payload_sha256``: a digest of the skops members.

Loading checks, in order, and stops at the first failure with a :class:`PolicyFileError` that
says what is wrong: the file is a zip archive (a pickle is named as such and never opened), it
has ``gramabm.json`` and ``schema.json``, the format and version are ones this gramabm reads,
the digest matches (the file was not edited or truncated after saving), every type the archive
would build is on the allow-list :data:`TRUSTED_TYPES` or skops' own default list (numpy
arrays, builtins, scikit-learn's estimators), and the object built is a gramabm policy whose
feature count matches the metadata. The digest detects accidents and casual edits, not a
determined forger (who can recompute it); the type allow-list is what keeps a hostile file from
running code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import platform
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gramabm.errors import GramabmError
from gramabm.policies.base import ACTIONS, FEATURES
from gramabm.policies.learned import GradientBoostedPolicy, LogisticPolicy
from gramabm.policies.rule_based import RuleBasedPolicy

if TYPE_CHECKING:
    from gramabm.policies.training import TrainingReport

FORMAT: str = "gramabm-policy"
"""Value of ``format`` in every policy file."""

FORMAT_VERSION: int = 1
"""Version of the file layout this gramabm writes and reads."""

META_MEMBER: str = "gramabm.json"
"""Archive member holding the metadata."""

SCHEMA_MEMBER: str = "schema.json"
"""skops' own schema member."""

POLICY_TYPES: tuple[type, ...] = (LogisticPolicy, GradientBoostedPolicy, RuleBasedPolicy)
"""Classes a policy file may hold at its top level."""

TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "gramabm.policies.learned.LogisticPolicy",
        "gramabm.policies.learned.GradientBoostedPolicy",
        "gramabm.policies.rule_based.RuleBasedPolicy",
        # The trees inside a fitted HistGradientBoostingClassifier (nodes are a numpy array).
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    }
)
"""Types beyond skops' defaults that loading may build; any other type refuses the file."""

FAMILY_OF: dict[type, str] = {
    LogisticPolicy: "logistic",
    GradientBoostedPolicy: "gbt",
    RuleBasedPolicy: "rule_based",
}


class PolicyFileError(GramabmError, ValueError):
    """A policy file cannot be used: unreadable, foreign, of another version, or tampered with.

    Args:
        path: The file.
        problem: What is wrong, in words.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.path, self.problem))


class PolicyVersionWarning(UserWarning):
    """The file was saved with another scikit-learn or numpy version than the one running."""


@dataclass(frozen=True)
class PolicyFile:
    """A loaded policy file.

    Args:
        policy: The policy (an estimator with ``predict_proba``).
        metadata: The ``gramabm.json`` content.
    """

    policy: Any
    metadata: dict[str, Any]


def library_versions() -> dict[str, str]:
    """Versions of the libraries a policy file depends on."""
    import sklearn
    import skops

    return {
        "gramabm": _dist_version("gramabm"),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "skops": skops.__version__,
        "python": platform.python_version(),
    }


def _dist_version(name: str) -> str:
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        from gramabm import __version__

        return str(__version__)


def policy_metadata(
    policy: Any, report: TrainingReport | None = None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The metadata saved beside a policy.

    Args:
        policy: The policy.
        report: Its training report, if it was trained.
        extra: More JSON-ready entries (kept under ``extra``).

    Returns:
        A JSON-ready dict (``payload_sha256`` is added by :func:`save_policy`).
    """
    cls = type(policy)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "family": FAMILY_OF.get(cls, cls.__name__),
        "features": list(FEATURES),
        "actions": list(ACTIONS),
        "versions": library_versions(),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if report is not None:
        summary = report.to_dict()
        meta["training"] = {
            key: summary[key]
            for key in ("source", "train", "validation", "labelling", "params", "train_shares")
        }
        meta["scores"] = summary["scores"]
    if extra:
        meta["extra"] = dict(extra)
    return meta


def save_policy(
    policy: Any,
    path: str | os.PathLike[str],
    report: TrainingReport | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Save a fitted policy with its metadata (written atomically).

    Args:
        policy: A fitted :data:`POLICY_TYPES` instance.
        path: Target file (conventionally ``*.skops``).
        report: Training report to store (data range, labelling, scores).
        extra: More JSON-ready metadata.

    Returns:
        The path written.

    Raises:
        PolicyFileError: The object is not a policy, or the file cannot be written.
    """
    import skops.io as sio

    target = Path(path)
    if not isinstance(policy, POLICY_TYPES):
        raise PolicyFileError(str(target), f"cannot save a {type(policy).__name__}: not a policy")
    if getattr(policy, "n_features_in_", None) != len(FEATURES):
        raise PolicyFileError(
            str(target), f"the policy must be fitted on the {len(FEATURES)} holder features"
        )
    meta = policy_metadata(policy, report, extra)
    buffer = io.BytesIO()
    # Re-pack skops' stored (uncompressed) members with deflate: the schema of a tree
    # ensemble is verbose JSON and shrinks about tenfold.
    with (
        zipfile.ZipFile(io.BytesIO(sio.dumps(policy))) as payload,
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        meta["payload_sha256"] = _payload_digest(payload)
        for name in payload.namelist():
            archive.writestr(name, payload.read(name))
        archive.writestr(META_MEMBER, json.dumps(meta, indent=2, allow_nan=True))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-", suffix=target.name)
        with os.fdopen(fd, "wb") as out:
            out.write(buffer.getvalue())
        os.replace(tmp, target)
    except OSError as exc:
        raise PolicyFileError(str(target), f"cannot write the file: {exc}") from exc
    return target


def _payload_digest(archive: zipfile.ZipFile) -> str:
    """SHA-256 over every member but the metadata, by name then content, in name order."""
    digest = hashlib.sha256()
    for name in sorted(n for n in archive.namelist() if n != META_MEMBER):
        digest.update(name.encode("utf-8") + b"\x00")
        digest.update(hashlib.sha256(archive.read(name)).digest())
    return digest.hexdigest()


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata of a policy file, after the format, version and digest checks.

    Builds no object from the archive.

    Args:
        path: The file.

    Returns:
        The ``gramabm.json`` content.

    Raises:
        PolicyFileError: See the module docstring.
    """
    _, meta = _open_checked(Path(path))
    return meta


def load_policy_file(path: str | os.PathLike[str]) -> PolicyFile:
    """Load a policy file after every check of the module docstring.

    Args:
        path: The file.

    Returns:
        The policy and its metadata.

    Raises:
        PolicyFileError: The file is unreadable, foreign, of another version, tampered with,
            or carries a type not on the allow-list.
    """
    import skops.io as sio

    where = str(path)
    raw, meta = _open_checked(Path(path))
    try:
        untrusted = sio.get_untrusted_types(data=raw)
    except Exception as exc:  # skops raises assorted errors on a malformed schema
        raise PolicyFileError(where, f"the skops schema cannot be read: {exc}") from exc
    refused = sorted(t for t in untrusted if t not in TRUSTED_TYPES)
    if refused:
        raise PolicyFileError(
            where,
            "refused: the file would build types that are not on gramabm's allow-list: "
            + ", ".join(refused),
        )
    try:
        with warnings.catch_warnings():
            # Version drift is reported once below, from the metadata, in plain words.
            warnings.filterwarnings("ignore", message=".*unpickle estimator.*")
            policy = sio.loads(raw, trusted=list(untrusted))
    except Exception as exc:  # a schema that names trusted types but does not fit them
        raise PolicyFileError(where, f"the policy cannot be rebuilt: {exc}") from exc
    if not isinstance(policy, POLICY_TYPES):
        raise PolicyFileError(
            where,
            f"holds a {type(policy).__module__}.{type(policy).__name__}, not a gramabm policy",
        )
    cls = type(policy)
    if meta.get("class") != f"{cls.__module__}.{cls.__qualname__}":
        raise PolicyFileError(
            where, f"the metadata names {meta.get('class')!r} but the file holds {cls.__name__}"
        )
    n_features = getattr(policy, "n_features_in_", None)
    if n_features != len(meta.get("features", ())) or list(meta["features"]) != list(FEATURES):
        raise PolicyFileError(
            where,
            f"the policy expects features {meta.get('features')}, this gramabm provides "
            f"{list(FEATURES)}",
        )
    _warn_versions(where, meta)
    return PolicyFile(policy, meta)


def load_policy(path: str | os.PathLike[str]) -> Any:
    """Load the policy of a policy file (see :func:`load_policy_file`).

    Args:
        path: The file.

    Returns:
        The policy.

    Raises:
        PolicyFileError: See :func:`load_policy_file`.
    """
    return load_policy_file(path).policy


def _open_checked(path: Path) -> tuple[bytes, dict[str, Any]]:
    """Bytes and metadata of a file that passed the container, format and digest checks."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise PolicyFileError(where, "no such file") from exc
    except IsADirectoryError as exc:
        raise PolicyFileError(where, "is a directory, not a policy file") from exc
    except OSError as exc:
        raise PolicyFileError(where, f"cannot read the file: {exc.strerror or exc}") from exc
    if raw[:1] == b"\x80":
        raise PolicyFileError(
            where, "looks like a pickle file; gramabm never unpickles: save policies with skops"
        )
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise PolicyFileError(where, "not a gramabm policy file (not a skops zip archive)")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            if META_MEMBER not in names:
                raise PolicyFileError(
                    where,
                    f"not a gramabm policy file: no {META_MEMBER} "
                    "(a skops file saved by another program?)",
                )
            if SCHEMA_MEMBER not in names:
                raise PolicyFileError(where, f"not a skops archive: no {SCHEMA_MEMBER}")
            try:
                meta = json.loads(archive.read(META_MEMBER).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise PolicyFileError(where, f"{META_MEMBER} is not valid JSON: {exc}") from exc
            if not isinstance(meta, dict):
                raise PolicyFileError(where, f"{META_MEMBER} is not a JSON object")
            _check_format(where, meta)
            digest = _payload_digest(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise PolicyFileError(where, f"damaged archive: {exc}") from exc
    if meta.get("payload_sha256") != digest:
        raise PolicyFileError(
            where,
            "the contents do not match the digest saved with them: "
            "the file was modified or damaged after it was saved",
        )
    return raw, meta


def _check_format(where: str, meta: dict[str, Any]) -> None:
    if meta.get("format") != FORMAT:
        raise PolicyFileError(
            where, f"format {meta.get('format')!r} is not a gramabm policy ({FORMAT!r})"
        )
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise PolicyFileError(where, f"format_version {version!r} is not an integer")
    if version > FORMAT_VERSION:
        raise PolicyFileError(
            where,
            f"format version {version} was written by a newer gramabm; this one reads version "
            f"{FORMAT_VERSION}: upgrade gramabm or retrain with `gramabm policy train`",
        )
    if version != FORMAT_VERSION:
        raise PolicyFileError(
            where,
            f"format version {version} is not supported (this gramabm reads version "
            f"{FORMAT_VERSION}): retrain with `gramabm policy train`",
        )


def _warn_versions(where: str, meta: dict[str, Any]) -> None:
    saved = meta.get("versions", {})
    now = library_versions()
    drift = [
        f"{lib} {saved.get(lib)} (now {now[lib]})"
        for lib in ("sklearn", "numpy")
        if saved.get(lib) != now[lib]
    ]
    if drift:
        warnings.warn(
            f"{where}: saved with {', '.join(drift)}; predictions may differ slightly",
            PolicyVersionWarning,
            stacklevel=3,
        )
