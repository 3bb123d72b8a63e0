"""Experiments on an ingested dataset: `dataset_id` reaches the sweep's runs and its metadata."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from gramabm.data.digest import data_digest
from tests.api.conftest import wait_job
from tests.sweeps.gold_csv import gold_frame

SPEC: dict[str, Any] = {
    "name": "on_data",
    "root_seed": 9,
    "steps": 48,
    "holders": 150,
    "scenarios": ["baseline"],
    "parameters": {"primary.mint_fee_bp": [0, 50]},
}


@pytest.fixture(scope="module")
def dataset(api: TestClient) -> dict[str, Any]:
    """The 2012-2021 gold series (LBMA slice, or its stand-in), uploaded."""
    body = gold_frame().to_csv(index=False, lineterminator="\n").encode()
    response = api.post("/datasets/upload", files={"file": ("gold.csv", body, "text/csv")})
    assert response.status_code == 201, response.text
    return response.json()


def _run(api: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/experiments", json=body)
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"], timeout=120)
    assert job["status"] == "succeeded", job
    return job


def _results(api: TestClient, job: dict[str, Any]) -> pd.DataFrame:
    rows = api.get(f"/experiments/{job['id']}/results").json()
    return pd.DataFrame(rows).sort_values("run_id").reset_index(drop=True)


def test_sweep_on_a_dataset_differs_from_the_default(api: TestClient, dataset: dict) -> None:
    mine = _run(api, {"spec": SPEC, "dataset_id": dataset["id"]})
    default = _run(api, {"spec": SPEC})
    assert mine["request"]["dataset_id"] == dataset["id"]
    assert default["request"]["dataset_id"] is None
    assert mine["result"]["dataset_id"] == dataset["id"]
    # The digest of the series the server stored for this id, as the job's worker received it.
    digest = data_digest(api.app.state.gramabm.datasets.prices(dataset["id"]))
    assert mine["result"]["data"] == {"source": "upload:gold.csv", "digest": digest}
    assert mine["request"]["data"]["digest"] == digest
    assert mine["result"]["manifest"]["data"]["digest"] == digest
    assert mine["result"]["manifest"]["data"]["builtin"] is False
    assert default["result"]["data"]["source"] == "builtin:aer_goldsilver"

    a, b = _results(api, mine), _results(api, default)
    assert a["run_id"].tolist() == b["run_id"].tolist()  # the same design ...
    assert (a["status"] == "ok").all()
    assert (a["m_volume_usd_total"] != b["m_volume_usd_total"]).all()  # ... on other gold


def test_replay_only_the_dataset_covers(api: TestClient, dataset: dict) -> None:
    spec = {**SPEC, "name": "covid", "scenarios": ["replay_mar_2020"], "parameters": {}}
    before = len(api.get("/jobs").json())
    refused = api.post("/experiments", json={"spec": spec})  # built-in data end in 2012
    assert refused.status_code == 422, refused.text
    assert "replay_mar_2020 needs" in refused.json()["detail"][0]["msg"]
    assert len(api.get("/jobs").json()) == before
    job = _run(api, {"spec": spec, "dataset_id": dataset["id"]})
    assert job["result"]["executed"] == 1
    assert job["result"]["failed"] == 0


@pytest.mark.parametrize(
    ("body", "loc", "text"),
    [
        ({"spec": SPEC, "dataset_id": "0" * 32}, ["body", "dataset_id"], "no dataset"),
        ({"spec": SPEC, "dataset_id": "not-an-id"}, ["body", "dataset_id"], "pattern"),
        (
            {"spec": {**SPEC, "data": {"csv": "/etc/passwd"}}},
            ["body", "spec"],
            "give its dataset_id",
        ),
    ],
)
def test_unknown_dataset_or_a_file_path_is_refused(
    api: TestClient, body: dict, loc: list[str], text: str
) -> None:
    before = len(api.get("/jobs").json())
    response = api.post("/experiments", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == loc
    assert text in detail["msg"]
    assert len(api.get("/jobs").json()) == before
