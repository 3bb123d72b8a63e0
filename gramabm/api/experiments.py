"""Experiment routes: submit a sweep as a job, follow it, read its result table.

The body is the experiment as its TOML file would hold it (name, root seed, scenarios, base,
per-scenario parameters, design, parameters), validated by :func:`gramabm.sweeps.parse_spec`;
the job runs :func:`gramabm.sweeps.run_sweep` and the table is read back with
:func:`gramabm.sweeps.read_results`. A sweep's size is bounded before anything runs: at most
``max_sweep_runs`` runs and ``max_sweep_holder_steps`` holder-steps in all.

The gold history is the body's ``dataset_id`` (an ingested series, loaded with
:func:`gramabm.api.ingest.dataset_prices`; an unknown id is a 422 on ``dataset_id``) or the
built-in one; replays the data do not cover are refused before a job exists. The job ships the
series to its worker once, with its payload; the job's request and result name the dataset and
the result's manifest holds the data's source and digest.
"""

from __future__ import annotations

import io
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from gramabm.api.encoding import json_safe
from gramabm.api.ingest import dataset_prices
from gramabm.api.schemas import ExperimentRequest, JobInfo, PathId, error_responses, field_error
from gramabm.api.security import require_api_key
from gramabm.api.state import ApiState, finished_or_409, get_state, job_or_404
from gramabm.config import shipped_configs
from gramabm.errors import ConfigError
from gramabm.sweeps import ExperimentSpec, expand, parse_spec, read_results

router = APIRouter(prefix="/experiments", tags=["experiments"])


def _policy_keys(value: Any, path: str = "") -> list[str]:
    """Dotted keys ending in ``policy`` anywhere in a nested mapping."""
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            dotted = f"{path}.{key}" if path else str(key)
            if str(key).split(".")[-1] == "policy":
                found.append(dotted)
            found.extend(_policy_keys(child, dotted))
    return found


def _size_bound(spec: ExperimentSpec) -> int:
    """An upper bound of the runs a spec expands to, computed without expanding it."""
    if spec.design.kind == "grid":
        points = math.prod(len(p.values) if p.values else int(p.num or 1) for p in spec.parameters)
    elif spec.design.kind == "sobol":
        n, d = int(spec.design.samples or 0), len(spec.parameters)
        points = n * ((2 * d + 2) if spec.design.second_order else (d + 2))
    else:
        points = int(spec.design.samples or 0)
    return points * len(spec.scenarios) * spec.replications


def checked_spec(state: ApiState, body: ExperimentRequest) -> tuple[ExperimentSpec, int]:
    """The validated spec and its run count, or a 422 naming what is wrong or too big."""
    # Policies come from the store by id; a path in a sweep would open any server file.
    paths = _policy_keys(body.spec.get("base", {}), "base") + [
        f"parameters.{name}"
        for name in _parameter_names(body.spec)
        if str(name).split(".")[-1] == "policy"
    ]
    if paths:
        raise field_error(("body", "spec"), f"{paths[0]}: policy files cannot be set in a sweep")
    if "data" in body.spec:
        # A [data] table names a file: the server would open any path a caller names.
        raise field_error(
            ("body", "spec"),
            "data: a sweep runs on an ingested dataset; give its dataset_id, not a file",
        )
    config = body.spec.get("config")
    if config is not None and config not in shipped_configs():
        # Only shipped configurations: a path would open any server file a caller names.
        raise field_error(
            ("body", "spec"),
            f"config: {config!r} is not a shipped configuration ({', '.join(shipped_configs())})",
        )
    try:
        spec = parse_spec(body.spec, "spec")
    except ConfigError as exc:
        raise field_error(("body", "spec"), str(exc)) from exc
    limit = state.settings.max_sweep_runs
    if _size_bound(spec) > 10 * limit:
        raise field_error(("body", "spec"), f"the sweep expands to far more than {limit} runs")
    runs = expand(spec)
    if len(runs) > limit:
        raise field_error(
            ("body", "spec"), f"the sweep expands to {len(runs)} runs, over the limit of {limit}"
        )
    from gramabm.config import build_config

    defaults = build_config()
    work = sum(_holder_steps(r.config, defaults.holders.n, defaults.steps) for r in runs)
    if work > state.settings.max_sweep_holder_steps:
        raise field_error(
            ("body", "spec"),
            f"holders × steps × runs = {work:,} exceeds the limit of "
            f"{state.settings.max_sweep_holder_steps:,}",
        )
    return spec, len(runs)


def _parameter_names(spec: dict[str, Any]) -> list[str]:
    params = spec.get("parameters")
    if isinstance(params, dict):
        return [str(k) for k in params]
    entries = params if isinstance(params, list) else spec.get("vary", [])
    return [str(e.get("name", "")) for e in entries if isinstance(e, dict)] if entries else []


def _holder_steps(config: dict[str, Any], default_holders: int, default_steps: int) -> int:
    """``holders × steps`` of one run's nested configuration (defaults where it sets none)."""
    holders = config.get("holders", {})
    n = holders.get("n", default_holders) if isinstance(holders, dict) else default_holders
    return int(n) * int(config.get("steps", default_steps))


@router.post(
    "",
    status_code=202,
    response_model=JobInfo,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 503),
    summary="Submit a sweep (job)",
)
def submit_experiment(
    body: ExperimentRequest, response: Response, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Validate and size the sweep, check its data, then queue it; poll ``/experiments/{job_id}``."""
    from gramabm.sweeps.runner import check_runs, sweep_data

    spec, runs = checked_spec(state, body)
    prices = dataset_prices(state, body.dataset_id)
    try:
        data = sweep_data(spec, prices)  # e.g. a replay outside the data: refused now, not per run
        # Every design point validated as a single run would be: a bad value is a 422 now.
        check_runs(expand(spec), prices)
    except ConfigError as exc:
        raise field_error(("body", "spec"), str(exc)) from exc
    request = {
        "spec": json_safe(body.spec),
        "runs": runs,
        "name": spec.name,
        "dataset_id": body.dataset_id,
        "data": {"source": data.source, "digest": data.digest},
    }
    payload = {"spec": body.spec, "prices": prices, "dataset_id": body.dataset_id}
    job = state.jobs.submit("sweep", request, payload)
    response.headers["Location"] = f"/experiments/{job.id}"
    return job.to_dict()


@router.get(
    "/{job_id}", response_model=JobInfo, responses=error_responses(404), summary="Sweep status"
)
def experiment_status(
    job_id: PathId, state: Annotated[ApiState, Depends(get_state)]
) -> dict[str, Any]:
    """Status and progress (share of runs finished); the result holds counts and the design."""
    return job_or_404(state, job_id, "sweep").to_dict()


def sweep_results(state: ApiState, job_id: str) -> Any:
    """The result table of a finished sweep (one row per run), or 404/409."""
    job = finished_or_409(job_or_404(state, job_id, "sweep"))
    return read_results(state.jobs.job_dir(job.id))


@router.get(
    "/{job_id}/results",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                "application/vnd.apache.parquet": {},
            },
            "description": "One row per run",
        },
        **error_responses(404, 409),
    },
    summary="Sweep result table",
)
def experiment_results(
    job_id: PathId,
    state: Annotated[ApiState, Depends(get_state)],
    format: Annotated[Literal["json", "csv", "parquet"], Query()] = "json",
) -> Response:
    """The table: run keys, ``p_*`` parameters, ``m_*`` metrics, status (JSON, CSV or Parquet)."""
    import json

    table = sweep_results(state, job_id)
    if format == "parquet":
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False)
        return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet")
    if format == "csv":
        return Response(table.to_csv(index=False), media_type="text/csv")
    records = json_safe(table.to_dict(orient="records"))
    return Response(json.dumps(records, allow_nan=False), media_type="application/json")
