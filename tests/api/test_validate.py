"""The validation job: upload a token series, validate against an ingested gold dataset."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient

from tests.api.conftest import wait_job


def _token_csv() -> bytes:
    rng = np.random.default_rng(5)
    hours = pd.date_range("2012-02-01", "2012-02-29 23:00", freq="h")
    close = 1700 * np.exp(np.cumsum(rng.normal(0, 0.001, len(hours))))
    frame = pd.DataFrame(
        {"timestamp_utc": hours, "close": close, "supply": np.full(len(hours), 1e5)}
    )
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def test_validation_job(api: TestClient, builtin_dataset: dict[str, Any]) -> None:
    up = api.post("/validations/token-series", files={"file": ("t.csv", _token_csv(), "text/csv")})
    assert up.status_code == 201, up.text
    series = up.json()
    assert series["has_supply"]
    assert not series["has_volume"]
    assert api.get(f"/validations/token-series/{series['id']}").json() == series
    body = {
        "token_series_id": series["id"],
        "dataset_id": builtin_dataset["id"],
        "start": "2012-02-06",
        "end": "2012-02-10",
        "config": "defaults",
        "policy": "rule_based",
        "holders": 100,
        "seeds": 2,
        "tick_usd_oz": 1.0,
    }
    response = api.post("/validations", json=body)
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"], timeout=120)
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert result["scenario"] == "replay:2012-02-06:2012-02-10"
    table = {row["fact"]: row for row in result["table"]}
    assert table["days"]["observed"] == 5
    assert table["price_step_usd"]["sim_median"] == 1.0  # the venue ran on the tick asked for
    assert result["tick_note"] is None  # the observed closes sit on no step: nothing to note
    assert result["exit_status"] == (1 if result["failed"] else 0)
    # The default configuration names no fitted venue: it stays as configured, and says why.
    assert result["venue"] == {
        "scale": 1.0,
        "reason": "the configuration names no fitted venue volume: not scaled",
    }
    assert {"validation.csv", "validation.png", "validation.html"} <= set(job["files"])
    png = api.get(f"/validations/{job['id']}/files/validation.png")
    assert png.status_code == 200
    assert png.content[:4] == b"\x89PNG"


def test_validation_refuses_bad_input(api: TestClient, builtin_dataset: dict[str, Any]) -> None:
    bad = api.post(
        "/validations/token-series",
        files={"file": ("t.csv", b"timestamp_utc,close\n2012-01-01,1\n2012-01-01,2\n", "text/csv")},
    )
    assert bad.status_code == 422
    assert "duplicate timestamp" in bad.text
    up = api.post("/validations/token-series", files={"file": ("t.csv", _token_csv(), "text/csv")})
    base = {"token_series_id": up.json()["id"], "dataset_id": builtin_dataset["id"]}
    missing = api.post("/validations", json={**base, "token_series_id": "0" * 32})
    assert missing.status_code == 422
    assert "no token series" in missing.text
    outside = api.post("/validations", json={**base, "start": "2013-01-01"})
    assert outside.status_code == 422
    assert "no period to compare" in outside.text
    too_big = api.post("/validations", json={**base, "holders": 1_000_000, "seeds": 50})
    assert too_big.status_code == 422
    assert "exceeds the limit" in too_big.text
    for scale in (0, -1.5, "wide"):
        refused = api.post("/validations", json={**base, "venue_scale": scale})
        assert refused.status_code == 422
        assert "venue_scale" in refused.text
    for tick in (-1, "fine", 1e6):
        refused = api.post("/validations", json={**base, "tick_usd_oz": tick})
        assert refused.status_code == 422
        assert "tick_usd_oz" in refused.text
