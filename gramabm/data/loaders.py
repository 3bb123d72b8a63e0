"""Loading a gold price series from a CSV file, a URL or the built-in history.

All loaders return the kit's price-series convention (see :mod:`gramabm.data.validation`) and
fail with a :class:`~gramabm.errors.DataValidationError` naming the source, the row and the problem.

CSV files are read with the standard :mod:`csv` module rather than ``pandas.read_csv`` so that
every record keeps its line number (messages point at the right row even when blank lines are
skipped) and ragged rows are refused instead of padded with NaN. Fully blank records, including
rows of bare delimiters that spreadsheets leave at the end, are skipped. "Row N" is the N-th line
after the header (line N + 1 of the file).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd

from gramabm.data.builtin import BUILTIN_NAMES, load_builtin_series
from gramabm.data.validation import UnsortedPolicy, validate_prices
from gramabm.errors import ConfigError, DataValidationError

CACHE_ENV = "GRAMABM_CACHE"
"""Environment variable that overrides the download cache directory."""

URL_SCHEMES: tuple[str, ...] = ("http", "https", "ftp", "file")
"""URL schemes :func:`load_url` accepts (``file`` serves local mirrors and tests)."""


def load_csv(
    path: str | os.PathLike[str],
    *,
    date_column: str = "date",
    price_column: str = "price",
    unsorted: UnsortedPolicy = "error",
    min_rows: int = 30,
    jump_warning: float | None = 0.25,
    date_format: str | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    source: str | None = None,
) -> pd.Series:
    """Load a gold price series (USD per troy ounce) from a CSV file with a header row.

    Args:
        path: The CSV file.
        date_column: Header of the date column.
        price_column: Header of the price column (USD per troy ounce).
        unsorted: ``"error"`` (default) refuses dates out of order; ``"sort"`` sorts them.
        min_rows: Fewest data rows accepted.
        jump_warning: Absolute daily log return that triggers an ``ImplausibleJumpWarning``;
            ``None`` disables it.
        date_format: ``strftime`` format of the dates; ``None`` reads ISO 8601 or infers one.
        delimiter: Field separator (``";"`` for many European spreadsheet exports).
        encoding: Text encoding; the default also strips a UTF-8 byte-order mark.
        source: Name to use in messages and ``attrs["source"]``; defaults to the path.

    Returns:
        The validated price series.

    Raises:
        DataValidationError: The file is missing, unreadable, not CSV text, or breaks a rule.
    """
    where = source or str(path)
    raw = _read_bytes(Path(path), where)
    frame, rows = _parse_csv(raw, where, delimiter=delimiter, encoding=encoding)
    return validate_prices(
        frame,
        source=where,
        date_column=date_column,
        price_column=price_column,
        unsorted=unsorted,
        min_rows=min_rows,
        jump_warning=jump_warning,
        date_format=date_format,
        row_numbers=rows,
    )


def load_url(
    url: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    refresh: bool = False,
    timeout: float = 30.0,
    **csv_options: Any,
) -> pd.Series:
    """Load a CSV price series from a URL, downloading it once into a cache directory.

    The file is stored under ``cache_dir/downloads`` with a name derived from the URL; later
    calls read the stored copy without touching the network. A download goes to a temporary
    file first and is renamed into place only when complete, so an interrupted download never
    leaves a truncated file that would be trusted later.

    Args:
        url: An ``http``, ``https``, ``ftp`` or ``file`` URL of a CSV file.
        cache_dir: Cache directory; defaults to :func:`default_cache_dir`.
        refresh: Download again even if a cached copy exists.
        timeout: Network timeout in seconds.
        **csv_options: Passed to :func:`load_csv` (columns, ``unsorted``, ``min_rows``, ...);
            a ``source`` option replaces the URL as the series' name.

    Returns:
        The validated price series, with ``attrs["source"]`` set to the URL.

    Raises:
        ConfigError: The URL has an unsupported scheme.
        DataValidationError: The download failed, or the file breaks a rule.
    """
    name = csv_options.pop("source", None) or url
    cached = cached_path(url, cache_dir)
    if refresh or not cached.is_file():
        _download(url, cached, timeout)
    series = load_csv(cached, source=f"{name} (cached at {cached})", **csv_options)
    series.attrs["source"] = name
    return series


def load_builtin(name: str = "aer_goldsilver") -> pd.Series:
    """Load a built-in real gold history that ships with the kit's dependencies (no network).

    ``"aer_goldsilver"`` is the daily gold series of R package AER's ``GoldSilver`` data
    (1977-12-30 to 2012-12-31), rescaled to USD per ounce; see :mod:`gramabm.data.builtin` for
    the anchor and the cleaning. The parsed series is cached in memory; each call returns a copy.

    Args:
        name: Which built-in series (see ``gramabm.data.builtin.BUILTIN_NAMES``).

    Returns:
        The price series, with ``attrs["source"] == f"builtin:{name}"``.

    Raises:
        ConfigError: Unknown name.
    """
    if name not in BUILTIN_NAMES:
        raise ConfigError(
            f"unknown built-in gold series {name!r}; available: {', '.join(BUILTIN_NAMES)}"
        )
    return load_builtin_series(name)


def load_gold(
    *, csv: str | os.PathLike[str] | None = None, url: str | None = None, **csv_options: Any
) -> pd.Series:
    """Load gold prices from a CSV file, a URL, or (neither given) the built-in history.

    Args:
        csv: A CSV file path.
        url: A URL of a CSV file (cached, see :func:`load_url`).
        **csv_options: Options of :func:`load_csv` (and ``cache_dir``/``refresh`` for a URL).

    Returns:
        The validated price series.

    Raises:
        ConfigError: Both ``csv`` and ``url`` given, or CSV options given for the built-in.
        DataValidationError: The data breaks a rule.
    """
    if csv is not None and url is not None:
        raise ConfigError("give either a CSV file or a URL, not both")
    if csv is not None:
        return load_csv(csv, **csv_options)
    if url is not None:
        return load_url(url, **csv_options)
    if csv_options:
        names = ", ".join(sorted(csv_options))
        raise ConfigError(f"options {names} apply to a CSV file or URL, not to the built-in series")
    return load_builtin()


# --- cache --------------------------------------------------------------------------------
def default_cache_dir() -> Path:
    r"""Where downloads are cached: ``$GRAMABM_CACHE`` if set, else the platform's user cache.

    The platform rule follows ``platformdirs``: ``$XDG_CACHE_HOME/gramabm`` or
    ``~/.cache/gramabm`` on Linux, ``~/Library/Caches/gramabm`` on macOS and
    ``%LOCALAPPDATA%\gramabm\Cache`` on Windows.

    Returns:
        The directory (not created).
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "gramabm" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "gramabm"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "gramabm"


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache root to use: ``cache_dir`` (``~`` expanded) if given, else :func:`default_cache_dir`.

    Every cache of the kit (downloads, the default policy, fitted scenario models) lives under it.
    """
    return Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()


def cached_path(url: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The file a URL is (or would be) cached in.

    The name joins a hash of the full URL (so two URLs never share a file) with the URL's own
    file name (so a person browsing the cache can tell what is what).

    Args:
        url: The URL.
        cache_dir: Cache directory; defaults to :func:`default_cache_dir`.

    Returns:
        The cache file path.

    Raises:
        ConfigError: The URL has an unsupported scheme.
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in URL_SCHEMES:
        raise ConfigError(
            f"unsupported URL {url!r}: the scheme must be one of {', '.join(URL_SCHEMES)}"
        )
    base = cache_root(cache_dir)
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    stem = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name or "download"
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in stem)[:80]
    return base / "downloads" / f"{digest}-{safe}"


def _download(url: str, target: Path, timeout: float) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataValidationError(url, f"cannot create the cache directory: {exc}") from exc
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-", suffix=target.name)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            shutil.copyfileobj(response, out)
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise DataValidationError(url, f"download failed: {reason}") from exc


# --- CSV text -----------------------------------------------------------------------------
def _read_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DataValidationError(source, "no such file") from exc
    except IsADirectoryError as exc:
        raise DataValidationError(source, "is a directory, not a CSV file") from exc
    except OSError as exc:
        raise DataValidationError(source, f"cannot read the file: {exc.strerror or exc}") from exc


def _parse_csv(
    raw: bytes, source: str, *, delimiter: str, encoding: str
) -> tuple[pd.DataFrame, list[int]]:
    """Records as a DataFrame of text cells plus the 1-based data row of each record."""
    if not raw.strip():
        raise DataValidationError(source, "the file is empty: a header and data rows are needed")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise DataValidationError(
            source,
            f"not a text CSV file: NUL byte on line {line} (binary data, or UTF-16 text: "
            "save it as UTF-8 CSV)",
        )
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise DataValidationError(
            source,
            f"not {encoding} text: undecodable byte 0x{byte} on line {line} "
            "(binary data, or another encoding: pass encoding=...)",
        ) from exc
    except LookupError as exc:
        raise ConfigError(f"unknown text encoding {encoding!r}") from exc

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 0
    records: list[list[str]] = []
    rows: list[int] = []
    last_line = 0  # line where the last complete record ended
    try:
        for record in reader:
            # A record starts right after the previous one ends (a quoted value may span lines).
            start, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                header_line = last_line
                continue
            if len(record) != len(header):
                raise DataValidationError(
                    source,
                    f"{len(record)} field(s) where the header has {len(header)} "
                    "(an unquoted delimiter inside a value, e.g. a thousands separator?)",
                    start - header_line,
                )
            records.append(record)
            rows.append(start - header_line)
    except csv.Error as exc:
        hint = " (a quote opened here is never closed?)" if "end of data" in str(exc) else ""
        row = last_line + 1 - header_line if header is not None else None
        raise DataValidationError(source, f"malformed CSV: {exc}{hint}", row) from exc
    if header is None:
        raise DataValidationError(source, "the file has no header row, only blank records")
    return pd.DataFrame(records, columns=header, dtype=object), rows
