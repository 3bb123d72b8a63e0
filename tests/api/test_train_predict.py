"""Train a policy as a job, then predict with it from the store."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from gramabm.policies.base import ACTIONS, FEATURES
from tests.api.conftest import wait_job, zero_state


def test_training_job_registers_a_policy(api: TestClient, trained: dict) -> None:
    result = trained["result"]
    assert result["report"]["family"] == "logistic"
    assert "policy" in result["report"]["scores"]
    assert trained["files"] == ["policy.skops"]
    policy = api.get(f"/policies/{result['policy_id']}").json()
    assert policy["origin"] == f"job:{trained['id']}"
    assert policy["metadata"]["features"] == list(FEATURES)
    assert result["policy_id"] in [p["id"] for p in api.get("/policies").json()]
    assert api.get(f"/train/{trained['id']}").json()["status"] == "succeeded"


def test_gbt_with_bounded_params(api: TestClient, builtin_dataset: dict) -> None:
    response = api.post(
        "/train",
        json={
            "dataset_id": builtin_dataset["id"],
            "family": "gbt",
            "params": {"max_iter": 20, "max_leaf_nodes": 4},
        },
    )
    assert response.status_code == 202
    job = wait_job(api, response.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["report"]["params"]["max_iter"] == 20


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"family": "svm"}, ["body", "family"]),
        ({"horizon": 0}, ["body", "horizon"]),
        ({"params": {"max_iter": 10**9}}, ["body", "params", "max_iter"]),
        ({"params": {"gamma": 1}}, ["body", "params", "gamma"]),
        ({"family": "logistic", "params": {"learning_rate": 0.1}}, ["body", "params"]),
        ({"dataset_id": "c" * 32}, ["body", "dataset_id"]),
    ],
)
def test_bad_training_requests(api: TestClient, body: dict, loc: list) -> None:
    response = api.post("/train", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc


def test_predict_probabilities(api: TestClient, trained: dict) -> None:
    policy_id = trained["result"]["policy_id"]
    states = [zero_state(), zero_state(ret_5d=-0.2, drawdown=0.3, neighbour_panic=0.9)]
    response = api.post(f"/policies/{policy_id}/predict", json={"states": states})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["actions"] == list(ACTIONS)
    proba = np.array(body["probabilities"])
    assert proba.shape == (2, len(ACTIONS))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert body["predicted"] == [ACTIONS[i] for i in proba.argmax(axis=1)]


def test_predict_matches_the_policy_object(api: TestClient, trained: dict) -> None:
    from gramabm.policies.io import load_policy

    policy_id = trained["result"]["policy_id"]
    data = api.get(f"/policies/{policy_id}/file")
    assert data.status_code == 200
    path = api.app.state.gramabm.policies.root / f"{policy_id}.skops"
    assert data.content == path.read_bytes()
    state = zero_state(vol_20d=0.4, deviation_bp=-80)
    expected = load_policy(path).predict_proba(np.array([[state[f] for f in FEATURES]]))
    got = api.post(f"/policies/{policy_id}/predict", json={"states": [state]}).json()
    np.testing.assert_allclose(got["probabilities"], expected)


@pytest.mark.parametrize(
    ("states", "loc"),
    [
        ([], ["body", "states"]),
        (
            [{k: v for k, v in zero_state().items() if k != "vol_20d"}],
            ["body", "states", 0, "vol_20d"],
        ),
        ([{**zero_state(), "mood": 1.0}], ["body", "states", 0, "mood"]),
        ([{**zero_state(), "ret_1d": "up"}], ["body", "states", 0, "ret_1d"]),
    ],
)
def test_bad_states_name_the_field(api: TestClient, trained: dict, states: list, loc: list) -> None:
    policy_id = trained["result"]["policy_id"]
    response = api.post(f"/policies/{policy_id}/predict", json={"states": states})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_predict_row_limit(api: TestClient, trained: dict) -> None:
    policy_id = trained["result"]["policy_id"]
    limit = api.app.state.gramabm.settings.max_predict_rows
    response = api.post(
        f"/policies/{policy_id}/predict", json={"states": [zero_state()] * (limit + 1)}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "states"]


def test_unknown_policy(api: TestClient) -> None:
    missing = "d" * 32
    assert api.get(f"/policies/{missing}").status_code == 404
    assert api.get(f"/policies/{missing}/file").status_code == 404
    response = api.post(f"/policies/{missing}/predict", json={"states": [zero_state()]})
    assert response.status_code == 404


def test_reupload_of_a_trained_file_gives_the_same_id(api: TestClient, trained: dict) -> None:
    policy_id = trained["result"]["policy_id"]
    data = api.get(f"/policies/{policy_id}/file").content
    response = api.post("/policies", files={"file": ("p.skops", data, "application/zip")})
    assert response.status_code == 201, response.text
    assert response.json()["id"] == policy_id


@pytest.mark.parametrize(
    ("feature", "value"),
    [
        ("incident", "1.8e308"),
        ("vol_20d", -0.2),
        ("drawdown", 1.5),
        ("neighbour_panic", -1.0),
        ("own_pnl", -2.0),
        ("ret_1d", 50.0),
    ],
)
def test_predict_refuses_impossible_features(
    api: TestClient, trained: dict, feature: str, value: float | str
) -> None:
    import json

    policy_id = trained["result"]["policy_id"]
    # Sent as JSON text: 1.8e308 is a valid JSON number that overflows a double.
    state = {**zero_state(), feature: "@"}
    text = json.dumps({"states": [state]}).replace('"@"', str(value))
    response = api.post(
        f"/policies/{policy_id}/predict",
        content=text,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert feature in response.text


def test_predict_at_the_feature_bounds_gives_numbers(api: TestClient, trained: dict) -> None:
    from gramabm.api.schemas import FEATURE_BOUNDS

    assert set(FEATURE_BOUNDS) == set(FEATURES)  # every feature has its range
    policy_id = trained["result"]["policy_id"]
    states = [
        zero_state(**{name: bounds[end] for name, bounds in FEATURE_BOUNDS.items()})
        for end in (0, 1)
    ]
    body = api.post(f"/policies/{policy_id}/predict", json={"states": states}).json()
    proba = np.array(body["probabilities"], dtype=float)
    assert proba.shape == (2, len(ACTIONS))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
