"""The whole path a client takes: ingest → train → simulate → analyse."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from gramabm.data.loaders import load_builtin
from tests.api.conftest import make_client, wait_job, zero_state

KEY = "flow-key"


def test_ingest_train_simulate_analyse(tmp_path: Path) -> None:
    prices = load_builtin().iloc[-3000:]
    csv = "date,price\n" + "".join(f"{d:%Y-%m-%d},{p:.4f}\n" for d, p in prices.items())
    auth = {"X-API-Key": KEY}
    with make_client(tmp_path, api_key=KEY) as client:
        # Ingest: an uploaded history becomes a dataset with its report and stylised facts.
        dataset = client.post(
            "/datasets/upload",
            files={"file": ("recent.csv", csv.encode(), "text/csv")},
            headers=auth,
        )
        assert dataset.status_code == 201, dataset.text
        dataset_id = dataset.json()["id"]
        assert dataset.json()["rows"] == 3000

        # Train: a policy fitted on that dataset joins the store.
        train = client.post("/train", json={"dataset_id": dataset_id, "horizon": 10}, headers=auth)
        assert train.status_code == 202
        trained = wait_job(client, train.json()["id"])
        assert trained["status"] == "succeeded", trained
        policy_id = trained["result"]["policy_id"]
        policy = client.get(f"/policies/{policy_id}").json()
        assert policy["metadata"]["training"]["source"] == "upload:recent.csv"
        predicted = client.post(
            f"/policies/{policy_id}/predict", json={"states": [zero_state()]}, headers=auth
        )
        assert predicted.status_code == 200

        # Simulate: a shock on the uploaded history, holders following the trained policy.
        run = client.post(
            "/simulations",
            json={
                "holders": 200,
                "steps": 48,
                "seed": 5,
                "scenario": "drop",
                "scenario_params": {"severity": 0.1, "shock_step": 12},
                "dataset_id": dataset_id,
                "policy_id": policy_id,
            },
            headers=auth,
        )
        assert run.status_code == 202, run.text
        job = wait_job(client, run.json()["id"])
        assert job["status"] == "succeeded", job["error"]

        # Analyse: the run's metrics, series and plots; then a sweep and its recommendations.
        summary = client.get(f"/simulations/{job['id']}/summary").json()
        assert summary["scenario"] == "drop"
        assert summary["metrics"]["worst_discount_bp"] <= 0
        series = pd.read_csv(io.StringIO(client.get(f"/simulations/{job['id']}/timeseries").text))
        assert len(series) == 48
        assert client.get(f"/simulations/{job['id']}/plots/deviation").status_code == 200

        sweep = client.post(
            "/experiments",
            json={
                "spec": {
                    "name": "flow",
                    "root_seed": 2,
                    "steps": 48,
                    "holders": 200,
                    "scenarios": ["drop"],
                    "base": {"scenario_params": {"severity": 0.1, "shock_step": 12}},
                    "parameters": {"arbitrageurs": [1, 5]},
                }
            },
            headers=auth,
        )
        assert sweep.status_code == 202, sweep.text
        swept = wait_job(client, sweep.json()["id"], timeout=120)
        assert swept["status"] == "succeeded", swept
        metrics = client.get(f"/analysis/{swept['id']}/metrics").json()["rows"]
        assert {r["p_arbitrageurs__n"] for r in metrics} == {1, 5}
        rec = client.get(f"/analysis/{swept['id']}/recommendations").json()
        assert rec["levers"] == ["p_arbitrageurs__n"]
        assert len(rec["sentences"]) == 1
