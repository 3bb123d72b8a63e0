"""`gramabm viz`: the solara command it runs, its environment, the URL it prints."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from gramabm.cli import viz as viz_cli
from gramabm.errors import ConfigError

runner = CliRunner()


def _app() -> typer.Typer:
    # The command as gramabm.cli registers it (one command: typer needs a group to name it).
    app = typer.Typer()
    app.command("viz")(viz_cli.viz)
    app.command("noop", hidden=True)(lambda: None)
    return app


def test_command_runs_solara_on_the_app_module() -> None:
    cmd = viz_cli.solara_command(9001, "127.0.0.1")
    assert cmd[:5] == [sys.executable, "-m", "solara", "run", "visualization.app"]
    assert cmd[cmd.index("--port") + 1] == "9001"
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "--no-open" in cmd
    # Production mode: no auto-reload, and no call home to solara.dev (dev mode makes one).
    assert "--production" in cmd
    assert "--production" not in viz_cli.solara_command(9001, production=False)


@pytest.mark.parametrize("port", [0, -1, 70_000])
def test_port_out_of_range(port: int) -> None:
    with pytest.raises(ConfigError, match="--port must be between 1 and 65535"):
        viz_cli.solara_command(port)


def test_environment_finds_the_app_and_sends_nothing_home(tmp_path: Path) -> None:
    env = viz_cli.solara_env({"PYTHONPATH": "/elsewhere", "HOME": "/home/x"})
    root = str(viz_cli.repo_root())
    assert env["PYTHONPATH"].split(os.pathsep) == [root, "/elsewhere"]
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["HOME"] == "/home/x"
    assert viz_cli.SWEEP_DIR_ENV not in env
    env = viz_cli.solara_env({}, sweep=tmp_path)
    assert env["PYTHONPATH"] == root
    assert env[viz_cli.SWEEP_DIR_ENV] == str(tmp_path.resolve())
    assert (Path(root) / "visualization" / "app.py") == viz_cli.app_path()


def test_url_for_all_interfaces_points_at_localhost() -> None:
    assert viz_cli.server_url("0.0.0.0", 8765) == "http://localhost:8765/"
    assert viz_cli.server_url("127.0.0.1", 80) == "http://127.0.0.1:80/"


def test_viz_prints_the_url_and_becomes_solara(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = []

    def fake_exec(path: str, command: list[str], env: dict[str, str]) -> None:
        calls.append((path, command, env))

    monkeypatch.setattr(os, "execve", fake_exec)
    result = runner.invoke(_app(), ["viz", "--port", "9123", "--sweep", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "open http://localhost:9123/ in a browser" in result.output
    assert "sweep results at http://localhost:9123/sweep" in result.output
    # The process is replaced by the server's (no child left behind by a signal).
    ((path, command, env),) = calls
    assert command == viz_cli.solara_command(9123, "localhost")
    assert path == command[0] == sys.executable
    assert env[viz_cli.SWEEP_DIR_ENV] == str(tmp_path.resolve())


def test_app_is_found_as_an_installed_module() -> None:
    import visualization.app

    assert viz_cli.app_path() == Path(visualization.app.__file__)
    assert viz_cli.repo_root() == Path(visualization.app.__file__).parents[1]


def test_viz_refuses_a_missing_sweep_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(os, "execve", lambda *a: pytest.fail("solara started"))
    result = runner.invoke(_app(), ["viz", "--sweep", str(tmp_path / "nope")])
    assert isinstance(result.exception, ConfigError)
    assert "no such directory" in str(result.exception)
