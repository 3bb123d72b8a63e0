"""Validation routes: upload an observed token series, then validate the model against it (job).

``POST /validations/token-series`` checks a token candle CSV with
:func:`gramabm.analysis.token.load_token_candles` (the loader ``gramabm validate`` uses) and
stores it under a content id; ``POST /validations`` takes that id, the id of an ingested gold
dataset (the fixes) and the model's settings, and queues :func:`gramabm.validate.validate` as a
job. Its result holds the comparison table and the exit status ``gramabm validate`` would give;
its files are the table (CSV, JSON), the figure and the HTML page.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, HTTPException, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gramabm.api.registry import content_id
from gramabm.api.schemas import JobInfo, PathId, error_responses, field_error
from gramabm.api.security import require_api_key, save_upload
from gramabm.api.state import ApiState, finished_or_409, get_state, job_or_404
from gramabm.api.status import job_file
from gramabm.errors import ConfigError, DataValidationError
from gramabm.validate.defaults import DEFAULT_SEEDS
from gramabm.validate.tick import parse_tick
from gramabm.validate.venue import checked_scale

router = APIRouter(prefix="/validations", tags=["validate"])


class ValidateRequest(BaseModel):
    """A validation: the observed token, the gold fixes and the model's settings."""

    model_config = ConfigDict(extra="forbid")

    token_series_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    dataset_id: str = Field(pattern=r"^[0-9a-f]{32}$", description="ingested gold fix series")
    start: str | None = Field(None, description="first day (YYYY-MM-DD)")
    end: str | None = Field(None, description="last day (YYYY-MM-DD)")
    config: Literal["calibrated", "defaults"] = "calibrated"
    preset: Literal["paxg", "xaut", "gram_wrapper"] | None = None
    policy: Literal["default", "rule_based"] | None = None
    holders: int | None = Field(None, ge=1, le=1_000_000)
    tick_usd_oz: Literal["auto"] | float | None = Field(
        None,
        description="the simulated venue's price step, USD per ounce, 0 to 1,000 (default: the "
        "configuration's; PAXG/USDT from September 2021: 1); 'auto': the observed closes' "
        "step, month by month",
    )
    seeds: int = Field(DEFAULT_SEEDS, ge=1, le=50)
    first_seed: int = Field(0, ge=0)
    venue_scale: Literal["auto"] | float = Field(
        "auto",
        description="'auto': size the venue to the observed one by traded value; a number > 0: "
        "that scale of the configured order rate and book depth (1: as configured)",
    )

    @field_validator("tick_usd_oz")
    @classmethod
    def _tick_in_range(cls, v: Literal["auto"] | float | None) -> Literal["auto"] | float | None:
        return v if v is None or v == "auto" else parse_tick(str(v))

    @field_validator("venue_scale")
    @classmethod
    def _positive_scale(cls, v: Literal["auto"] | float) -> Literal["auto"] | float:
        return v if v == "auto" else checked_scale(v, v)


def _series_dir(state: ApiState) -> Path:
    path = state.settings.data_dir / "token_series"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load_series(state: ApiState, series_id: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    root = _series_dir(state)
    info_path = root / f"{series_id}.json"
    if not info_path.is_file():
        return None
    info = json.loads(info_path.read_text(encoding="utf-8"))
    candles = pd.read_parquet(root / f"{series_id}.parquet")
    candles.attrs.update(info["attrs"])
    return candles, info


def _store(state: ApiState, candles: pd.DataFrame) -> dict[str, Any]:
    buffer = io.BytesIO()
    candles.to_parquet(buffer)
    raw = buffer.getvalue()
    attrs = {k: candles.attrs[k] for k in ("source", "frequency", "ounces_per_token")}
    series_id = content_id(raw + json.dumps(attrs, sort_keys=True).encode("utf-8"))
    info = {
        "id": series_id,
        "attrs": attrs,
        "start": f"{candles.index[0]:%Y-%m-%d %H:%M}",
        "end": f"{candles.index[-1]:%Y-%m-%d %H:%M}",
        "rows": len(candles),
        "has_volume": bool(candles["volume_tokens"].notna().any()),
        "has_supply": bool(candles["supply_tokens"].notna().any()),
    }
    root = _series_dir(state)
    (root / f"{series_id}.parquet").write_bytes(raw)
    (root / f"{series_id}.json").write_text(json.dumps(info), encoding="utf-8")
    return info


@router.post(
    "/token-series",
    status_code=201,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 413),
    summary="Upload an observed token's candles (CSV)",
)
async def upload_token_series(
    file: Annotated[UploadFile, File(description="token candles CSV, hourly or daily")],
    state: Annotated[ApiState, Depends(get_state)],
    time_column: Annotated[str | None, Form(max_length=100)] = None,
    close_column: Annotated[str | None, Form(max_length=100)] = None,
    open_column: Annotated[str | None, Form(max_length=100)] = None,
    high_column: Annotated[str | None, Form(max_length=100)] = None,
    low_column: Annotated[str | None, Form(max_length=100)] = None,
    volume_column: Annotated[str | None, Form(max_length=100)] = None,
    supply_column: Annotated[str | None, Form(max_length=100)] = None,
    volume_unit: Annotated[Literal["tokens", "usd"], Form()] = "tokens",
    ounces_per_token: Annotated[float, Form(gt=0)] = 1.0,
) -> dict[str, Any]:
    """Check the candles and store them; answers the series' id, range and columns."""
    from gramabm.analysis.token import candle_columns, load_token_candles

    name = Path(file.filename or "token.csv").name[:100]
    columns = candle_columns(
        time=time_column,
        close=close_column,
        open=open_column,
        high=high_column,
        low=low_column,
        volume=volume_column,
        supply=supply_column,
    )
    with tempfile.TemporaryDirectory(prefix="gramabm-token-") as tmp:
        path = Path(tmp, "token.csv")
        await save_upload(file, path, state.settings.max_upload_bytes)

        def load() -> dict[str, Any]:
            try:
                candles = load_token_candles(
                    path,
                    columns=columns,
                    volume_unit=volume_unit,
                    ounces_per_token=ounces_per_token,
                    source=f"upload:{name}",
                )
            except DataValidationError as exc:
                raise field_error(("body", "file"), str(exc)) from exc
            return _store(state, candles)

        return await run_in_threadpool(load)


@router.get("/token-series/{series_id}", responses=error_responses(404), summary="One token series")
def get_token_series(
    series_id: PathId, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """A stored token series' record."""
    found = _load_series(state, series_id)
    if found is None:
        raise HTTPException(404, f"no token series {series_id}")
    return found[1]


@router.post(
    "",
    status_code=202,
    response_model=JobInfo,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 503),
    summary="Validate the model against a token series (job)",
)
def start_validation(
    body: ValidateRequest, response: Response, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Check the inputs and the size of the work, then queue the replays."""
    from gramabm.config import load_config
    from gramabm.scenarios.replay import Replay
    from gramabm.validate.study import replay_period

    found = _load_series(state, body.token_series_id)
    if found is None:
        raise field_error(("body", "token_series_id"), f"no token series {body.token_series_id}")
    candles, _ = found
    gold = state.datasets.prices(body.dataset_id)
    if gold is None:
        raise field_error(("body", "dataset_id"), f"no dataset {body.dataset_id}; ingest one")
    try:
        first, last = replay_period(candles, gold, body.start, body.end)
        steps = Replay(gold, first, last).default_steps
        config = load_config(
            "calibrated" if body.config == "calibrated" else None,
            preset=body.preset,
            policy=body.policy,
            holders=body.holders,
        )
    except (DataValidationError, ConfigError) as exc:
        raise field_error(("body",), str(exc)) from exc
    work = config.holders.n * steps * body.seeds
    limit = state.settings.max_holder_steps
    if work > limit:
        raise field_error(
            ("body", "holders"),
            f"holders × steps × seeds = {config.holders.n} × {steps} × {body.seeds} = {work:,} "
            f"exceeds the limit of {limit:,}",
        )
    payload = {
        "candles": candles,
        "candle_attrs": dict(candles.attrs),
        "gold": gold,
        "config": config.model_dump(mode="json"),
        "seeds": list(range(body.first_seed, body.first_seed + body.seeds)),
        "start": body.start,
        "end": body.end,
        "venue_scale": body.venue_scale,
        "tick": body.tick_usd_oz,
    }
    job = state.jobs.submit("validate", body.model_dump(mode="json"), payload)
    response.headers["Location"] = f"/validations/{job.id}"
    return job.to_dict()


@router.get("/{job_id}", response_model=JobInfo, responses=error_responses(404), summary="Status")
def validation_status(
    job_id: PathId, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Status and progress; once done the result holds the table and the exit status."""
    return job_or_404(state, job_id, "validate").to_dict()


@router.get(
    "/{job_id}/files/{name}",
    responses=error_responses(400, 404, 409),
    summary="A file of a finished validation",
)
def validation_file(
    job_id: PathId, name: str, state: Annotated[ApiState, Depends(get_state)]
) -> FileResponse:
    """``validation.csv``, ``validation.json``, ``validation.png`` or ``validation.html``."""
    job = finished_or_409(job_or_404(state, job_id, "validate"))
    return job_file(state, job, name)
