"""Stored inputs: ingested gold series (datasets) and policy files, each under a content id.

An id is the first 32 hex digits of a SHA-256 of the content, so ingesting the same data twice
gives the same id and one copy. Datasets are kept as Parquet, policies as the skops files
themselves; a policy file enters the store only after :func:`gramabm.policies.io.load_policy_file`
accepted it (format, digest and the type allow-list), and is loaded again the same way on use.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

from gramabm.api.db import Database
from gramabm.api.encoding import json_safe

CACHED_POLICIES = 32
"""Loaded policies kept in memory (the least recently stored is dropped first)."""

ID_PATTERN = r"^[0-9a-f]{32}$"
"""What every dataset, policy and job id looks like (anything else is refused before use)."""


def content_id(data: bytes) -> str:
    """The id of some content."""
    return hashlib.sha256(data).hexdigest()[:32]


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


class Datasets:
    """Ingested gold price series.

    Args:
        db: The database.
        root: Directory of the Parquet files.
    """

    def __init__(self, db: Database, root: Path) -> None:
        self.db = db
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def add(self, prices: pd.Series, info: dict[str, Any]) -> dict[str, Any]:
        """Store a validated series with its description; returns the record (``id`` added)."""
        frame = pd.DataFrame({"price": prices.to_numpy()}, index=prices.index.rename("date"))
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        raw = buffer.getvalue()
        source = str(prices.attrs.get("source", "upload"))
        dataset_id = content_id(raw + source.encode("utf-8"))
        record = json_safe({"id": dataset_id, **info})
        path = self.root / f"{dataset_id}.parquet"
        if not path.is_file():
            _write_atomic(path, raw)
        self.db.execute(
            "INSERT OR IGNORE INTO datasets (id, source, created, info) VALUES (?, ?, ?, ?)",
            (dataset_id, source, time.time(), json.dumps(record, allow_nan=False)),
        )
        return self.get(dataset_id) or record

    def get(self, dataset_id: str) -> dict[str, Any] | None:
        """A dataset's record, or ``None``."""
        row = self.db.one("SELECT info FROM datasets WHERE id = ?", (dataset_id,))
        return None if row is None else json.loads(row["info"])

    def list(self) -> list[dict[str, Any]]:
        """Every dataset's record, newest first."""
        rows = self.db.query("SELECT info FROM datasets ORDER BY created DESC, id")
        return [json.loads(r["info"]) for r in rows]

    def prices(self, dataset_id: str) -> pd.Series | None:
        """The stored series (``attrs["source"]`` restored), or ``None``."""
        row = self.db.one("SELECT source FROM datasets WHERE id = ?", (dataset_id,))
        if row is None:
            return None
        series = pd.read_parquet(self.root / f"{dataset_id}.parquet")["price"]
        series.name = "price"
        series.attrs["source"] = row["source"]
        return series


class Policies:
    """Policy files, checked on entry and on every load.

    Args:
        db: The database.
        root: Directory of the ``.skops`` files.
    """

    def __init__(self, db: Database, root: Path) -> None:
        self.db = db
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def add_file(self, path: Path, origin: str) -> dict[str, Any]:
        """Check a policy file and store a copy.

        Args:
            path: The file.
            origin: Where it came from (``upload`` or ``job:<id>``).

        Returns:
            The record: ``id``, ``origin`` and the file's ``metadata``.

        Raises:
            PolicyFileError: The file is not a policy this gramabm loads (not a skops archive,
                tampered with, or carrying a type outside the allow-list); nothing is stored.
        """
        from gramabm.policies.io import load_policy_file

        loaded = load_policy_file(path)
        raw = Path(path).read_bytes()
        policy_id = content_id(raw)
        target = self.root / f"{policy_id}.skops"
        if not target.is_file():
            _write_atomic(target, raw)
        meta = json_safe(loaded.metadata)
        self.db.execute(
            "INSERT OR IGNORE INTO policies (id, origin, created, metadata) VALUES (?, ?, ?, ?)",
            (policy_id, origin, time.time(), json.dumps(meta, allow_nan=False)),
        )
        self._remember(policy_id, loaded.policy)
        record = self.get(policy_id)
        assert record is not None
        return record

    def get(self, policy_id: str) -> dict[str, Any] | None:
        """A policy's record, or ``None``."""
        row = self.db.one("SELECT * FROM policies WHERE id = ?", (policy_id,))
        if row is None:
            return None
        return {"id": row["id"], "origin": row["origin"], "metadata": json.loads(row["metadata"])}

    def list(self) -> list[dict[str, Any]]:
        """Every policy's record, newest first."""
        rows = self.db.query("SELECT id FROM policies ORDER BY created DESC, id")
        return [r for r in (self.get(row["id"]) for row in rows) if r is not None]

    def file_bytes(self, policy_id: str) -> bytes:
        """The stored file's bytes (for a worker to load)."""
        return (self.root / f"{policy_id}.skops").read_bytes()

    def load(self, policy_id: str) -> Any:
        """The policy object, loaded once through skops' allow-list and then kept.

        Raises:
            PolicyFileError: The stored file no longer passes the checks.
        """
        from gramabm.policies.io import load_policy_file

        with self._lock:
            if policy_id in self._cache:
                return self._cache[policy_id]
        policy = load_policy_file(self.root / f"{policy_id}.skops").policy
        self._remember(policy_id, policy)
        return policy

    def _remember(self, policy_id: str, policy: Any) -> None:
        with self._lock:
            self._cache.pop(policy_id, None)
            self._cache[policy_id] = policy
            while len(self._cache) > CACHED_POLICIES:
                self._cache.pop(next(iter(self._cache)))
