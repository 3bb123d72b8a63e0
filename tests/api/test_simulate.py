"""Simulate: start a run as a job, follow its progress, read summary, series and plots."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from gramabm.analysis.render.plots import RUN_PLOTS
from gramabm.config import build_config
from gramabm.simulation import simulate
from tests.api.conftest import TINY_RUN, make_client, wait_job, wait_running


def test_finished_run_matches_a_direct_call(api: TestClient, finished_run: dict) -> None:
    # The API is a face: the same configuration and seed give the same metrics as simulate().
    direct = simulate(build_config(holders=200, steps=48), 3)
    summary = api.get(f"/simulations/{finished_run['id']}/summary").json()
    assert summary["steps"] == 48
    assert summary["model_seed"] == 3
    expected = json.loads(json.dumps(direct.metrics.to_dict()))
    assert summary["metrics"] == expected
    assert finished_run["progress"] == 1.0
    assert finished_run["result"]["metrics"] == expected


def test_status_route_and_files(api: TestClient, finished_run: dict) -> None:
    job = api.get(f"/simulations/{finished_run['id']}").json()
    assert job["status"] == "succeeded"
    assert job["kind"] == "simulate"
    assert {"timeseries.parquet", "summary.json", "price.png"} <= set(job["files"])
    assert job["request"]["holders"] == 200
    assert job["started"] <= job["finished"]


def test_timeseries_as_csv_and_parquet(api: TestClient, finished_run: dict) -> None:
    base = f"/simulations/{finished_run['id']}/timeseries"
    csv = api.get(base, params={"format": "csv"})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(csv.text))
    assert len(frame) == 48
    parquet = api.get(base, params={"format": "parquet"})
    assert parquet.status_code == 200
    table = pd.read_parquet(io.BytesIO(parquet.content))
    assert len(table) == 48
    assert list(table.columns)[: len(frame.columns) - 1] == list(frame.columns)[1:]
    assert api.get(base, params={"format": "xlsx"}).status_code == 422


def test_plots_are_png(api: TestClient, finished_run: dict) -> None:
    names = api.get(f"/simulations/{finished_run['id']}/plots").json()
    assert set(RUN_PLOTS) <= set(names)
    png = api.get(f"/simulations/{finished_run['id']}/plots/deviation")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert api.get(f"/simulations/{finished_run['id']}/plots/nope").status_code == 404


def test_job_file_route_serves_listed_files(api: TestClient, finished_run: dict) -> None:
    summary = api.get(f"/jobs/{finished_run['id']}/files/summary.json")
    assert summary.status_code == 200
    assert summary.json()["steps"] == 48
    assert api.get(f"/jobs/{finished_run['id']}/files/other.json").status_code == 404


def test_progress_is_reported_while_running(api: TestClient) -> None:
    response = api.post("/simulations", json={"holders": 200, "steps": 3000, "seed": 1})
    job_id = response.json()["id"]
    assert response.headers["location"] == f"/simulations/{job_id}"
    seen = [wait_running(api, job_id)["progress"]]
    seen.append(api.get(f"/simulations/{job_id}").json()["progress"])
    assert 0 < seen[0] <= seen[1] <= 1
    # Not finished yet: results are a conflict, not an error.
    assert api.get(f"/simulations/{job_id}/summary").status_code in (409, 200)
    cancel = api.post(f"/jobs/{job_id}/cancel")
    assert cancel.status_code == 200
    final = wait_job(api, job_id)
    assert final["status"] in ("cancelled", "succeeded")


def test_cancel_stops_a_run(api: TestClient) -> None:
    job_id = api.post("/simulations", json={"holders": 200, "steps": 20000}).json()["id"]
    wait_running(api, job_id)
    assert api.post(f"/jobs/{job_id}/cancel").json()["message"] == "cancel requested"
    final = wait_job(api, job_id, timeout=20)
    assert final["status"] == "cancelled"
    assert final["progress"] < 1
    assert final["files"] == []
    assert api.get(f"/simulations/{job_id}/summary").status_code == 409
    # A finished job cannot be cancelled again.
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 409


def test_holder_steps_limit_names_the_field(api: TestClient) -> None:
    response = api.post("/simulations", json={"holders": 1_000_000, "steps": 1000})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "holders"]
    assert "holders × steps" in detail["msg"]


@pytest.mark.parametrize(
    ("body", "loc", "text"),
    [
        ({"steps": 0}, ["body", "steps"], "greater than or equal to 1"),
        ({"holders": -5}, ["body", "holders"], "greater than or equal to 1"),
        ({"preset": "usdc"}, ["body", "preset"], "paxg"),
        ({"colour": "red"}, ["body", "colour"], "Extra inputs"),
        ({"overrides": {"holders.policy": "/etc/passwd"}}, ["body", "overrides"], "policy_id"),
        ({"overrides": {"holders.nope": 1}}, ["body", "overrides"], "holders.nope"),
        ({"overrides": {"trading_fee_bp": 20000}}, ["body", "overrides"], "trading_fee_bp"),
        ({"scenario": "meteor"}, ["body", "scenario"], "unknown scenario"),
        (
            {"scenario": "drop", "scenario_params": {"severity": "lots"}},
            ["body", "scenario"],
            "severity",
        ),
        ({"dataset_id": "f" * 32}, ["body", "dataset_id"], "no dataset"),
        ({"policy_id": "e" * 32}, ["body", "policy_id"], "no policy"),
    ],
)
def test_invalid_requests_name_the_field(api: TestClient, body: dict, loc: list, text: str) -> None:
    before = len(api.get("/jobs").json())
    response = api.post("/simulations", json={**TINY_RUN, **body})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][: len(loc)] == loc
    assert text in detail["msg"]
    assert len(api.get("/jobs").json()) == before


def test_unknown_jobs_are_404(api: TestClient) -> None:
    missing = "a" * 32
    assert api.get(f"/simulations/{missing}").status_code == 404
    assert api.get(f"/simulations/{missing}/summary").status_code == 404
    assert api.post(f"/jobs/{missing}/cancel").status_code == 404
    assert api.get("/simulations/xyz").status_code == 422


def test_job_of_another_kind_is_not_a_simulation(api: TestClient, trained: dict) -> None:
    assert api.get(f"/simulations/{trained['id']}").status_code == 404


def test_jobs_list_filters(api: TestClient, finished_run: dict) -> None:
    jobs = api.get("/jobs", params={"kind": "simulate", "status": "succeeded"}).json()
    assert finished_run["id"] in [j["id"] for j in jobs]
    assert all(j["kind"] == "simulate" and j["status"] == "succeeded" for j in jobs)
    assert api.get("/jobs", params={"status": "sleeping"}).status_code == 422


def test_full_queue_answers_503(tmp_path: Path) -> None:
    with make_client(tmp_path, max_active_jobs=1) as client:
        first = client.post("/simulations", json={"holders": 200, "steps": 20000})
        assert first.status_code == 202
        second = client.post("/simulations", json=TINY_RUN)
        assert second.status_code == 503
        assert second.headers["retry-after"] == "5"
        assert len(client.get("/jobs").json()) == 1
        client.post(f"/jobs/{first.json()['id']}/cancel")
        assert wait_job(client, first.json()["id"])["status"] == "cancelled"
        # The slot is free again.
        assert client.post("/simulations", json=TINY_RUN).status_code == 202


def test_run_with_a_stored_policy(api: TestClient, trained: dict) -> None:
    policy_id = trained["result"]["policy_id"]
    job_id = api.post("/simulations", json={**TINY_RUN, "policy_id": policy_id}).json()["id"]
    job = wait_job(api, job_id)
    assert job["status"] == "succeeded", job
    assert job["request"]["policy_id"] == policy_id
