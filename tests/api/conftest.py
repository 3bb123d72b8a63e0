"""Fixtures of the API tests: apps on temporary data directories, and finished jobs to share.

Simulations are tiny (200 holders × 48 steps); the shared app runs one worker process so the
suite leaves the machine's second core to others.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gramabm.api import Settings, create_app
from gramabm.policies.base import FEATURES

TINY_RUN: dict[str, Any] = {"holders": 200, "steps": 48, "seed": 3}
"""A simulation request small enough for tests."""


def make_client(data_dir: Path, **overrides: Any) -> TestClient:
    """A TestClient (not yet entered) of an app on ``data_dir``."""
    settings = Settings(data_dir=data_dir, workers=1, **overrides)
    return TestClient(create_app(settings))


def wait_job(client: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll ``/jobs/{id}`` until the job has finished; return its record."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout} s"
        time.sleep(0.05)


def wait_running(client: TestClient, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll until the job reports progress (it is running in a worker)."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] == "running" and job["progress"] > 0:
            return job
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, "job never started"
        time.sleep(0.05)


def state_of(data_dir: Path) -> dict[str, Any]:
    """Everything a state-changing call could touch: table rows and files under the data dir."""
    import sqlite3

    db = sqlite3.connect(data_dir / "gramabm.sqlite3")
    try:
        tables = {
            t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in ("jobs", "datasets", "policies")
        }
    finally:
        db.close()
    files = sorted(
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if p.is_file() and not p.name.startswith("gramabm.sqlite3")
    )
    return {"tables": tables, "files": files}


def zero_state(**values: float) -> dict[str, float]:
    """A holder state with every feature 0 except those given."""
    return {name: float(values.get(name, 0.0)) for name in FEATURES}


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app shared by the endpoint tests."""
    with make_client(tmp_path_factory.mktemp("api")) as client:
        yield client


@pytest.fixture(scope="session")
def builtin_dataset(api: TestClient) -> dict[str, Any]:
    """The built-in gold history, ingested."""
    response = api.post("/datasets/builtin", json={"name": "aer_goldsilver"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="session")
def finished_run(api: TestClient, builtin_dataset: dict[str, Any]) -> dict[str, Any]:
    """A finished tiny simulation."""
    response = api.post("/simulations", json={**TINY_RUN, "dataset_id": builtin_dataset["id"]})
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"])
    assert job["status"] == "succeeded", job
    return job


@pytest.fixture(scope="session")
def trained(api: TestClient, builtin_dataset: dict[str, Any]) -> dict[str, Any]:
    """A finished training job (logistic policy on the built-in history)."""
    response = api.post("/train", json={"dataset_id": builtin_dataset["id"]})
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"])
    assert job["status"] == "succeeded", job
    return job
