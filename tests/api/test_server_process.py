"""`gramabm serve` as a real process: a SIGKILL mid-sweep loses no finished run and the sweep
resumes on restart; a SIGTERM at any moment (even while workers start) leaves no worker behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

SWEEP: dict[str, Any] = {
    "name": "crash",
    "root_seed": 5,
    "steps": 240,
    "holders": 300,
    "replications": 4,
    "parameters": {"primary.mint_fee_bp": [0, 25, 50]},
}
"""Twelve small runs: long enough to kill the server between two of them."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One `gramabm serve` process; every process it starts carries its tag in the environment."""

    def __init__(self, data_dir: Path, tag: str) -> None:
        self.port = _free_port()
        self.tag = tag
        env = {
            **os.environ,
            "GRAMABM_DATA_DIR": str(data_dir),
            "GRAMABM_WORKERS": "1",
            "GRAMABM_TEST_TAG": tag,
        }
        env.pop("GRAMABM_API_KEY", None)
        self.log = data_dir.parent / f"server-{tag}-{self.port}.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from gramabm.cli import main; main()",
                "serve",
                "--port",
                str(self.port),
            ],
            env=env,
            cwd=data_dir.parent,  # the code comes from PYTHONPATH, not the working directory
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server never answered")

    def get(self, path: str) -> Any:
        return httpx.get(self.url + path, timeout=10).json()

    def wait_done(self, job_id: str, timeout: float = 300.0) -> Any:
        """The sweep job's record once it has finished here."""
        deadline = time.monotonic() + timeout
        while (job := self.get(f"/experiments/{job_id}"))["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        return job

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def tagged(tag: str) -> list[int]:
    """Processes still alive that a server with this tag started (itself included)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get("GRAMABM_TEST_TAG") == tag and proc.status() != "zombie":
                found.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def wait_gone(tag: str, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _runs_on_disk(data_dir: Path, job_id: str) -> dict[str, float]:
    runs = data_dir / "jobs" / job_id / "runs"
    return {p.name: p.stat().st_mtime_ns for p in runs.glob("*.parquet")} if runs.is_dir() else {}


def test_sigkill_mid_sweep_keeps_finished_runs_and_the_restart_completes_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    tag = uuid.uuid4().hex
    first = Server(data_dir, tag)
    try:
        first.wait_up()
        response = httpx.post(first.url + "/experiments", json={"spec": SWEEP}, timeout=60)
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        deadline = time.monotonic() + 180
        while len(_runs_on_disk(data_dir, job_id)) < 3:
            assert time.monotonic() < deadline, first.get(f"/jobs/{job_id}")
            time.sleep(0.1)
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait(10)
    finally:
        first.stop()
    # The workers die with the server that started them.
    assert wait_gone(tag) == []
    kept = _runs_on_disk(data_dir, job_id)
    assert 3 <= len(kept) < 12
    # Something was in flight: a temporary folder the crash left behind.
    second = Server(data_dir, uuid.uuid4().hex)
    try:
        second.wait_up()
        job = second.wait_done(job_id)
        assert job["status"] == "succeeded", job
        assert job["result"]["total"] == 12
        assert job["result"]["skipped"] == len(kept)
        assert job["result"]["executed"] == 12 - len(kept)
        after = _runs_on_disk(data_dir, job_id)
        assert len(after) == 12
        # The runs finished before the crash were kept as they were, not run again.
        assert {name: after[name] for name in kept} == kept
        rows = second.get(f"/experiments/{job_id}/results")
        assert len(rows) == 12
        assert all(r["status"] == "ok" for r in rows)
        # Nothing is left in the jobs' temporary folder.
        assert not any((data_dir / "tmp").rglob("*"))
    finally:
        second.stop()


@pytest.mark.parametrize("delay", [0.0, 0.4, 1.0, 2.0])
def test_sigterm_during_start_up_leaves_no_worker(tmp_path: Path, delay: float) -> None:
    tag = uuid.uuid4().hex
    server = Server(tmp_path / "data", tag)
    try:
        # Wait until the server has started at least one child (the fork server or a worker),
        # then a little longer: the signal lands while the workers start.
        deadline = time.monotonic() + 60
        while len(tagged(tag)) < 2 and time.monotonic() < deadline:
            assert server.proc.poll() is None, server.log.read_text()
            time.sleep(0.02)
        time.sleep(delay)
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(60)
    finally:
        server.stop()
    assert wait_gone(tag) == []
    assert "leaked semaphore" not in server.log.read_text()


def test_sigterm_mid_sweep_stops_every_worker_and_the_sweep_resumes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    tag = uuid.uuid4().hex
    server = Server(data_dir, tag)
    try:
        server.wait_up()
        job_id = httpx.post(server.url + "/experiments", json={"spec": SWEEP}, timeout=60).json()[
            "id"
        ]
        deadline = time.monotonic() + 180
        while len(_runs_on_disk(data_dir, job_id)) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(60)
    finally:
        server.stop()
    assert wait_gone(tag) == []
    log = server.log.read_text()
    assert "leaked semaphore" not in log, log
    kept = _runs_on_disk(data_dir, job_id)
    assert kept
    again = Server(data_dir, uuid.uuid4().hex)
    try:
        again.wait_up()
        job = again.wait_done(job_id)
        assert job["status"] == "succeeded", job
        assert job["result"]["skipped"] == len(kept)
    finally:
        again.stop()
