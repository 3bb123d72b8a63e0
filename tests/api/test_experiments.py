"""Experiments and analysis: a sweep as a job, its result table, and the analyses of it."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from gramabm.sweeps import expand, parse_spec
from tests.api.conftest import wait_job, wait_running

SPEC: dict[str, Any] = {
    "name": "fees",
    "root_seed": 7,
    "steps": 48,
    "holders": 200,
    "replications": 2,
    "parameters": {"primary.mint_fee_bp": [0, 50]},
}


@pytest.fixture(scope="module")
def sweep(api: TestClient) -> dict[str, Any]:
    response = api.post("/experiments", json={"spec": SPEC})
    assert response.status_code == 202, response.text
    assert response.json()["request"]["runs"] == 4
    job = wait_job(api, response.json()["id"], timeout=120)
    assert job["status"] == "succeeded", job
    return job


def test_sweep_result_table(api: TestClient, sweep: dict) -> None:
    assert sweep["result"]["executed"] == 4
    assert sweep["result"]["failed"] == 0
    rows = api.get(f"/experiments/{sweep['id']}/results").json()
    expected = sorted(r.run_id for r in expand(parse_spec(SPEC)))
    assert sorted(r["run_id"] for r in rows) == expected
    assert {r["p_primary__mint_fee_bp"] for r in rows} == {0, 50}
    assert all(r["status"] == "ok" for r in rows)
    csv = pd.read_csv(io.StringIO(api.get(f"/experiments/{sweep['id']}/results?format=csv").text))
    parquet = pd.read_parquet(
        io.BytesIO(api.get(f"/experiments/{sweep['id']}/results?format=parquet").content)
    )
    assert len(csv) == len(parquet) == 4
    assert "m_worst_discount_bp" in parquet.columns


def test_sweep_is_reproducible_and_status_route(api: TestClient, sweep: dict) -> None:
    assert api.get(f"/experiments/{sweep['id']}").json()["kind"] == "sweep"
    again = wait_job(api, api.post("/experiments", json={"spec": SPEC}).json()["id"], timeout=120)
    first = pd.DataFrame(api.get(f"/experiments/{sweep['id']}/results").json())
    second = pd.DataFrame(api.get(f"/experiments/{again['id']}/results").json())
    drop = ["elapsed_s"]
    pd.testing.assert_frame_equal(first.drop(columns=drop), second.drop(columns=drop))


def test_metrics_analysis(api: TestClient, sweep: dict) -> None:
    body = api.get(f"/analysis/{sweep['id']}/metrics", params={"metrics": ["worst_discount_bp"]})
    assert body.status_code == 200, body.text
    rows = body.json()["rows"]
    assert len(rows) == 2
    assert {r["p_primary__mint_fee_bp"] for r in rows} == {0, 50}
    assert all(r["n"] == 2 and r["metric"] == "worst_discount_bp" for r in rows)
    assert all(r["ci_low"] <= r["mean"] <= r["ci_high"] for r in rows if r["ci_low"] is not None)


def test_sensitivity_and_recommendations(api: TestClient, sweep: dict) -> None:
    sens = api.get(f"/analysis/{sweep['id']}/sensitivity")
    assert sens.status_code == 200, sens.text
    assert sens.json()["fit"], "every metric reports how (or why not) it was analysed"
    rec = api.get(f"/analysis/{sweep['id']}/recommendations")
    assert rec.status_code == 200, rec.text
    body = rec.json()
    assert body["levers"] == ["p_primary__mint_fee_bp"]
    assert len(body["ranking"]) == 1
    assert body["sentences"]
    assert isinstance(body["sentences"][0], str)


def test_report_is_html(api: TestClient, sweep: dict) -> None:
    response = api.get(f"/analysis/{sweep['id']}/report")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Sweep report: fees" in response.text


def test_unknown_metric_is_a_named_error(api: TestClient, sweep: dict) -> None:
    response = api.get(f"/analysis/{sweep['id']}/metrics", params={"metrics": ["happiness"]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "metrics"]


def test_analysis_of_a_simulation_job_is_404(api: TestClient, finished_run: dict) -> None:
    assert api.get(f"/analysis/{finished_run['id']}/metrics").status_code == 404
    assert api.get(f"/experiments/{finished_run['id']}/results").status_code == 404


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ({**SPEC, "base": {"holders": {"policy": "/etc/passwd"}}}, "policy"),
        ({**SPEC, "parameters": {"holders.policy": ["/a", "/b"]}}, "policy"),
        ({**SPEC, "replications": 100_000}, "runs"),
        ({**SPEC, "parameters": {"holders.herding": {"min": 0, "max": 1, "num": 10**6}}}, "runs"),
        ({**SPEC, "holders": 1_000_000, "steps": 1000}, "holders × steps × runs"),
        ({**SPEC, "scenarios": ["meteor"]}, "unknown scenario"),
        ({**SPEC, "config": "/etc/passwd"}, "not a shipped configuration"),
        ({**SPEC, "config": "calibratd"}, "not a shipped configuration"),
        ({"root_seed": 1}, "name"),
    ],
)
def test_bad_or_oversize_sweeps_are_refused(api: TestClient, spec: dict, text: str) -> None:
    before = len(api.get("/jobs").json())
    response = api.post("/experiments", json={"spec": spec})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "spec"]
    assert text in detail["msg"]
    assert len(api.get("/jobs").json()) == before


def test_a_sweep_can_be_cancelled(api: TestClient) -> None:
    spec = {**SPEC, "name": "long", "replications": 40}
    job_id = api.post("/experiments", json={"spec": spec}).json()["id"]
    wait_running(api, job_id, timeout=60)
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 200
    job = wait_job(api, job_id, timeout=30)
    assert job["status"] == "cancelled"
    assert job["progress"] < 1
    assert api.get(f"/experiments/{job_id}/results").status_code == 409


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({"scenario_params.severity": ["abc", "12%"]}, "severity"),
        ({"scenario_params.severity": [-0.3, 0.1]}, "severity"),
        ({"primary.mint_fee_bp": [-50, 10]}, "mint_fee_bp"),
    ],
)
def test_invalid_sweep_values_are_refused_before_a_job_exists(
    api: TestClient, parameters: dict, named: str
) -> None:
    before = len(api.get("/jobs").json())
    spec = {**SPEC, "scenarios": ["drop"], "parameters": parameters}
    response = api.post("/experiments", json={"spec": spec})
    assert response.status_code == 422, response.text
    assert named in response.text
    assert len(api.get("/jobs").json()) == before


def test_a_sweep_with_failed_runs_is_partial_or_failed_with_the_first_error() -> None:
    from gramabm.api.tasks import verdict

    ok = {"total": 4, "failed": 0}
    some = {"total": 4, "failed": 1, "first_error": "RuntimeError: boom"}
    every = {"total": 4, "failed": 4, "first_error": "RuntimeError: boom"}
    assert verdict("sweep", ok) == ("succeeded", None)
    status, error = verdict("sweep", some)
    assert status == "partial"
    assert "1 of 4 runs failed" in error
    assert "boom" in error
    assert verdict("sweep", every)[0] == "failed"


def test_report_is_built_once_then_served_from_the_cache(
    api: TestClient, sweep: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gramabm.analysis.render.sweep_report as sweep_report

    first = api.get(f"/analysis/{sweep['id']}/report").text

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the report was built again")

    monkeypatch.setattr(sweep_report, "write_sweep_report", never)
    again = api.get(f"/analysis/{sweep['id']}/report")
    assert again.status_code == 200
    assert again.text == first


def test_job_manager_records_a_sweep_with_failed_runs_as_partial(tmp_path) -> None:
    from concurrent.futures import Future

    from gramabm.api.db import Database
    from gramabm.api.jobs import JobManager

    class Immediate:
        """A backend whose jobs finish at once with the given sweep result."""

        name = "test"
        shares_disk = False

        def __init__(self, result: dict) -> None:
            self.result = result

        def submit(self, job_id, fn, *args):
            future: Future = Future()
            future.set_result({"result": self.result, "warnings": [], "files": {}})
            return future

        def warm(self) -> None: ...
        def progress(self, job_id):
            return True, 1.0

        def request_cancel(self, job_id) -> None: ...
        def release(self, job_id) -> None: ...
        def healthy(self) -> bool:
            return True

        def close(self) -> None: ...

    result = {"total": 4, "failed": 1, "first_error": "RuntimeError: boom", "executed": 4}
    db = Database(tmp_path / "db.sqlite3")
    manager = JobManager(db, tmp_path / "jobs", lambda: Immediate(result))
    job = manager.wait(manager.submit("sweep", {}, {}).id, timeout=10)
    assert job.status == "partial"
    assert "1 of 4 runs failed" in (job.error or "")
    assert "boom" in job.message
    manager.close()
    db.close()
