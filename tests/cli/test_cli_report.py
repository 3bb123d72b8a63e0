"""`gramabm report DIR` on a real small sweep, and `gramabm reverse`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from gramabm.cli.report import report, reverse
from gramabm.sweeps.runner import run_sweep
from gramabm.sweeps.spec import parse_spec

runner = CliRunner()
app = typer.Typer()
app.command("report")(report)
app.command("reverse")(reverse)


def test_report_command_writes_the_html_of_a_stored_sweep(tmp_path: Path) -> None:
    spec = parse_spec(
        {
            "name": "cli_report",
            "root_seed": 3,
            "scenarios": ["drop"],
            "replications": 2,
            "steps": 72,
            "holders": 100,
            "base": {"scenario_params": {"severity": 0.1}},
            "parameters": {"primary.redeem_fee_bp": [0.0, 50.0]},
        }
    )
    out = tmp_path / "sweep"
    run_sweep(spec, out, progress=False)
    result = runner.invoke(app, ["report", str(out), "--criterion", "worst_discount_bp<-5"])
    assert result.exit_code == 0, result.output
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Sweep report: cli_report" in text
    assert "<h2>Recommendations</h2>" in text
    assert "primary.redeem_fee_bp" in text
    assert (out / "report_aggregates.csv").exists()


def test_reverse_command_writes_its_outputs(tmp_path: Path) -> None:
    out = tmp_path / "rev"
    result = runner.invoke(
        app,
        [
            "reverse",
            "--out",
            str(out),
            "--criterion",
            "worst_discount_bp<-100000",
            "--steps",
            "60",
            "--holders",
            "50",
            "--seeds",
            "1",
            "--high",
            "0.2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "No gold fall up to 0.2" in result.output
    saved = json.loads((out / "result.json").read_text())
    assert saved["status"] == "never_breaks"
    assert saved["runs"] == 2
    assert (out / "reverse.png").exists()
