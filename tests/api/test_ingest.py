"""Ingest: built-in and uploaded gold series become datasets with a validation report and facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gramabm.data.loaders import load_builtin
from tests.api.conftest import make_client, state_of


def _csv(rows: int = 400, start: int = 1000) -> bytes:
    prices = load_builtin().iloc[start : start + rows]
    lines = ["date,price"] + [f"{d:%Y-%m-%d},{p:.4f}" for d, p in prices.items()]
    return ("\n".join(lines) + "\n").encode()


def test_builtin_dataset_has_report_and_facts(builtin_dataset: dict) -> None:
    assert len(builtin_dataset["id"]) == 32
    assert builtin_dataset["rows"] == len(load_builtin())
    assert builtin_dataset["validation"]["ok"] is True
    facts = builtin_dataset["stylised_facts"]
    assert facts["ann_vol"] > 0.05
    assert builtin_dataset["start"] < builtin_dataset["end"]


def test_builtin_is_stored_once_and_listed(api: TestClient, builtin_dataset: dict) -> None:
    again = api.post("/datasets/builtin", json={})
    assert again.status_code == 201
    assert again.json()["id"] == builtin_dataset["id"]
    ids = [d["id"] for d in api.get("/datasets").json()]
    assert ids.count(builtin_dataset["id"]) == 1
    fetched = api.get(f"/datasets/{builtin_dataset['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == builtin_dataset


def test_unknown_builtin_is_refused_naming_the_field(api: TestClient) -> None:
    response = api.post("/datasets/builtin", json={"name": "lbma_pm"})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "name"]
    assert "aer_goldsilver" in detail["msg"]


def test_csv_upload_validates_and_describes(api: TestClient) -> None:
    response = api.post("/datasets/upload", files={"file": ("gold.csv", _csv(), "text/csv")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rows"] == 400
    assert body["source"] == "upload:gold.csv"
    assert body["stylised_facts"]["n_obs"] == 399
    prices = api.get(f"/datasets/{body['id']}").json()
    assert prices["rows"] == 400


def test_csv_with_custom_columns_and_delimiter(api: TestClient) -> None:
    text = _csv(200).decode().replace("date,price", "Day;Close").replace(",", ";")
    response = api.post(
        "/datasets/upload",
        files={"file": ("eu.csv", text.encode(), "text/csv")},
        data={"date_column": "Day", "price_column": "Close", "delimiter": ";"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["rows"] == 200


def test_bad_csv_is_refused_with_the_row(api: TestClient) -> None:
    lines = _csv(100).decode().splitlines()
    lines[6] = lines[6].split(",")[0] + ",not-a-price"
    before = len(api.get("/datasets").json())
    response = api.post(
        "/datasets/upload", files={"file": ("bad.csv", "\n".join(lines).encode(), "text/csv")}
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "file"]
    assert "row 6" in detail["msg"]
    assert len(api.get("/datasets").json()) == before


def test_missing_file_field_is_422(api: TestClient) -> None:
    response = api.post("/datasets/upload", data={"date_column": "date"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_unknown_and_malformed_dataset_ids(api: TestClient) -> None:
    assert api.get("/datasets/" + "0" * 32).status_code == 404
    assert api.get("/datasets/not-an-id").status_code == 422


def test_oversize_upload_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    with make_client(tmp_path, max_upload_bytes=4_000, max_body_bytes=200_000) as client:
        before = state_of(tmp_path)
        response = client.post(
            "/datasets/upload", files={"file": ("big.csv", _csv(400), "text/csv")}
        )
        assert response.status_code == 413
        assert "file" in response.json()["detail"]
        assert state_of(tmp_path) == before


@pytest.mark.parametrize("rows", [5])
def test_too_short_series_is_refused(api: TestClient, rows: int) -> None:
    response = api.post("/datasets/upload", files={"file": ("short.csv", _csv(rows), "text/csv")})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
