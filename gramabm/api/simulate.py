"""Simulation routes: start a run as a job, follow it, then read its summary, series and plots.

The job calls :func:`gramabm.simulation.simulate` and :func:`~gramabm.simulation.write_run`, the
functions behind ``gramabm run``; the request becomes a :class:`~gramabm.config.ModelConfig`
through :func:`~gramabm.config.build_config` here, so a bad field is refused (422) before a job
exists.
"""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse

from gramabm.api.ingest import dataset_prices
from gramabm.api.schemas import (
    JobInfo,
    PathId,
    RunSummary,
    SimulateRequest,
    error_responses,
    field_error,
)
from gramabm.api.security import require_api_key
from gramabm.api.state import ApiState, finished_or_409, get_state, job_or_404
from gramabm.api.status import job_file
from gramabm.config import ModelConfig
from gramabm.errors import ConfigError

router = APIRouter(prefix="/simulations", tags=["simulate"])


def request_config(body: SimulateRequest) -> ModelConfig:
    """The validated configuration a request describes.

    Raises:
        RequestValidationError: 422 naming the field when the configuration is impossible.
    """
    from gramabm.config import build_config

    data = {"scenario_params": dict(body.scenario_params)} if body.scenario_params else None
    try:
        config = build_config(
            data, scenario=body.scenario, steps=body.steps, holders=body.holders, preset=body.preset
        )
        if body.overrides:
            config = config.with_updates(dict(body.overrides))
    except ConfigError as exc:
        # build_config's message names the offending key (e.g. "holders.n: ...").
        loc = ("body", "overrides") if body.overrides else ("body",)
        raise field_error(loc, str(exc)) from exc
    return config


def check_scenario(config: ModelConfig, prices: Any) -> None:
    """Refuse (422) a scenario the data cannot support or parameters it does not take."""
    from gramabm.scenarios import get_scenario

    try:
        get_scenario(config.scenario, prices, **config.scenario_params)
    except (ConfigError, TypeError) as exc:
        raise field_error(("body", "scenario"), str(exc)) from exc


@router.post(
    "",
    status_code=202,
    response_model=JobInfo,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 503),
    summary="Start a run (job)",
)
def start_simulation(
    body: SimulateRequest, response: Response, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Validate the configuration, check ``holders × steps`` against the limit, queue the run."""
    config = request_config(body)
    size, limit = config.holders.n * config.steps, state.settings.max_holder_steps
    if size > limit:
        raise field_error(
            ("body", "holders"),
            f"holders × steps = {config.holders.n} × {config.steps} = {size:,} exceeds the "
            f"limit of {limit:,}",
        )
    prices = dataset_prices(state, body.dataset_id)
    check_scenario(config, prices)
    policy_file = None
    if body.policy_id is not None:
        if state.policies.get(body.policy_id) is None:
            raise field_error(("body", "policy_id"), f"no policy {body.policy_id}")
        policy_file = state.policies.file_bytes(body.policy_id)
    payload = {
        "config": config.model_dump(mode="json"),
        "seed": body.seed,
        "prices": prices,
        "policy_file": policy_file,
    }
    job = state.jobs.submit("simulate", body.model_dump(mode="json"), payload)
    response.headers["Location"] = f"/simulations/{job.id}"
    return job.to_dict()


@router.get(
    "/{job_id}", response_model=JobInfo, responses=error_responses(404), summary="Run status"
)
def simulation_status(
    job_id: PathId, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Status and progress (0..1); the result holds the summary once the run succeeded."""
    return job_or_404(state, job_id, "simulate").to_dict()


@router.get(
    "/{job_id}/summary",
    response_model=RunSummary,
    responses=error_responses(404, 409),
    summary="Run summary",
)
def simulation_summary(
    job_id: PathId, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Scenario, seed, steps and the stress metrics of a finished run."""
    job = finished_or_409(job_or_404(state, job_id, "simulate"))
    assert job.result is not None
    return job.result


@router.get(
    "/{job_id}/timeseries",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
            "description": "The per-step series",
        },
        **error_responses(404, 409),
    },
    summary="Run time series (CSV or Parquet)",
)
def simulation_timeseries(
    job_id: PathId,
    state: Annotated[ApiState, Depends(get_state)],
    format: Annotated[Literal["csv", "parquet"], Query()] = "csv",
) -> Response:
    """The per-step series as written by the run (Parquet) or converted to CSV."""
    job = finished_or_409(job_or_404(state, job_id, "simulate"))
    if format == "parquet":
        return job_file(state, job, "timeseries.parquet")
    import pandas as pd

    path = state.jobs.job_dir(job.id) / "timeseries.parquet"
    buffer = io.StringIO()
    pd.read_parquet(path).to_csv(buffer)
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{job.id}-timeseries.csv"'},
    )


@router.get(
    "/{job_id}/plots",
    response_model=list[str],
    responses=error_responses(404, 409),
    summary="Names of a run's plots",
)
def simulation_plots(job_id: PathId, state: Annotated[ApiState, Depends(get_state)]) -> list[str]:
    """The figures the run wrote (fetch each from ``/plots/{name}``)."""
    job = finished_or_409(job_or_404(state, job_id, "simulate"))
    return [n.removesuffix(".png") for n in job.files if n.endswith(".png")]


@router.get(
    "/{job_id}/plots/{name:path}",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/png": {}}, "description": "The figure"},
        **error_responses(400, 404, 409),
    },
    summary="One plot (PNG)",
)
def simulation_plot(
    job_id: PathId, name: str, state: Annotated[ApiState, Depends(get_state)]
) -> FileResponse:
    """A figure by name (``price``, ``deviation``, …), as PNG."""
    job = finished_or_409(job_or_404(state, job_id, "simulate"))
    return job_file(state, job, name if name.endswith(".png") else f"{name}.png")
