"""Restart: finished jobs survive a new server on the same data directory; unfinished ones are
marked interrupted, whether the old server crashed or shut down cleanly."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import TINY_RUN, make_client, wait_job, wait_running

LONG_RUN = {"holders": 200, "steps": 50_000, "seed": 9}


def test_finished_job_is_served_after_a_restart(tmp_path: Path) -> None:
    with make_client(tmp_path) as first:
        dataset = first.post("/datasets/builtin", json={}).json()
        job = wait_job(first, first.post("/simulations", json=TINY_RUN).json()["id"])
        assert job["status"] == "succeeded"
        summary = first.get(f"/simulations/{job['id']}/summary").json()
        png = first.get(f"/simulations/{job['id']}/plots/price").content
    with make_client(tmp_path) as second:
        again = second.get(f"/simulations/{job['id']}").json()
        assert again == job
        assert second.get(f"/simulations/{job['id']}/summary").json() == summary
        assert second.get(f"/simulations/{job['id']}/plots/price").content == png
        series = second.get(f"/simulations/{job['id']}/timeseries", params={"format": "csv"})
        assert series.status_code == 200
        assert second.get(f"/datasets/{dataset['id']}").json() == dataset


def test_running_job_of_a_crashed_server_is_interrupted(tmp_path: Path) -> None:
    crashed = make_client(tmp_path)
    crashed.__enter__()
    try:
        job_id = crashed.post("/simulations", json=LONG_RUN).json()["id"]
        queued_id = crashed.post("/simulations", json=LONG_RUN).json()["id"]
        wait_running(crashed, job_id)
        # A new server on the same directory while the old one never said goodbye.
        with make_client(tmp_path) as restarted:
            job = restarted.get(f"/simulations/{job_id}").json()
            assert job["status"] == "interrupted"
            assert "server stopped" in job["message"]
            assert job["finished"] is not None
            assert restarted.get(f"/jobs/{queued_id}").json()["status"] == "interrupted"
            assert restarted.get(f"/simulations/{job_id}/summary").status_code == 409
            # It cannot be cancelled there: it runs nowhere.
            assert restarted.post(f"/jobs/{job_id}/cancel").status_code == 409
            # The old server winding its job down does not overwrite the verdict.
            crashed.post(f"/jobs/{job_id}/cancel")
            crashed.app.state.gramabm.jobs.close()
            assert restarted.get(f"/simulations/{job_id}").json()["status"] == "interrupted"
            # The restarted server works.
            fresh = wait_job(restarted, restarted.post("/simulations", json=TINY_RUN).json()["id"])
            assert fresh["status"] == "succeeded"
    finally:
        crashed.__exit__(None, None, None)


def test_clean_shutdown_marks_running_jobs_interrupted(tmp_path: Path) -> None:
    with make_client(tmp_path) as server:
        job_id = server.post("/simulations", json=LONG_RUN).json()["id"]
        wait_running(server, job_id)
    with make_client(tmp_path) as restarted:
        job = restarted.get(f"/jobs/{job_id}").json()
        assert job["status"] == "interrupted"
        assert "shut down" in job["message"]
        assert job["files"] == []
