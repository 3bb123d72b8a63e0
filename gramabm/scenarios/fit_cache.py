"""Fitted scenario models cached on disk as JSON, so a slow fit runs once per data source.

A fit is stored as ``<cache>/fits/<kind>-<first 16 hex digits of the key>.json`` (``<cache>`` is
:func:`gramabm.data.loaders.default_cache_dir`, ``$GRAMABM_CACHE`` if set). The key is a SHA-256
over the kind, the fit's recipe version (raised whenever the fitting code changes what it
produces), its parameters, the data (:func:`gramabm.data.digest.data_digest`) and the numpy and
scipy versions: any change gives a new file, so a stale fit is never read. Files are plain JSON
(nothing in them is executed), written atomically; one that cannot be read back is refitted and
rewritten with a :class:`FitCacheRebuiltWarning`. When the cache cannot be written (a read-only
home, for instance) the fit is returned anyway and the reason given in a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy

from gramabm.data.digest import data_digest

CACHE_SUBDIR = "fits"
"""Folder of the cached fits under the cache directory."""

logger = logging.getLogger(__name__)


class FitCacheRebuiltWarning(UserWarning):
    """A cached fit was unreadable or could not be stored; it was fitted again."""


def fit_cache_key(kind: str, version: int, params: dict[str, Any], prices: pd.Series) -> str:
    """The cache key of one fit (see the module docstring).

    Args:
        kind: What is fitted, e.g. ``"garch-moments"``.
        version: The fitting recipe's version.
        params: Fit settings (JSON-serialisable).
        prices: The data fitted.

    Returns:
        A hex SHA-256.
    """
    payload = {
        "kind": kind,
        "version": version,
        "params": params,
        "data": data_digest(prices),
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fit_cache_path(
    kind: str,
    version: int,
    params: dict[str, Any],
    prices: pd.Series,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Where a fit is (or would be) cached.

    Args:
        kind: What is fitted.
        version: The fitting recipe's version.
        params: Fit settings.
        prices: The data fitted.
        cache_dir: Cache root (default: the user cache directory).

    Returns:
        The file path (it may not exist).
    """
    from gramabm.data.loaders import cache_root

    root = cache_root(cache_dir)
    key = fit_cache_key(kind, version, params, prices)
    return root / CACHE_SUBDIR / f"{kind}-{key[:16]}.json"


def cached_fit(
    kind: str,
    version: int,
    params: dict[str, Any],
    prices: pd.Series,
    compute: Callable[[], dict[str, Any]],
    load: Callable[[dict[str, Any]], Any],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """A fit from the disk cache, or computed, stored and returned.

    Args:
        kind: What is fitted.
        version: The fitting recipe's version.
        params: Fit settings (part of the key).
        prices: The data fitted (part of the key).
        compute: Runs the fit; returns it as a JSON-serialisable dictionary.
        load: Turns that dictionary into the fit object; raises on a malformed one.
        cache_dir: Cache root (default: the user cache directory).

    Returns:
        ``load`` of the cached or computed dictionary.
    """
    path = fit_cache_path(kind, version, params, prices, cache_dir)
    if path.exists():
        try:
            return load(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            warnings.warn(
                f"cached fit {path} is unreadable ({exc}); fitting again",
                FitCacheRebuiltWarning,
                stacklevel=2,
            )
    # The first fit on new data takes seconds (a GARCH-t fit: ~20 s); say so, then how long.
    logger.info(
        "fitting %s to %d prices (first use of these data; later runs read it from the cache)...",
        kind,
        len(prices),
    )
    start = time.perf_counter()
    record = compute()
    logger.info("fitted %s in %.1f s", kind, time.perf_counter() - start)
    fitted = load(record)  # check before storing: never cache what cannot be read back
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError as exc:
        warnings.warn(
            f"could not store the fit in {path.parent} ({exc}); it will be fitted again next time",
            FitCacheRebuiltWarning,
            stacklevel=2,
        )
    return fitted
