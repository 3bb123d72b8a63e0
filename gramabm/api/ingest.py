"""Ingest routes: a gold series in (an uploaded CSV or a built-in name), a dataset id out.

The CSV goes through :func:`gramabm.data.loaders.load_csv` (the loader ``gramabm data info`` uses)
and the description through :func:`gramabm.analysis.history.stylised.stylised_facts`; a file that fails
validation is answered 422 with the loader's message, which names the row and the problem.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool

from gramabm.api.schemas import BuiltinIngest, DatasetInfo, PathId, error_responses, field_error
from gramabm.api.security import require_api_key, save_upload
from gramabm.api.state import ApiState, get_state
from gramabm.errors import ConfigError, DataValidationError

router = APIRouter(prefix="/datasets", tags=["ingest"])

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]")


def describe_series(load: Any) -> tuple[pd.Series, dict[str, Any]]:
    """Load a series with ``load()`` and describe it: dates, rows, warnings, stylised facts.

    Raises:
        DataValidationError: The loader refused the data.
    """
    from gramabm.analysis.history.stylised import stylised_facts

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prices = load()
        facts = stylised_facts(prices)
    messages = sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)})
    info = {
        "source": str(prices.attrs.get("source", "")),
        "start": f"{prices.index[0]:%Y-%m-%d}",
        "end": f"{prices.index[-1]:%Y-%m-%d}",
        "rows": len(prices),
        "validation": {"ok": True, "rows": len(prices), "warnings": messages},
        "stylised_facts": facts.to_dict(),
    }
    return prices, info


def _store(state: ApiState, load: Any, field: str) -> dict[str, Any]:
    try:
        prices, info = describe_series(load)
    except DataValidationError as exc:
        raise field_error(("body", field), str(exc)) from exc
    return state.datasets.add(prices, info)


@router.post(
    "/upload",
    status_code=201,
    response_model=DatasetInfo,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 413),
    summary="Upload a gold price CSV",
)
async def upload_csv(
    file: Annotated[UploadFile, File(description="CSV with a header row: date and USD/oz price")],
    state: Annotated[ApiState, Depends(get_state)],
    date_column: Annotated[str, Form(min_length=1, max_length=100)] = "date",
    price_column: Annotated[str, Form(min_length=1, max_length=100)] = "price",
    unsorted: Annotated[Literal["error", "sort"], Form()] = "error",
    delimiter: Annotated[Literal[",", ";", "\t", "|"], Form()] = ",",
) -> dict[str, Any]:
    """Validate an uploaded CSV, describe it and store it; answers the dataset record."""
    from gramabm.data.loaders import load_csv

    name = _UNSAFE_NAME.sub("_", Path(file.filename or "upload.csv").name)[:100]
    with tempfile.TemporaryDirectory(prefix="gramabm-upload-") as tmp:
        path = Path(tmp, "upload.csv")
        await save_upload(file, path, state.settings.max_upload_bytes)

        def load() -> pd.Series:
            return load_csv(
                path,
                date_column=date_column,
                price_column=price_column,
                unsorted=unsorted,
                delimiter=delimiter,
                source=f"upload:{name}",
            )

        return await run_in_threadpool(_store, state, load, "file")


@router.post(
    "/builtin",
    status_code=201,
    response_model=DatasetInfo,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401),
    summary="Use a built-in gold history",
)
def ingest_builtin(
    body: BuiltinIngest, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Describe and store a built-in series (no upload, no network)."""
    from gramabm.data.loaders import load_builtin

    try:
        return _store(state, lambda: load_builtin(body.name), "name")
    except ConfigError as exc:
        raise field_error(("body", "name"), str(exc)) from exc


@router.get("", response_model=list[DatasetInfo], summary="List datasets")
def list_datasets(state: Annotated[ApiState, Depends(get_state)]) -> list[dict[str, Any]]:
    """Every stored dataset, newest first."""
    return state.datasets.list()


@router.get(
    "/{dataset_id}",
    response_model=DatasetInfo,
    responses=error_responses(404),
    summary="One dataset",
)
def get_dataset(
    dataset_id: PathId, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """A stored dataset's record."""
    record = state.datasets.get(dataset_id)
    if record is None:
        raise HTTPException(404, f"no dataset {dataset_id}")
    return record


def dataset_prices(state: ApiState, dataset_id: str | None) -> pd.Series | None:
    """The series of ``dataset_id`` for a job (``None`` → the built-in default).

    Raises:
        RequestValidationError: 422 on ``dataset_id`` when there is no such dataset.
    """
    if dataset_id is None:
        return None
    prices = state.datasets.prices(dataset_id)
    if prices is None:
        raise field_error(("body", "dataset_id"), f"no dataset {dataset_id}; ingest one first")
    return prices
