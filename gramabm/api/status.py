"""Service routes: liveness, readiness, and every job's status, cancel and files."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse, JSONResponse

from gramabm.api.jobs import Job
from gramabm.api.schemas import Health, JobInfo, JobStatus, PathId, error_responses
from gramabm.api.security import require_api_key, resolve_inside, safe_file_name
from gramabm.api.state import ApiState, get_state, job_or_404

router = APIRouter(tags=["jobs"])

FILE_TYPES = {".parquet": "application/vnd.apache.parquet", ".csv": "text/csv"}


def job_file(state: ApiState, job: Job, name: str) -> FileResponse:
    """A file a job wrote, after the name passed :func:`safe_file_name`.

    Raises:
        UnsafePathError: The name tries to leave the job's directory (400).
        HTTPException: 404 when the job wrote no such file.
    """
    rel = safe_file_name(name)
    if rel.as_posix() not in job.files:
        raise HTTPException(404, f"job {job.id} has no file {rel.as_posix()!r}")
    path = resolve_inside(state.jobs.job_dir(job.id), rel)
    if not path.is_file():
        raise HTTPException(404, f"job {job.id}: file {rel.as_posix()!r} is missing on disk")
    media = FILE_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return FileResponse(path, media_type=media or "application/octet-stream", filename=path.name)


@router.get("/health", response_model=Health, tags=["service"], summary="Liveness")
def health() -> dict[str, Any]:
    """The process answers."""
    return {"status": "ok", "detail": ""}


@router.get(
    "/ready",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready"}},
    tags=["service"],
    summary="Readiness",
)
def ready(state: Annotated[ApiState, Depends(get_state)]) -> Any:
    """The database answers and the worker backend takes jobs."""
    if state.jobs.healthy():
        return {"status": "ok", "detail": ""}
    return JSONResponse(
        {"status": "unavailable", "detail": "database or worker backend unavailable"}, 503
    )


@router.get("/jobs", response_model=list[JobInfo], summary="List jobs")
def list_jobs(
    state: Annotated[ApiState, Depends(get_state)],
    kind: Annotated[str | None, Query(max_length=50)] = None,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Jobs, newest first."""
    return [j.to_dict() for j in state.jobs.find(kind, status, limit)]


@router.get(
    "/jobs/{job_id}", response_model=JobInfo, responses=error_responses(404), summary="One job"
)
def get_job(job_id: PathId, state: Annotated[ApiState, Depends(get_state)]) -> dict[str, Any]:
    """A job's status, progress and (when finished) result."""
    return job_or_404(state, job_id).to_dict()


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobInfo,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 404, 409),
    summary="Cancel a job",
)
def cancel_job(job_id: PathId, state: Annotated[ApiState, Depends(get_state)]) -> dict[str, Any]:
    """Drop a queued job, or ask a running one to stop; 409 if it has finished."""
    job_or_404(state, job_id)
    return state.jobs.cancel(job_id).to_dict()


@router.get(
    "/jobs/{job_id}/files/{name:path}",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        **error_responses(400, 404),
    },
    summary="A file a job wrote",
)
def get_job_file(
    job_id: PathId, name: str, state: Annotated[ApiState, Depends(get_state)]
) -> FileResponse:
    """One of the files listed in the job's ``files``."""
    return job_file(state, job_or_404(state, job_id), name)
