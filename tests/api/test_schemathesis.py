"""Property-based tests over the OpenAPI document: no 5xx, every response as documented.

Schemathesis generates requests for every operation from the schema (valid and invalid ones) and
checks each answer: not a server error, a documented status code and content type, and a body
that matches the documented schema. Limits are shrunk so accepted jobs stay tiny, and the
example count per operation is kept small so the whole run takes well under a minute.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gramabm.api import Settings, create_app

EXAMPLES = 8

DATA_DIR = tempfile.mkdtemp(prefix="gramabm-schemathesis-")
APP = create_app(
    Settings(
        data_dir=DATA_DIR,
        workers=1,
        max_active_jobs=16,
        max_holder_steps=20_000,
        max_sweep_runs=4,
        max_sweep_holder_steps=40_000,
        max_predict_rows=50,
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _stop_app() -> Iterator[None]:
    yield
    APP.state.gramabm.close()
    shutil.rmtree(DATA_DIR, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    response = case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
    if response.status_code == 202:
        # An accepted job is dropped at once: the generated work is not what is under test.
        APP.state.gramabm.jobs.cancel(response.json()["id"])
