"""`gramabm run` and `gramabm stress`: files written, byte-identical summaries, clear errors."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from gramabm.analysis.render.plots import RUN_PLOTS
from gramabm.cli import app, main
from tests.cli.entry import run_main

runner = CliRunner()
SMALL = ["--steps", "96", "--holders", "300"]


def test_run_writes_series_summary_and_plots(tmp_path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", "--scenario", "adverse", "--seed", "3", *SMALL, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for name in ("timeseries.parquet", "holders.parquet", "events.csv", "summary.json"):
        assert (out / name).stat().st_size > 0
    for png in RUN_PLOTS:
        assert (out / f"{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "adverse"
    assert summary["steps"] == 96
    assert "worst_discount_bp" in summary["metrics"]
    assert "worst_discount_bp" in result.output  # the printed summary table


def test_same_seed_gives_byte_identical_summary(tmp_path) -> None:
    for name in ("a", "b"):
        args = [
            "run",
            "--scenario",
            "baseline",
            "--seed",
            "5",
            *SMALL,
            "--out",
            str(tmp_path / name),
        ]
        assert runner.invoke(app, args).exit_code == 0
    assert (tmp_path / "a" / "summary.json").read_bytes() == (
        tmp_path / "b" / "summary.json"
    ).read_bytes()
    args = ["run", "--scenario", "baseline", "--seed", "6", *SMALL, "--out", str(tmp_path / "c")]
    assert runner.invoke(app, args).exit_code == 0
    assert (tmp_path / "c" / "summary.json").read_bytes() != (
        tmp_path / "a" / "summary.json"
    ).read_bytes()


def test_stress_writes_comparison_and_html_report(tmp_path) -> None:
    out = tmp_path / "stress"
    args = ["stress", *SMALL, "--out", str(out), "--scenario", "baseline", "--scenario", "adverse"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "baseline" in html
    assert "adverse" in html
    assert (out / "comparison.csv").read_text().count("\n") == 3  # header + two scenarios
    assert (out / "adverse" / "summary.json").exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["run", "--holders", "-3"], "holders.n"),
        (["run", "--scenario", "nonsense", *SMALL], "nonsense"),
        (["run", "--preset", "bitgold"], "primary.preset"),
    ],
)
def test_bad_input_exits_2_with_the_problem_named(
    args, named, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(sys, "argv", ["gramabm", *args, "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert named in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_run_with_a_learned_policy_file(tmp_path) -> None:
    from gramabm.data.loaders import load_builtin
    from gramabm.policies.io import save_policy
    from gramabm.policies.training import train_policy

    policy, report = train_policy(load_builtin(), family="logistic")
    path = tmp_path / "policy.skops"
    save_policy(policy, path, report=report)
    out = tmp_path / "run"
    args = ["run", "--scenario", "adverse", *SMALL, "--policy", str(path), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"]["trades_total"] > 0


def test_missing_policy_file_is_named(tmp_path, monkeypatch, capsys) -> None:
    args = [
        "gramabm",
        "run",
        *SMALL,
        "--policy",
        str(tmp_path / "nope.skops"),
        "--out",
        str(tmp_path),
    ]
    monkeypatch.setattr(sys, "argv", args)
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert "nope.skops" in capsys.readouterr().err


def test_the_table_says_why_a_metric_is_missing() -> None:
    from gramabm.cli.run import _cell

    shocked = {"time_to_recover_hours": float("nan"), "shock_peak_step": 48.0, "x": float("nan")}
    calm = {"time_to_recover_hours": None, "shock_peak_step": None}
    assert _cell("time_to_recover_hours", shocked) == "never"
    assert _cell("time_to_recover_hours", calm) == "n/a"
    assert _cell("x", shocked) == "n/a"
    assert _cell("time_to_recover_hours", {"time_to_recover_hours": 12.5}) == "12.50"
    assert _cell("mm_withdrew", {"mm_withdrew": True}) == "True"


def test_run_config_file_scenario_is_not_overridden_by_an_option_not_given(tmp_path) -> None:
    config = tmp_path / "adverse.toml"
    config.write_text('scenario = "adverse"\nsteps = 48\n[holders]\nn = 200\n')
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["scenario"] == "adverse"


def test_run_config_file_scenario_params_are_kept(tmp_path) -> None:
    config = tmp_path / "drop.toml"
    config.write_text(
        'scenario = "drop"\nsteps = 48\n[scenario_params]\nseverity = 0.3\n[holders]\nn = 200\n'
    )
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "drop"
    # An option given on the command line still wins over the file.
    out2 = tmp_path / "run2"
    args = ["run", "--config", str(config), "--steps", "24", "--out", str(out2)]
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads((out2 / "summary.json").read_text())["steps"] == 24


def test_version() -> None:
    from gramabm import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"gramabm {__version__}"


def test_help_keeps_bracketed_defaults() -> None:
    result = runner.invoke(app, ["data", "info", "--help"], terminal_width=200)
    assert "Header of the date column [date]." in result.output


def test_run_param_sets_scenario_parameters(tmp_path) -> None:
    out = tmp_path / "run"
    args = ["run", "--scenario", "drop", "--param", "severity=0.3", *SMALL, "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "drop"
    bad = runner.invoke(app, [*args[:3], "--param", "sevrity=0.3", *SMALL, "--out", str(out)])
    assert bad.exit_code != 0
    assert "sevrity" in str(bad.exception)


def test_stress_runs_every_replay_the_data_cover() -> None:
    from gramabm.data.loaders import load_builtin
    from gramabm.scenarios.catalogue import REGISTRY
    from gramabm.simulation import stress_scenarios

    prices = load_builtin()
    covered = [n for n, e in REGISTRY.items() if e.family == "replay" and e.available_on(prices)]
    assert len(covered) > 3
    names = stress_scenarios(prices)
    assert [n for n in names if n.startswith("replay_")] == covered
    assert stress_scenarios() == names


def test_a_fitted_population_overridden_is_a_plain_warning_line(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import warnings

    from gramabm.config import HolderCountWarning

    args = ["run", "--config", "calibrated", "--holders", "300", "--steps", "3"]
    with warnings.catch_warnings():
        warnings.simplefilter("always", HolderCountWarning)  # the test suite silences it
        code, _, err = run_main(monkeypatch, capsys, *args, "--out", str(tmp_path / "run"))
    assert code == 0
    assert "warning: calibrated.toml sets holders.n = 10,000" in err
    assert "with 300 the holders' flow" in err
    assert "HolderCountWarning" not in err  # no Python warning form, no source line
