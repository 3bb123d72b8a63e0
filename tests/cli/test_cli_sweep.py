"""`gramabm sweep` and `gramabm results query`; a sweep killed midway resumes without redoing runs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from gramabm.cli.sweep import app
from gramabm.errors import ConfigError
from gramabm.sweeps.runner import run_sweep
from gramabm.sweeps.store import read_results

runner = CliRunner()

SPEC = """
name = "cli_small"
root_seed = 5
scenarios = ["drop"]
replications = {reps}
steps = {steps}
holders = 300

[base]
scenario_params = {{ severity = 0.1 }}

[parameters]
"primary.mint_fee_bp" = [0.0, 50.0]
"holders.herding" = [0.5, 1.0, 1.5]
"""


def _write_spec(tmp_path: Path, reps: int = 1, steps: int = 96) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(SPEC.format(reps=reps, steps=steps), encoding="utf-8")
    return path


def test_sweep_then_query(tmp_path) -> None:
    spec = _write_spec(tmp_path)
    out = tmp_path / "out"
    first = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--no-progress"])
    assert first.exit_code == 0, first.output
    assert "6 runs: 6 executed, 0 skipped" in first.output
    again = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--no-progress"])
    assert "0 executed, 6 skipped" in again.output

    csv = tmp_path / "answer.csv"
    sql = (
        "SELECT p_holders__herding AS herding, count(*) AS n FROM runs "
        "WHERE status = 'ok' GROUP BY 1 ORDER BY 1"
    )
    answer = runner.invoke(app, ["results", "query", str(out), sql, "--csv", str(csv)])
    assert answer.exit_code == 0, answer.output
    assert "herding" in answer.output
    assert "1.5" in answer.output
    frame = pd.read_csv(csv)
    assert frame.to_dict("list") == {"herding": [0.5, 1.0, 1.5], "n": [2, 2, 2]}

    short = runner.invoke(
        app, ["results", "query", str(out), "SELECT * FROM runs", "--max-rows", "2"]
    )
    assert "4 more rows" in short.output


def test_errors_reach_the_user(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "b"\nroot_seed = 1\nreplications = 0\n')
    result = runner.invoke(app, ["sweep", str(bad), "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, ConfigError)
    assert "replications" in str(result.exception)
    # Through the module's entry point the error becomes exit code 2 and a message.
    proc = subprocess.run(
        [sys.executable, "-m", "gramabm.cli.sweep", "results", "query", str(tmp_path), "SELECT 1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "no results" in proc.stderr


def _sweep_command(spec: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "gramabm.cli.sweep", "sweep", str(spec), "--out", str(out)]


def _live_members(pgid: int) -> list[int]:
    """Processes of a process group that are still running (not zombies), from /proc."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(stat.parent.name))
    return live


def test_killed_sweep_resumes_without_redoing_finished_runs(tmp_path) -> None:
    spec = _write_spec(tmp_path, reps=4, steps=120)  # 24 runs
    out = tmp_path / "killed"
    runs = out / "runs"
    log = (tmp_path / "first.log").open("w")
    proc = subprocess.Popen(
        [*_sweep_command(spec, out), "--workers", "2"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: its workers can be found and checked
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(runs.glob("*.parquet"))) < 4:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no run finished in time"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # the crash: the sweep's own process dies at once
        proc.wait(timeout=30)
        if Path("/proc/self/stat").exists():
            # The pool's workers and fork server notice and exit by themselves.
            deadline = time.monotonic() + 20
            while _live_members(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _live_members(proc.pid) == [], "workers outlived the killed sweep"
    finally:
        with contextlib.suppress(ProcessLookupError):  # never leave strays, even on failure
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in runs.glob("*.parquet")}
    assert 4 <= len(before) < 24, f"killed with {len(before)} of 24 runs done"

    rerun = subprocess.run(
        [*_sweep_command(spec, out), "--workers", "2", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"24 runs: {24 - len(before)} executed, {len(before)} skipped" in rerun.stdout
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in runs.glob("*.parquet")}
    assert len(after) == 24
    assert {name: after[name] for name in before} == before  # finished runs were not redone

    uninterrupted = tmp_path / "whole"
    run_sweep(spec, uninterrupted, progress=False)
    pd.testing.assert_frame_equal(
        read_results(out).drop(columns="elapsed_s"),
        read_results(uninterrupted).drop(columns="elapsed_s"),
    )


def test_a_configuration_typo_exits_2_naming_it(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "b"\nroot_seed = 1\nconfig = "calibratd"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "gramabm.cli.sweep", "sweep", str(bad), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "calibratd" in proc.stderr
    assert not (tmp_path / "experiment.json").exists()
