"""The Dask backend: the same jobs, run on a Dask cluster named by GRAMABM_DASK_ADDRESS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import TINY_RUN, make_client, wait_job, wait_running

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    # Threads in this process: no worker start-up cost, and the cluster is gone with the test.
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_jobs_run_on_dask(scheduler: str, tmp_path: Path) -> None:
    with make_client(tmp_path, dask_address=scheduler) as client:
        assert client.app.state.gramabm.jobs.backend.name == "dask"
        job = wait_job(client, client.post("/simulations", json=TINY_RUN).json()["id"])
        assert job["status"] == "succeeded", job["error"]
        assert job["progress"] == 1.0
        assert client.get(f"/simulations/{job['id']}/summary").json()["steps"] == 48
        assert client.get("/ready").json()["status"] == "ok"


def test_dask_jobs_report_progress_and_cancel(scheduler: str, tmp_path: Path) -> None:
    with make_client(tmp_path, dask_address=scheduler) as client:
        job_id = client.post("/simulations", json={"holders": 200, "steps": 20_000}).json()["id"]
        running = wait_running(client, job_id)
        assert 0 < running["progress"] < 1
        assert client.post(f"/jobs/{job_id}/cancel").status_code == 200
        assert wait_job(client, job_id, timeout=30)["status"] == "cancelled"
