"""`gramabm viz`: serve the browser view (a Solara app) and print its address.

The command becomes ``solara run visualization.app``: it replaces its own process with the
server's (``exec``) rather than starting a child, so a signal sent to ``gramabm viz`` (Ctrl+C, a
supervisor's or container runtime's SIGTERM, ``kill``) reaches the server itself and stopping the
command stops the view and frees its port; nothing is left behind with parent 1.

The app is the ``visualization`` package, shipped in the wheel beside ``gramabm`` (and found in a
source checkout the same way); its parent directory is put on ``PYTHONPATH`` for the server.
Solara's usage telemetry is switched off: the view must work behind a firewall, and nothing it
does should leave the machine.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from gramabm.errors import ConfigError

APP_MODULE = "visualization.app"
"""The Solara app, by module name."""

DEFAULT_PORT = 8765
"""Solara's own default port."""

SWEEP_DIR_ENV = "GRAMABM_SWEEP_DIR"
"""Tells the sweep page which results directory to open (``visualization.sweep`` reads it)."""


def app_path() -> Path:
    """The app's file, wherever the ``visualization`` package is installed.

    Raises:
        ConfigError: If the ``visualization`` package cannot be found (a broken install).
    """
    try:
        spec = importlib.util.find_spec(APP_MODULE)
    except ImportError:
        spec = None
    if spec is None or spec.origin is None or not Path(spec.origin).is_file():
        raise ConfigError(
            f"the browser view's app ({APP_MODULE}) is not installed; reinstall gramabm "
            "(pip install gramabm, or pip install -e . in a source checkout)"
        )
    return Path(spec.origin)


def repo_root() -> Path:
    """The directory holding the ``visualization`` package (a checkout or site-packages)."""
    return app_path().parents[1]


def server_url(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = "localhost" if host in ("", "0.0.0.0", "::") else host
    return f"http://{shown}:{port}/"


def solara_command(port: int, host: str = "localhost", *, production: bool = True) -> list[str]:
    """The ``solara run`` command line that serves the view.

    Args:
        port: TCP port (1-65535).
        host: Interface to listen on.
        production: Solara's production mode (no auto-reload, minified front end).

    Raises:
        ConfigError: If the port is out of range.
    """
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, got {port}")
    command = [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", host]
    command += ["--port", str(port), "--no-open"]
    if production:
        command.append("--production")
    return command


def solara_env(base: dict[str, str] | None = None, *, sweep: Path | None = None) -> dict[str, str]:
    """The server's environment: the app's directory on ``PYTHONPATH``, telemetry and badge off.

    Args:
        base: Environment to extend (default: this process's).
        sweep: A sweep's results directory for the sweep page to open first.
    """
    env = dict(os.environ if base is None else base)
    root = str(repo_root())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # Solara's "This website runs on Solara" badge floats over the page's bottom right corner,
    # on top of table cells, axis labels and the pagination.
    env["SOLARA_THEME_SHOW_BANNER"] = "False"
    if sweep is not None:
        env[SWEEP_DIR_ENV] = str(sweep.expanduser().resolve())
    return env


def viz(
    port: Annotated[int, typer.Option("--port", help="port to serve on")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option("--host", help="interface to listen on (0.0.0.0: all)")
    ] = "localhost",
    sweep: Annotated[
        Path | None,
        typer.Option("--sweep", help="a sweep's results directory to open on the sweep page"),
    ] = None,
) -> None:
    """Serve the browser view of a live stress test and print its URL (Ctrl+C stops it)."""
    app_path()  # fail early, with a message, when the app is not there
    if sweep is not None and not sweep.expanduser().is_dir():
        raise ConfigError(f"--sweep {sweep}: no such directory")
    command = solara_command(port, host)
    url = server_url(host, port)
    typer.echo(f"gramabm viz: open {url} in a browser (Ctrl+C to stop)")
    if sweep is not None:
        typer.echo(f"gramabm viz: sweep results at {url}sweep")
    env = solara_env(sweep=sweep)
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the server (no child): signals sent to this process stop the view itself.
    os.execve(command[0], command, env)
