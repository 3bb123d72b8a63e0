"""`gramabm viz` as a process: a SIGTERM stops the view and frees its port; the built wheel serves it.

Both start the real command and fetch the page over HTTP (no browser needed).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gramabm.cli.viz import repo_root

START_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    # SO_REUSEADDR, as a server binds: connections left in TIME_WAIT do not hold the port.
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8", "replace")


def _wait_for_page(url: str, proc: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gramabm viz exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            status, body = _get(url)
            if status == 200:
                return body
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"gramabm viz did not answer at {url}:\n{log.read_text()[-3000:]}")


def _view_processes(port: int) -> list[int]:
    """Live processes serving the view on ``port`` (by their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and "visualization.app" in cmd and f"--port {port} " in cmd + " ":
            found.append(int(entry.name))
    return found


def _start(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=15)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_sigterm_stops_the_view_and_frees_the_port(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo_root()), env.get("PYTHONPATH")) if p)
    env.pop("PYTEST_CURRENT_TEST", None)
    gramabm = [str(Path(sys.executable).with_name("gramabm")), "viz", "--host", "127.0.0.1"]
    proc = _start([*gramabm, "--port", str(port)], env, tmp_path, tmp_path / "viz.log")
    try:
        body = _wait_for_page(f"http://127.0.0.1:{port}/", proc, tmp_path / "viz.log")
        assert "solara" in body.lower()
        assert _view_processes(port), "no process serves the view"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (_view_processes(port) or not _port_free(port)):
            time.sleep(0.2)
        assert _view_processes(port) == [], "a process of the view outlived gramabm viz"
        assert _port_free(port), f"port {port} still taken after gramabm viz stopped"
        with pytest.raises(urllib.error.URLError):
            _get(f"http://127.0.0.1:{port}/")
    finally:
        _stop(proc)


@pytest.mark.slow
def test_built_wheel_serves_the_view_from_a_fresh_venv(tmp_path: Path) -> None:
    """Build the wheel, install it alone into a new venv (its dependencies come from this
    environment, by a path entry), and serve the page from outside the checkout."""
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(wheels),
            str(repo_root()),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("gramabm-*.whl")

    # Nothing of the checkout on the path: only the wheel may provide gramabm.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_CURRENT_TEST")}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # Dependencies from this environment (added after the install, so pip does not take the
    # editable gramabm there for this one): a plain path entry, so its own .pth files (an editable
    # gramabm among them) are not processed and only the wheel provides gramabm.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # ...and their data files under the prefix (the widget front ends Solara serves).
    for data in ("etc/jupyter", "share/jupyter"):
        source = Path(sys.prefix) / data
        if source.is_dir():
            (venv / data).parent.mkdir(parents=True, exist_ok=True)
            (venv / data).symlink_to(source)

    where = subprocess.run(
        [
            str(python),
            "-c",
            "import gramabm, visualization.app as a; print(gramabm.__file__, a.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where

    port = _free_port()
    command = [str(venv / "bin" / "gramabm"), "viz", "--host", "127.0.0.1", "--port", str(port)]
    proc = _start(command, env, tmp_path, tmp_path / "viz.log")
    try:
        body = _wait_for_page(f"http://127.0.0.1:{port}/", proc, tmp_path / "viz.log")
        assert "solara" in body.lower()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        finally:
            _stop(proc)
