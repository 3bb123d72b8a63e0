"""`gramabm data info`: text and JSON output, warnings, and exit status 2 on bad data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gramabm.cli import app, main

REPO = Path(__file__).parents[2]
FIXTURES = REPO / "tests" / "data" / "fixtures"
SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"reference LBMA data not present at {SHARED_DATA} (only in the development workspace)",
)
runner = CliRunner()


def info_json(*args: str) -> dict:
    result = runner.invoke(app, ["data", "info", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str):
    """Run the console-script entry point in-process; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["gramabm", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_builtin_default_text() -> None:
    result = runner.invoke(app, ["data", "info"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "builtin:aer_goldsilver" in out
    assert "1977-12-30 to 2012-12-31" in out
    assert "8,812" in out
    assert "Annualised volatility" in out
    assert "19.5%" in out
    assert "Excess kurtosis" in out


def test_builtin_default_json() -> None:
    data = info_json()
    assert data["source"] == "builtin:aer_goldsilver"
    assert (data["start"], data["end"], data["rows"]) == ("1977-12-30", "2012-12-31", 8812)
    facts = data["stylised_facts"]
    assert facts["n_obs"] == 8811
    assert facts["ann_vol"] == pytest.approx(0.1947, abs=0.001)
    assert facts["excess_kurtosis"] == pytest.approx(6.13, abs=0.05)


def test_csv_with_column_options() -> None:
    data = info_json(
        "--csv",
        str(FIXTURES / "spreadsheet_export.csv"),
        "--date-column",
        "Date",
        "--price-column",
        "Close",
    )
    assert data["rows"] == 35
    assert (data["start"], data["end"]) == ("2024-01-02", "2024-02-19")


def test_url_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GRAMABM_CACHE", str(tmp_path))
    url = (FIXTURES / "valid.csv").as_uri()
    data = info_json("--url", url)
    assert data["source"] == url
    assert data["rows"] == 35
    assert any((tmp_path / "downloads").iterdir())


def test_jump_warning_goes_to_stderr_and_json() -> None:
    result = runner.invoke(app, ["data", "info", "--csv", str(FIXTURES / "jump.csv"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert any("2 implausible jump(s)" in w for w in data["warnings"])
    assert "warning: " in result.stderr
    assert "2024-01-26 to 2024-01-29 (row 20)" in result.stderr


def test_malformed_csv_exits_2_naming_the_row(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    path = FIXTURES / "ragged.csv"
    code, out, err = run_main(monkeypatch, capsys, "data", "info", "--csv", str(path))
    assert code == 2
    assert out == ""
    assert f"error: {path}, row 9: 3 field(s) where the header has 2" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "a.csv", "--url", "https://example.org/a.csv"], "not both"),
        (["--price-column", "close"], "apply to a CSV file or URL"),
        (["--csv", "no/such/file.csv"], "no/such/file.csv: no such file"),
    ],
)
def test_bad_requests_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    code, _, err = run_main(monkeypatch, capsys, "data", "info", *args)
    assert code == 2
    assert message in err


def test_console_script_exit_status() -> None:
    script = Path(sys.executable).parent / "gramabm"
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    proc = subprocess.run(
        [str(script), "data", "info", "--csv", str(FIXTURES / "duplicate_dates.csv")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "row 10: duplicate date 2024-01-12 (also on row 9)" in proc.stderr


def test_command_module_imports_no_heavy_library() -> None:
    # Loaded from its file so that other command groups cannot mask or cause the result.
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(REPO / 'gramabm/cli/data.py')!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'arch', 'rich.table') "
        "if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == "[]"


def test_help_lists_the_command() -> None:
    result = runner.invoke(app, ["data", "--help"])
    assert result.exit_code == 0
    assert "info" in result.stdout


@needs_shared
def test_lbma_daily_reports_reference_facts() -> None:
    path = SHARED_DATA / "gold_usd_daily.csv"
    data = info_json("--csv", str(path))
    assert data["rows"] == 14571
    assert data["stylised_facts"]["ann_vol"] == pytest.approx(0.194, abs=0.005)
    assert data["stylised_facts"]["excess_kurtosis"] == pytest.approx(13.6, abs=1.0)
    text = runner.invoke(app, ["data", "info", "--csv", str(path)]).stdout
    assert "19.4%" in text
    assert "13.6" in text
